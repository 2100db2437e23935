// This phone's own key for its card, so the card's QR keeps rotating with no network.
//
// At the first wallet opening on a phone, a P-256 key pair is made here (WebCrypto, the private
// half not extractable: no script, ours included, can read it out), kept in IndexedDB, and its
// public half registered to the card (POST /api/v1/cards/me/devices). The server answers the key's
// kid and, once, the secret of the codes to type, imported at once as a non-extractable HMAC key.
// From then on the phone signs its card's tokens itself (ES256, compact JWS: the kid in the header;
// the card's opaque reference, iat, exp and a random jti as claims: no name, no ID number) and
// derives the 12-digit code under the QR (the device's six-digit prefix and an HOTP of the 30-second
// step). Both use the server's clock as last seen (the offset kept beside the key).
//
// Kept per resident (a shared browser never signs one resident's card with another's key), with no
// personal data: the kid, the card's opaque reference, the code prefix, the keys and the clock
// offset. Offline, the wallet's card comes from the service worker's kept answer and its code from
// here. Where WebCrypto or IndexedDB is missing, or registering fails, nothing is kept and the
// wallet shows the server's code.

import { beforeSignOut, call } from "./api.js";
import { clockMeasured, noteServerClock, serverClockOffset } from "./wallet-fetch.js";

const DATABASE = "toshav-card";
const STORE = "phones";
const encoder = new TextEncoder();

export function phoneKeysPossible() {
  return Boolean(globalThis.crypto && crypto.subtle && globalThis.indexedDB);
}

// --- IndexedDB: one store, records by resident ----------------------------------------------------

let opened = null;

function database() {
  if (!opened) {
    opened = new Promise((resolve, reject) => {
      const request = indexedDB.open(DATABASE, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    opened.catch(() => {
      opened = null;
    });
  }
  return opened;
}

async function inStore(mode, work) {
  const db = await database();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(STORE, mode);
    const request = work(transaction.objectStore(STORE));
    transaction.oncomplete = () => resolve(request.result);
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
}

const read = (key) => inStore("readonly", (store) => store.get(key));
const write = (key, value) => inStore("readwrite", (store) => store.put(value, key));
const remove = (key) => inStore("readwrite", (store) => store.delete(key));

// --- base64url ------------------------------------------------------------------------------------

function b64url(bytes) {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromB64url(text) {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

const b64json = (value) => b64url(encoder.encode(JSON.stringify(value)));

// --- registering ------------------------------------------------------------------------------------

async function register() {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
  const { kty, crv, x, y } = await crypto.subtle.exportKey("jwk", pair.publicKey);
  const answer = await call("/cards/me/devices", { method: "POST", json: { public_key: { kty, crv, x, y } } });
  if (answer.status !== 201) return null;
  noteServerClock(answer.headers);
  const data = answer.data;
  const codeKey = await crypto.subtle.importKey(
    "raw",
    fromB64url(data.code_secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return {
    kid: data.kid,
    deviceId: data.id,
    reference: data.card_reference,
    codePrefix: data.code_prefix,
    lifetime: data.token_lifetime_seconds,
    step: data.code_step_seconds,
    privateKey: pair.privateKey,
    codeKey,
  };
}

/**
 * This phone's key for the resident's card as the server just gave it (online): the one kept, if
 * it is still registered to this card, or a new one registered now. Resolves with the record, or
 * null (no WebCrypto here, or the server said no): the wallet then shows the server's code.
 */
export async function phoneFor(card, devices) {
  if (!phoneKeysPossible() || card.status !== "active" || !card.valid) return null;
  try {
    let record = await read(card.resident_id);
    if (record && record.reference !== card.reference) record = null; // a new card: a new key
    if (record && Array.isArray(devices) && !devices.some((device) => device.kid === record.kid)) {
      record = null; // removed from the card, here or on another phone
    }
    if (!record) record = await register();
    if (!record) return null;
    // Offline, the offset kept from the last time online is the best there is.
    const offset = clockMeasured() || !Number.isFinite(record.offset) ? serverClockOffset() : serverClockOffset(record.offset);
    record = { ...record, offset };
    await write(card.resident_id, record);
    return record;
  } catch {
    return null; // the browser refused (private mode, storage full): the server's code it is
  }
}

/** Forget this browser's key for the resident (its device removed from the card). */
export async function forgetPhone(residentId) {
  if (!phoneKeysPossible()) return;
  try {
    await remove(residentId);
  } catch {
    // nothing kept: nothing to forget
  }
}

/**
 * Before signing out: every key kept here removed from its card (when the network lets) and from
 * this browser, so a shared phone keeps no way to sign the last person's card. A key the network
 * kept from being removed on the server stays listed in the wallet, where its owner removes it.
 */
async function forgetEveryPhone() {
  if (!phoneKeysPossible()) return;
  try {
    const records = await inStore("readonly", (store) => store.getAll());
    await Promise.allSettled(
      records
        .filter((record) => record && record.deviceId)
        .map((record) => call(`/cards/me/devices/${encodeURIComponent(record.deviceId)}`, { method: "DELETE" })),
    );
  } finally {
    await inStore("readwrite", (store) => store.clear());
  }
}

beforeSignOut(forgetEveryPhone);

// --- signing ----------------------------------------------------------------------------------------

function counter(step) {
  const bytes = new Uint8Array(8);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, Math.floor(step / 2 ** 32));
  view.setUint32(4, step >>> 0);
  return bytes;
}

/** RFC 4226's HOTP with HMAC-SHA-256, six digits: what the server computes too. */
async function hotp(codeKey, step) {
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", codeKey, counter(step)));
  const at = mac[mac.length - 1] & 0x0f;
  const value = (((mac[at] & 0x7f) << 24) | (mac[at + 1] << 16) | (mac[at + 2] << 8) | mac[at + 3]) >>> 0;
  return String(value % 1_000_000).padStart(6, "0");
}

/**
 * A fresh token of the card signed by this phone, the code to type of this step, the token's
 * lifetime and the seconds until the next step (when both change). Null if the key cannot sign.
 */
export async function signedCard(record) {
  try {
    const now = (Date.now() + serverClockOffset()) / 1000;
    const issued = Math.floor(now);
    const step = Math.floor(now / record.step);
    const claims = {
      sub: record.reference,
      iat: issued,
      exp: issued + record.lifetime,
      jti: b64url(crypto.getRandomValues(new Uint8Array(9))),
    };
    const input = `${b64json({ alg: "ES256", kid: record.kid })}.${b64json(claims)}`;
    const signature = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, record.privateKey, encoder.encode(input));
    return {
      token: `${input}.${b64url(new Uint8Array(signature))}`,
      code: record.codePrefix + (await hotp(record.codeKey, step)),
      lifetime: record.lifetime,
      renewIn: Math.max(1, (step + 1) * record.step - now),
    };
  } catch {
    return null;
  }
}
