/*
 * The HealthBank app's service worker (issue 13). It keeps the app's shell — its page, scripts, styles, icons
 * and message catalogues — so the app opens at once and can say it is offline. It never keeps an answer of the
 * API or anything else about a person: only the URLs listed below are answered from its cache.
 */
"use strict";

const VERSION = "{{ version }}";
const PREFIX = "healthbank-app-";
const CACHE = PREFIX + VERSION;
const SHELL = {{ shell_urls|safe }};
const SHELL_PATHS = new Set(SHELL.map((u) => new URL(u, self.location.origin).pathname));

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith(PREFIX) && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || !SHELL_PATHS.has(url.pathname)) return; // the network, never kept
  // The shell from the cache (a new deployment brings a new worker, which fetches the new shell); the network
  // if the cache lost it. Vary (Accept-Language, Cookie) is ignored: the shell is the same for everyone, and
  // an offline navigation would otherwise find nothing.
  event.respondWith(
    caches.open(CACHE).then((cache) =>
      cache.match(request, { ignoreSearch: true, ignoreVary: true }).then((kept) => kept || fetch(request))
    )
  );
});
