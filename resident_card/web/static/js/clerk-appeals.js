// The clerk's appeals desk: appeals against refused decisions, the oldest open first; an admin
// grants or refuses each with the reason the resident will read. Auditors read only.

import { call } from "./api.js";
import { onLanguageChange, setDate, setText, t } from "./i18n.js";
import { announce, announceDetail, busy, clearMessage, goSignIn, markInvalid } from "./page.js";
import { detail } from "./resident-view.js";

const $ = (id) => document.getElementById(id);
const STATES = {
  submitted: "appeal.status.submitted",
  granted: "appeal.status.granted",
  refused: "appeal.status.refused",
};

let canChange = false;
let appeals = [];
let total = 0;
let open = null;

function badge(element, status) {
  element.dataset.appeal = status;
  return setText(element, STATES[status] || "appeal.status.submitted");
}

function drawList() {
  const list = $("appeals-list");
  list.replaceChildren();
  for (const appeal of appeals) {
    const item = document.createElement("li");
    if (open && open.id === appeal.id) item.setAttribute("aria-current", "true");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link-button";
    button.textContent = `${appeal.resident_name} · ${appeal.programme_name}`;
    button.addEventListener("click", () => openAppeal(appeal.id));
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.append(badge(document.createElement("span"), appeal.status), " · ");
    meta.append(setDate(document.createElement("time"), appeal.created_at));
    item.append(button, meta);
    list.append(item);
  }
  if (appeals.length === 0) setText($("appeals-count"), "clerk.appeals_empty");
  else setText($("appeals-count"), "clerk.appeals_count", { shown: appeals.length, total });
}

async function loadList() {
  const query = new URLSearchParams({ limit: "100" });
  const status = $("appeal-filter").value;
  if (status) query.set("status", status);
  const result = await call(`/admin/appeals?${query}`);
  if (result.status === 401) return goSignIn();
  if (!result.ok) {
    announceDetail($("appeals-count"), result.data.detail);
    return;
  }
  appeals = result.data.items || [];
  total = typeof result.data.total === "number" ? result.data.total : appeals.length;
  drawList();
}

function drawAppeal() {
  $("appeal-heading").textContent = `${open.resident_name} · ${open.programme_name}`;
  badge($("appeal-state"), open.status);
  const list = $("appeal-details");
  list.replaceChildren();
  detail(list, "clerk.appeal_submitted_on", open.created_at, { date: true });
  detail(list, "clerk.appeal_message", open.message);
  if (open.decided_at) detail(list, "clerk.appeal_decided_on", open.decided_at, { date: true });
  if (open.reason) detail(list, "clerk.reason", open.reason);
  const form = $("appeal-form");
  if (form) form.hidden = !canChange || open.status !== "submitted";
  $("appeal").hidden = false;
}

function openAppeal(id) {
  open = appeals.find((appeal) => appeal.id === id) || null;
  if (!open) return;
  clearMessage($("appeal-change"));
  const form = $("appeal-form");
  if (form) {
    form.reset();
    markInvalid(form, []);
  }
  drawAppeal();
  drawList();
  $("appeal").focus();
}

function wire() {
  $("appeal-filter").addEventListener("change", () => loadList());
  onLanguageChange(() => {
    drawList();
    if (open) drawAppeal();
  });
  const form = $("appeal-form");
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const change = $("appeal-change");
    const chosen = form.querySelector("input[name=outcome]:checked");
    const reason = $("appeal-reason").value.trim();
    if (!chosen) {
      announce(change, "clerk.appeal_outcome_needed", { tone: "error" });
      form.querySelector("input[name=outcome]").focus();
      return;
    }
    if (!reason) {
      announce(change, "clerk.reason_needed", { tone: "error" });
      markInvalid(form, ["reason"]);
      $("appeal-reason").focus();
      return;
    }
    markInvalid(form, []);
    await busy(form.querySelector("button[type=submit]"), async () => {
      const result = await call(`/admin/appeals/${encodeURIComponent(open.id)}/decide`, {
        method: "POST",
        json: { outcome: chosen.value, reason },
      });
      if (result.status === 401) return goSignIn();
      if (!result.ok) {
        announceDetail(change, result.data.detail);
        return;
      }
      open = result.data;
      form.reset();
      drawAppeal();
      $("appeal").focus();
      announce(change, "clerk.appeal_decided", {
        tone: "ok",
        params: { name: open.resident_name, status: t(STATES[open.status]) },
      });
      await loadList();
    });
  });
}

/** Start the desk: ``changes`` is whether this clerk may decide (admins) or only read (auditors). */
export async function startPart({ changes }) {
  canChange = changes;
  // An auditor changes nothing: the form is not hidden but gone.
  if (!canChange) $("appeal-form")?.remove();
  wire();
  $("appeals-desk").hidden = false;
  await loadList();
}
