// Confirming a new email address with the one-time link's token. The token comes in the address's
// fragment (#token=…) and is taken off the address bar at once; while the resident signs in it
// waits in this tab's storage, never in an address.

import { call } from "./api.js";
import { announce, announceDetail, goSignIn, start, tokens } from "./page.js";

const WAITING = "toshav.email_token";

function kept() {
  try {
    return sessionStorage.getItem(WAITING);
  } catch {
    return null;
  }
}

function keep(value) {
  try {
    if (value === null) sessionStorage.removeItem(WAITING);
    else sessionStorage.setItem(WAITING, value);
  } catch {
    // storage off: the link must be opened again after signing in
  }
}

const token = new URLSearchParams(location.hash.slice(1)).get("token") || kept();
if (location.hash) history.replaceState(null, "", location.pathname);

await start();

const status = document.getElementById("status");
const next = document.getElementById("confirm-next");

async function confirm() {
  if (!token) {
    announce(status, "confirm_email.no_token", { tone: "error" });
    next.hidden = false;
    return;
  }
  if (!tokens.signedIn) {
    keep(token);
    goSignIn();
    return;
  }
  announce(status, "confirm_email.working");
  const result = await call("/residents/me/contact/confirm-email", { method: "POST", json: { token } });
  if (result.status === 401) {
    keep(token);
    goSignIn();
    return;
  }
  keep(null);
  next.hidden = false;
  if (result.ok) {
    announce(status, "confirm_email.done", { tone: "ok", params: { email: result.data.email } });
    return;
  }
  announceDetail(status, result.data.detail);
}

await confirm();
