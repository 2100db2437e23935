import { call, tokens } from "./api.js";
import { onLanguageChange, setDate, setText, t } from "./i18n.js";
import { announce, announceDetail, busy, clearMessage, goSignIn, loadParts, markInvalid, start } from "./page.js";
import {
  NEXT_STATUSES,
  addressText,
  detail,
  fullName,
  identifierText,
  showHistory,
  showStatus,
  statusKey,
} from "./resident-view.js";

// The desks other domains add to the clerk's page (cashback's, where the city runs it), each
// started with startPart({ changes }) once the clerk's roles are known.
const parts = loadParts();
await start();

const $ = (id) => document.getElementById(id);
const status = $("status");
const filter = $("status-filter");
const form = $("status-form");
const change = $("change-status");
let canChange = false;
const PAGE_SIZE = 50;
let queue = [];
let total = 0;
let open = null;

function itemsOf(data) {
  if (Array.isArray(data)) return data;
  return (data && data.items) || [];
}

function drawQueue() {
  const list = $("queue-list");
  list.replaceChildren();
  for (const resident of queue) {
    const item = document.createElement("li");
    if (open && open.id === resident.id) item.setAttribute("aria-current", "true");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link-button";
    button.textContent = fullName(resident);
    button.addEventListener("click", () => openResident(resident.id));
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.append(setText(document.createElement("span"), statusKey(resident.status), { status: resident.status }));
    if (resident.claim === "open") {
      meta.append(" · ", setText(document.createElement("strong"), "clerk.claim_mark"));
    }
    if (resident.created_at) {
      meta.append(" · ", setText(document.createElement("span"), "clerk.enrolled_on"), " ");
      meta.append(setDate(document.createElement("time"), resident.created_at));
    }
    item.append(button, meta);
    list.append(item);
  }
  if (queue.length === 0) setText($("queue-count"), "clerk.queue_empty");
  else setText($("queue-count"), "clerk.queue_count", { shown: queue.length, total });
  $("queue-more").hidden = queue.length >= total;
}

async function loadQueue({ more = false } = {}) {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String(more ? queue.length : 0) });
  if (filter.value) query.set("status", filter.value);
  const text = $("search").value.trim();
  if (text) query.set("q", text);
  const result = await call(`/admin/residents?${query}`);
  if (result.status === 401) return goSignIn();
  if (!result.ok) {
    announceDetail(status, result.data.detail);
    return;
  }
  const page = itemsOf(result.data);
  queue = more ? [...queue, ...page] : page;
  total = typeof result.data.total === "number" ? result.data.total : queue.length;
  drawQueue();
}

function drawChoices() {
  const choices = $("status-choices");
  choices.replaceChildren();
  for (const value of NEXT_STATUSES[open.status] || []) {
    const label = document.createElement("label");
    label.className = "choice";
    const radio = document.createElement("input");
    radio.type = "radio";
    radio.name = "status";
    radio.value = value;
    label.append(radio, " ", setText(document.createElement("span"), statusKey(value)));
    choices.append(label);
  }
}

function drawResident() {
  $("resident-heading").textContent = fullName(open);
  showStatus($("resident-status"), open.status);
  const list = $("resident-details");
  list.replaceChildren();
  detail(list, "field.date_of_birth", open.date_of_birth, { date: true });
  detail(list, "field.identifier", identifierText(open.identifier));
  detail(list, "wallet.address", addressText(open.address));
  detail(list, "field.email", open.email);
  detail(list, "field.phone", open.phone);
  detail(list, "clerk.enrolled_on", open.created_at, { date: true });
  showHistory($("resident-history"), open.status_history);
  // An enrolment that claims a registered identity changes only through the claim's decision.
  const claimOpen = Boolean(open.claim && open.claim.state === "open");
  const next = claimOpen ? [] : NEXT_STATUSES[open.status] || [];
  form.hidden = next.length === 0;
  $("final-note").hidden = !canChange || next.length > 0 || claimOpen;
  if (canChange) drawChoices();
  $("resident").hidden = false;
  document.dispatchEvent(new CustomEvent("clerk:resident", { detail: open }));
}

async function openResident(id) {
  const result = await call(`/admin/residents/${encodeURIComponent(id)}`);
  if (result.status === 401) return goSignIn();
  if (!result.ok) {
    announceDetail(status, result.data.detail);
    return;
  }
  open = result.data;
  clearMessage(change);
  form.reset();
  markInvalid(form, []);
  drawResident();
  drawQueue();
  $("resident").focus();
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const chosen = form.querySelector("input[name=status]:checked");
  const reason = $("reason").value.trim();
  if (!chosen || !reason) {
    announce(change, chosen ? "clerk.reason_needed" : "clerk.status_needed", { tone: "error" });
    if (!reason && chosen) markInvalid(form, ["reason"]);
    else form.querySelector("input[name=status]")?.focus();
    return;
  }
  markInvalid(form, []);
  const submit = form.querySelector("button[type=submit]");
  await busy(submit, async () => {
    const result = await call(`/admin/residents/${encodeURIComponent(open.id)}/status`, {
      method: "POST",
      json: { status: chosen.value, reason },
    });
    if (result.status === 401) return goSignIn();
    if (!result.ok) {
      announceDetail(change, result.data.detail);
      return;
    }
    open = { ...open, ...result.data };
    if (!result.data || !result.data.status_history) {
      const again = await call(`/admin/residents/${encodeURIComponent(open.id)}`);
      if (again.ok) open = again.data;
    }
    form.reset();
    drawResident();
    if (form.hidden) $("resident").focus(); // the form is gone once no change is left to make
    announce(change, "clerk.changed", { tone: "ok", params: { name: fullName(open), status: t(statusKey(open.status)) } });
    await loadQueue();
  });
});

// Another desk asks for a resident to be opened (the registered record a claim names).
document.addEventListener("clerk:open", (event) => openResident(event.detail));

// Another desk on the page (clerk-moves.js) changed the open resident.
document.addEventListener("clerk:changed", (event) => {
  open = event.detail;
  drawResident();
  loadQueue();
});

filter.addEventListener("change", () => loadQueue());
$("queue-filter").addEventListener("submit", (event) => {
  event.preventDefault();
  loadQueue();
});
$("queue-more").addEventListener("click", () => loadQueue({ more: true }));

onLanguageChange(() => {
  drawQueue();
  if (open) drawResident();
});

async function begin() {
  if (!tokens.signedIn) return goSignIn();
  const me = await call("/me");
  if (me.status === 401) return goSignIn();
  if (!me.ok) return announceDetail(status, me.data.detail);
  tokens.saveRoles(me.data.roles);
  const roles = me.data.roles;
  if (!roles.includes("admin") && !roles.includes("auditor")) {
    announce(status, "clerk.staff_only", { tone: "error" });
    return;
  }
  canChange = roles.includes("admin");
  $("readonly-note").hidden = canChange;
  // An auditor changes nothing: the form is not hidden but gone, buttons and all.
  if (!canChange) form.remove();
  $("desk").hidden = false;
  await loadQueue();
  await Promise.all((await parts).map((part) => part.startPart({ changes: canChange })));
}

await begin();
