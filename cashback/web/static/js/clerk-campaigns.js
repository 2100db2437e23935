// The clerk's cashback campaigns: each one's state and budget; an admin pauses, resumes, tops up,
// changes the rate of, or ends a campaign early, each with a reason (the API audits it).

import { call, newIdempotencyKey } from "./api.js";
import { formatDate, language, setText, t } from "./i18n.js";
import { announce, announceDetail, busy, clearMessage, goSignIn, markInvalid } from "./page.js";
import { shekels, toAgorot } from "./money.js";

const $ = (id) => document.getElementById(id);

// What a clerk may do to a campaign in each state, in the order offered.
const ACTIONS = {
  scheduled: ["top_up", "rate", "end"],
  running: ["pause", "top_up", "rate", "end"],
  paused: ["resume", "top_up", "rate", "end"],
  ended: [],
};

let canChange = false;
let campaigns = [];
let acting = null; // the campaign the form is for
let topUpAttempt = null; // {print, key}: a retried top-up keeps its idempotency key

function name(campaign) {
  return campaign.names[language()] || campaign.names.he;
}

function percent(rateBp) {
  return `${(rateBp / 100).toLocaleString("en-US", { maximumFractionDigits: 2 })}%`;
}

function draw() {
  const list = $("campaigns-list");
  list.replaceChildren();
  for (const campaign of campaigns) {
    const item = document.createElement("li");
    if (acting && acting.id === campaign.id) item.setAttribute("aria-current", "true");
    const what = document.createElement("span");
    what.className = "what";
    what.textContent = t("clerk.campaign_line", {
      name: name(campaign),
      rate: percent(campaign.rate_bp),
      state: t(`campaign.${campaign.state}`),
    });
    const budget = document.createElement("span");
    budget.className = "meta";
    budget.textContent = t("clerk.campaign_budget", {
      available: shekels(campaign.budget.available_agorot),
      held: shekels(campaign.budget.held_agorot),
    });
    const dates = document.createElement("span");
    dates.className = "meta";
    dates.textContent = campaign.ends_at
      ? t("clerk.campaign_dates", { from: formatDate(campaign.starts_at), to: formatDate(campaign.ends_at) })
      : t("clerk.campaign_from", { from: formatDate(campaign.starts_at) });
    item.append(what, budget, dates);
    if (campaign.returned_agorot > 0) {
      const returned = document.createElement("span");
      returned.className = "meta";
      returned.textContent = t("clerk.campaign_returned", { amount: shekels(campaign.returned_agorot) });
      item.append(returned);
    }
    if (canChange && (ACTIONS[campaign.state] || []).length) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button";
      button.textContent = t("clerk.campaign_manage");
      button.setAttribute("aria-label", t("clerk.campaign_manage_of", { name: name(campaign) }));
      button.addEventListener("click", () => openCampaign(campaign));
      item.append(button);
    }
    list.append(item);
  }
  if (campaigns.length === 0) setText($("campaigns-count"), "clerk.campaigns_empty");
  else setText($("campaigns-count"), "clerk.campaigns_count", { count: campaigns.length });
  if (acting) $("campaign-of").textContent = name(acting);
}

async function load() {
  const answer = await call("/admin/cashback/campaigns?limit=100");
  if (answer.status === 401) return goSignIn();
  if (!answer.ok) return announceDetail($("campaign-change"), answer.data.detail);
  campaigns = answer.data;
  if (acting) acting = campaigns.find((c) => c.id === acting.id) || null;
  draw();
}

function chosen() {
  return $("campaign-form").querySelector("input[name=campaign_action]:checked")?.value || null;
}

function showFields() {
  const action = chosen();
  $("campaign-amount-field").hidden = action !== "top_up";
  $("campaign-rate-field").hidden = action !== "rate";
}

function openCampaign(campaign) {
  acting = campaign;
  topUpAttempt = null;
  const form = $("campaign-form");
  form.reset();
  markInvalid(form, []);
  clearMessage($("campaign-change"));
  const choices = $("campaign-choices");
  choices.replaceChildren();
  for (const action of ACTIONS[campaign.state] || []) {
    const choice = document.createElement("label");
    choice.className = "choice";
    const radio = document.createElement("input");
    radio.type = "radio";
    radio.name = "campaign_action";
    radio.value = action;
    radio.addEventListener("change", showFields);
    choice.append(radio, " ", setText(document.createElement("span"), `clerk.campaign_do.${action}`));
    choices.append(choice);
  }
  $("campaign-rate").value = String(campaign.rate_bp / 100);
  showFields();
  form.hidden = false;
  draw();
  choices.querySelector("input")?.focus();
}

function closeCampaign() {
  acting = null;
  $("campaign-form").hidden = true;
  draw();
}

/** The request an action makes, or the name of the field that is wrong. */
function requestFor(action, reason) {
  const base = `/admin/cashback/campaigns/${encodeURIComponent(acting.id)}`;
  if (action === "top_up") {
    const amount = toAgorot($("campaign-amount").value);
    if (amount === null || amount < 1) return { invalid: "campaign_amount", message: "clerk.campaign_amount_invalid" };
    const body = { amount_agorot: amount, reason };
    const print = base + JSON.stringify(body);
    if (!topUpAttempt || topUpAttempt.print !== print) topUpAttempt = { print, key: newIdempotencyKey() };
    return { path: `${base}/top-ups`, method: "POST", json: { ...body, idempotency_key: topUpAttempt.key } };
  }
  if (action === "rate") {
    const text = $("campaign-rate").value.trim().replace(",", ".");
    const rate = Math.round(Number(text) * 100);
    if (!/^\d{1,3}(\.\d{1,2})?$/.test(text) || rate < 1 || rate > 10_000) {
      return { invalid: "campaign_rate", message: "clerk.campaign_rate_invalid" };
    }
    return { path: base, method: "PATCH", json: { rate_bp: rate, reason } };
  }
  return { path: `${base}/${action}`, method: "POST", json: { reason } };
}

async function act(event) {
  event.preventDefault();
  const form = $("campaign-form");
  const action = chosen();
  const reason = $("campaign-reason").value.trim();
  if (!action) {
    announce($("campaign-change"), "clerk.decision_needed", { tone: "error" });
    form.querySelector("input[name=campaign_action]")?.focus();
    return;
  }
  const request = requestFor(action, reason);
  if (request.invalid) {
    announce($("campaign-change"), request.message, { tone: "error" });
    markInvalid(form, [request.invalid]);
    return;
  }
  if (!reason) {
    announce($("campaign-change"), "clerk.reason_needed", { tone: "error" });
    markInvalid(form, ["campaign_reason"]);
    return;
  }
  markInvalid(form, []);
  await busy(form.querySelector("button[type=submit]"), async () => {
    const answer = await call(request.path, { method: request.method, json: request.json });
    if (answer.status === 401) return goSignIn();
    if (!answer.ok) {
      if (answer.status !== 0) topUpAttempt = null;
      return announceDetail($("campaign-change"), answer.data.detail);
    }
    topUpAttempt = null;
    const done = action === "end" ? "clerk.campaign_done.end" : `clerk.campaign_done.${action}`;
    announce($("campaign-change"), done, {
      tone: "ok",
      params: { name: name(acting), amount: shekels(answer.data.returned_agorot || 0) },
    });
    closeCampaign();
    await load();
  });
}

/** The campaigns' part of the cashback desk; `changes` for admins only. */
export async function startCampaigns({ changes }) {
  canChange = changes;
  if (!canChange) $("campaign-form").remove();
  else {
    $("campaign-form").addEventListener("submit", act);
    $("campaign-cancel").addEventListener("click", closeCampaign);
  }
  await load();
}

export { draw as drawCampaigns };
