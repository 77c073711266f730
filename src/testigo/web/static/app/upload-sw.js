/*
 * Service worker of the upload page: keeps /upload and its scripts usable with no network, so a
 * witness can reload the page, see the queue and add photos while offline. Network first (a fresh
 * page and fresh scripts whenever possible), the last good copy otherwise. Uploads themselves are
 * never touched here: the page's own queue retries them.
 */
const CACHE = "testigo-upload-v1";  // the page (upload.js) stores its own shell in it too

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname !== "/upload" && !url.pathname.startsWith("/static/")) return;
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          event.waitUntil(caches.open(CACHE).then((cache) => cache.put(request, copy)));
        }
        return response;
      })
      .catch(() => caches.match(request, { ignoreSearch: url.pathname === "/upload" }).then((hit) => hit || Response.error())),
  );
});
