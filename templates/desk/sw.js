// The front desk's service worker: the desk page and everything it needs are kept on the device, so the
// page opens and scans with no network. Scans themselves never go through here: the page queues them.
"use strict";
const CACHE = "reciprocate-desk-{{ version }}";
const PAGE = {{ page|tojson }};
const ASSETS = {{ assets|tojson }};

// The desk page is kept only as itself: never a log-in page it was redirected to, never an error.
function keepable(response) {
  return response && response.ok && !response.redirected && response.type === "basic" &&
         new URL(response.url).pathname === PAGE;
}

async function keepPage(cache) {
  try {
    const response = await fetch(PAGE, {credentials: "same-origin"});
    if (keepable(response)) await cache.put(PAGE, response);
  } catch (e) { /* kept the next time the page opens online */ }
}

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(ASSETS);
    await keepPage(cache);
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("reciprocate-desk-") && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

async function page(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (keepable(response)) await cache.put(PAGE, response.clone());
    return response;
  } catch (e) {
    const kept = await cache.match(PAGE);
    if (kept) return kept;
    return new Response("<!doctype html><meta name=viewport content='width=device-width'><title>Offline</title>" +
                        "<p>Offline, and this device has not opened the front desk online yet.</p>",
                        {status: 503, headers: {"Content-Type": "text/html; charset=utf-8"}});
  }
}

async function asset(request) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(request, {ignoreSearch: true});
  if (kept) return kept;
  return fetch(request);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === PAGE) event.respondWith(page(request));
  else if (ASSETS.includes(url.pathname)) event.respondWith(asset(request));
});

// The page asks for the desk page to be kept again (after logging in, say).
self.addEventListener("message", (event) => {
  if (event.data === "keep-page") event.waitUntil(caches.open(CACHE).then(keepPage));
});
