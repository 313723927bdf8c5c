// Honua's web map (Leaflet, served by Honua): features drawn on a canvas, fetched for the
// view only. Options: url (GeoJSON endpoint taking bbox/limit[/tolerance]), bbox (initial
// extent [w,s,e,n]), simplify (send a tolerance from the zoom), limit, caption (element id).
(function () {
  "use strict";
  function honuaMap(element, options) {
    var map = L.map(element, { preferCanvas: true, worldCopyJump: false, attributionControl: false, zoomSnap: 0.25 });
    var renderer = L.canvas({ padding: 0.2 });
    var style = { color: "#2b6cb0", weight: 1.5, fillColor: "#4299e1", fillOpacity: 0.35 };
    var layer = L.geoJSON(null, {
      renderer: renderer, style: function () { return style; },
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, { renderer: renderer, radius: 4, color: "#2b6cb0", weight: 1,
                                        fillColor: "#4299e1", fillOpacity: 0.8 });
      },
      onEachFeature: function (feature, drawn) {
        drawn.on("click", function (event) {
          var box = document.createElement("div");
          var props = feature.properties || {};
          var table = document.createElement("table");
          Object.keys(props).slice(0, 30).forEach(function (key) {
            var row = table.insertRow(); row.insertCell().textContent = key;
            var value = props[key]; row.insertCell().textContent = value === null ? "" :
              (typeof value === "object" ? JSON.stringify(value) : String(value));
          });
          if (feature.id !== undefined) { var b = document.createElement("b"); b.textContent = "id " + feature.id; box.appendChild(b); }
          box.appendChild(table);
          L.popup().setLatLng(event.latlng).setContent(box).openOn(map);
        });
      }
    }).addTo(map);
    // a graticule stands in for a base map (no tiles are fetched from anywhere)
    var lines = [];
    for (var x = -180; x <= 180; x += 30) lines.push([[-85, x], [85, x]]);
    for (var y = -60; y <= 60; y += 30) lines.push([[y, -180], [y, 180]]);
    L.polyline(lines, { color: "#b8c7d6", weight: 0.8, interactive: false, renderer: renderer }).addTo(map);
    // features smaller than a few pixels at this zoom get a dot, so a far-out view still
    // shows where they are
    var dots = L.layerGroup().addTo(map);
    function markSmall() {
      dots.clearLayers();
      layer.eachLayer(function (drawn) {
        if (!drawn.getBounds) return;
        var b = drawn.getBounds();
        var a = map.latLngToLayerPoint(b.getSouthWest()), c = map.latLngToLayerPoint(b.getNorthEast());
        if (Math.abs(c.x - a.x) < 4 && Math.abs(c.y - a.y) < 4) {
          dots.addLayer(L.circleMarker(b.getCenter(), { renderer: renderer, radius: 3, color: "#2b6cb0",
                                                         weight: 1, fillColor: "#4299e1", fillOpacity: 0.9,
                                                         interactive: false }));
        }
      });
    }
    map.on("zoomend", markSmall);
    var caption = options.caption ? document.getElementById(options.caption) : null;
    var limit = options.limit || 2000, first = true, pending = null;
    map.setView([0, 0], 1);
    if (options.bbox) fit(options.bbox);

    function fit(b) {
      if (!b || b.length < 4 || !isFinite(b[0])) return;
      if (b[0] === b[2] && b[1] === b[3]) map.setView([b[1], b[0]], 12);
      else map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { padding: [16, 16], maxZoom: 16 });
    }
    function tolerance() {  // about one screen pixel, in degrees
      return (360 / (256 * Math.pow(2, map.getZoom()))) * 0.8;
    }
    function load() {
      var url = new URL(options.url, window.location.href);
      url.searchParams.set("limit", String(limit));
      url.searchParams.set("f", "json");
      if (!first || options.bbox) {
        var b = map.getBounds();
        var west = Math.max(-180, b.getWest()), east = Math.min(180, b.getEast());
        var south = Math.max(-90, b.getSouth()), north = Math.min(90, b.getNorth());
        if (west < east && south < north) url.searchParams.set("bbox", [west, south, east, north].map(function (v) { return v.toFixed(6); }).join(","));
      }
      if (options.simplify) url.searchParams.set("tolerance", tolerance().toFixed(8));
      if (pending) pending.abort();
      pending = new AbortController();
      fetch(url, { headers: { Accept: "application/geo+json, application/json" }, signal: pending.signal,
                   credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
        .then(function (data) {
          layer.clearLayers();
          dots.clearLayers();
          layer.addData(data);
          markSmall();
          var returned = data.type === "Feature" ? 1 : (data.features || []).length;
          var matched = data.numberMatched !== undefined ? data.numberMatched : returned;
          element.dataset.features = String(returned);
          if (caption) caption.textContent = returned === matched ? returned + " features shown" :
            returned + " of " + matched + " features in view shown (zoom in for more)";
          if (first && !options.bbox) {
            var bounds = data.bbox || null;
            if (bounds) fit(bounds); else if (returned) map.fitBounds(layer.getBounds(), { padding: [16, 16], maxZoom: 16 });
          }
          first = false;
        })
        .catch(function (error) {
          if (error.name === "AbortError") return;
          if (caption) caption.textContent = "The features could not be loaded: " + error.message;
        });
    }
    map.on("moveend", function () { if (!first) load(); });
    load();
    return map;
  }
  window.honuaMap = honuaMap;
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-map-url]").forEach(function (element) {
      var bbox = element.dataset.mapBbox ? JSON.parse(element.dataset.mapBbox) : null;
      honuaMap(element, { url: element.dataset.mapUrl, bbox: bbox, simplify: element.dataset.mapSimplify === "true",
                          limit: parseInt(element.dataset.mapLimit || "2000", 10), caption: element.dataset.mapCaption });
    });
  });
})();
