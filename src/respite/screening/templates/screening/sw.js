// Respite service worker {{ version }}. Caches only the crisis page, the offline page, their static
// files and the worker's own safety plan; every other page goes to the network and is never stored.
"use strict";
importScripts({{ push_script|safe }});  // Web Push handlers (worker alerts); they cache nothing
const CACHE = "respite-{{ version }}";
const PLAN_CACHE = "respite-plan";
const PRECACHE = {{ precache|safe }};
const OFFLINE = {{ offline|safe }};
const CRISIS = {{ crisis|safe }};
const PLAN_PATH = /^\/o\/[^/]+\/my\/safety-plan\/$/;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE && k !== PLAN_CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("message", (event) => {
  if (event.data === "forget-plan") {
    event.waitUntil(caches.delete(PLAN_CACHE));
  }
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") {
    return;
  }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (PLAN_PATH.test(url.pathname)) {
    // Network first so the plan is current; keep the last copy for offline use.
    event.respondWith(
      fetch(request).then((response) => {
        if (response.ok && !response.redirected) {
          const copy = response.clone();
          caches.open(PLAN_CACHE).then((cache) => cache.put(url.pathname, copy));
        } else if (response.redirected) {
          caches.delete(PLAN_CACHE);  // no plan any more (deleted, or another code)
        }
        return response;
      }).catch(() => caches.match(url.pathname, {cacheName: PLAN_CACHE})
        .then((hit) => hit || caches.match(OFFLINE)))
    );
    return;
  }
  if (PRECACHE.includes(url.pathname)) {
    event.respondWith(fetch(request).catch(() => caches.match(url.pathname)));
    return;
  }
  if (request.mode === "navigate") {
    // Nothing is stored; without a network the worker sees the crisis lines.
    event.respondWith(fetch(request).catch(() => caches.match(url.pathname === CRISIS ? CRISIS : OFFLINE)));
  }
});
