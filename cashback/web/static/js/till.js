// A business's till: scan (or paste) the resident's card code, enter the amount and the receipt,
// and see the cashback credited and why — or take a payment from the resident's cashback.

import { call, fetchFile, newIdempotencyKey as newKey } from "./api.js";
import { shekels, toAgorot } from "./money.js";
import { drawSteps, toneOf } from "./request-steps.js";
import { formatDate, formatMonth, language, onLanguageChange, setText, t } from "./i18n.js";
import {
  announce,
  announceDetail,
  busy,
  clearMessage,
  goSignIn,
  labelOf,
  markInvalid,
  missing,
  start,
  tokens,
  values,
} from "./page.js";
import { canScan, scanQr } from "./scan.js";

await start();

const $ = (id) => document.getElementById(id);
const status = $("status");
const form = $("till-form");
const result = $("result");
const video = $("camera");
let shown = null; // what the result panel shows, to draw it again in another language
let attempt = null; // {print, key}: a retry of the same request sends the same Idempotency-Key
let scanning = null; // the camera's reading under way (scan.js)
let sales = []; // the business's recent purchases, newest first
let statements = [];
let refunding = null; // the purchase the refund form is for
let refundAttempt = null; // {print, key}: as `attempt`, for refunds
let applicationOf = null; // the business whose application the page shows, while it is not approved

/** The same request again (after a lost answer) keeps its key; anything changed gets a new one. */
function keyFor(path, body) {
  const print = path + JSON.stringify(body);
  if (!attempt || attempt.print !== print) attempt = { print, key: newKey() };
  return attempt.key;
}

function draw() {
  if (!shown) return;
  const { kind, data } = shown;
  const heading = $("result-heading");
  const campaign = $("result-campaign");
  const why = $("result-why");
  why.replaceChildren();
  if (kind === "purchase") {
    setText(heading, "till.cashback_heading");
    $("result-amount").textContent = shekels(data.cashback_agorot);
    setText(campaign, "till.campaign", { name: data.campaign.names[language()] });
    for (const line of data.why) {
      const item = document.createElement("li");
      item.textContent = line; // the API's words, in the language of the request
      why.append(item);
    }
  } else {
    setText(heading, "till.redemption_heading");
    $("result-amount").textContent = shekels(data.amount_agorot);
    setText(campaign, "till.balance_left", { amount: shekels(data.balance_after_agorot) });
  }
  result.hidden = false;
}

function fieldsMissing() {
  const empty = missing(form).filter((name) => name !== "receipt" || chosenKind() === "purchase");
  if (empty.length) {
    const fields = empty.map((name) => labelOf(form, name)).join(", ");
    announce(status, "form.missing", { tone: "error", params: { fields } });
    markInvalid(form, empty);
    return true;
  }
  return false;
}

function chosenKind() {
  return form.elements.namedItem("kind").value;
}

async function record() {
  if (fieldsMissing()) return;
  const data = values(form);
  const amount = toAgorot(data.amount);
  if (amount === null || amount < 1) {
    announce(status, "till.amount_invalid", { tone: "error" });
    markInvalid(form, ["amount"]);
    return;
  }
  markInvalid(form, []);
  const kind = chosenKind();
  const path = kind === "purchase" ? "/cashback/purchases" : "/cashback/redemptions";
  const body = { card_token: data.card_token.replace(/\s+/g, ""), amount_agorot: amount };
  if (data.receipt) body.receipt = data.receipt;
  announce(status, "till.working");
  const answer = await call(path, {
    method: "POST",
    json: body,
    headers: { "Idempotency-Key": keyFor(path, body) },
  });
  if (answer.status === 401) return goSignIn();
  if (!answer.ok) {
    if (answer.status !== 0) attempt = null; // refused: a corrected request is a new one
    announceDetail(status, answer.data.detail);
    return;
  }
  attempt = null;
  clearMessage(status);
  shown = { kind, data: answer.data };
  draw();
  form.hidden = true;
  result.focus();
  await loadSales();
}

// --- recent purchases and refunds ---------------------------------------------------------------

const STATES = { held: "till.state.held", available: "till.state.available", returned: "till.state.returned" };

function refundable(purchase) {
  return purchase.amount_agorot - purchase.refunded_agorot;
}

function drawSales() {
  const list = $("sales-list");
  list.replaceChildren();
  $("sales-empty").hidden = sales.length > 0;
  for (const purchase of sales) {
    const item = document.createElement("li");
    item.className = "sale";
    const what = document.createElement("span");
    what.className = "what";
    what.textContent = t("till.sale", {
      receipt: purchase.receipt,
      amount: shekels(purchase.amount_agorot),
      cashback: shekels(purchase.cashback_agorot),
    });
    const meta = document.createElement("span");
    meta.className = "meta";
    const parts = [formatDate(purchase.created_at, { withTime: true }), t(STATES[purchase.state] || "till.state.held")];
    if (purchase.refunded_agorot > 0) parts.push(t("till.refunded", { amount: shekels(purchase.refunded_agorot) }));
    meta.textContent = parts.join(" · ");
    item.append(what, meta);
    if (refundable(purchase) > 0) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button";
      button.textContent = t("till.refund");
      button.setAttribute("aria-label", t("till.refund_of", { receipt: purchase.receipt }));
      button.addEventListener("click", () => openRefund(purchase));
      item.append(button);
    }
    list.append(item);
  }
}

async function loadSales() {
  const [purchases, business] = await Promise.all([
    call("/cashback/merchants/me/purchases?limit=20"),
    call("/cashback/merchants/me"),
  ]);
  if (purchases.status === 401 || business.status === 401) return goSignIn();
  if (!purchases.ok) return announceDetail(status, purchases.data.detail);
  sales = purchases.data;
  if (business.ok) setText($("owed"), "till.owed", { amount: shekels(business.data.owed_agorot) });
  drawSales();
  $("sales").hidden = false;
}

function openRefund(purchase) {
  refunding = purchase;
  refundAttempt = null;
  setText($("refund-of"), "till.refund_for", { receipt: purchase.receipt, amount: shekels(purchase.amount_agorot) });
  setText($("refund-hint"), "till.refund_hint", { amount: shekels(refundable(purchase)) });
  const amount = $("refund_amount");
  amount.value = (refundable(purchase) / 100).toFixed(2);
  $("refund_receipt").value = "";
  markInvalid($("refund-form"), []);
  $("refund").hidden = false;
  $("refund").focus();
}

function closeRefund() {
  refunding = null;
  $("refund").hidden = true;
}

async function refund() {
  const purchase = refunding;
  if (!purchase) return;
  const amount = toAgorot($("refund_amount").value);
  if (amount === null || amount < 1 || amount > refundable(purchase)) {
    announce(status, "till.refund_invalid", { tone: "error", params: { amount: shekels(refundable(purchase)) } });
    markInvalid($("refund-form"), ["refund_amount"]);
    return;
  }
  markInvalid($("refund-form"), []);
  const body = { amount_agorot: amount };
  const receipt = $("refund_receipt").value.trim();
  if (receipt) body.receipt = receipt;
  const path = `/cashback/purchases/${purchase.purchase_id}/refunds`;
  const print = path + JSON.stringify(body);
  if (!refundAttempt || refundAttempt.print !== print) refundAttempt = { print, key: newKey() };
  announce(status, "till.working");
  const answer = await call(path, { method: "POST", json: body, headers: { "Idempotency-Key": refundAttempt.key } });
  if (answer.status === 401) return goSignIn();
  if (!answer.ok) {
    if (answer.status !== 0) refundAttempt = null;
    announceDetail(status, answer.data.detail);
    return;
  }
  refundAttempt = null;
  const done = answer.data;
  announce(status, done.shortfall_agorot > 0 ? "till.refund_done_shortfall" : "till.refund_done", {
    tone: "ok",
    params: {
      amount: shekels(done.amount_agorot),
      cashback: shekels(done.cashback_taken_back_agorot),
      shortfall: shekels(done.shortfall_agorot),
    },
  });
  closeRefund();
  await loadSales();
}

// --- monthly statements -------------------------------------------------------------------------

function drawStatements() {
  const list = $("statements-list");
  list.replaceChildren();
  $("statements-empty").hidden = statements.length > 0;
  for (const statement of statements) {
    const item = document.createElement("li");
    const what = document.createElement("span");
    what.className = "what";
    // The month under way is provisional: what the city owes so far, not a payment.
    const words = statement.final ? "till.statement" : "till.statement_provisional";
    what.textContent = t(words, { period: formatMonth(statement.period), paid: shekels(statement.paid_agorot) });
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = t("till.statement_detail", {
      purchases: t("till.statement_purchases", { count: statement.purchases }),
      cashback: shekels(statement.cashback_agorot),
      redemptions: t("till.statement_redemptions", { count: statement.redemptions }),
    });
    const buttons = ["csv", "pdf"].map((format) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button";
      button.dataset.format = format;
      button.textContent = t(`till.statement_${format}`);
      button.addEventListener("click", () => busy(button, () => download(statement.period, format)));
      return button;
    });
    item.append(what, meta, ...buttons);
    list.append(item);
  }
}

async function download(period, format) {
  const file = await fetchFile(`/cashback/merchants/me/statements/${encodeURIComponent(period)}/${format}`);
  if (file.status === 401) return goSignIn();
  if (!file.ok) return announceDetail(status, file.data.detail);
  const link = document.createElement("a");
  link.href = URL.createObjectURL(file.blob);
  link.download = `statement-${period}.${format}`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

async function loadStatements() {
  const answer = await call("/cashback/merchants/me/statements");
  if (!answer.ok) return;
  statements = answer.data;
  drawStatements();
  $("statements").hidden = false;
}

async function checkBalance() {
  const code = form.elements.namedItem("card_token").value.replace(/\s+/g, "");
  if (!code) {
    const fields = labelOf(form, "card_token");
    announce(status, "form.missing", { tone: "error", params: { fields } });
    markInvalid(form, ["card_token"]);
    return;
  }
  markInvalid(form, []);
  const answer = await call("/cashback/balance", { method: "POST", json: { card_token: code } });
  if (answer.status === 401) return goSignIn();
  if (!answer.ok) {
    announceDetail(status, answer.data.detail);
    return;
  }
  announce(status, "till.balance", {
    tone: "ok",
    params: {
      available: shekels(answer.data.available_agorot),
      pending: shekels(answer.data.pending_agorot),
    },
  });
}

function nextCustomer() {
  shown = null;
  result.hidden = true;
  form.reset();
  form.hidden = false;
  clearMessage(status);
  $("card_token").focus();
}

// The camera: the browser's own QR reader, or ZXing in a worker (scan.js); typing otherwise.
function stopCamera() {
  if (scanning) scanning.stop();
  scanning = null;
  $("scanner").hidden = true;
  $("stop-scan").hidden = true;
  $("scan").hidden = false;
}

async function scan() {
  const reading = (scanning = scanQr(video));
  $("scanner").hidden = false;
  $("scan").hidden = true;
  $("stop-scan").hidden = false;
  let text;
  try {
    text = await reading.found;
  } catch {
    if (scanning === reading) stopCamera();
    announce(status, "till.camera_failed", { tone: "error" });
    $("card_token").focus();
    return;
  }
  if (scanning !== reading || !text) return; // stopped at the till
  stopCamera();
  $("card_token").value = text;
  announce(status, "till.scanned", { tone: "ok" });
  $("amount").focus();
}

/** The business's application and its steps, for the account that applied (others have none). */
async function showApplication() {
  const answer = await call("/requests/me");
  if (answer.status === 401) return goSignIn();
  const found = answer.ok && Array.isArray(answer.data)
    ? answer.data.find((request) => request.kind === "business_application" && request.id === applicationOf)
    : null;
  $("application").hidden = !found;
  if (!found) return;
  const badge = $("application-state");
  badge.dataset.tone = toneOf(found.status);
  badge.textContent = found.status_text;
  drawSteps($("application-steps"), found);
}

async function load() {
  announce(status, "till.loading");
  const answer = await call("/cashback/merchants/me");
  if (answer.status === 401) return goSignIn();
  if (!answer.ok) {
    announceDetail(status, answer.data.detail);
    return;
  }
  clearMessage(status);
  setText($("business"), "till.business", { name: answer.data.name });
  $("business").hidden = false;
  if (answer.data.status !== "approved") {
    announce(status, "till.not_approved", { tone: "error" });
    applicationOf = answer.data.id;
    await showApplication();
    return;
  }
  form.hidden = false;
  if (await canScan()) $("scan").hidden = false;
  await Promise.all([loadSales(), loadStatements()]);
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  await busy($("record"), record);
});
$("balance").addEventListener("click", () => busy($("balance"), checkBalance));
$("next").addEventListener("click", nextCustomer);
$("scan").addEventListener("click", scan);
$("stop-scan").addEventListener("click", stopCamera);
$("refund-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  await busy($("refund-confirm"), refund);
});
$("refund-cancel").addEventListener("click", closeRefund);
onLanguageChange(() => {
  draw();
  drawSales();
  drawStatements();
  if (applicationOf) showApplication(); // its words come from the API, in the page's language
});

if (!tokens.signedIn) goSignIn();
else await load();
