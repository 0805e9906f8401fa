// Live updates for baton's web UI. Pages work without this file (reload to
// see changes); with it, the part of a page marked id="live" is fetched
// again when the server says a job changed, and task logs are tailed.
(function () {
  "use strict";

  function refresh() {
    var busy = refresh.busy;
    if (busy) { refresh.again = true; return; }
    refresh.busy = true;
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("live");
        var cur = document.getElementById("live");
        if (!fresh || !cur) { return; }
        // Keep what the reader opened and ticked.
        cur.querySelectorAll("details[id]").forEach(function (d) {
          var n = fresh.querySelector("#" + CSS.escape(d.id));
          if (n) { n.open = d.open; }
        });
        cur.replaceWith(document.adoptNode(fresh));
        document.body.setAttribute("data-refreshed", String(Date.now()));
      })
      .catch(function () {})
      .finally(function () {
        refresh.busy = false;
        if (refresh.again) { refresh.again = false; refresh(); }
      });
  }

  var live = document.body.getAttribute("data-live");
  if (live && window.EventSource) {
    var es = new EventSource(live);
    es.addEventListener("change", refresh);
    // What changed between the page's rendering and the stream's start
    // (or during a reconnect) comes with one fetch.
    es.addEventListener("open", function () {
      var region = document.getElementById("live");
      if (region && region.getAttribute("data-active") !== "false") { refresh(); }
      document.body.setAttribute("data-live-open", "1");
    });
  }

  var logs = document.getElementById("logs");
  if (logs && window.EventSource) {
    var offsets = [];
    logs.querySelectorAll("pre[data-task]").forEach(function (p) {
      offsets.push(p.getAttribute("data-task") + ":" + p.getAttribute("data-offset"));
    });
    var tail = new EventSource(logs.getAttribute("data-stream") + "?o=" + encodeURIComponent(offsets.join(",")));
    tail.addEventListener("log", function (e) {
      var m = JSON.parse(e.data);
      var pre = logs.querySelector('pre[data-task="' + String(Number(m.task)) + '"]');
      if (!pre) {
        var d = document.createElement("details");
        d.className = "log";
        d.open = true;
        var s = document.createElement("summary");
        s.textContent = m.phase + " / " + m.name;
        pre = document.createElement("pre");
        pre.setAttribute("data-task", String(Number(m.task)));
        d.appendChild(s);
        d.appendChild(pre);
        var empty = logs.querySelector(".empty");
        if (empty) { empty.remove(); }
        logs.appendChild(d);
      }
      var atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
      pre.appendChild(document.createTextNode(m.text));
      if (atEnd) { pre.scrollTop = pre.scrollHeight; }
    });
    tail.addEventListener("end", function () { tail.close(); });
  }
})();
