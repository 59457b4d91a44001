// ppt-web's service worker: the app starts from cache, its data still comes from the server.
//
// - The shell (index.html) and every file it names are cached when the worker installs. A
//   page is answered from that cache at once; the worker then asks the server for index.html
//   and, when it changed (a new deployment), caches the new one and its hashed files. A page
//   that runs another build than the cached shell starts is told so ("ppt-update": it asks
//   when it starts and when it is shown again, and open pages hear of a new build at once):
//   it offers to reload. Until then it keeps running on the files it started with, which
//   stay cached: never a mix of two builds.
// - Other files of the app (favicon, sound, manifest): from cache, refreshed behind.
// - The API: always the network. Lists read successfully are kept, one copy per URL, in a
//   cache of the user who read them (`ppt-lists-v2-<id>`); offline (no answer at all) the last
//   copy is served, marked with `X-PPT-Offline: 1`, for at most the offline age the server
//   gave at the last login or session check (`offlineMaxAge`; a shared computer's session
//   gives 0: nothing is kept). The session check (`POST /api/v1/auth/refresh`) that cannot
//   reach the server is answered, within that age, with the last user and an empty token said
//   to expire at once, so the app shows those lists and renews the session through its cookie
//   as soon as the server answers. Logging out, or a session the server ended, forgets the
//   user and the lists; the app forgets them too, without this worker's help.
// - The WebSocket, other methods and the event log pass through untouched.

const SHELL = "ppt-shell-v1";
// The note of whom lists are kept for, and until when (`src/browser/traces.rs` knows these
// names too: the app forgets them itself, with or without this worker).
const SESSION = "ppt-session-v2";
const NOTE = "/__ppt/session";
// The lists kept for one user: this prefix and their id.
const LISTS = "ppt-lists-v2-";
// Earlier versions kept every user's lists in one cache.
const OLD_LISTS = ["ppt-data-v1"];

// Whether a path names one of the build's hashed files (`ppt-web-c8f095703c2b0d9f.js`), which
// never change; the same rule as the server's `headers::is_hashed`, which gives them a
// year-long cache life (Trunk's hash has no leading zeros: 12 to 16 digits).
function isHashed(path) {
  return /-[0-9a-f]{12,16}[._][^/]*$/.test(path);
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    fetch("/", { cache: "no-cache" })
      .then((answer) => cacheShell(answer))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names
            .filter((n) => n.startsWith("ppt-") && n !== SHELL && n !== SESSION && !n.startsWith(LISTS))
            .map((n) => caches.delete(n)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/")) {
    const answer = api(event, request, url);
    if (answer) event.respondWith(answer);
    return;
  }
  if (request.method !== "GET" || url.pathname === "/ws" || url.pathname === "/sw.js") return;
  if (request.mode === "navigate") {
    event.respondWith(page(event));
  } else {
    event.respondWith(file(event, request));
  }
});

// --- the shell -----------------------------------------------------------------------------

// The files an index.html names (scripts, styles, the wasm, icons, the manifest).
function named(html) {
  const found = new Set();
  // Attributes quoted or not (the release build minifies the page), and the loader's imports.
  const refs = /(?:href|src)=["']?(\/[^"'\s>#?]+)|'(\/[^'#?]+\.(?:js|wasm))'/g;
  for (const m of html.matchAll(refs)) found.add(m[1] || m[2]);
  return [...found];
}

// Caches index.html (as "/") and everything it names; resolves to the html's text.
async function cacheShell(answer) {
  if (!answer.ok) throw new Error("index.html answered " + answer.status);
  const html = await answer.clone().text();
  const cache = await caches.open(SHELL);
  await Promise.all(
    named(html).map(async (path) => {
      if (!(await cache.match(path))) {
        const file = await fetch(path);
        if (file.ok) await cache.put(path, file);
      }
    }),
  );
  await cache.put("/", answer);
  return html;
}

// Keeps only the files the current and the previous shell name.
async function prune(oldHtml, newHtml) {
  const keep = new Set(["/", ...named(oldHtml), ...named(newHtml)]);
  const cache = await caches.open(SHELL);
  for (const request of await cache.keys()) {
    const path = new URL(request.url).pathname;
    if (!keep.has(path) && isHashed(path)) await cache.delete(request);
  }
}

// The build an index.html starts: its loader script's name (`/ppt-web-<hash>.js`).
function buildOf(html) {
  return named(html).find((p) => /^\/ppt-web-[0-9a-f]+\.js$/.test(p)) || "";
}

let checking = null;

// Asks the server for index.html; when it changed, caches the new shell; when it starts
// another build, tells the open pages.
function checkForUpdate() {
  if (checking) return checking;
  checking = (async () => {
    try {
      const cache = await caches.open(SHELL);
      const cached = await cache.match("/");
      const oldHtml = cached ? await cached.text() : "";
      const answer = await fetch("/", { cache: "no-cache" });
      if (!answer.ok) return;
      const newHtml = await answer.clone().text();
      if (newHtml === oldHtml) return;
      await cacheShell(answer);
      await prune(oldHtml, newHtml);
      if (oldHtml && buildOf(oldHtml) !== buildOf(newHtml)) {
        const pages = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
        for (const p of pages) p.postMessage({ type: "ppt-update" });
      }
    } catch (_) {
      // Offline, or the server is down: the cached shell stays.
    } finally {
      checking = null;
    }
  })();
  return checking;
}

// A page says which build it runs (when it starts and when it is shown again): once the
// server has been asked, it hears whether the cached shell starts another one.
self.addEventListener("message", (event) => {
  if (!event.data || event.data.type !== "ppt-check" || !event.source) return;
  event.waitUntil(
    (async () => {
      await checkForUpdate();
      const cached = await caches.match("/", { cacheName: SHELL });
      const build = cached ? buildOf(await cached.text()) : "";
      if (build && event.data.build && build !== event.data.build) {
        event.source.postMessage({ type: "ppt-update" });
      }
    })(),
  );
});

async function page(event) {
  const cached = await caches.match("/", { cacheName: SHELL });
  if (cached) {
    event.waitUntil(checkForUpdate());
    return cached;
  }
  return fetch(event.request);
}

async function file(event, request) {
  const url = new URL(request.url);
  const cache = await caches.open(SHELL);
  const cached = await cache.match(url.pathname);
  if (cached) {
    // Hashed files never change; the others are refreshed behind.
    if (!isHashed(url.pathname)) {
      event.waitUntil(
        fetch(request)
          .then((fresh) => fresh.ok && cache.put(url.pathname, fresh))
          .catch(() => {}),
      );
    }
    return cached;
  }
  const fresh = await fetch(request);
  if (fresh.ok) {
    cache.put(url.pathname, fresh.clone());
  }
  return fresh;
}

// --- the API -------------------------------------------------------------------------------

// The user id a bearer token names (its payload's `sub`), or null.
function userOf(request) {
  const auth = request.headers.get("Authorization") || "";
  const token = auth.startsWith("Bearer ") ? auth.slice(7) : "";
  const part = token.split(".")[1];
  if (!part) return null;
  try {
    const json = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
    return JSON.parse(json).sub || null;
  } catch (_) {
    return null;
  }
}

// The note of whom lists are kept for: `{ user, at, maxAge }` (the user of the last login or
// session check, when it was answered, and for how many seconds after that what was kept
// may be shown offline), or null.
async function note() {
  // Looked up without opening the cache: opening would make an empty one for nobody.
  const stored = await caches.match(NOTE, { cacheName: SESSION });
  return stored ? stored.json().catch(() => null) : null;
}

// Whether a note still allows showing its user's lists offline.
function fresh(n) {
  return !!(n && n.user && n.user.id && n.maxAge > 0 && Date.now() - n.at < n.maxAge * 1000);
}

// Forgets every user's lists and the note (the shell stays).
async function forget() {
  const names = await caches.keys();
  await Promise.all(
    names
      .filter((n) => n === SESSION || n.startsWith(LISTS) || OLD_LISTS.includes(n))
      .map((n) => caches.delete(n)),
  );
}

// Forgets the lists of everyone but `id`.
async function forgetOthers(id) {
  const names = await caches.keys();
  await Promise.all(
    names
      .filter((n) => (n.startsWith(LISTS) && n !== LISTS + id) || OLD_LISTS.includes(n))
      .map((n) => caches.delete(n)),
  );
}

function api(event, request, url) {
  const path = url.pathname;
  if (request.method === "POST" && (path === "/api/v1/auth/login" || path === "/api/v1/auth/refresh")) {
    return session(request, path === "/api/v1/auth/refresh");
  }
  if (request.method === "POST" && path === "/api/v1/auth/logout") {
    return fetch(request).finally(forget);
  }
  if (request.method !== "GET" || path.startsWith("/api/v1/auth/") || path.startsWith("/api/v1/events")) {
    return null;
  }
  // A document's file (a signed link, opened in a tab of its own) is not a list to keep.
  if (/^\/api\/v1\/documents\/[^/]+\/file$/.test(path)) return null;
  return list(event, request, url);
}

// A login or a session check: the user it names is noted (never the token) with how long
// their lists may be shown offline; a session check that cannot reach the server answers
// with that user and no token while the note allows it.
async function session(request, isRefresh) {
  let answer;
  try {
    answer = await fetch(request);
  } catch (offline) {
    const n = isRefresh ? await note() : null;
    if (!fresh(n)) {
      if (n) await forget();
      throw offline;
    }
    // A token valid for a second: the app renews it as soon as the server can be reached.
    return new Response(JSON.stringify({ token: "", user: n.user, expiresIn: 1 }), {
      headers: { "Content-Type": "application/json", "X-PPT-Offline": "1" },
    });
  }
  if (answer.ok) {
    const body = await answer.clone().json().catch(() => null);
    if (body && body.user && body.user.id) {
      const maxAge = Number(body.offlineMaxAge) || 0;
      if (maxAge > 0) {
        await forgetOthers(body.user.id);
        const cache = await caches.open(SESSION);
        const n = { user: body.user, at: Date.now(), maxAge };
        await cache.put(NOTE, new Response(JSON.stringify(n), {
          headers: { "Content-Type": "application/json" },
        }));
      } else {
        // A shared computer (or a server that keeps nothing offline): nothing is kept.
        await forget();
      }
    }
  } else if (isRefresh && answer.status === 401) {
    await forget();
  }
  return answer;
}

// Keeps a list's answer for the user whose token read it, if that is the noted user. A
// sign-out may happen while the copy is written: the note is read again after, and the
// copy removed if its user is no longer the one noted.
async function keep(key, sub, answer) {
  const before = await note();
  if (!before || !before.user || before.user.id !== sub || !(before.maxAge > 0)) return;
  const name = LISTS + sub;
  const cache = await caches.open(name);
  await cache.put(key, answer);
  const after = await note();
  if (!after || !after.user || after.user.id !== sub) await caches.delete(name);
}

// A list: from the server, kept for the user (behind the answer, which does not wait for
// it); offline, the kept copy of the noted user while the note allows it.
async function list(event, request, url) {
  const key = url.pathname + url.search;
  try {
    const answer = await fetch(request);
    const sub = userOf(request);
    if (answer.ok && sub) event.waitUntil(keep(key, sub, answer.clone()));
    return answer;
  } catch (offline) {
    const n = await note();
    if (!fresh(n)) throw offline;
    const cache = await caches.open(LISTS + n.user.id);
    const kept = await cache.match(key);
    if (!kept) throw offline;
    const headers = new Headers(kept.headers);
    headers.set("X-PPT-Offline", "1");
    return new Response(kept.body, { status: kept.status, headers });
  }
}
