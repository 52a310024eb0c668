// The playground's Service Worker: precaches the app and every tcc-wasm
// module at install (the list and a version hash come from the demo build),
// serves them cache-first, and answers the customization API from the local
// core (local-core.ts) when the network is off.
/// <reference lib="webworker" />
import { FILES, VERSION } from "bespoke:precache";
import { customizeLocally, healthLocally } from "./local-core.ts";

declare const self: ServiceWorkerGlobalScope;
const CACHE = `bespoke-playground-${VERSION}`;
const DEVICE_FILES = /^\/(firmware|prepared)\//;

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await cache.addAll(FILES.filter((f) => !DEVICE_FILES.test(f)));
      // the device's firmware files are made by the server on demand: offline Device mode needs them, the rest does not
      await Promise.allSettled(FILES.filter((f) => DEVICE_FILES.test(f)).map((f) => cache.add(f)));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name.startsWith("bespoke-playground-") && name !== CACHE) await caches.delete(name);
      await self.clients.claim();
    })(),
  );
});

async function fromCache(request: Request): Promise<Response> {
  return (await caches.match(request, { cacheName: CACHE })) ?? Response.json({ error: { code: "OFFLINE", message: `${new URL(request.url).pathname} is not cached: load the playground once online` } }, { status: 503 });
}

/** The network's answer, kept in the cache; the cached one when the network is unreachable. */
async function networkThenCache(request: Request): Promise<Response> {
  try {
    const response = await fetch(request);
    if (response.ok) await (await caches.open(CACHE)).put(request, response.clone());
    return response;
  } catch {
    return fromCache(request);
  }
}

/** The network's answer, or the local one when the network is unreachable. */
async function networkOr(request: Request, local: (request: Request) => Response | Promise<Response>): Promise<Response> {
  const copy = request.clone();
  try {
    return await fetch(request);
  } catch {
    return local(copy);
  }
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (url.origin !== self.location.origin) return;
  const route = `${event.request.method} ${url.pathname}`;
  if (route === "POST /v1/customize") event.respondWith(networkOr(event.request, customizeLocally));
  else if (DEVICE_FILES.test(url.pathname)) event.respondWith(networkThenCache(event.request)); // made per firmware build: the network's when it answers
  else if (route === "GET /healthz") event.respondWith(networkOr(event.request, healthLocally));
  else if (event.request.method === "GET") {
    const key = url.pathname === "/" ? "/index.html" : url.pathname;
    event.respondWith(caches.match(key, { cacheName: CACHE }).then((hit) => hit ?? fetch(event.request)));
  }
});
