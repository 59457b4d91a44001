// Starts the session restore and the first page's lists while the wasm still downloads: on a
// phone's network each is a round trip the app would otherwise make only once it runs. The
// app takes these answers instead of asking again (src/browser/boot.rs); nothing here reads
// or keeps them. Inlined into index.html, before the app's files, so the requests leave first.
//
// The lists of each page (by the address's first segment; "*": every page, the header's
// unread badge) are the ones `app::prefetch` names; a test of the app checks the two agree.
(function () {
  var LISTS = {"*": ["/messages/unread-count"], "": ["/announcements"], "announcements": ["/announcements"], "faults": ["/faults"], "votes": ["/votes"], "documents": ["/documents"], "neighbors": ["/neighbors"], "messages": ["/messages", "/neighbors"]};
  if (!window.fetch || !window.Promise) return;
  var API = "/api/v1";
  // An answer as the app reads it: its status and its text (a network failure rejects).
  function answer(response) {
    return response.text().then(function (text) {
      return { status: response.status, text: text };
    });
  }
  // The refresh cookie rotates and a cookie spent twice ends the session: one tab at a time,
  // under the lock the app's own refresh takes.
  function refresh() {
    return fetch(API + "/auth/refresh", { method: "POST", credentials: "same-origin" }).then(answer);
  }
  var session = navigator.locks
    ? navigator.locks.request("ppt-web.refresh", refresh)
    : refresh();
  var boot = { session: session, lists: {} };
  var page = location.pathname.split("/")[1] || "";
  var paths = LISTS["*"].concat(LISTS[page] || []);
  var signedIn = session.then(function (r) {
    return r.status === 200 ? JSON.parse(r.text).token : null;
  });
  paths.forEach(function (path) {
    boot.lists[path] = signedIn.then(function (token) {
      if (!token) throw new Error("no session");
      return fetch(API + path, { headers: { Authorization: "Bearer " + token } }).then(answer);
    });
    // Taken by the app or not, a failure here is the app's to report, not the console's.
    boot.lists[path].catch(function () {});
  });
  session.catch(function () {});
  window.__pptBoot = boot;
})();
