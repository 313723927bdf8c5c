// The dashboard, kept live by /admin/events (Server-Sent Events: counts and the job list after
// every change); /admin/summary read every few seconds only where the stream cannot be had.
// Cancel and dismiss buttons.
(function () {
  "use strict";
  var FALLBACK_MS = 3000;
  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("dashboard");
    if (!root) return;
    var token = root.dataset.token;
    var live = document.getElementById("dashboard-live");
    var polling = null;
    function withToken(url) { return token ? url + (url.indexOf("?") < 0 ? "?" : "&") + "token=" + encodeURIComponent(token) : url; }
    function say(text) { if (live) live.textContent = text; }
    function showCounts(s) {
      Object.keys(s.counts).forEach(function (k) { var el = document.getElementById("count-" + k); if (el) el.textContent = s.counts[k]; });
      document.getElementById("queue-depth").textContent = s.queueDepth;
    }
    function cell(row, text, className) {
      var td = document.createElement("td");
      if (className) td.className = className;
      if (text !== null) td.textContent = text;
      row.appendChild(td);
      return td;
    }
    function button(td, action, id, label, className) {
      var b = document.createElement("button");
      b.className = className; b.dataset.action = action; b.dataset.job = id; b.textContent = label;
      td.appendChild(b); td.appendChild(document.createTextNode(" "));
    }
    function jobRow(j) {
      var row = document.createElement("tr");
      row.dataset.job = j.id;
      var link = document.createElement("a");
      link.href = "/api/jobs/" + encodeURIComponent(j.id) + "?f=html";
      var code = document.createElement("code");
      code.textContent = j.id.slice(0, 10) + "\u2026";
      link.appendChild(code);
      cell(row, null).appendChild(link);
      cell(row, j.process);
      var status = document.createElement("span");
      status.className = "status status-" + j.status; status.textContent = j.status;
      cell(row, null).appendChild(status);
      cell(row, j.progress + " %", "num");
      cell(row, j.owner); cell(row, j.tenant); cell(row, j.created);
      cell(row, (j.message || "").length > 100 ? j.message.slice(0, 97) + "..." : (j.message || ""));
      var actions = cell(row, null);
      if (!j.finished) button(actions, "cancel", j.id, "Cancel", "secondary");
      button(actions, "dismiss", j.id, "Dismiss", "danger");
      return row;
    }
    function showJobs(s) {
      var table = document.getElementById("jobs");
      if (!table || !s.jobs) return;
      var rows = table.querySelectorAll("tr");
      for (var i = 1; i < rows.length; i++) rows[i].remove();
      var body = rows[0].parentNode;
      if (!s.jobs.length) {
        var empty = document.createElement("tr");
        var td = cell(empty, "no jobs", "muted"); td.colSpan = 9;
        body.appendChild(empty);
      }
      s.jobs.forEach(function (j) { body.appendChild(jobRow(j)); });
      document.getElementById("jobs-total").textContent = s.numberMatched;
    }
    function refresh() {
      fetch(root.dataset.summary, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (s) { if (s) showCounts(s); });
    }
    function poll() {
      if (polling === null) { polling = window.setInterval(refresh, FALLBACK_MS); say("refreshed every 3 s"); }
    }
    if (typeof window.EventSource === "undefined" || !root.dataset.events) {
      poll();
    } else {
      var source = new EventSource(root.dataset.events, { withCredentials: true });
      source.addEventListener("summary", function (event) {
        var s = JSON.parse(event.data);
        showCounts(s); showJobs(s); say("live");
      });
      source.onerror = function () {
        // EventSource reconnects by itself; a refused stream (401/403) is closed for good
        if (source.readyState === EventSource.CLOSED) poll(); else say("reconnecting");
      };
    }
    root.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-action]");
      if (!button) return;
      if (button.dataset.action === "dismiss" && !window.confirm("Dismiss this job and delete its results?")) return;
      button.disabled = true;
      fetch(withToken("/admin/jobs/" + encodeURIComponent(button.dataset.job) + "/" + button.dataset.action),
            { method: "POST", credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (job) {
          var row = button.closest("tr");
          var cell = row && row.querySelector(".status");
          if (cell && job.status) { cell.textContent = job.status; cell.className = "status status-" + job.status; }
          if (button.dataset.action === "dismiss" && row) row.remove();
          if (polling !== null) refresh();
        });
    });
  });
})();
