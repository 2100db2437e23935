// The wallet's service worker: scope /wallet, served from the site's root by toshav/web/offline.py,
// which fills in this deploy's version and the wallet's shell. It keeps two things.
//
// The shell (the wallet's HTML, scripts, styles, dictionaries and icons), network first so that a
// resident online always runs the newest page, and from the cache when there is no network.
//
// The signed-in resident's own answers: the wallet's GET reads of the API. Network first; with no
// network, the last good answer, marked "Toshav-Offline: 1" with the time it was fetched in
// "Toshav-Saved-At", so the page says what it shows is as of then. Only reads sent with the
// resident's token, only 200s, never a sign-in call or the card's rotating code (a stale one is
// worthless), never a write. The worker controls the wallet only, and the wallet reads nobody's
// data but its resident's. The pages empty this cache at every sign-in and sign-out (api.js tells
// the worker too, so an answer still on its way when the person signed out is not kept).

const VERSION = "{{version}}";
const SHELL_CACHE = `toshav-wallet-${VERSION}`;
const DATA_CACHE = "toshav-data-1";
const SHELL = {{shell}};
const PAGE = "/wallet";
const API = "/api/v1/";
const NEVER_KEPT = [/^\/api\/v1\/auth\//, /^\/api\/v1\/cards\/me\/qr/];
// On a weak signal, wait this long for the network before answering from the cache.
const NETWORK_WAIT_MS = 4000;

let forgottenAt = 0; // when the pages last said "signed out": answers asked for before are not kept

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(SHELL_CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("toshav-wallet-") && name !== SHELL_CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.forget === "answers") {
    forgottenAt = Date.now();
    event.waitUntil(caches.delete(DATA_CACHE));
  }
});

function later(ms) {
  return new Promise((resolve, reject) => setTimeout(() => reject(new Error("slow network")), ms));
}

async function shellFirst(event, key) {
  const cache = await caches.open(SHELL_CACHE);
  const network = fetch(event.request).then(async (response) => {
    if (response.ok && response.type === "basic") await cache.put(key, response.clone());
    return response;
  });
  event.waitUntil(network.catch(() => undefined));
  try {
    return await Promise.race([network, later(NETWORK_WAIT_MS)]);
  } catch {
    // The page's HTML depends on the language cookie (Vary): any language will do, the page
    // switches to the resident's own from its cached dictionary.
    const cached = await cache.match(key, { ignoreVary: true, ignoreSearch: true });
    return cached || network;
  }
}

async function answer(request) {
  const asked = Date.now();
  const keep = request.headers.has("Authorization");
  try {
    const response = await fetch(request);
    if (keep && response.status === 200 && response.type === "basic") {
      const headers = new Headers(response.headers);
      headers.set("Toshav-Saved-At", new Date().toISOString());
      const copy = new Response(await response.clone().blob(), { status: 200, headers });
      if (asked > forgottenAt) await (await caches.open(DATA_CACHE)).put(request.url, copy);
    }
    return response;
  } catch (error) {
    const kept = await (await caches.open(DATA_CACHE)).match(request.url, { ignoreVary: true });
    if (!kept) throw error;
    const headers = new Headers(kept.headers);
    headers.set("Toshav-Offline", "1");
    return new Response(await kept.blob(), { status: 200, headers });
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    if (url.pathname === PAGE) event.respondWith(shellFirst(event, PAGE));
  } else if (url.pathname.startsWith(API)) {
    if (!NEVER_KEPT.some((pattern) => pattern.test(url.pathname))) event.respondWith(answer(request));
  } else if (SHELL.includes(url.pathname)) {
    event.respondWith(shellFirst(event, url.pathname));
  }
});
