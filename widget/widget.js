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
          typing: "Palveluopas kirjoittaa…" },
    sv: { open: "Serviceguide – fråga om tjänster", title: "Kajanalands serviceguide", close: "Stäng", restart: "Börja om",
          del: "Radera mitt samtal", input: "Skriv din fråga", send: "Skicka", log: "Samtal",
          offline: "Anslutningen bröts. Ditt meddelande finns kvar – försök igen.", retry: "Försök igen",
          you: "Du", bot: "Serviceguiden", more: "Öppna tjänstens sida", deleted: "Ditt samtal har raderats.", lang: "Språk",
          typing: "Serviceguiden skriver…" },
    en: { open: "Service guide – ask about services", title: "Kainuu service guide", close: "Close", restart: "Start over",
          del: "Delete my conversation", input: "Type your question", send: "Send", log: "Conversation",
          offline: "Connection lost. Your message is kept – try again.", retry: "Try again",
          you: "You", bot: "Service guide", more: "Open the service page", deleted: "Your conversation was deleted.", lang: "Language",
          typing: "The service guide is typing…" }
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
  var form = el("form", { "class": "kpo-form" });
  var inputLabel = el("label", { "for": "kpo-input", "class": "kpo-sr" });
  var input = el("textarea", { id: "kpo-input", rows: "2", maxlength: "1000" });
  var sendBtn = el("button", { type: "submit" });
  form.appendChild(inputLabel); form.appendChild(input); form.appendChild(sendBtn);
  [head, tools, logEl, status, form].forEach(function (n) { panel.appendChild(n); });
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
      node.appendChild(el("span", { "class": "kpo-sr" }, (sender === "user" ? t.you : t.bot) + ": "));
      appendText(node, message.text || "");
      addButtons(node, message.buttons);
    }
    node.appendChild(el("span", { "class": "kpo-time" }, time(ts)));
    logEl.appendChild(node);
    logEl.scrollTop = logEl.scrollHeight;
  }

  function api(path, options) { return fetch(API + path, options).then(function (r) {
    if (!r.ok && r.status >= 500) throw new Error("HTTP " + r.status); return r.json(); }); }

  function showNotice() {
    api("/api/privacy?lang=" + lang).then(function (p) {
      var n = el("p", { "class": "kpo-notice" }, p.text); logEl.appendChild(n);
    }).catch(function () {});
  }

  var pending = null;
  function send(text, shown) {
    text = (text || "").trim(); if (!text) return;
    pending = text; status.textContent = T[lang].typing;
    render({ type: "text", text: shown || text }, "user");
    var body = { session_id: session, text: text };
    if (shown) body.label = shown;
    if (chosenLang) body.lang = lang;
    api("/api/chat", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
      .then(function (reply) {
        pending = null; status.textContent = ""; input.value = "";
        if (reply.error === "invalid_request") { status.textContent = reply.message; return; }
        (reply.messages || []).forEach(function (m) { if (!m.lang) m.lang = reply.lang; render(m, "bot"); });
      })
      .catch(function () {
        status.textContent = ""; status.appendChild(document.createTextNode(T[lang].offline + " "));
        var retry = el("button", { type: "button" }, T[lang].retry);
        retry.addEventListener("click", function () { var again = pending; logEl.removeChild(logEl.lastChild); send(again); });
        status.appendChild(retry);
        if (!input.value) input.value = shown ? "" : text;
      });
  }

  function loadHistory() {
    api("/api/chat/" + session + "/history").then(function (h) {
      if (!h.messages || !h.messages.length) { showNotice(); return; }
      h.messages.forEach(function (m) { render(m, m.sender, m.ts); });
    }).catch(showNotice);
  }

  function open() { panel.hidden = false; launcher.setAttribute("aria-expanded", "true"); launcher.hidden = true; input.focus(); }
  function close() { panel.hidden = true; launcher.hidden = false; launcher.setAttribute("aria-expanded", "false"); launcher.focus(); }
  launcher.addEventListener("click", open);
  closeBtn.addEventListener("click", close);
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") close(); });
  form.addEventListener("submit", function (e) { e.preventDefault(); send(input.value); });
  input.addEventListener("keydown", function (e) { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); send(input.value); } });
  restartBtn.addEventListener("click", function () { session = newSession(); logEl.textContent = ""; showNotice(); input.focus(); });
  deleteBtn.addEventListener("click", function () {
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
