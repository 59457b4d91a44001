// Registers the service worker (static/sw.js, served by ppt-server as /sw.js), tells it which
// build this page runs, and shows the "new version" bar when it says a new deployment is
// cached. Inlined into index.html, so it
// listens before the worker can speak. Under `trunk serve` /sw.js is not served and nothing
// registers: the dev server's hot reload keeps working.
(function () {
  var sw = navigator.serviceWorker;
  if (!sw) return;
  sw.addEventListener("message", function (e) {
    if (!e.data || e.data.type !== "ppt-update" || document.querySelector(".update-bar")) return;
    var bar = document.createElement("div");
    bar.className = "update-bar";
    bar.setAttribute("role", "status");
    bar.setAttribute("data-testid", "update-available");
    bar.textContent = "A new version of the portal is ready. ";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "primary";
    button.setAttribute("data-testid", "update-reload");
    button.textContent = "Reload";
    button.onclick = function () { location.reload(); };
    bar.appendChild(button);
    document.body.appendChild(bar);
  });
  // The build this page runs: its loader script's hashed name.
  function check() {
    var loader = document.querySelector("link[rel=modulepreload]");
    if (sw.controller && loader && document.visibilityState === "visible") {
      sw.controller.postMessage({ type: "ppt-check", build: loader.getAttribute("href") });
    }
  }
  addEventListener("load", function () {
    sw.register("/sw.js").then(check, function () {});
  });
  document.addEventListener("visibilitychange", check);
})();
