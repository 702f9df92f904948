// Staff console, editor pages: live preview of the answer card, "test this question" with the
// previous result kept for comparison, and the background re-index status. User text is only
// ever set with textContent / createTextNode (never innerHTML).
(function () {
  "use strict";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }
  function appendText(container, text) {
    // Links only for plain https URLs, as in the widget; everything else stays text.
    String(text).split(/(https:\/\/[^\s)]+)/g).forEach(function (part) {
      if (/^https:\/\/[^\s)]+$/.test(part)) {
        container.appendChild(el("a", { href: part, target: "_blank", rel: "noopener noreferrer" }, part));
      } else if (part) { container.appendChild(document.createTextNode(part)); }
    });
  }
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) { throw new Error(data.message || ("HTTP " + r.status)); }
        return data;
      });
    });
  }

  // --- re-index status ------------------------------------------------------------------------
  var status = document.getElementById("kb-reindex");
  function busy(s) { return s.state === "queued" || s.state === "running" || s.pending || (s.serving && s.current && s.serving !== s.current); }
  function pollStatus() {
    getJSON("/staff/api/kb/reindex").then(function (s) {
      status.textContent = s.text;
      status.setAttribute("data-state", s.state);
      if (s.serving) { status.setAttribute("data-build", s.serving); }
      document.dispatchEvent(new CustomEvent("kb-index", { detail: s }));
      if (busy(s)) { setTimeout(pollStatus, 1500); }
    }).catch(function () { setTimeout(pollStatus, 5000); });
  }
  if (status) {
    var state0 = status.getAttribute("data-state");
    if (state0 === "queued" || state0 === "running" || /[?&]saved=/.test(window.location.search)) { pollStatus(); }
  }

  // --- live preview of the answer card and the body ---------------------------------------------
  var previewBox = document.getElementById("kb-preview");
  var form = document.getElementById("kb-form");
  if (previewBox && form) {
    var labels = JSON.parse(previewBox.getAttribute("data-labels") || "{}");
    var langSelect = document.getElementById("kb-preview-lang");
    var card = document.getElementById("kb-card-preview");
    var bodyOut = document.getElementById("kb-body-preview");
    var value = function (name) {
      var field = document.getElementById("f-" + name);
      return field ? field.value.trim().replace(/\s+/g, " ") : "";
    };
    var renderCard = function () {
      var lang = langSelect.value, l = labels[lang] || labels.fi || {};
      var localized = function (key) { return (lang !== "fi" && value(key + "_" + lang)) || value(key); };
      card.textContent = "";
      var article = el("article", { "class": "kb-card", lang: lang });
      article.appendChild(el("h3", {}, localized("title") || "(otsikko puuttuu)"));
      article.appendChild(el("p", {}, localized("summary")));
      var dl = el("dl");
      var audience = value("audience").split(",").map(function (s) { return s.trim(); }).filter(Boolean).join(", ");
      [[l.audience, audience], [l.access, value("how_to_access")]].forEach(function (row) {
        if (!row[1]) { return; }
        dl.appendChild(el("dt", {}, row[0]));
        dl.appendChild(el("dd", {}, row[1]));
      });
      article.appendChild(dl);
      var url = value("url");
      if (/^https:\/\//.test(url)) {
        article.appendChild(el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, l.more || "Lisätietoja"));
      }
      card.appendChild(article);
    };
    var renderBody = function () {
      // A safe Markdown subset: ## headings, paragraphs, - and 1. lists, https links.
      var source = document.getElementById("f-body");
      bodyOut.textContent = "";
      var list = null, paragraph = [];
      var flush = function () {
        if (paragraph.length) { var p = el("p"); appendText(p, paragraph.join(" ")); bodyOut.appendChild(p); paragraph = []; }
      };
      source.value.split("\n").forEach(function (line) {
        var heading = /^(#{1,3})\s+(.*)$/.exec(line), item = /^\s*(?:[-*]|\d+\.)\s+(.*)$/.exec(line);
        if (heading) {
          flush(); list = null; bodyOut.appendChild(el("h" + (heading[1].length + 2), {}, heading[2]));
        } else if (item) {
          flush();
          if (!list) { list = el(/^\s*\d/.test(line) ? "ol" : "ul"); bodyOut.appendChild(list); }
          var li = el("li"); appendText(li, item[1]); list.appendChild(li);
        } else if (!line.trim()) {
          flush(); list = null;
        } else if (list && /^\s+/.test(line)) {
          appendText(list.lastChild, " " + line.trim());
        } else {
          list = null; paragraph.push(line.trim());
        }
      });
      flush();
    };
    var timer = null;
    var update = function () {
      clearTimeout(timer);
      timer = setTimeout(function () { renderCard(); renderBody(); }, 150);
    };
    form.addEventListener("input", update);
    langSelect.addEventListener("change", renderCard);
    renderCard(); renderBody();
  }

  // --- test this question -------------------------------------------------------------------------
  var testForm = document.getElementById("kb-test-form");
  if (testForm) {
    var KEY = "kb-test";
    var question = document.getElementById("kb-test-q");
    var municipality = document.getElementById("kb-test-municipality");
    var resultBox = document.getElementById("kb-test-result");
    var load = function () { try { return JSON.parse(window.sessionStorage.getItem(KEY)); } catch (e) { return null; } };
    var store = function (v) { try { window.sessionStorage.setItem(KEY, JSON.stringify(v)); } catch (e) { /* private mode */ } };
    var run = function (result, heading) {
      var box = el("div", { "class": "kb-test-run" });
      box.appendChild(el("h3", {}, heading));
      box.appendChild(el("p", { "class": "muted" }, "Hakemisto " + (result.build_id || "–")));
      box.appendChild(el("p", { "class": "kb-decision " + result.decision, "data-decision": result.decision },
        result.label + " (varmuus " + result.confidence.toFixed(2) + "; vastausraja " + result.thresholds.answer + ")"));
      var table = el("table"), head = el("tr");
      ["#", "Dokumentti", "Pisteet", "Merkitys"].forEach(function (h) { head.appendChild(el("th", { scope: "col" }, h)); });
      var thead = el("thead"); thead.appendChild(head); table.appendChild(thead);
      var tbody = el("tbody");
      result.hits.forEach(function (hit) {
        var tr = el("tr", { "data-doc": hit.doc_id });
        tr.appendChild(el("td", {}, String(hit.rank)));
        var cell = el("td");
        cell.appendChild(el("a", { href: "/staff/kb/doc/" + encodeURIComponent(hit.doc_id) }, hit.title || hit.doc_id));
        cell.appendChild(el("span", { "class": "muted" }, " " + hit.type));
        tr.appendChild(cell);
        tr.appendChild(el("td", {}, hit.score.toFixed(4)));
        tr.appendChild(el("td", {}, hit.dense.toFixed(3)));
        tbody.appendChild(tr);
      });
      table.appendChild(tbody);
      box.appendChild(table);
      return box;
    };
    var show = function (before, now) {
      resultBox.textContent = "";
      var wrap = el("div", { "class": before ? "kb-test-compare" : "kb-test-single" });
      if (before) { wrap.appendChild(run(before, "Ennen")); }
      wrap.appendChild(run(now, before ? "Nyt" : "Tulos"));
      resultBox.appendChild(wrap);
    };
    var test = function (q, m) {
      if (!q) { question.focus(); return; }
      resultBox.setAttribute("aria-busy", "true");
      var url = "/staff/api/kb/test?q=" + encodeURIComponent(q) + (m ? "&municipality=" + encodeURIComponent(m) : "");
      getJSON(url).then(function (result) {
        var saved = load(), before = null;
        if (saved && saved.q === q && (saved.m || "") === (m || "") && saved.now) {
          // "before" is the last result from another index, so a save's effect stays visible
          before = saved.now.build_id !== result.build_id ? saved.now : saved.before;
        }
        store({ q: q, m: m || "", before: before, now: result });
        show(before, result);
      }).catch(function (error) {
        resultBox.textContent = "";
        resultBox.appendChild(el("p", { "class": "error", role: "alert" }, error.message));
      }).then(function () { resultBox.removeAttribute("aria-busy"); });
    };
    testForm.addEventListener("submit", function (event) {
      event.preventDefault();
      test(question.value.trim(), municipality.value);
    });
    var saved = load();
    if (saved && saved.now) {
      question.value = saved.q; municipality.value = saved.m || "";
      show(saved.before, saved.now);
    }
    document.addEventListener("kb-index", function (event) {
      var s = event.detail, last = load();
      if (last && last.now && s.state === "done" && s.serving && last.now.build_id !== s.serving) { test(last.q, last.m); }
    });
    document.addEventListener("click", function (event) {
      var text = event.target.getAttribute && event.target.getAttribute("data-question");
      if (text) { question.value = text; test(text, municipality.value); question.focus(); }
    });
  }
})();
