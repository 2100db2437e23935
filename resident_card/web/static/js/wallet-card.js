// The resident's card in the wallet: holder, photo, number, status, validity, and the rotating QR
// code a business or a parking inspector scans; the cards of the children in the resident's care;
// the card's photo; and revoking a lost card for a new one.
//
// Images (the QR code, the photo) need this tab's bearer token, which lives in sessionStorage, so
// they are fetched with it and shown as data: URLs (the page's CSP allows 'self' and data: images).

import { call, refreshTokens, tokens } from "./api.js";
import { language, onLanguageChange, setDate, setText, t } from "./i18n.js";
import { announce, announceDetail, busy, clearMessage, goSignIn } from "./page.js";

const $ = (id) => document.getElementById(id);
const SECOND = 1000;
const RETRY_AFTER = 5 * SECOND; // a failed renewal is tried again this soon, then less often
const MAX_RETRY_AFTER = 60 * SECOND;
const MIN_MARGIN = 5; // seconds: a code is renewed at least this long before it expires

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

// --- requests the JSON helper does not make: images and files ------------------------------------

/** A request with this tab's bearer token and language; one refresh and retry on 401. Null offline. */
async function authorised(path, { method = "GET", body, accept = "*/*", cache = "no-store", retried = false } = {}) {
  const headers = { Accept: accept, "Accept-Language": language() };
  const access = tokens.access;
  if (access) headers.Authorization = `Bearer ${access}`;
  let response;
  try {
    response = await fetch(path, { method, headers, body, credentials: "same-origin", cache });
  } catch {
    return null;
  }
  if (response.status === 401 && !retried && (await refreshTokens())) {
    return authorised(path, { method, body, accept, cache, retried: true });
  }
  return response;
}

/** The API's own words for a refusal (already in the page's language), or ours. */
async function refusal(response) {
  if (!response) return t("error.network");
  try {
    const data = await response.json();
    if (data && typeof data.detail === "string") return data.detail;
  } catch {
    // not JSON: fall through
  }
  return t("error.unexpected");
}

function asDataUrl(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

// --- the rotating QR code -------------------------------------------------------------------------

const running = new Set(); // the codes on screen, renewed at once when the page is seen again

document.addEventListener("visibilitychange", () => {
  for (const code of running) {
    if (document.hidden) code.pause();
    else if (!code.held) code.renew();
  }
});

/** mm:ss, for the countdown. */
function minutesAndSeconds(seconds) {
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${String(seconds % 60).padStart(2, "0")}`;
}

/**
 * One card's QR code on screen: fetched as SVG with the bearer token, renewed before its token
 * expires (at 100 s of 120), at once when the page is seen again, and on demand. While the page is
 * hidden nothing is fetched. A code past its expiry is taken off the screen: it would be refused.
 */
class RotatingCode {
  constructor(path, { image, missing, countdown, live, region, onRefused }) {
    Object.assign(this, { path, image, missing, countdown, live, region, onRefused });
    this.active = false;
    this.held = false; // another code is on screen over this one
    this.timer = null;
    this.ticker = null;
    this.pending = null;
    this.side = 0;
    this.failures = 0;
    this.renewAt = 0;
    this.expiresAt = 0;
  }

  start() {
    this.active = true;
    running.add(this);
    this.image.hidden = true;
    this.missing.hidden = false;
    setText(this.missing, "card.qr_loading");
    this.countdown.textContent = "";
    return this.renew();
  }

  stop() {
    this.active = false;
    running.delete(this);
    this.pause();
  }

  pause() {
    clearTimeout(this.timer);
    clearInterval(this.ticker);
    this.timer = null;
    this.ticker = null;
  }

  /** A fresh code now (once, however many ask at the same time). */
  renew({ manual = false } = {}) {
    if (!this.active) return Promise.resolve();
    if (!this.pending) {
      this.pending = this.fetchCode(manual).finally(() => {
        this.pending = null;
      });
    }
    return this.pending;
  }

  async fetchCode(manual) {
    clearTimeout(this.timer);
    if (document.hidden && !manual) return; // renewed when the page is seen again
    const response = await authorised(this.path, { accept: "image/svg+xml" });
    if (!this.active) return;
    if (response && response.ok) {
      this.show(await response.text(), response.headers);
      if (manual || this.watched()) this.say("card.qr_renewed");
      return;
    }
    if (response && response.status === 401) {
      goSignIn();
      return;
    }
    if (response && [403, 404, 409].includes(response.status)) {
      // The card cannot show a code (suspended, revoked, gone): say so instead of a code.
      const detail = await refusal(response);
      this.stop();
      this.image.hidden = true;
      this.missing.hidden = false;
      delete this.missing.dataset.i18n;
      this.missing.textContent = detail;
      this.countdown.textContent = "";
      this.onRefused?.(detail);
      return;
    }
    // Offline or a server fault: keep the code while it is still good, and try again, less often
    // each time (5 s, 10 s, … up to a minute).
    this.failures += 1;
    if (this.image.hidden) setText(this.missing, response ? "card.qr_unavailable" : "card.qr_failed");
    if (manual || this.watched()) this.say(response ? "card.qr_unavailable" : "card.qr_failed");
    this.schedule(Math.min(MAX_RETRY_AFTER, RETRY_AFTER * 2 ** (this.failures - 1)) / SECOND);
    this.startTicking();
  }

  show(svg, headers) {
    const received = performance.now();
    this.failures = 0;
    // The token's lifetime by the server's own clock (Date and X-Token-Expires-At), so a phone whose
    // clock is wrong still renews in time.
    const expires = Date.parse(headers.get("X-Token-Expires-At") || "");
    const served = Date.parse(headers.get("Date") || "");
    let lifetime = (expires - served) / SECOND;
    if (!Number.isFinite(lifetime) || lifetime <= 0) lifetime = 120;
    const margin = Math.max(MIN_MARGIN, lifetime / 6); // 120 s: renewed at 100 s
    this.expiresAt = received + lifetime * SECOND;
    this.renewAt = received + Math.max(1, lifetime - margin) * SECOND;
    const side = Number((/viewBox="0 0 (\d+) \d+"/.exec(svg) || [])[1]);
    this.side = Number.isFinite(side) && side > 0 ? side : 0;
    this.image.src = `data:image/svg+xml;base64,${btoa(svg)}`;
    this.image.hidden = false;
    this.missing.hidden = true;
    this.fit();
    this.schedule(Math.max(1, lifetime - margin));
    this.startTicking();
  }

  startTicking() {
    this.tick();
    clearInterval(this.ticker);
    this.ticker = setInterval(() => this.tick(), SECOND);
  }

  schedule(seconds) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.renew(), seconds * SECOND);
  }

  /** Whole device pixels per module, so no module is drawn blurred or thinner than its neighbour. */
  fit() {
    const frame = this.image.parentElement;
    const room = frame ? frame.clientWidth : 0;
    if (!this.side || !room) return;
    const ratio = window.devicePixelRatio || 1;
    const module = Math.floor((room * ratio) / this.side);
    const size = module >= 2 ? (module * this.side) / ratio : room;
    this.image.style.width = `${size}px`;
    this.image.style.height = `${size}px`;
  }

  tick() {
    const now = performance.now();
    if (this.expiresAt && now >= this.expiresAt && !this.image.hidden) {
      this.image.hidden = true;
      this.missing.hidden = false;
      setText(this.missing, "card.qr_expired");
    }
    if (this.image.hidden) {
      this.countdown.textContent = "";
      return;
    }
    const seconds = Math.max(0, Math.ceil((this.renewAt - now) / SECOND));
    setText(this.countdown, "card.renews_in", { time: minutesAndSeconds(seconds) });
  }

  /** Whether the resident is at the code (focus in its part of the page): only then is a renewal read out. */
  watched() {
    return Boolean(this.region && this.region.contains(document.activeElement));
  }

  say(key) {
    announce(this.live, key);
  }
}

// --- the card ---------------------------------------------------------------------------------------

let card = null;
let residencyStatus = null;
let ownCode = null;
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

function openCodeDialog({ path, name, number, altKey, altParams }) {
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

  window.addEventListener("resize", () => {
    for (const code of running) code.fit();
  });
  onLanguageChange(() => {
    if (card) drawCard();
    drawWards();
    const image = $("qr-dialog-image");
    if (image.dataset.altKey) image.alt = t(image.dataset.altKey, JSON.parse(image.dataset.altParams || "{}"));
  });
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
  startOwnCode();
  loadWards();
  return card;
}
