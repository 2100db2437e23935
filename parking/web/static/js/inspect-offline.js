// What the inspector's phone keeps so passes can be judged with no network: the latest offline
// bundle (keys, revoked passes, zones; IndexedDB, so it outlives the tab), refreshed while online,
// and the checks made offline, queued until the city can record them.

import { call, tokens } from "./api.js";
import { instant } from "./offline-judge.js";

const DATABASE = "toshav-inspect";
const LATEST = "latest";
// parking/service.py MAX_INSPECTION_AGE: the city records a check at most this many days after it.
export const MAX_INSPECTION_AGE_DAYS = 7;
// Fetch the whole bundle again when the one kept is this old (revocations are asked for every minute).
export const BUNDLE_REFRESH_MS = 15 * 60 * 1000;
// The revocations asked for with ?since= overlap the bundle by a minute (a late commit is never missed).
const OVERLAP_MS = 60 * 1000;

let opened = null;

function database() {
  if (!opened) {
    opened = new Promise((resolve, reject) => {
      const request = indexedDB.open(DATABASE, 1);
      request.onupgradeneeded = () => {
        request.result.createObjectStore("bundle");
        request.result.createObjectStore("queue", { keyPath: "id", autoIncrement: true });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    opened.catch(() => {
      opened = null; // storage off (private mode): try again next time, judge online meanwhile
    });
  }
  return opened;
}

/** One transaction on one store; resolves with the last request's result once it is committed. */
async function transact(store, mode, work) {
  const db = await database();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(store, mode);
    let result;
    const request = work(transaction.objectStore(store));
    if (request) {
      request.onsuccess = () => {
        result = request.result;
      };
    }
    transaction.oncomplete = () => resolve(result);
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
}

// Refreshes of the bundle and of its revocations read, change and write one record: one at a time.
let chain = Promise.resolve();
function oneAtATime(work) {
  const next = chain.then(work, work);
  chain = next.catch(() => undefined);
  return next;
}

/**
 * The bundle kept on this device, or null: {bundle, fetched_at, checked_at (ms, the city's clock),
 * since (the next ?since=), skew (ms the city's clock is ahead of the phone's)}.
 */
export async function storedBundle() {
  try {
    return (await transact("bundle", "readonly", (store) => store.get(LATEST))) || null;
  } catch {
    return null;
  }
}

async function keep(record) {
  await transact("bundle", "readwrite", (store) => store.put(record, LATEST));
  return record;
}

/** Fetch a fresh bundle and keep it. Gives the API's answer ({ok, status, ...}). */
export function refreshBundle() {
  return oneAtATime(async () => {
    const asked = Date.now();
    const result = await call("/parking/offline-bundle");
    if (result.ok) {
      // The bundle says when the city made it: a phone whose clock is off still judges (expiry,
      // not yet valid, the bundle's own end) and dates its checks by the city's clock.
      const issued = instant(result.data.issued_at);
      const skew = issued - (asked + Date.now()) / 2;
      const since = new Date(issued - OVERLAP_MS).toISOString();
      await keep({ bundle: result.data, fetched_at: issued, checked_at: issued, since, skew });
    }
    return result;
  });
}

/** Now by the city's clock, as far as the bundle kept tells (the phone's own clock without one). */
export function cityNow(record) {
  return Date.now() + (record && Number.isFinite(record.skew) ? record.skew : 0);
}

/** The city's published keys (the JWKS every verifier caches), or null. */
async function publishedKeys() {
  try {
    const response = await fetch("/.well-known/jwks.json", { headers: { Accept: "application/json" } });
    const jwks = response.ok ? await response.json() : null;
    return jwks && Array.isArray(jwks.keys) ? jwks : null;
  } catch {
    return null;
  }
}

/**
 * Ask for the passes revoked since the last ask and add them to the bundle kept, and take the
 * published keys as they are now: a new key is published minutes before it signs its first pass,
 * and a retired one withdrawn, so the phone follows both between two whole bundles.
 */
export function refreshRevocations() {
  return oneAtATime(async () => {
    const record = await storedBundle();
    if (!record) return { ok: false, status: 0 };
    const [result, jwks] = await Promise.all([
      call(`/parking/revocations?since=${encodeURIComponent(record.since)}`, { auth: false }),
      publishedKeys(),
    ]);
    if (result.ok) {
      const revoked = new Map(record.bundle.revoked.map((item) => [item.pass_id, item]));
      for (const item of result.data.revoked) revoked.set(item.pass_id, item);
      await keep({
        ...record,
        bundle: { ...record.bundle, revoked: [...revoked.values()], jwks: jwks || record.bundle.jwks },
        checked_at: cityNow(record),
        since: result.data.next_since || record.since,
      });
    }
    return result;
  });
}

/** Who is signed in (the access token's subject, as /me said it), so a queued check is sent as its own inspector's. */
export function inspectorId() {
  return tokens.userId;
}

/** Queue a check judged offline: body is what POST /parking/inspections takes, with "at". */
export async function enqueue(body) {
  await transact("queue", "readwrite", (store) => store.add({ inspector: inspectorId(), body }));
}

/** The checks waiting to be sent, oldest first. */
export async function queued() {
  try {
    return (await transact("queue", "readonly", (store) => store.getAll())) || [];
  } catch {
    return [];
  }
}

async function forget(id) {
  await transact("queue", "readwrite", (store) => store.delete(id));
}

function exclusively(work) {
  // Two tabs of the scanner must not send the same check twice.
  if (navigator.locks) return navigator.locks.request("toshav-inspect-queue", work);
  return work();
}

// Worth trying again later: no network, the server down or busy, or a sign-in needed first.
const RETRY = new Set([0, 401, 403, 408, 429]);

/**
 * Send the queued checks of the inspector signed in, oldest first. Gives how many were recorded,
 * and how many the city refused for good (too old, or no longer valid) and were dropped.
 */
export function sendQueued() {
  return exclusively(async () => {
    const outcome = { sent: 0, tooOld: 0, refused: 0, signIn: false };
    const me = inspectorId();
    for (const item of await queued()) {
      if (item.inspector && me && item.inspector !== me) continue; // another inspector's: theirs to send
      const result = await call("/parking/inspections", { method: "POST", json: item.body });
      if (result.ok) {
        outcome.sent += 1;
      } else if (RETRY.has(result.status) || result.status >= 500) {
        outcome.signIn = result.status === 401;
        break;
      } else if (result.data && result.data.error === "inspection_time_out_of_range") {
        outcome.tooOld += 1;
      } else {
        outcome.refused += 1;
      }
      await forget(item.id);
    }
    return outcome;
  });
}
