// The "run this process" form of an OGC API process page: it sends the inputs as the
// JSON execute request and, for a job, goes to the job's page (which follows it live).
(function () {
  "use strict";
  function value(field) {
    var kind = field.dataset.kind, raw = field.type === "checkbox" ? field.checked : field.value;
    if (kind === "boolean") return raw === true || raw === "true";
    if (typeof raw === "string" && raw.trim() === "") return undefined;
    if (kind === "number") { var n = Number(raw); if (!isFinite(n)) throw new Error(field.name + " must be a number"); return n; }
    if (kind === "json") {
      try { return JSON.parse(raw); } catch (e) { return raw; }  // a plain word is a string
    }
    return raw;
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.run");
    if (!form) return;
    var out = document.getElementById("run-result");
    document.querySelectorAll("select[data-layer-for]").forEach(function (picker) {
      picker.addEventListener("change", function () {
        if (!picker.value) return;
        document.getElementById(picker.dataset.layerFor).value = JSON.stringify({ layerReference: { collectionId: picker.value } });
      });
    });
    document.querySelectorAll("input[data-upload-for]").forEach(function (picker) {
      picker.addEventListener("change", function () {
        if (!picker.files.length) return;
        var body = new FormData(); body.append("file", picker.files[0]);
        var target = document.getElementById(picker.dataset.uploadFor);
        target.value = "uploading " + picker.files[0].name + " …";
        fetch(picker.dataset.uploads, { method: "POST", body: body, credentials: "same-origin" })
          .then(function (r) { return r.json().then(function (j) { if (!r.ok) throw new Error(j.detail || r.status); return j; }); })
          .then(function (j) { target.value = JSON.stringify({ uploadId: j.uploadId }); })
          .catch(function (e) { target.value = ""; out.textContent = "Upload failed: " + e.message; });
      });
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var inputs = {};
      try {
        form.querySelectorAll("[data-input]").forEach(function (field) {
          var v = value(field); if (v !== undefined) inputs[field.name] = v;
        });
      } catch (e) { out.textContent = e.message; return; }
      var mode = form.querySelector("[name=mode]:checked");
      var headers = { "Content-Type": "application/json", Accept: "application/json" };
      if (!mode || mode.value === "async") headers.Prefer = "respond-async";
      var button = form.querySelector("button[type=submit]"); button.disabled = true;
      out.textContent = "Sending …";
      fetch(form.action, { method: "POST", headers: headers, body: JSON.stringify({ inputs: inputs }),
                           credentials: "same-origin" })
        .then(function (r) { return r.text().then(function (t) { return { r: r, t: t }; }); })
        .then(function (x) {
          button.disabled = false;
          var doc = null; try { doc = JSON.parse(x.t); } catch (e) { /* raw output */ }
          if (x.r.status === 201 && doc && doc.jobID) { window.location.href = form.dataset.jobs + "/" + encodeURIComponent(doc.jobID) + "?f=html"; return; }
          if (!x.r.ok) { out.textContent = (doc && (doc.title + ": " + doc.detail)) || ("HTTP " + x.r.status); out.className = "error"; return; }
          out.className = ""; out.textContent = doc ? JSON.stringify(doc, null, 2).substring(0, 200000) : x.t.substring(0, 200000);
        })
        .catch(function (e) { button.disabled = false; out.textContent = e.message; });
    });
  });
})();
