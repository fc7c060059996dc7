// The live board (C9): Server-Sent Events say "something changed"; the tables are
// fetched again (at most about three times a second) and swapped in place.
(function () {
  "use strict";
  var board = document.getElementById("board");
  var live = document.getElementById("live");
  if (!board || !live || !window.EventSource) { return; }
  var pending = false, running = false;

  function refresh() {
    if (running) { pending = true; return; }
    running = true;
    fetch("/board/rows", { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) {
        if (r.redirected || r.status === 401) { window.location.reload(); return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) { if (html !== null) { board.innerHTML = html; } })
      .catch(function () { /* the next event retries */ })
      .finally(function () {
        running = false;
        if (pending) { pending = false; setTimeout(refresh, 300); }
      });
  }

  var source = new EventSource("/board/events");
  source.addEventListener("open", function () {
    live.dataset.state = "live";
    live.textContent = board.dataset.liveText;
    refresh();  // catch up on what happened while connecting
  });
  source.addEventListener("error", function () {
    live.dataset.state = "offline";
    live.textContent = board.dataset.offlineText;
  });
  var timer = null;
  source.addEventListener("changed", function () {
    if (timer) { return; }  // a burst of events costs one fetch
    timer = setTimeout(function () { timer = null; refresh(); }, 200);
  });
})();
