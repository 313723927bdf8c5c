// A job page that follows its job live (Server-Sent Events): status, progress, messages;
// once the job ends the page loads again to show its results and map.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var root = document.querySelector("[data-job-events]");
    if (!root || !window.EventSource) return;
    var statusEl = document.getElementById("job-status");
    var bar = document.getElementById("job-progress-bar");
    var percent = document.getElementById("job-progress-text");
    var note = document.getElementById("job-message");
    var list = document.getElementById("job-messages");
    var live = document.getElementById("job-live");
    var field = root.dataset.statusField || "status";
    var seen = parseInt(root.dataset.messages || "0", 10);
    var source = new EventSource(root.dataset.jobEvents);
    if (live) live.textContent = "live";
    function show(data) {
      var status = data[field];
      if (statusEl && status) { statusEl.textContent = status; statusEl.className = "status status-" + status; }
      var p = data.progress && typeof data.progress === "object" ? data.progress.percent : data.progress;
      if (typeof p === "number") { if (bar) bar.style.width = p + "%"; if (percent) percent.textContent = p + " %"; }
      var text = data.message !== undefined ? data.message : (data.progress && data.progress.message);
      if (note && typeof text === "string") note.textContent = text;
    }
    source.addEventListener("status", function (event) { show(JSON.parse(event.data)); });
    source.addEventListener("message", function (event) {
      var id = parseInt(event.lastEventId || "0", 10);
      if (id && id <= seen) return;  // already on the page
      seen = Math.max(seen, id);
      var m = JSON.parse(event.data);
      if (!list) return;
      var empty = list.querySelector(".none"); if (empty) empty.remove();
      var li = document.createElement("li");
      li.className = "level-" + m.level;
      var time = document.createElement("span"); time.className = "time"; time.textContent = m.time.substring(11, 19);
      li.appendChild(time); li.appendChild(document.createTextNode(m.level + ": " + m.text));
      list.appendChild(li); list.scrollTop = list.scrollHeight;
    });
    source.addEventListener("end", function (event) {
      var data = JSON.parse(event.data);
      show(data);
      source.close();
      if (live) live.textContent = "ended";
      root.dataset.ended = "true";
      document.querySelectorAll("[data-hide-on-end]").forEach(function (el) { el.hidden = true; });
      if (root.dataset.finished !== "true") window.setTimeout(function () { window.location.reload(); }, 300);
    });
    source.onerror = function () { if (live && source.readyState === 2) live.textContent = "disconnected"; };
  });
})();
