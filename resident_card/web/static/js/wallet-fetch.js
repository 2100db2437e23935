// Requests the JSON helper does not make (images and files), with this tab's bearer token, and
// the server's clock as the last answer told it (the phone signs its card's tokens by it).

import { refreshTokens, tokens } from "./api.js";
import { language, t } from "./i18n.js";

let serverOffset = 0; // milliseconds to add to this phone's clock to read the server's
let measured = false; // since this page opened

/** Remember how far this phone's clock is from the server's, from an answer's Date header. */
export function noteServerClock(headers) {
  // A kept answer (the service worker's, offline) tells the time it was first served: not now.
  if (!headers || headers.get("Toshav-Offline") === "1") return;
  const served = Date.parse((headers && headers.get("Date")) || "");
  if (!Number.isFinite(served)) return;
  serverOffset = served - Date.now();
  measured = true;
}

/** Whether the offset was measured since this page opened (not when every answer was a kept one). */
export function clockMeasured() {
  return measured;
}

/** The offset as last measured (to keep beside the phone's key), or set from what was kept. */
export function serverClockOffset(value) {
  if (Number.isFinite(value)) serverOffset = value;
  return serverOffset;
}

/** A request with this tab's bearer token and language; one refresh and retry on 401. Null offline. */
export async function authorised(path, { method = "GET", body, accept = "*/*", cache = "no-store", headers: own = {}, retried = false } = {}) {
  const headers = { Accept: accept, "Accept-Language": language(), ...own };
  const access = tokens.access;
  if (access) headers.Authorization = `Bearer ${access}`;
  let response;
  try {
    response = await fetch(path, { method, headers, body, credentials: "same-origin", cache });
  } catch {
    return null;
  }
  if (cache === "no-store") noteServerClock(response.headers); // never an answer the browser kept
  if (response.status === 401 && !retried && (await refreshTokens())) {
    return authorised(path, { method, body, accept, cache, headers: own, retried: true });
  }
  return response;
}

/** The API's own words for a refusal (already in the page's language), or ours. */
export async function refusal(response) {
  if (!response) return t("error.network");
  try {
    const data = await response.json();
    if (data && typeof data.detail === "string") return data.detail;
  } catch {
    // not JSON: fall through
  }
  return t("error.unexpected");
}

export function asDataUrl(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}
