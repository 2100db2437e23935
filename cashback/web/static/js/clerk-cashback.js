// The clerk's cashback desk: businesses applying to the scheme (approve, reject, suspend, reinstate,
// each with a reason) and the purchases the fraud signals flagged (dismiss or confirm, with a reason).
// Auditors see the same lists and change nothing. Absent where the deployment runs no cashback.

import { call } from "./api.js";
import { language, onLanguageChange, setDate, setText, t } from "./i18n.js";
import { announce, announceDetail, busy, clearMessage, goSignIn, markInvalid } from "./page.js";
import { drawCampaigns, startCampaigns } from "./clerk-campaigns.js";
import { shekels } from "./money.js";
import { detail } from "./resident-view.js";

const $ = (id) => document.getElementById(id);

// What a clerk may do next to a business in each status (as the API allows).
const NEXT = {
  pending: [
    ["approve", "approved"],
    ["reject", "rejected"],
  ],
  approved: [["suspend", "suspended"]],
  suspended: [
    ["approve", "approved"],
    ["reject", "rejected"],
  ],
  rejected: [],
};

let canChange = false;
let businesses = [];
let open = null; // the business shown
let flags = [];
let resolving = null; // the flag the form is for

function label(names) {
  return (names && (names[language()] || names.he)) || "";
}

function badge(element, status) {
  element.dataset.status = status;
  setText(element, `business.${status}`);
}

// --- businesses ---------------------------------------------------------------------------------

function drawBusinesses() {
  const list = $("businesses-list");
  list.replaceChildren();
  for (const business of businesses) {
    const item = document.createElement("li");
    if (open && open.id === business.id) item.setAttribute("aria-current", "true");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link-button";
    button.textContent = business.name;
    button.addEventListener("click", () => openBusiness(business.id));
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = `${label(business.category_name)} · ${label(business.address.street)} ${business.address.house_number} · ${t(`business.${business.status}`)}`;
    item.append(button, meta);
    list.append(item);
  }
  if (businesses.length === 0) setText($("businesses-count"), "clerk.businesses_empty");
  else setText($("businesses-count"), "clerk.businesses_count", { count: businesses.length });
}

async function loadBusinesses() {
  const query = new URLSearchParams({ limit: "100" });
  const wanted = $("business-filter").value;
  if (wanted) query.set("status", wanted);
  const answer = await call(`/admin/cashback/merchants?${query}`);
  if (answer.status === 401) return goSignIn();
  if (!answer.ok) return announceDetail($("business-change"), answer.data.detail);
  businesses = answer.data;
  drawBusinesses();
}

function drawBusiness() {
  $("business-heading").textContent = open.name;
  badge($("business-status"), open.status);
  const list = $("business-details");
  list.replaceChildren();
  detail(list, "clerk.registry_number", open.registry_number);
  detail(list, "clerk.category", label(open.category_name));
  detail(list, "wallet.address", `${label(open.address.street)} ${open.address.house_number}, ${label(open.address.neighbourhood)}`);
  detail(list, "clerk.applied_on", open.created_at, { date: true });
  detail(list, "clerk.decision_reason", open.status_reason);
  detail(list, "clerk.staff_accounts", String(open.staff_user_ids.length));
  detail(list, "clerk.owed", shekels(open.owed_agorot));
  const next = NEXT[open.status] || [];
  const form = $("business-form");
  if (form) {
    form.hidden = !canChange || next.length === 0;
    const choices = $("business-choices");
    choices.replaceChildren();
    for (const [verb, status] of next) {
      const choice = document.createElement("label");
      choice.className = "choice";
      const radio = document.createElement("input");
      radio.type = "radio";
      radio.name = "verb";
      radio.value = verb;
      choice.append(radio, " ", setText(document.createElement("span"), `clerk.business_${verb}`, { status }));
      choices.append(choice);
    }
  }
  $("business").hidden = false;
}

async function openBusiness(id) {
  const answer = await call(`/admin/cashback/merchants/${encodeURIComponent(id)}`);
  if (answer.status === 401) return goSignIn();
  if (!answer.ok) return announceDetail($("business-change"), answer.data.detail);
  open = answer.data;
  clearMessage($("business-change"));
  $("business-form")?.reset();
  drawBusiness();
  drawBusinesses();
  $("business").focus();
}

async function decide(event) {
  event.preventDefault();
  const form = $("business-form");
  const chosen = form.querySelector("input[name=verb]:checked");
  const reason = $("business-reason").value.trim();
  if (!chosen || !reason) {
    announce($("business-change"), chosen ? "clerk.reason_needed" : "clerk.decision_needed", { tone: "error" });
    if (chosen) markInvalid(form, ["business_reason"]);
    else form.querySelector("input[name=verb]")?.focus();
    return;
  }
  markInvalid(form, []);
  await busy(form.querySelector("button[type=submit]"), async () => {
    const answer = await call(`/admin/cashback/merchants/${encodeURIComponent(open.id)}/${chosen.value}`, {
      method: "POST",
      json: { reason },
    });
    if (answer.status === 401) return goSignIn();
    if (!answer.ok) return announceDetail($("business-change"), answer.data.detail);
    open = answer.data;
    form.reset();
    drawBusiness();
    announce($("business-change"), "clerk.business_changed", {
      tone: "ok",
      params: { name: open.name, status: t(`business.${open.status}`) },
    });
    await loadBusinesses();
  });
}

// --- flagged purchases --------------------------------------------------------------------------

const DETAIL_KEYS = {
  purchases: "clerk.flag_detail.purchases",
  limit: "clerk.flag_detail.limit",
  amount_agorot: "clerk.flag_detail.amount",
  usual_mean_agorot: "clerk.flag_detail.usual",
  threshold_agorot: "clerk.flag_detail.threshold",
};

function flagDetails(details) {
  return Object.entries(details || {})
    .map(([key, value]) => {
      const shown = key.endsWith("_agorot") ? shekels(value) : String(value);
      return DETAIL_KEYS[key] ? t(DETAIL_KEYS[key], { value: shown }) : `${key}: ${shown}`;
    })
    .join(" · ");
}

function flagSummary(flag) {
  return t("clerk.flag_purchase", {
    business: flag.merchant_name,
    receipt: flag.purchase.receipt,
    amount: shekels(flag.purchase.amount_agorot),
    cashback: shekels(flag.purchase.cashback_agorot),
  });
}

function drawFlags() {
  const list = $("flags-list");
  list.replaceChildren();
  for (const flag of flags) {
    const item = document.createElement("li");
    if (resolving && resolving.id === flag.id) item.setAttribute("aria-current", "true");
    const what = document.createElement("span");
    what.className = "what";
    what.textContent = label(flag.signal_name);
    const purchase = document.createElement("span");
    purchase.className = "meta";
    purchase.textContent = flagSummary(flag);
    const figures = document.createElement("span");
    figures.className = "meta";
    figures.textContent = flagDetails(flag.details);
    const when = document.createElement("span");
    when.className = "meta";
    when.append(setDate(document.createElement("time"), flag.purchase.created_at, { withTime: true }));
    item.append(what, purchase, figures, when);
    if (canChange) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button";
      button.textContent = t("clerk.flag_review");
      button.setAttribute("aria-label", t("clerk.flag_review_of", { receipt: flag.purchase.receipt, business: flag.merchant_name }));
      button.addEventListener("click", () => openFlag(flag));
      item.append(button);
    }
    list.append(item);
  }
  if (flags.length === 0) setText($("flags-count"), "clerk.flags_empty");
  else setText($("flags-count"), "clerk.flags_count", { count: flags.length });
  if (resolving) $("flag-of").textContent = `${label(resolving.signal_name)}: ${flagSummary(resolving)}`;
}

async function loadFlags() {
  const answer = await call("/admin/cashback/flags?status=open&limit=100");
  if (answer.status === 401) return goSignIn();
  if (!answer.ok) return announceDetail($("flag-change"), answer.data.detail);
  flags = answer.data;
  drawFlags();
}

function openFlag(flag) {
  resolving = flag;
  const form = $("flag-form");
  form.reset();
  markInvalid(form, []);
  clearMessage($("flag-change"));
  form.hidden = false;
  drawFlags();
  form.querySelector("input[name=outcome]").focus();
}

function closeFlag() {
  resolving = null;
  $("flag-form").hidden = true;
  drawFlags();
}

async function resolve(event) {
  event.preventDefault();
  const form = $("flag-form");
  const chosen = form.querySelector("input[name=outcome]:checked");
  const reason = $("flag-reason").value.trim();
  if (!chosen || !reason) {
    announce($("flag-change"), chosen ? "clerk.reason_needed" : "clerk.decision_needed", { tone: "error" });
    if (chosen) markInvalid(form, ["flag_reason"]);
    else form.querySelector("input[name=outcome]")?.focus();
    return;
  }
  markInvalid(form, []);
  await busy(form.querySelector("button[type=submit]"), async () => {
    const answer = await call(`/admin/cashback/flags/${encodeURIComponent(resolving.id)}/resolve`, {
      method: "POST",
      json: { outcome: chosen.value, reason },
    });
    if (answer.status === 401) return goSignIn();
    if (!answer.ok) return announceDetail($("flag-change"), answer.data.detail);
    announce($("flag-change"), `clerk.flag_${chosen.value}`, { tone: "ok" });
    resolving = null;
    form.hidden = true;
    await loadFlags();
    $("flags").focus?.();
  });
}

/** Show the cashback desk to staff (the clerk's page starts each of its parts so); `changes` for admins only. */
export async function startPart({ changes }) {
  const probe = await call("/admin/cashback/merchants?limit=1");
  if (probe.status === 404) return; // no cashback here
  canChange = changes;
  if (!canChange) {
    $("business-form").remove();
    $("flag-form").remove();
  } else {
    $("business-form").addEventListener("submit", decide);
    $("flag-form").addEventListener("submit", resolve);
    $("flag-cancel").addEventListener("click", closeFlag);
  }
  $("business-filter").addEventListener("change", () => loadBusinesses());
  onLanguageChange(() => {
    drawBusinesses();
    drawFlags();
    drawCampaigns();
    if (open) drawBusiness();
  });
  $("cashback-desk").hidden = false;
  await Promise.all([loadBusinesses(), loadFlags(), startCampaigns({ changes })]);
}
