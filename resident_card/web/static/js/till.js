// A business's till: scan (or paste) the resident's card code, enter the amount and the receipt,
// and see the cashback credited and why — or take a payment from the resident's cashback.

import { call } from "./api.js";
import { language, onLanguageChange, setText } from "./i18n.js";
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

await start();

const $ = (id) => document.getElementById(id);
const status = $("status");
const form = $("till-form");
const result = $("result");
const video = $("camera");
let shown = null; // what the result panel shows, to draw it again in another language
let attempt = null; // {print, key}: a retry of the same request sends the same Idempotency-Key
let stream = null;

/** Shekels as typed (120, 120.5, 120,50) in agorot; null when it is not an amount. */
function toAgorot(text) {
  const match = /^(\d{1,7})(?:[.,](\d{1,2}))?$/.exec(String(text).trim());
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] || "").padEnd(2, "0"));
}

/** Agorot as people read them: ₪1,234.50 (Western digits in all three languages). */
function shekels(agorot) {
  const whole = Math.floor(Math.abs(agorot) / 100).toLocaleString("en-US");
  const rest = String(Math.abs(agorot) % 100).padStart(2, "0");
  return `${agorot < 0 ? "-" : ""}₪${whole}.${rest}`;
}

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

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

// The camera, where the browser can read QR codes itself (BarcodeDetector); typing otherwise.
function stopCamera() {
  if (stream) for (const track of stream.getTracks()) track.stop();
  stream = null;
  video.srcObject = null;
  $("scanner").hidden = true;
  $("stop-scan").hidden = true;
  $("scan").hidden = false;
}

async function scan() {
  let detector;
  try {
    detector = new BarcodeDetector({ formats: ["qr_code"] });
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  } catch {
    stopCamera();
    announce(status, "till.camera_failed", { tone: "error" });
    $("card_token").focus();
    return;
  }
  video.srcObject = stream;
  $("scanner").hidden = false;
  $("scan").hidden = true;
  $("stop-scan").hidden = false;
  await video.play().catch(() => {});
  const look = async () => {
    if (!stream) return;
    try {
      const found = await detector.detect(video);
      if (found.length) {
        $("card_token").value = found[0].rawValue;
        stopCamera();
        announce(status, "till.scanned", { tone: "ok" });
        $("amount").focus();
        return;
      }
    } catch {
      // a frame that could not be read: try the next one
    }
    setTimeout(look, 200);
  };
  look();
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
    return;
  }
  form.hidden = false;
  if ("BarcodeDetector" in window && navigator.mediaDevices?.getUserMedia) $("scan").hidden = false;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  await busy($("record"), record);
});
$("balance").addEventListener("click", () => busy($("balance"), checkBalance));
$("next").addEventListener("click", nextCustomer);
$("scan").addEventListener("click", scan);
$("stop-scan").addEventListener("click", stopCamera);
onLanguageChange(draw);

if (!tokens.signedIn) goSignIn();
else await load();
