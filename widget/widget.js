/* Kainuun palveluopas – chat widget. One <script src=".../widget.js" data-api="" data-lang="fi" defer>.
 * Plain JS, no framework, no CDN. Server text is always rendered as text (never as HTML). */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  var API = (script && script.getAttribute("data-api")) || "";
  var base = script ? new URL(script.src, location.href) : new URL(location.href);
  var STORE = "kpo-session", LANG_STORE = "kpo-lang";
  var T = {
    fi: { open: "Palveluopas – kysy palveluista", title: "Kainuun palveluopas", close: "Sulje", restart: "Aloita alusta",
          del: "Poista keskusteluni", input: "Kirjoita kysymyksesi", send: "Lähetä", log: "Keskustelu",
          offline: "Yhteys palveluun katkesi. Viestisi on tallessa – yritä uudelleen.", retry: "Yritä uudelleen",
          you: "Sinä", bot: "Palveluopas", more: "Avaa palvelun sivu", deleted: "Keskustelusi on poistettu.", lang: "Kieli",
          typing: "Palveluopas kirjoittaa…", queue: "Olet jonossa palveluneuvojalle, sijasi: ", cancel: "Peru jonotus",
          live: "Palveluneuvoja on linjalla.", end: "Lopeta keskustelu neuvojan kanssa", advisor: "Palveluneuvoja",
          cb: "Jätä soittopyyntö", phone: "Puhelinnumero", when: "Sopiva aika soittaa", topic: "Asia lyhyesti (älä kirjoita henkilötunnusta)",
          cbSend: "Lähetä soittopyyntö" },
    sv: { open: "Serviceguide – fråga om tjänster", title: "Kajanalands serviceguide", close: "Stäng", restart: "Börja om",
          del: "Radera mitt samtal", input: "Skriv din fråga", send: "Skicka", log: "Samtal",
          offline: "Anslutningen bröts. Ditt meddelande finns kvar – försök igen.", retry: "Försök igen",
          you: "Du", bot: "Serviceguiden", more: "Öppna tjänstens sida", deleted: "Ditt samtal har raderats.", lang: "Språk",
          typing: "Serviceguiden skriver…", queue: "Du står i kö till en servicerådgivare, din plats: ", cancel: "Lämna kön",
          live: "En servicerådgivare är med i samtalet.", end: "Avsluta samtalet med rådgivaren", advisor: "Servicerådgivare",
          cb: "Begär återuppringning", phone: "Telefonnummer", when: "Lämplig tid att ringa", topic: "Ärendet kort (skriv inte personbeteckning)",
          cbSend: "Skicka begäran" },
    en: { open: "Service guide – ask about services", title: "Kainuu service guide", close: "Close", restart: "Start over",
          del: "Delete my conversation", input: "Type your question", send: "Send", log: "Conversation",
          offline: "Connection lost. Your message is kept – try again.", retry: "Try again",
          you: "You", bot: "Service guide", more: "Open the service page", deleted: "Your conversation was deleted.", lang: "Language",
          typing: "The service guide is typing…", queue: "You are in the queue for a service advisor, your place: ", cancel: "Leave the queue",
          live: "A service advisor is in the conversation.", end: "End the chat with the advisor", advisor: "Service advisor",
          cb: "Request a call-back", phone: "Phone number", when: "Good time to call", topic: "Your matter in brief (no identity code)",
          cbSend: "Send the request" }
  };
  var lang = sessionStorage.getItem(LANG_STORE) || (script && script.getAttribute("data-lang")) || "fi";
  if (!T[lang]) lang = "fi";
  var chosenLang = sessionStorage.getItem(LANG_STORE);

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text != null) node.textContent = text;
    return node;
  }
  function newSession() {
    var bytes = new Uint8Array(16); (window.crypto || window.msCrypto).getRandomValues(bytes);
    var id = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    sessionStorage.setItem(STORE, id); return id;
  }
  var session = sessionStorage.getItem(STORE) || newSession();

  var css = el("link", { rel: "stylesheet", href: new URL("widget.css", base).href });
  document.head.appendChild(css);
  var root = el("div", { "class": "kpo-root" });
  var launcher = el("button", { "class": "kpo-launcher", type: "button", "aria-expanded": "false", "aria-controls": "kpo-panel" });
  var panel = el("section", { "class": "kpo-panel", id: "kpo-panel", role: "dialog", "aria-modal": "false", hidden: "" });
  var head = el("div", { "class": "kpo-head" });
  var h2 = el("h2", { id: "kpo-title" });
  var closeBtn = el("button", { type: "button" });
  head.appendChild(h2); head.appendChild(closeBtn);
  var tools = el("div", { "class": "kpo-tools" });
  var restartBtn = el("button", { type: "button" }), deleteBtn = el("button", { type: "button" });
  var langLabel = el("label", { "for": "kpo-lang" }), langSelect = el("select", { id: "kpo-lang" });
  [["fi", "Suomi"], ["sv", "Svenska"], ["en", "English"]].forEach(function (o) {
    var opt = el("option", { value: o[0], lang: o[0] }, o[1]); langSelect.appendChild(opt);
  });
  tools.appendChild(restartBtn); tools.appendChild(deleteBtn); tools.appendChild(langLabel); tools.appendChild(langSelect);
  var logEl = el("div", { "class": "kpo-log", role: "log", "aria-live": "polite", "aria-relevant": "additions", tabindex: "0" });
  var status = el("div", { "class": "kpo-status", role: "status" });
  var handoffBar = el("div", { "class": "kpo-handoff", role: "status", hidden: "" });
  var form = el("form", { "class": "kpo-form" });
  var inputLabel = el("label", { "for": "kpo-input", "class": "kpo-sr" });
  var input = el("textarea", { id: "kpo-input", rows: "2", maxlength: "1000" });
  var sendBtn = el("button", { type: "submit" });
  form.appendChild(inputLabel); form.appendChild(input); form.appendChild(sendBtn);
  [head, tools, logEl, handoffBar, status, form].forEach(function (n) { panel.appendChild(n); });
  panel.setAttribute("aria-labelledby", "kpo-title");
  root.appendChild(launcher); root.appendChild(panel);

  function applyLanguage() {
    var t = T[lang];
    launcher.textContent = t.open; h2.textContent = t.title; closeBtn.textContent = t.close;
    restartBtn.textContent = t.restart; deleteBtn.textContent = t.del; langLabel.textContent = t.lang;
    inputLabel.textContent = t.input; input.setAttribute("placeholder", t.input); sendBtn.textContent = t.send;
    logEl.setAttribute("aria-label", t.log); langSelect.value = lang; panel.setAttribute("lang", lang);
  }

  function time(ts) {
    var d = ts ? new Date(ts * 1000) : new Date();
    return d.toLocaleTimeString(lang === "en" ? "en-GB" : lang === "sv" ? "sv-FI" : "fi-FI", { hour: "2-digit", minute: "2-digit" });
  }
  function appendText(container, text) {
    // Links only for plain https URLs; everything else stays text.
    String(text).split(/(https:\/\/[^\s)]+)/g).forEach(function (part) {
      if (/^https:\/\/[^\s)]+$/.test(part)) {
        var a = el("a", { href: part, target: "_blank", rel: "noopener noreferrer" }, part); container.appendChild(a);
      } else if (part) { container.appendChild(document.createTextNode(part)); }
    });
  }
  function addButtons(container, buttons) {
    if (!buttons || !buttons.length) return;
    var box = el("div", { "class": "kpo-buttons" });
    buttons.forEach(function (b) {
      var btn = el("button", { type: "button" }, b.title);
      btn.addEventListener("click", function () { send(b.payload, b.title); });
      box.appendChild(btn);
    });
    container.appendChild(box);
  }
  function render(message, sender, ts) {
    var t = T[lang], node;
    if (message.type === "handoff") { followHandoff(0); return; }
    if (message.type === "callback_offer") { node = callbackForm(); } else
    if (message.type === "card") {
      node = el("article", { "class": "kpo-card", lang: message.lang || lang });
      node.appendChild(el("h3", {}, message.title));
      node.appendChild(el("p", {}, message.summary));
      var dl = el("dl");
      [[message.labels && message.labels.audience, message.audience], [message.labels && message.labels.access, message.how_to_access],
       [null, message.municipality_note]].forEach(function (row) {
        if (!row[1]) return;
        if (row[0]) dl.appendChild(el("dt", {}, row[0]));
        dl.appendChild(el("dd", {}, row[1]));
      });
      node.appendChild(dl);
      if (/^https:\/\//.test(message.url || "")) {
        node.appendChild(el("a", { href: message.url, target: "_blank", rel: "noopener noreferrer" }, (message.labels && message.labels.more) || t.more));
      }
    } else {
      node = el("div", { "class": "kpo-msg " + (sender === "user" ? "kpo-user" : "kpo-bot") + (message.urgent ? " kpo-urgent" : "") });
      if (message.lang) node.setAttribute("lang", message.lang);
      if (sender === "advisor") node.className = "kpo-msg kpo-advisor";
      node.appendChild(el(sender === "advisor" ? "strong" : "span", { "class": sender === "advisor" ? "kpo-who" : "kpo-sr" },
        (sender === "user" ? t.you : sender === "advisor" ? t.advisor : t.bot) + ": "));
      appendText(node, message.text || "");
      addButtons(node, message.buttons);
    }
    node.appendChild(el("span", { "class": "kpo-time" }, time(ts)));
    logEl.appendChild(node);
    logEl.scrollTop = logEl.scrollHeight;
    return node;
  }

  function api(path, options) { return fetch(API + path, options).then(function (r) {
    if (!r.ok && r.status >= 500) throw new Error("HTTP " + r.status); return r.json(); }); }

  function showNotice() {
    api("/api/privacy?lang=" + lang).then(function (p) {
      var n = el("p", { "class": "kpo-notice" }, p.text); logEl.appendChild(n);
    }).catch(function () {});
  }

  // The message being sent; after a failure it is kept (text, button label, its bubble) for the retry.
  var pending = null;
  function send(text, shown) {
    text = (text || "").trim(); if (!text) return;
    if (pending && pending.failed && pending.bubble.parentNode === logEl) logEl.removeChild(pending.bubble);
    status.textContent = T[lang].typing;
    var attempt = pending = { text: text, shown: shown, bubble: render({ type: "text", text: shown || text }, "user") };
    var body = { session_id: session, text: text };
    if (shown) body.label = shown;
    if (chosenLang) body.lang = lang;
    api("/api/chat", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
      .then(function (reply) {
        if (pending === attempt) pending = null;
        status.textContent = ""; input.value = "";
        if (reply.error === "invalid_request") { status.textContent = reply.message; return; }
        (reply.messages || []).forEach(function (m) { if (!m.lang) m.lang = reply.lang; render(m, "bot"); });
      })
      .catch(function () {
        status.textContent = ""; status.appendChild(document.createTextNode(T[lang].offline + " "));
        var retry = el("button", { type: "button" }, T[lang].retry);
        attempt.failed = true;
        retry.addEventListener("click", function () { input.focus(); send(attempt.text, attempt.shown); });
        status.appendChild(retry);
        if (!input.value) input.value = shown ? "" : text;
      });
  }

  // Human handoff: queue place, the advisor's messages (server-sent events), ending; resumes after reload.
  var stream = null, lastHandoff = 0;
  // A handoff message as [ts, message, sender] for render(); the resident's own are already in the log.
  function fromHandoff(m) {
    lastHandoff = Math.max(lastHandoff, m.id);
    return m.sender === "resident" ? null : [m.ts, { type: "text", text: m.text, lang: lang }, m.sender === "advisor" ? "advisor" : "bot"];
  }
  function handoffState(state) {
    (state.messages || []).map(fromHandoff).forEach(function (r) { if (r) render(r[1], r[2], r[0]); });
    handoffBar.textContent = "";
    var waiting = state.status === "waiting", active = state.status === "active";
    handoffBar.hidden = !(waiting || active);
    if (waiting || active) {
      handoffBar.appendChild(el("span", {}, waiting ? T[lang].queue + state.position : T[lang].live));
      var stop = el("button", { type: "button" }, waiting ? T[lang].cancel : T[lang].end);
      stop.addEventListener("click", function () {
        api("/api/handoff/" + session + "/cancel?lang=" + lang, { method: "POST" }).then(function () { input.focus(); });
      });
      handoffBar.appendChild(stop);
    } else if (stream) { stream.close(); stream = null; }
  }
  function followHandoff(after) {
    if (stream || !window.EventSource) return;
    stream = new EventSource(API + "/api/handoff/" + session + "/stream?lang=" + lang + "&after=" + (after || lastHandoff));
    stream.addEventListener("handoff", function (e) { handoffState(JSON.parse(e.data)); });
  }
  function callbackForm() {
    var t = T[lang], box = el("div", { "class": "kpo-msg kpo-bot" });
    var toggle = el("button", { type: "button", "aria-expanded": "false" }, t.cb);
    var f = el("form", { "class": "kpo-callback", hidden: "" }), fields = {};
    [["phone", "tel", t.phone], ["preferred_time", "text", t.when], ["topic", "text", t.topic]].forEach(function (d) {
      var id = "kpo-cb-" + d[0] + "-" + Date.now();
      f.appendChild(el("label", { "for": id }, d[1] === "tel" ? d[2] + " *" : d[2]));
      fields[d[0]] = el("input", { id: id, type: d[1], maxlength: d[0] === "topic" ? "500" : "120", autocomplete: d[1] === "tel" ? "tel" : "off" });
      if (d[1] === "tel") fields[d[0]].required = true;
      f.appendChild(fields[d[0]]);
    });
    var note = el("p", { role: "status" });
    f.appendChild(el("button", { type: "submit" }, t.cbSend)); f.appendChild(note);
    toggle.addEventListener("click", function () {
      f.hidden = !f.hidden; toggle.setAttribute("aria-expanded", String(!f.hidden)); if (!f.hidden) fields.phone.focus();
    });
    f.addEventListener("submit", function (e) {
      e.preventDefault();
      var body = { phone: fields.phone.value, preferred_time: fields.preferred_time.value, topic: fields.topic.value, lang: lang };
      api("/api/handoff/" + session + "/callback", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
        .then(function (r) {
          if (!r.saved) { note.textContent = r.message; fields.phone.focus(); return; }
          box.removeChild(f); toggle.remove(); box.appendChild(el("p", {}, r.text));
        }).catch(function () { note.textContent = T[lang].offline; });
    });
    box.appendChild(toggle); box.appendChild(f);
    return box;
  }

  function loadHistory() {
    Promise.all([api("/api/chat/" + session + "/history"), api("/api/handoff/" + session + "?lang=" + lang).catch(function () { return {}; })])
      .then(function (both) {
        var shown = (both[0].messages || []).map(function (m) { return [m.ts, m, m.sender]; });
        (both[1].messages || []).map(fromHandoff).forEach(function (r) { if (r) shown.push(r); });
        if (!shown.length) { showNotice(); return; }
        shown.sort(function (a, b) { return a[0] - b[0]; }).forEach(function (r) {
          if (r[1].type !== "handoff") render(r[1], r[2], r[0]);
        });
        if (both[1].status === "waiting" || both[1].status === "active") { handoffState({ status: both[1].status, position: both[1].position }); followHandoff(); }
      }).catch(showNotice);
  }

  function open() { panel.hidden = false; launcher.setAttribute("aria-expanded", "true"); launcher.hidden = true; input.focus(); }
  function close() { panel.hidden = true; launcher.hidden = false; launcher.setAttribute("aria-expanded", "false"); launcher.focus(); }
  launcher.addEventListener("click", open);
  closeBtn.addEventListener("click", close);
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") close(); });
  form.addEventListener("submit", function (e) { e.preventDefault(); send(input.value); });
  input.addEventListener("keydown", function (e) { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); send(input.value); } });
  restartBtn.addEventListener("click", function () { if (stream) { stream.close(); stream = null; } handoffBar.hidden = true; session = newSession(); logEl.textContent = ""; showNotice(); input.focus(); });
  deleteBtn.addEventListener("click", function () {
    if (stream) { stream.close(); stream = null; } handoffBar.hidden = true;
    api("/api/chat/" + session, { method: "DELETE" }).finally(function () {
      session = newSession(); logEl.textContent = ""; status.textContent = T[lang].deleted; showNotice(); input.focus();
    });
  });
  langSelect.addEventListener("change", function () {
    lang = langSelect.value; chosenLang = lang; sessionStorage.setItem(LANG_STORE, lang); applyLanguage();
  });

  function mount() { document.body.appendChild(root); applyLanguage(); loadHistory(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount); else mount();
})();
