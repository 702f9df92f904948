// Staff console, handoff pages: keep the advisor "online" while the queue is open, live chat via SSE.
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var LABELS = { resident: "Asukas", advisor: "Neuvoja", system: "Tieto" };
  var STATUS = { waiting: "odottaa neuvojaa", active: "käynnissä", ended: "päättynyt", cancelled: "asukas perui" };

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, "Accept": "application/json" },
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) { throw new Error(data.message || ("HTTP " + r.status)); }
        return data;
      });
    });
  }

  // Queue page: refresh and heartbeat every 5 s.
  var queue = document.getElementById("queue");
  if (queue) {
    setInterval(function () {
      fetch("/staff/api/handoff/queue", { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (view) {
          document.getElementById("online").textContent = view.advisors_online;
          var ids = view.queue.map(function (row) { return String(row.id); }).join(",");
          var shown = Array.prototype.map.call(queue.querySelectorAll("tr[data-id]"), function (tr) { return tr.dataset.id; }).join(",");
          if (ids !== shown) { window.location.reload(); }
        }).catch(function () { /* next round */ });
    }, 5000);
    document.addEventListener("click", function (event) {
      var id = event.target.getAttribute("data-callback-done");
      if (!id) { return; }
      post("/staff/api/callbacks/" + id + "/done").then(function () { window.location.reload(); });
    });
  }

  // Conversation page.
  var state = document.getElementById("handoff-state");
  if (!state) { return; }
  var id = state.dataset.id;
  var log = document.getElementById("live");
  var problem = document.getElementById("problem");
  var last = 0;
  Array.prototype.forEach.call(log.querySelectorAll("[data-id]"), function (p) { last = Math.max(last, +p.dataset.id); });

  function show(snapshot) {
    snapshot.messages.forEach(function (m) {
      if (m.id <= last) { return; }
      last = m.id;
      var p = document.createElement("p");
      p.className = "msg " + m.sender;
      var who = document.createElement("span");
      who.className = "muted";
      who.textContent = LABELS[m.sender] + ": ";
      p.appendChild(who);
      p.appendChild(document.createTextNode(m.text));
      log.appendChild(p);
      log.scrollTop = log.scrollHeight;
    });
    document.getElementById("status-text").textContent = STATUS[snapshot.status] || snapshot.status;
    document.getElementById("accept").hidden = snapshot.status !== "waiting";
    document.getElementById("end").hidden = ["waiting", "active"].indexOf(snapshot.status) < 0;
    document.getElementById("send").hidden = snapshot.status !== "active";
  }
  function fail(error) { problem.textContent = error.message; }

  var source = new EventSource("/staff/api/handoff/" + id + "/stream?after=" + last);
  source.addEventListener("handoff", function (event) { show(JSON.parse(event.data)); });

  document.getElementById("accept").addEventListener("click", function () {
    post("/staff/api/handoff/" + id + "/accept").then(function (s) {
      show(s); document.getElementById("reply").focus();
    }).catch(fail);
  });
  document.getElementById("end").addEventListener("click", function () {
    post("/staff/api/handoff/" + id + "/end").then(show).catch(fail);
  });
  document.getElementById("send").addEventListener("submit", function (event) {
    event.preventDefault();
    var box = document.getElementById("reply");
    var text = box.value.trim();
    if (!text) { return; }
    post("/staff/api/handoff/" + id + "/message", { text: text }).then(function () {
      box.value = ""; problem.textContent = "";
    }).catch(fail);
  });
  // A page refresh or sign-out should not leave residents waiting for an advisor who left.
  window.addEventListener("beforeunload", function () { source.close(); });
})();
