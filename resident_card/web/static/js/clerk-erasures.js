// The clerk's erasure desk: requests to be erased, the oldest open first; an admin grants or refuses
// each with the reason the person will read. Auditors read only.

import { call } from "./api.js";
import { onLanguageChange, setDate, setText, t } from "./i18n.js";
import { announce, announceDetail, busy, clearMessage, goSignIn, markInvalid } from "./page.js";
import { detail } from "./resident-view.js";

const $ = (id) => document.getElementById(id);
const STATES = {
  submitted: "erasure.status.submitted",
  granted: "erasure.status.granted",
  refused: "erasure.status.refused",
};

let canChange = false;
let erasures = [];
let total = 0;
let open = null;

function badge(element, status) {
  element.dataset.erasure = status;
  return setText(element, STATES[status] || "erasure.status.submitted");
}

// Once erased, the record has no name left to show.
function nameOf(erasure) {
  return erasure.name || t("clerk.erasure_erased");
}

function drawList() {
  const list = $("erasures-list");
  list.replaceChildren();
  for (const erasure of erasures) {
    const item = document.createElement("li");
    if (open && open.id === erasure.id) item.setAttribute("aria-current", "true");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link-button";
    button.textContent = nameOf(erasure);
    button.addEventListener("click", () => openErasure(erasure.id));
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.append(badge(document.createElement("span"), erasure.status), " · ");
    meta.append(setDate(document.createElement("time"), erasure.created_at));
    item.append(button, meta);
    list.append(item);
  }
  if (erasures.length === 0) setText($("erasures-count"), "clerk.erasures_empty");
  else setText($("erasures-count"), "clerk.erasures_count", { shown: erasures.length, total });
}

async function loadList() {
  const query = new URLSearchParams({ limit: "100" });
  const status = $("erasure-filter").value;
  if (status) query.set("status", status);
  const result = await call(`/admin/erasures?${query}`);
  if (result.status === 401) return goSignIn();
  if (!result.ok) {
    announceDetail($("erasures-count"), result.data.detail);
    return;
  }
  erasures = result.data.items || [];
  total = typeof result.data.total === "number" ? result.data.total : erasures.length;
  drawList();
}

function drawErasure() {
  $("erasure-heading").textContent = nameOf(open);
  badge($("erasure-state"), open.status);
  const list = $("erasure-details");
  list.replaceChildren();
  detail(list, "clerk.erasure_asked_on", open.created_at, { date: true });
  detail(list, "clerk.erasure_why", open.reason);
  if (open.decided_at) detail(list, "clerk.erasure_decided_on", open.decided_at, { date: true });
  if (open.decision_reason) detail(list, "clerk.reason", open.decision_reason);
  const form = $("erasure-form");
  if (form) form.hidden = !canChange || open.status !== "submitted";
  $("erasure").hidden = false;
}

function openErasure(id) {
  open = erasures.find((erasure) => erasure.id === id) || null;
  if (!open) return;
  clearMessage($("erasure-change"));
  const form = $("erasure-form");
  if (form) {
    form.reset();
    markInvalid(form, []);
  }
  drawErasure();
  drawList();
  $("erasure").focus();
}

function wire() {
  $("erasure-filter").addEventListener("change", () => loadList());
  onLanguageChange(() => {
    drawList();
    if (open) drawErasure();
  });
  const form = $("erasure-form");
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const change = $("erasure-change");
    const chosen = form.querySelector("input[name=outcome]:checked");
    const reason = $("erasure-reason").value.trim();
    if (!chosen) {
      announce(change, "clerk.erasure_outcome_needed", { tone: "error" });
      form.querySelector("input[name=outcome]").focus();
      return;
    }
    if (!reason) {
      announce(change, "clerk.reason_needed", { tone: "error" });
      markInvalid(form, ["reason"]);
      $("erasure-reason").focus();
      return;
    }
    markInvalid(form, []);
    await busy(form.querySelector("button[type=submit]"), async () => {
      const name = nameOf(open);
      const result = await call(`/admin/erasures/${encodeURIComponent(open.id)}/decide`, {
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
      drawErasure();
      $("erasure").focus();
      announce(change, "clerk.erasure_decided", {
        tone: "ok",
        params: { name, status: t(STATES[open.status]) },
      });
      await loadList();
    });
  });
}

/** Start the desk: ``changes`` is whether this clerk may decide (admins) or only read (auditors). */
export async function startPart({ changes }) {
  canChange = changes;
  // An auditor changes nothing: the form is not hidden but gone.
  if (!canChange) $("erasure-form")?.remove();
  wire();
  $("erasures-desk").hidden = false;
  await loadList();
}
