/* Kempen conversion snippet: keeps the click id of a tracked link and sends conversions.
 *
 *   <script>window.kempen=window.kempen||function(){(kempen.q=kempen.q||[]).push(arguments)};</script>
 *   <script src="https://KEMPEN/static/kempen-track.js" data-site="SITE_KEY" async></script>
 *   kempen("conversion", {name: "purchase", value: 49.9, currency: "EUR", order_id: "A-1001"});
 *
 * The click id (`kmp` in the landing URL) is kept first-party (localStorage, else a cookie) for
 * data-days days (default 7, the click window). No other identifier is stored or sent.
 */
(function (w, d) {
  "use strict";
  var PARAM = "kmp", KEY = "kempen_kmp";
  var script = d.currentScript || d.querySelector("script[data-site]");
  if (!script) { return; }
  var site = script.getAttribute("data-site");
  var days = parseInt(script.getAttribute("data-days") || "7", 10) || 7;
  var endpoint = script.getAttribute("data-endpoint") || new URL(script.src, w.location.href).origin + "/t/conversion";
  var ttl = days * 86400000;

  function save(value) {
    var record = JSON.stringify({ v: value, t: Date.now() });
    try { w.localStorage.setItem(KEY, record); return; } catch (e) { /* storage blocked: use a cookie */ }
    d.cookie = KEY + "=" + encodeURIComponent(record) + "; max-age=" + days * 86400 + "; path=/; SameSite=Lax";
  }

  function load() {
    var raw = null;
    try { raw = w.localStorage.getItem(KEY); } catch (e) { /* storage blocked */ }
    if (!raw) {
      var m = d.cookie.match(new RegExp("(?:^|; )" + KEY + "=([^;]*)"));
      raw = m ? decodeURIComponent(m[1]) : null;
    }
    try {
      var record = raw && JSON.parse(raw);
      return record && Date.now() - record.t < ttl ? record.v : null;
    } catch (e) { return null; }
  }

  function eventId() {
    if (w.crypto && w.crypto.randomUUID) { return w.crypto.randomUUID(); }
    return Date.now().toString(36) + Math.random().toString(36).slice(2, 14);
  }

  function send(data) {
    data = data || {};
    var body = { site: site, event_id: eventId(), name: data.name || "conversion" };
    var fields = ["value", "currency", "order_id", "properties"];
    for (var i = 0; i < fields.length; i++) {
      if (data[fields[i]] !== undefined && data[fields[i]] !== null) { body[fields[i]] = data[fields[i]]; }
    }
    var kmp = load();
    if (kmp) { body.kmp = kmp; }
    var text = JSON.stringify(body);
    // text/plain is a "simple" request: no CORS preflight, and sendBeacon survives leaving the page.
    var blob = new Blob([text], { type: "text/plain" });
    if (navigator.sendBeacon && navigator.sendBeacon(endpoint, blob)) { return; }
    if (w.fetch) {
      w.fetch(endpoint, { method: "POST", body: text, keepalive: true, mode: "cors", credentials: "omit",
                          headers: { "Content-Type": "text/plain" } })["catch"](function () {});
    }
  }

  function kempen(command, data) {
    if (command === "conversion") { send(data); }
  }

  try {
    var landing = new URLSearchParams(w.location.search).get(PARAM);
    if (landing) { save(landing); }
  } catch (e) { /* very old browser: no click id */ }

  var queued = (w.kempen && w.kempen.q) || [];
  w.kempen = kempen;
  for (var q = 0; q < queued.length; q++) { kempen.apply(null, queued[q]); }
})(window, document);
