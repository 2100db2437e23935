// The inspector's scanner keeps working with no network: this service worker (scope /inspect; the
// server allows it with Service-Worker-Allowed) keeps the page's shell — its HTML, scripts, styles,
// dictionaries and icon — and serves it from its cache when the network is gone or too slow.
// Everything goes to the network first, so an inspector online always runs the newest page. The API
// is left to the network and never cached here: the page keeps the offline bundle itself, and a
// verdict must never come from a stale answer.

const CACHE = "toshav-inspect-v1";
const PAGE = "/inspect";
const SHELL = [
  PAGE,
  "/static/css/toshav.css",
  "/static/icon.svg",
  "/static/icons/icon-192.png",
  "/static/js/i18n.js",
  "/static/js/api.js",
  "/static/js/page.js",
  "/static/js/inspect.js",
  "/static/js/inspect-offline.js",
  "/static/js/offline-judge.js",
  // The camera's reading. ZXing's worker (qr-reader.js) is not kept here: a worker's script is a
  // page of its own to a service worker, outside this one's scope; scan.js starts it on load.
  "/static/js/scan.js",
  "/static/i18n/he.json",
  "/static/i18n/ar.json",
  "/static/i18n/en.json",
];
// On a weak signal, wait this long for the network before answering from the cache.
const NETWORK_WAIT_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("toshav-inspect-") && name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

function later(ms) {
  return new Promise((resolve, reject) => setTimeout(() => reject(new Error("slow network")), ms));
}

async function networkFirst(event, key) {
  const cache = await caches.open(CACHE);
  const network = fetch(event.request).then(async (response) => {
    if (response.ok && response.type === "basic") await cache.put(key, response.clone());
    return response;
  });
  // Whatever answers first, the network's copy still refreshes the cache when it arrives.
  event.waitUntil(network.catch(() => undefined));
  try {
    return await Promise.race([network, later(NETWORK_WAIT_MS)]);
  } catch {
    // The page's HTML depends on the language cookie (Vary): any language will do, the page
    // switches to the inspector's own from its cached dictionary.
    const cached = await cache.match(key, { ignoreVary: true, ignoreSearch: true });
    return cached || network;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    if (url.pathname === PAGE) event.respondWith(networkFirst(event, PAGE));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(networkFirst(event, url.pathname));
  }
  // Anything else (the API above all) goes to the network as if there were no worker.
});
