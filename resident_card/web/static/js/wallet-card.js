// The resident's card in the wallet: holder, photo, number, status, validity, and the rotating QR
// code a business or a parking inspector scans; the cards of the children in the resident's care;
// the card's photo; and revoking a lost card for a new one.
//
// Images (the QR code, the photo) need this tab's bearer token, so they are fetched with it and
// shown as data: URLs (the page's CSP allows 'self' and data: images). Where the phone has a key of
// its own for the card (wallet-device.js), the QR and the code to type under it are made here, so
// they keep rotating with no network (the card's answer itself is kept by the service worker).

import { call } from "./api.js";
import { onLanguageChange, setDate, setText, t } from "./i18n.js";
import { announce, announceDetail, busy, clearMessage, goSignIn } from "./page.js";
import { forgetPhone, phoneFor } from "./wallet-device.js";
import { loadDevices, showDevices } from "./wallet-devices.js";
import { asDataUrl, authorised, refusal } from "./wallet-fetch.js";
import { RotatingCode } from "./wallet-qr.js";

const $ = (id) => document.getElementById(id);

// A card's state, in words and with a sign (the stylesheet's), never by colour alone.
const STATE_WORDS = {
  active: "card.state.active",
  suspended: "card.state.suspended",
  revoked: "card.state.revoked",
  expired: "card.state.expired",
};
const STATE_EXPLAINED = {
  active: "card.explain.active",
  suspended: "card.explain.suspended",
  revoked: "card.explain.revoked",
  expired: "card.explain.expired",
};

/** A card's state as the resident reads it: an active card past its date is expired. */
export function cardState(card) {
  if (card.status === "active") return card.valid ? "active" : "expired";
  return card.status === "suspended" ? "suspended" : "revoked";
}

/** Ten digits in groups (123 456 7890), easier to read out or type at a till. */
export function groupedNumber(number) {
  const digits = String(number || "");
  return digits.length === 10 ? `${digits.slice(0, 3)} ${digits.slice(3, 6)} ${digits.slice(6)}` : digits;
}

function showState(badge, state) {
  badge.dataset.state = state;
  setText(badge, STATE_WORDS[state]);
}

// --- the card ---------------------------------------------------------------------------------------

let card = null;
let residencyStatus = null;
let ownCode = null;
let phone = null; // this phone's key for the card (wallet-device.js), or null: the server's code
let wards = [];
let photoShown = null; // the photo URL whose picture is on screen
let opener = null; // what had focus before a dialog opened, to go back to
const listeners = [];

/** Call back with the card each time it is drawn (the balances name their lines from it). */
export function onCard(callback) {
  listeners.push(callback);
}

async function showPhoto(url) {
  const image = $("card-photo");
  const placeholder = $("card-no-photo");
  if (!url) {
    photoShown = null;
    image.hidden = true;
    image.removeAttribute("src");
    placeholder.hidden = false;
    return;
  }
  if (url === photoShown) return;
  // The photo's address carries its digest, so the browser may keep it as long as the API says.
  const response = await authorised(url, { accept: "image/*", cache: "default" });
  if (!response || !response.ok) return; // the placeholder stays: the card reads without a photo
  image.src = await asDataUrl(await response.blob());
  photoShown = url;
  image.hidden = false;
  placeholder.hidden = true;
}

function explainKey(state) {
  if (state === "suspended" && residencyStatus === "suspended") return "card.explain.suspended_residency";
  return STATE_EXPLAINED[state];
}

function drawCard() {
  const state = cardState(card);
  $("card-face").dataset.state = state;
  $("card-name").textContent = card.display_name;
  $("card-number").textContent = groupedNumber(card.number);
  showState($("card-state"), state);
  setDate($("card-expires"), card.expires_on);
  setText($("card-explain"), explainKey(state));
  $("photo-choose").hidden = state === "revoked";
  setText($("photo-choose"), card.photo_url ? "card.photo_change" : "card.photo_add");
  $("photo-remove").hidden = !card.photo_url || state === "revoked";
  $("card-lost").hidden = state === "revoked";
  showPhoto(card.photo_url);
  for (const callback of listeners) callback(card);
}

function startOwnCode() {
  const area = $("card-qr");
  if (ownCode) ownCode.stop();
  ownCode = null;
  if (cardState(card) !== "active") {
    area.hidden = true;
    return;
  }
  area.hidden = false;
  ownCode = new RotatingCode("/api/v1/cards/me/qr.svg", {
    image: $("card-qr-image"),
    missing: $("card-qr-missing"),
    countdown: $("card-countdown"),
    live: $("card-qr-live"),
    region: $("card"),
    phone: () => phone,
    typed: $("card-typed-code"),
    typedArea: $("card-typed"),
    onRefused: () => {
      area.hidden = true;
      reloadCard(); // the card changed under us (suspended, revoked): show it as it is now
    },
  });
  ownCode.start();
}

async function reloadCard() {
  const result = await call("/cards/me");
  if (result.status === 401) return goSignIn();
  if (!result.ok) return;
  card = result.data;
  drawCard();
  if (cardState(card) !== "active") startOwnCode();
}

// --- the full-screen code (the resident's own, or a ward's) -------------------------------------

let dialogCode = null;
let wakeLock = null;

async function keepScreenOn() {
  try {
    wakeLock = await navigator.wakeLock?.request("screen");
  } catch {
    wakeLock = null; // not offered here: the code still shows
  }
}

function openCodeDialog({ path, name, number, altKey, altParams, own = false }) {
  const dialog = $("qr-dialog");
  opener = document.activeElement;
  $("qr-dialog-name").textContent = name;
  $("qr-dialog-number").textContent = groupedNumber(number);
  const image = $("qr-dialog-image");
  image.dataset.altKey = altKey;
  image.dataset.altParams = JSON.stringify(altParams || {});
  image.alt = t(altKey, altParams);
  if (ownCode) {
    ownCode.held = true; // one code renewing at a time
    ownCode.pause();
  }
  dialog.showModal();
  dialogCode = new RotatingCode(path, {
    image,
    missing: $("qr-dialog-missing"),
    countdown: $("qr-dialog-countdown"),
    live: $("qr-dialog-live"),
    region: dialog,
    phone: own ? () => phone : null,
    typed: $("qr-dialog-typed-code"),
    typedArea: $("qr-dialog-typed"),
  });
  dialogCode.start();
  keepScreenOn();
}

function closedCodeDialog() {
  if (dialogCode) dialogCode.stop();
  dialogCode = null;
  if (wakeLock) wakeLock.release().catch(() => {});
  wakeLock = null;
  if (ownCode && ownCode.active) {
    ownCode.held = false;
    ownCode.renew();
  }
  if (opener && opener.isConnected) opener.focus();
  opener = null;
}

// --- wards' cards -------------------------------------------------------------------------------

function drawWards() {
  const list = $("ward-card-list");
  list.replaceChildren();
  for (const ward of wards) {
    const state = cardState(ward);
    const item = document.createElement("li");
    const name = document.createElement("p");
    name.className = "ward-name";
    const bidi = document.createElement("bdi");
    bidi.textContent = ward.display_name;
    name.append(bidi);
    const meta = document.createElement("p");
    meta.className = "ward-meta";
    const number = document.createElement("bdi");
    number.dir = "ltr";
    number.className = "card-number";
    number.textContent = groupedNumber(ward.number);
    const label = setText(document.createElement("span"), "card.number");
    const badge = document.createElement("span");
    badge.className = "badge card-state";
    showState(badge, state);
    meta.append(label, " ", number, badge);
    item.append(name, meta);
    if (state === "active") {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button";
      button.dataset.reference = ward.reference;
      setText(button, "card.show_ward_code", { name: ward.display_name });
      button.setAttribute("aria-haspopup", "dialog");
      button.addEventListener("click", () =>
        openCodeDialog({
          path: `/api/v1/cards/${encodeURIComponent(ward.reference)}/qr.svg`,
          name: ward.display_name,
          number: ward.number,
          altKey: "card.ward_qr_alt",
          altParams: { name: ward.display_name },
        }),
      );
      item.append(button);
    } else {
      item.append(setText(document.createElement("p"), "card.ward_no_code"));
    }
    list.append(item);
  }
  $("ward-cards").hidden = wards.length === 0;
}

async function loadWards() {
  const result = await call("/cards/me/wards");
  wards = result.ok && Array.isArray(result.data) ? result.data : [];
  drawWards();
}

// --- the photo ------------------------------------------------------------------------------------

async function uploadPhoto(file) {
  const status = $("photo-status");
  announce(status, "card.photo_uploading");
  const body = new FormData();
  body.append("photo", file, file.name || "photo");
  const response = await authorised("/api/v1/cards/me/photo", { method: "PUT", body, accept: "application/json" });
  if (response && response.status === 401) return goSignIn();
  if (!response || !response.ok) {
    announceDetail(status, await refusal(response));
    return;
  }
  card = await response.json();
  drawCard();
  announce(status, "card.photo_saved", { tone: "ok" });
}

async function removePhoto() {
  const status = $("photo-status");
  const result = await call("/cards/me/photo", { method: "DELETE" });
  if (result.status === 401) return goSignIn();
  if (!result.ok) {
    announceDetail(status, result.data.detail);
    return;
  }
  card = { ...card, photo_url: null };
  drawCard();
  announce(status, "card.photo_removed", { tone: "ok" });
  $("photo-choose").focus();
}

// --- revoking a lost card -------------------------------------------------------------------------

function openRevokeDialog() {
  opener = document.activeElement;
  setText($("revoke-explain"), "card.revoke_explain", { number: groupedNumber(card.number) });
  clearMessage($("revoke-status"));
  $("revoke-form").reset();
  $("revoke-dialog").showModal();
}

async function revoke(event) {
  event.preventDefault();
  const status = $("revoke-status");
  const reason = new FormData($("revoke-form")).get("reason") || "lost";
  await busy($("revoke-confirm"), async () => {
    announce(status, "card.revoking");
    const result = await call("/cards/me/revoke", { method: "POST", json: { reason } });
    if (result.status === 401) return goSignIn();
    if (!result.ok) {
      announceDetail(status, result.data.detail);
      return;
    }
    card = result.data;
    opener = null; // focus goes to the new card, not back to the button
    $("revoke-dialog").close();
    drawCard();
    await setUpPhone(); // the new card's tokens are signed by a key registered to it
    startOwnCode();
    announce($("card-message"), "card.revoked_done", {
      tone: "ok",
      params: { number: groupedNumber(card.number) },
    });
    $("card-heading").focus();
  });
}

// --- wiring -------------------------------------------------------------------------------------

let wired = false;

function wire() {
  if (wired) return;
  wired = true;
  $("card-new-code").addEventListener("click", () => ownCode && ownCode.renew({ manual: true }));
  $("card-full-screen").addEventListener("click", () =>
    openCodeDialog({
      path: "/api/v1/cards/me/qr.svg",
      name: card.display_name,
      number: card.number,
      altKey: "card.qr_alt",
      own: true,
    }),
  );
  $("qr-dialog-new-code").addEventListener("click", () => dialogCode && dialogCode.renew({ manual: true }));
  $("qr-dialog-close").addEventListener("click", () => $("qr-dialog").close());
  $("qr-dialog").addEventListener("close", closedCodeDialog);

  $("photo-choose").addEventListener("click", () => $("photo-input").click());
  $("photo-input").addEventListener("change", async () => {
    const input = $("photo-input");
    const file = input.files && input.files[0];
    if (!file) return;
    await busy($("photo-choose"), () => uploadPhoto(file));
    input.value = "";
  });
  $("photo-remove").addEventListener("click", () => busy($("photo-remove"), removePhoto));

  $("revoke-open").addEventListener("click", openRevokeDialog);
  $("revoke-cancel").addEventListener("click", () => $("revoke-dialog").close());
  $("revoke-form").addEventListener("submit", revoke);
  $("revoke-dialog").addEventListener("close", () => {
    if (opener && opener.isConnected) opener.focus();
    opener = null;
  });

  onLanguageChange(() => {
    if (card) drawCard();
    drawWards();
    const image = $("qr-dialog-image");
    if (image.dataset.altKey) image.alt = t(image.dataset.altKey, JSON.parse(image.dataset.altParams || "{}"));
  });
}

// --- this phone's key and the card's phones -----------------------------------------------------

async function phoneRemoved(device) {
  if (!phone || device.kid !== phone.kid) return;
  await forgetPhone(card.resident_id);
  phone = null; // the server's code from now on, until the wallet is opened again
  startOwnCode();
}

/** This phone's key for the card (registered now if it has none), and the card's phones listed. */
async function setUpPhone() {
  const devices = await loadDevices();
  phone = await phoneFor(card, devices);
  const listed = phone && devices && !devices.some((device) => device.kid === phone.kid) ? await loadDevices() : devices;
  showDevices(listed, phone ? phone.kid : null, { onRemoved: phoneRemoved });
}

/**
 * Show the resident's card (and their wards'), if they have one. ``residency`` is their residency
 * status, to say why a card is suspended. Resolves with the card, or null when there is none.
 */
export async function startCard(residency) {
  residencyStatus = residency;
  const result = await call("/cards/me");
  if (result.status === 401) {
    goSignIn();
    return null;
  }
  if (!result.ok) {
    $("card").hidden = true; // no card yet (residency not verified): nothing to show
    return null;
  }
  card = result.data;
  wire();
  drawCard();
  $("card").hidden = false;
  await setUpPhone();
  startOwnCode();
  loadWards();
  return card;
}
