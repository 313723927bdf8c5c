// The dashboard: counts kept live from /admin/summary; cancel and dismiss buttons.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("dashboard");
    if (!root) return;
    var token = root.dataset.token;
    function withToken(url) { return token ? url + (url.indexOf("?") < 0 ? "?" : "&") + "token=" + encodeURIComponent(token) : url; }
    function refresh() {
      fetch(root.dataset.summary, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (s) {
          if (!s) return;
          Object.keys(s.counts).forEach(function (k) { var el = document.getElementById("count-" + k); if (el) el.textContent = s.counts[k]; });
          document.getElementById("queue-depth").textContent = s.queueDepth;
        });
    }
    window.setInterval(refresh, 3000);
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
          var cell = row.querySelector(".status");
          if (cell && job.status) { cell.textContent = job.status; cell.className = "status status-" + job.status; }
          if (button.dataset.action === "dismiss") row.remove();
          refresh();
        });
    });
  });
})();
