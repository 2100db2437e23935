// Talking to the API: the page's language on every call, the signed-in person's access token, one
// refresh when it has run out, and the API's own words when it says no.
//
// The access token lives in this page's memory only. The refresh token never reaches a script: the
// API keeps it in an HttpOnly cookie that only /auth/session/refresh and /auth/session/logout receive
// (resident_card/accounts/cookies.py). So a page opened in a new tab, or after the browser restarted,
// trades that cookie for an access token before any page script runs (the top-level await at the
// end), and stays signed in while the refresh family lives. Every cookie-authorised call carries the
// X-Toshav-CSRF header, which a form on another site cannot send.
//
// Who is signed in (the id and roles from /me) is kept in localStorage as a hint for the pages'
// links and for offline use; the API decides every request by the token, never by that hint.

import { language, t } from "./i18n.js";

const API = "/api/v1";
const SESSION = `${API}/auth/session`;
const SAME_SITE = { "X-Toshav-CSRF": "1" };
const SIGNED_IN = "toshav_signed_in"; // the readable twin of the refresh cookie: "there is a session"
const WHO = "toshav.who"; // {id, roles} of the signed-in person, from /me
const RETRY = "toshav.refresh_retry"; // the Idempotency-Key of a refresh whose answer has not come back
// The caches of a signed-in person's answers (kept by the wallet's service worker): emptied at every
// sign-in and sign-out, so a shared phone never shows the last person's card.
const DATA_CACHES = "toshav-data-";
const WALLET = "/wallet"; // the scope of the wallet's service worker, which keeps that copy

let access = null;

function stored(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function store(key, value) {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // storage off: the hint is lost with the page, the session itself is in the cookie
  }
}

function who() {
  try {
    const known = JSON.parse(stored(WHO) || "null");
    return known && typeof known === "object" ? known : {};
  } catch {
    return {};
  }
}

/** Whether the browser holds a session cookie (its readable twin says so; the token itself is hidden). */
function hasSession() {
  return document.cookie.split(";").some((part) => part.trim() === `${SIGNED_IN}=1`);
}

function forgetSession() {
  document.cookie = `${SIGNED_IN}=; Path=/; Max-Age=0; SameSite=Strict`;
}

export const tokens = {
  get access() {
    return access;
  },
  /** A session exists: an access token here, or a session cookie to trade for one (even offline). */
  get signedIn() {
    return Boolean(access) || hasSession();
  },
  get roles() {
    return Array.isArray(who().roles) ? who().roles : [];
  },
  /** The signed-in person's user id (the access token's subject), as /me last said. */
  get userId() {
    return typeof who().id === "string" ? who().id : null;
  },
  save(pair) {
    access = pair.access_token || null;
  },
  saveRoles(roles) {
    store(WHO, JSON.stringify({ ...who(), roles: roles || [] }));
  },
  clear() {
    access = null;
    store(WHO, null);
    store(RETRY, null);
    forgetSession();
  },
};

/** Empty the caches of the signed-in person's answers (the wallet's offline copy). */
export async function forgetAnswers() {
  try {
    // The worker first: an answer it is still fetching for the person who leaves is not kept.
    const registration = await navigator.serviceWorker?.getRegistration(WALLET);
    registration?.active?.postMessage({ forget: "answers" });
  } catch {
    // no worker here: nothing of it to tell
  }
  try {
    for (const name of await caches.keys()) {
      if (name.startsWith(DATA_CACHES)) await caches.delete(name);
    }
  } catch {
    // no Cache Storage here (plain HTTP): nothing was kept
  }
}

function headers(extra = {}) {
  return { Accept: "application/json", "Accept-Language": language(), ...extra };
}

async function answer(response) {
  let data = null;
  const type = response.headers.get("content-type") || "";
  if (response.status !== 204 && type.includes("json")) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  if (!response.ok && !(data && typeof data.detail === "string")) {
    data = { error: "http_error", detail: t("error.unexpected") };
  }
  return { ok: response.ok, status: response.status, data, headers: response.headers };
}

function offline() {
  return { ok: false, status: 0, data: { error: "network", detail: t("error.network") }, headers: new Headers() };
}

let keptAt = null; // the oldest time among the answers this page had from the offline copy

/**
 * Note an answer the wallet's service worker gave from its copy (no network): the page says what
 * it shows is as of then. Listeners of "toshav:offline" on window hear of each older one.
 */
function noteKept(response) {
  if (response.headers.get("Toshav-Offline") !== "1") return;
  const at = response.headers.get("Toshav-Saved-At");
  if (!at || (keptAt && keptAt <= at)) return;
  keptAt = at;
  window.dispatchEvent(new CustomEvent("toshav:offline", { detail: { savedAt: at } }));
}

/** When the oldest answer shown from the offline copy was fetched (ISO), or null: all are live. */
export function offlineSince() {
  return keptAt;
}

let refreshing = null;

/**
 * The Idempotency-Key of the next refresh: the one of a refresh sent whose answer never came (the
 * network dropped, the page was left), so the next try, on this page or another, is that same
 * request again and not a replay of a used token that signs the browser out.
 */
function retryKey() {
  const kept = stored(RETRY);
  if (kept) return kept;
  const key = newIdempotencyKey();
  store(RETRY, key);
  return key;
}

async function exchange() {
  if (!hasSession()) return false;
  let response;
  try {
    response = await fetch(`${SESSION}/refresh`, {
      method: "POST",
      headers: headers({ ...SAME_SITE, "Idempotency-Key": retryKey() }),
      credentials: "same-origin",
    });
  } catch {
    return false; // no answer: the key is kept for the next try
  }
  store(RETRY, null);
  if (response.ok) {
    try {
      tokens.save(await response.json());
      return true;
    } catch {
      return false;
    }
  }
  if (response.status === 401) {
    tokens.clear(); // the family ended (signed out elsewhere, expired, a replay): nothing to resume
    await forgetAnswers();
  }
  return false;
}

/**
 * Trade the session cookie for a new access token, once even if several calls ask at the same time.
 * Tabs take turns (a Web Lock): two tabs sending the same cookie at once would look like a stolen
 * token replayed, and end the session everywhere.
 */
export function refreshTokens() {
  if (!refreshing) {
    const turn = navigator.locks ? navigator.locks.request("toshav.refresh", exchange) : exchange();
    refreshing = turn.finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

/**
 * Call the API. Gives {ok, status, data, headers}; a refusal's data is the API's {error, detail}.
 * A 401 invalid_token (or any 401 to a call sent before this page had an access token) is answered
 * by one refresh and one retry. An aborted "signal" (a caller's time limit) reads as no network.
 */
// A first visit's reads happen before the wallet's worker takes charge, so it keeps none of them:
// when it does take charge, they are read once more through it, and <html data-kept-offline="true">
// says the wallet now opens offline as it is. Reads are the worker's to keep only with a token.
const unkept = new Set();
const worker = typeof navigator !== "undefined" ? navigator.serviceWorker : undefined;
const firstVisit = Boolean(worker) && location.pathname === WALLET && !worker.controller;
if (firstVisit) {
  worker.addEventListener(
    "controllerchange",
    async () => {
      const reads = [...unkept];
      unkept.clear();
      await Promise.allSettled(reads.map((path) => fetchFile(path)));
      document.documentElement.dataset.keptOffline = "true";
    },
    { once: true },
  );
} else if (worker && worker.controller) {
  document.documentElement.dataset.keptOffline = "true";
}

function notKeptYet(path) {
  if (firstVisit && worker.controller === null && tokens.access) unkept.add(path);
}

export async function call(
  path,
  { method = "GET", json, form, auth = true, retried = false, headers: own = {}, signal } = {},
) {
  const extra = { ...own };
  let body;
  if (json !== undefined) {
    extra["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = new URLSearchParams(form);
  }
  const access = tokens.access;
  if (auth && access) extra.Authorization = `Bearer ${access}`;
  if (auth && method === "GET") notKeptYet(path);
  let response;
  try {
    response = await fetch(`${API}${path}`, { method, headers: headers(extra), body, credentials: "same-origin", signal });
  } catch {
    return offline();
  }
  noteKept(response);
  const result = await answer(response);
  if (auth && !retried && result.status === 401 && (!access || result.data.error === "invalid_token") && (await refreshTokens())) {
    return call(path, { method, json, form, auth, retried: true, headers: own, signal });
  }
  return result;
}

/**
 * Fetch a file the API serves to a signed-in caller (a CSV statement, a pass image): gives
 * {ok, status, blob, data}, where data is the API's {error, detail} when it said no.
 */
export async function fetchFile(path, { retried = false } = {}) {
  const extra = {};
  if (tokens.access) extra.Authorization = `Bearer ${tokens.access}`;
  notKeptYet(path);
  let response;
  try {
    response = await fetch(`${API}${path}`, { headers: headers(extra), credentials: "same-origin" });
  } catch {
    return { ...offline(), blob: null };
  }
  noteKept(response);
  if (response.ok) return { ok: true, status: response.status, blob: await response.blob(), data: null };
  const result = await answer(response);
  if (!retried && result.status === 401 && (!extra.Authorization || result.data.error === "invalid_token") && (await refreshTokens())) {
    return fetchFile(path, { retried: true });
  }
  return { ...result, blob: null };
}

/** A fresh Idempotency-Key: random, also where crypto.randomUUID is missing (plain HTTP on a LAN). */
export function newIdempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Sign in with the password form; the API keeps the session in its cookie, the page the access token. */
export async function signIn(username, password) {
  const result = await call("/auth/session", {
    method: "POST",
    form: { username, password },
    auth: false,
    headers: SAME_SITE,
  });
  if (result.ok) {
    await forgetAnswers(); // whoever used this browser before: none of their answers stay
    store(RETRY, null);
    tokens.save(result.data);
    await learnWho();
  }
  return result;
}

/** Who is signed in, and their roles, from /me (served from the offline copy when there is no network). */
async function learnWho() {
  const me = await call("/me");
  if (me.ok && me.data) store(WHO, JSON.stringify({ id: me.data.id, roles: me.data.roles || [] }));
  return me;
}

/** Sign out: the session's refresh family stops working on the server, its cookies and answers go. */
// What a page's parts do before the session ends, while its access token still works (a phone's
// card key removed from the card and from this browser). Each has a few seconds: signing out never
// waits on a network that is not there.
const leaving = [];
const LEAVING_MS = 3000;

export function beforeSignOut(task) {
  leaving.push(task);
}

export async function signOut() {
  const had = tokens.signedIn;
  if (had) {
    const late = () => new Promise((resolve) => setTimeout(resolve, LEAVING_MS));
    await Promise.allSettled(leaving.map((task) => Promise.race([Promise.resolve().then(task), late()])));
  }
  tokens.clear();
  await forgetAnswers();
  if (!had) return;
  try {
    await fetch(`${SESSION}/logout`, { method: "POST", headers: headers(SAME_SITE), credentials: "same-origin" });
  } catch {
    // offline: the readable cookie is gone, so no page resumes the session; it ends when it expires
  }
}

/** Where a signed-in person starts: the clerk's desk for staff, the scanner for inspectors, the till
 * for a business's staff, the wallet for everyone else. */
export function homeFor(roles) {
  if (roles.includes("admin") || roles.includes("auditor")) return "/clerk";
  if (roles.includes("inspector")) return "/inspect";
  if (roles.includes("merchant") && !roles.includes("resident")) return "/till";
  return "/wallet";
}

// Resume the session before any page script runs: a new tab, or the browser restarted, has the
// cookie but no access token yet. Offline, the refresh fails and the pages work from what they kept.
if (hasSession() && !access) {
  await refreshTokens();
  // The roles known from before serve the page at once; /me confirms them on the way.
  if (hasSession() && tokens.roles.length) learnWho();
  else if (hasSession()) await learnWho();
}
