// detente workspace: charts, live progress, browser signing. No inline script anywhere:
// data comes from data-* attributes; every write sends the page's CSRF token.
(function () {
  "use strict";
  var csrf = document.body.getAttribute("data-csrf") || "";

  function post(url, fields) {
    var body = new URLSearchParams();
    body.set("csrf", csrf);
    Object.keys(fields).forEach(function (k) { body.set(k, fields[k]); });
    return fetch(url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": csrf }
    }).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) { throw new Error((j.error && j.error.message) || ("HTTP " + r.status)); }
        return j;
      });
    });
  }

  // -- charts (the brief's Vega-Lite specs, vendored Vega) --------------------------------
  function charts() {
    var nodes = document.querySelectorAll("[data-chart]");
    var state = { total: nodes.length, ok: 0, failed: 0, done: nodes.length === 0 };
    window.detenteCharts = state;
    if (!nodes.length) { return; }
    if (typeof vegaEmbed !== "function") { state.failed = nodes.length; state.done = true; return; }
    var pending = nodes.length;
    nodes.forEach(function (el) {
      var spec = JSON.parse(el.getAttribute("data-spec"));
      vegaEmbed(el, spec, { mode: "vega-lite", actions: false, renderer: "svg", defaultStyle: false })
        .then(function () { state.ok += 1; el.setAttribute("data-rendered", "ok"); })
        .catch(function (e) { state.failed += 1; el.setAttribute("data-rendered", "failed"); el.textContent = String(e); })
        .then(function () { pending -= 1; if (!pending) { state.done = true; } });
    });
  }

  // -- live progress (server-sent events) ------------------------------------------------
  function progress() {
    var box = document.getElementById("progress");
    if (!box) { return; }
    var status = box.getAttribute("data-status");
    if (status !== "queued" && status !== "running") { return; }
    var es = new EventSource(box.getAttribute("data-events"));
    function show(d) {
      document.getElementById("bar").value = d.percent;
      document.getElementById("bar").textContent = d.percent + "%";
      document.getElementById("percent").textContent = Math.round(d.percent) + "%";
      document.getElementById("status").textContent = d.status;
      document.getElementById("count").textContent = d.done + " / " + d.total;
      box.setAttribute("data-status", d.status);
    }
    es.addEventListener("progress", function (ev) { show(JSON.parse(ev.data)); });
    es.addEventListener("end", function (ev) {
      show(JSON.parse(ev.data));
      es.close();
      window.setTimeout(function () { window.location.reload(); }, 300);
    });
  }

  // -- keys in this browser (WebCrypto Ed25519, private key never leaves it) ------------
  function db() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open("detente-keys", 1);
      req.onupgradeneeded = function () { req.result.createObjectStore("keys"); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function store(name, value) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var tx = d.transaction("keys", "readwrite");
        tx.objectStore("keys").put(value, name);
        tx.oncomplete = function () { resolve(); };
        tx.onerror = function () { reject(tx.error); };
      });
    });
  }
  function load(name) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var req = d.transaction("keys").objectStore("keys").get(name);
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { reject(req.error); };
      });
    });
  }
  function b64(buf) {
    var s = "", bytes = new Uint8Array(buf);
    for (var i = 0; i < bytes.length; i++) { s += String.fromCharCode(bytes[i]); }
    return btoa(s);
  }
  function unb64(text) {
    var s = atob(text), out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) { out[i] = s.charCodeAt(i); }
    return out;
  }

  function keys() {
    document.querySelectorAll("[data-register]").forEach(function (sec) {
      var btn = sec.querySelector(".js-newkey"), out = sec.querySelector(".js-result");
      var actor = sec.getAttribute("data-actor"), cid = sec.getAttribute("data-case");
      btn.addEventListener("click", function () {
        var pair;
        crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"])
          .then(function (kp) { pair = kp; return crypto.subtle.exportKey("raw", kp.publicKey); })
          .then(function (raw) {
            // Proof of possession: the new key signs the registration the server will log.
            var pub = b64(raw);
            return post("/cases/" + cid + "/keys/message", { actor: actor, public_key: pub }).then(function (m) {
              return crypto.subtle.sign({ name: "Ed25519" }, pair.privateKey, unb64(m.message)).then(function (sig) {
                return post("/cases/" + cid + "/keys", { actor: actor, public_key: pub, at: m.at, proof: b64(sig) });
              });
            });
          })
          .then(function (j) { return store(cid + "/" + actor, { privateKey: pair.privateKey, vkey: j.vkey }).then(function () { return j; }); })
          .then(function (j) { out.textContent = "Key registered: " + j.vkey; out.setAttribute("data-vkey", j.vkey); })
          .catch(function (e) { out.textContent = "Could not create a key: " + e.message; });
      });
    });
  }

  function signing() {
    document.querySelectorAll("[data-sign]").forEach(function (sec) {
      var btn = sec.querySelector(".js-sign"), out = sec.querySelector(".js-result");
      var actor = sec.getAttribute("data-actor"), cid = sec.getAttribute("data-case");
      var role = sec.getAttribute("data-role"), draft = sec.getAttribute("data-draft");
      var message = unb64(sec.getAttribute("data-message"));
      btn.addEventListener("click", function () {
        load(cid + "/" + actor).then(function (k) {
          if (!k) { throw new Error("no key for " + actor + " in this browser; create one on the keys page"); }
          return crypto.subtle.sign({ name: "Ed25519" }, k.privateKey, message).then(function (sig) {
            return post("/drafts/" + draft + "/signature", { role: role, actor: actor, key: k.vkey, sig: b64(sig) });
          });
        }).then(function () {
          out.textContent = "Signed; the server verified the signature.";
          window.setTimeout(function () { window.location.reload(); }, 300);
        }).catch(function (e) { out.textContent = "Not signed: " + e.message; });
      });
    });
  }

  // A pending record (dataset record, verdicts, review): sign every message in order with
  // the actor's key in this browser, then post the signatures; the server checks each.
  function pendingSigning() {
    document.querySelectorAll("[data-sign-pending]").forEach(function (sec) {
      var btn = sec.querySelector(".js-sign"), out = sec.querySelector(".js-result");
      var actor = sec.getAttribute("data-actor"), cid = sec.getAttribute("data-case");
      var pid = sec.getAttribute("data-pending");
      var messages = JSON.parse(sec.getAttribute("data-messages"));
      btn.addEventListener("click", function () {
        load(cid + "/" + actor).then(function (k) {
          if (!k) { throw new Error("no key for " + actor + " in this browser; create one on the keys page"); }
          return Promise.all(messages.map(function (m) {
            return crypto.subtle.sign({ name: "Ed25519" }, k.privateKey, unb64(m)).then(b64);
          })).then(function (sigs) {
            return post("/pending/" + pid + "/sign", { key: k.vkey, sigs: sigs.join("\n") });
          });
        }).then(function () {
          out.textContent = "Signed; the server verified the signatures and appended the record.";
          window.setTimeout(function () { window.location.reload(); }, 300);
        }).catch(function (e) { out.textContent = "Not signed: " + e.message; });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    charts(); progress(); keys(); signing(); pendingSigning();
  });
})();
