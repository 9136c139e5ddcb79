// The web app's service worker: keeps the app shell (the UI, the core's worker, their
// wasm, styles and texts) in a cache named after this build, and answers from it, so
// that the app opens and works with no network. A new build is fetched whole beside the
// old one and takes over when no page of the old one is open any more (or when a page
// asks it to, after telling the user); the records themselves live in the store (OPFS),
// which no update touches. `.ci/build-ui.sh` fills in the build and its files.
const BUILD = "__BUILD__";
const FILES = __FILES__;
const SCOPE = new URL("./", self.location).pathname;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(BUILD).then((cache) => cache.addAll(FILES.map((f) => SCOPE + f))),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== BUILD).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

// A page asks the waiting build to take over (the user chose to update now).
self.addEventListener("message", (event) => {
  if (event.data === "take-over") {
    self.skipWaiting();
  }
});

// An address of the app's own screens (no file name): the app's page.
function isScreen(path) {
  const last = path.slice(SCOPE.length).split("/").pop();
  return !last.includes(".");
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (
    event.request.method !== "GET" ||
    url.origin !== self.location.origin ||
    !url.pathname.startsWith(SCOPE)
  ) {
    return;
  }
  const key = isScreen(url.pathname) ? SCOPE + "index.html" : url.pathname;
  event.respondWith(
    caches
      .open(BUILD)
      .then((cache) => cache.match(key))
      .then((hit) => hit || fetch(event.request)),
  );
});
