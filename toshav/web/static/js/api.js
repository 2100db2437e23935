// Talking to the API: the page's language on every call, the tokens of this tab (sessionStorage),
// one refresh when an access token has run out, and the API's own words when it says no.

import { language, t } from "./i18n.js";

const API = "/api/v1";
const ACCESS = "toshav.access_token";
const REFRESH = "toshav.refresh_token";
const ROLES = "toshav.roles";
const RETRY = "toshav.refresh_retry"; // {token, key}: a refresh sent whose answer has not come back

function read(key) {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

function write(key, value) {
  try {
    if (value === null) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, value);
  } catch {
    // storage off: the visitor stays signed in for this page only
  }
}

export const tokens = {
  get access() {
    return read(ACCESS);
  },
  get refresh() {
    return read(REFRESH);
  },
  get signedIn() {
    return Boolean(read(REFRESH) || read(ACCESS));
  },
  get roles() {
    try {
      return JSON.parse(read(ROLES) || "[]");
    } catch {
      return [];
    }
  },
  save(pair) {
    write(ACCESS, pair.access_token);
    write(REFRESH, pair.refresh_token);
  },
  saveRoles(roles) {
    write(ROLES, JSON.stringify(roles || []));
  },
  clear() {
    write(ACCESS, null);
    write(REFRESH, null);
    write(ROLES, null);
    write(RETRY, null);
  },
};

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

let refreshing = null;

/**
 * The Idempotency-Key of the refresh of this token: kept with the tokens until its answer comes,
 * so that when the answer is lost (the network dropped, the page was left) the next try, on this
 * page or the next, is the same request again and not a replay that signs the tab out.
 */
function retryKeyFor(refreshToken) {
  try {
    const kept = JSON.parse(read(RETRY) || "null");
    if (kept && kept.token === refreshToken && typeof kept.key === "string") return kept.key;
  } catch {
    // unreadable: start afresh
  }
  const key = newIdempotencyKey();
  write(RETRY, JSON.stringify({ token: refreshToken, key }));
  return key;
}

/** Trade the refresh token for a new pair, once even if several calls ask at the same time. */
export function refreshTokens() {
  if (!refreshing) {
    refreshing = (async () => {
      const refreshToken = tokens.refresh;
      if (!refreshToken) return false;
      try {
        const response = await fetch(`${API}/auth/refresh`, {
          method: "POST",
          headers: headers({ "Content-Type": "application/json", "Idempotency-Key": retryKeyFor(refreshToken) }),
          body: JSON.stringify({ refresh_token: refreshToken }),
        });
        if (response.ok) {
          tokens.save(await response.json());
          write(RETRY, null);
          return true;
        }
        if (response.status === 401) tokens.clear();
        return false;
      } catch {
        return false;
      }
    })().finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

/**
 * Call the API. Gives {ok, status, data, headers}; a refusal's data is the API's {error, detail}.
 * A 401 invalid_token is answered by one refresh and one retry. An aborted "signal" (a caller's
 * time limit) reads as no network.
 */
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
  let response;
  try {
    response = await fetch(`${API}${path}`, { method, headers: headers(extra), body, credentials: "same-origin", signal });
  } catch {
    return offline();
  }
  const result = await answer(response);
  if (auth && !retried && result.status === 401 && result.data.error === "invalid_token" && (await refreshTokens())) {
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
  let response;
  try {
    response = await fetch(`${API}${path}`, { headers: headers(extra), credentials: "same-origin" });
  } catch {
    return { ...offline(), blob: null };
  }
  if (response.ok) return { ok: true, status: response.status, blob: await response.blob(), data: null };
  const result = await answer(response);
  if (!retried && result.status === 401 && result.data.error === "invalid_token" && (await refreshTokens())) {
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

/** Sign in with the OAuth2 password form; keep the tokens for this tab. */
export async function signIn(username, password) {
  const result = await call("/auth/token", { method: "POST", form: { username, password }, auth: false });
  if (result.ok) {
    tokens.save(result.data);
    const me = await call("/me");
    if (me.ok) tokens.saveRoles(me.data.roles);
  }
  return result;
}

/** Sign out: the refresh token (and its family) stop working on the server too. */
export async function signOut() {
  const refreshToken = tokens.refresh;
  tokens.clear();
  if (refreshToken) {
    await call("/auth/logout", { method: "POST", json: { refresh_token: refreshToken }, auth: false });
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
