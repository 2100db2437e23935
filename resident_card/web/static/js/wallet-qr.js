// A card's rotating QR code on screen, from one of two sources:
// - this phone's own key (wallet-device.js): the token and the 12-digit code under it are made
//   here, with no network, and change together at each step (30 s);
// - the server: a city-signed token fetched as SVG with the bearer token, renewed before it
//   expires (at 100 s of 120). No code to type then: the phone has no key of its own.
// While the page is hidden nothing is renewed; it is at once when the page is seen again. A code
// past its expiry is taken off the screen: it would be refused.

// lean-qr 2.7.4 (npm, MIT: LICENSE.lean-qr beside it), its index.mjs unchanged.
import { correction, generate } from "./lean-qr.js";
import { setText } from "./i18n.js";
import { announce, goSignIn } from "./page.js";
import { signedCard } from "./wallet-device.js";
import { authorised, refusal } from "./wallet-fetch.js";

const SECOND = 1000;
const RETRY_AFTER = 5 * SECOND; // a failed renewal is tried again this soon, then less often
const MAX_RETRY_AFTER = 60 * SECOND;
const MIN_MARGIN = 5; // seconds: a fetched code is renewed at least this long before it expires
const QUIET_ZONE = 4; // modules of light border, as the QR standard asks (the server's too)

const running = new Set(); // the codes on screen, renewed at once when the page is seen again

document.addEventListener("visibilitychange", () => {
  for (const code of running) {
    if (document.hidden) code.pause();
    else if (!code.held) code.renew();
  }
});

window.addEventListener("resize", () => {
  for (const code of running) code.fit();
});

/** mm:ss, for the countdown. */
function minutesAndSeconds(seconds) {
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${String(seconds % 60).padStart(2, "0")}`;
}

/** Twelve digits in groups of four (1234 5678 9012), easier to read out and type at a till. */
export function groupedCode(code) {
  return String(code || "").replace(/(\d{4})(?=\d)/g, "$1 ");
}

/** The QR code of ``text`` as an SVG like the server's: one path of the dark runs, a quiet zone. */
export function qrSvg(text) {
  const code = generate(text, { minCorrectionLevel: correction.M });
  const side = code.size + 2 * QUIET_ZONE;
  const path = [];
  for (let y = 0; y < code.size; y += 1) {
    let x = 0;
    while (x < code.size) {
      if (!code.get(x, y)) {
        x += 1;
        continue;
      }
      const start = x;
      while (x < code.size && code.get(x, y)) x += 1;
      path.push(`M${start + QUIET_ZONE},${y + QUIET_ZONE}h${x - start}v1h${start - x}z`);
    }
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${side} ${side}" shape-rendering="crispEdges">` +
    `<rect width="${side}" height="${side}" fill="#fff"/><path d="${path.join("")}" fill="#000"/></svg>`
  );
}

export class RotatingCode {
  /**
   * ``path``: where the server's SVG is fetched; ``phone``: a function giving this phone's key for
   * the card (or null), tried first; ``typed``/``typedArea``: where the code to type is shown.
   */
  constructor(path, { image, missing, countdown, live, region, onRefused, phone, typed, typedArea }) {
    Object.assign(this, { path, image, missing, countdown, live, region, onRefused, phone, typed, typedArea });
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
    this.showTyped(null);
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
      this.pending = this.nextCode(manual).finally(() => {
        this.pending = null;
      });
    }
    return this.pending;
  }

  async nextCode(manual) {
    clearTimeout(this.timer);
    if (document.hidden && !manual) return; // renewed when the page is seen again
    const phone = this.phone ? this.phone() : null;
    const made = phone ? await signedCard(phone) : null;
    if (!this.active) return;
    if (made) {
      this.show(qrSvg(made.token), { lifetime: made.lifetime, renewIn: made.renewIn });
      this.showTyped(made.code);
      if (manual || this.watched()) this.say("card.qr_renewed");
      return;
    }
    await this.fetchCode(manual);
  }

  async fetchCode(manual) {
    const response = await authorised(this.path, { accept: "image/svg+xml" });
    if (!this.active) return;
    if (response && response.ok) {
      this.showServed(await response.text(), response.headers);
      this.showTyped(null);
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
      this.showTyped(null);
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

  showServed(svg, headers) {
    // The token's lifetime by the server's own clock (Date and X-Token-Expires-At), so a phone whose
    // clock is wrong still renews in time.
    const expires = Date.parse(headers.get("X-Token-Expires-At") || "");
    const served = Date.parse(headers.get("Date") || "");
    let lifetime = (expires - served) / SECOND;
    if (!Number.isFinite(lifetime) || lifetime <= 0) lifetime = 120;
    const margin = Math.max(MIN_MARGIN, lifetime / 6); // 120 s: renewed at 100 s
    this.show(svg, { lifetime, renewIn: Math.max(1, lifetime - margin) });
  }

  show(svg, { lifetime, renewIn }) {
    const shown = performance.now();
    this.failures = 0;
    this.expiresAt = shown + lifetime * SECOND;
    this.renewAt = shown + renewIn * SECOND;
    const side = Number((/viewBox="0 0 (\d+) \d+"/.exec(svg) || [])[1]);
    this.side = Number.isFinite(side) && side > 0 ? side : 0;
    this.image.src = `data:image/svg+xml;base64,${btoa(svg)}`;
    this.image.hidden = false;
    this.missing.hidden = true;
    this.fit();
    this.schedule(renewIn);
    this.startTicking();
  }

  /** The code to type under the QR, or none (a fetched code has none). */
  showTyped(code) {
    if (!this.typed) return;
    this.typed.textContent = code ? groupedCode(code) : "";
    if (this.typedArea) this.typedArea.hidden = !code;
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
      this.showTyped(null);
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
