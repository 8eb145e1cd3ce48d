// Live progress of one submission: the page lists every check in the result's order, and each check's
// server-sent event fills in its row; when the result event comes, the server-rendered result replaces
// the placeholder and the list gives way to the result's own table. Without this script the page still
// works: it refreshes itself until the result is there (see the <noscript>).
(function () {
  "use strict";
  var progress = document.getElementById("progress");
  if (!progress || !window.EventSource) return;
  var log = document.getElementById("progress-log");
  var status = document.getElementById("progress-status");
  var total = parseInt(progress.getAttribute("data-total"), 10) || 0;
  var seen = {};
  var events = 0;      // every check event, a regrade's included
  var finished = {};   // check (or row) -> true, for the grading attempt now shown
  var attempt = null;

  function say(text) { status.textContent = text; }
  function done() { return Object.keys(finished).length; }
  function counted() { return done() + (total ? " of " + total : "") + " checks finished"; }

  // A regrade streams its checks again under a new attempt: its rows start over.
  function startAttempt(number) {
    if (number === undefined || number === attempt) return;
    attempt = number;
    finished = {};
    log.querySelectorAll("li[data-check]").forEach(function (row) {
      row.className = "progress-event pending";
      row.querySelector(".progress-outcome").textContent = "waiting";
    });
    log.querySelectorAll("li:not([data-check])").forEach(function (row) { row.remove(); });
  }

  function rowFor(check) {
    var row = check.id ? log.querySelector('li[data-check="' + CSS.escape(check.id) + '"]') : null;
    if (row) return row;
    // At the score_only level events name no check ({done, total} only): one plain row each.
    row = document.createElement("li");
    var label = document.createElement("span");
    label.textContent = check.id ? check.id : "check " + (check.done || done() + 1);
    row.appendChild(label);
    row.appendChild(document.createTextNode(": "));
    var outcome = document.createElement("span");
    outcome.className = "progress-outcome";
    row.appendChild(outcome);
    log.appendChild(row);
    return row;
  }

  var source = new EventSource(progress.getAttribute("data-events"));
  source.addEventListener("check", function (event) {
    var check = JSON.parse(event.data);
    var key = event.lastEventId || String(events);
    if (seen[key]) return;
    seen[key] = true;
    events += 1;
    startAttempt(check.attempt);
    if (check.total) total = check.total;
    var row = rowFor(check);
    row.className = "progress-event" + (check.outcome ? " outcome-" + check.outcome : "");
    row.setAttribute("data-seq", String(events));
    row.querySelector(".progress-outcome").textContent =
      (check.outcome || "finished") + (check.message ? " (" + check.message + ")" : "");
    finished[check.id || row.getAttribute("data-seq")] = true;
    say(counted());
  });
  source.addEventListener("result", function () {
    source.close();
    progress.setAttribute("data-events-before-result", String(events));
    say("Grading finished: " + counted() + ".");
    fetch(progress.getAttribute("data-result"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (answer) { return answer.text(); })
      .then(function (html) {
        var holder = document.getElementById("result");
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("result");
        if (holder && fresh) {
          holder.replaceWith(document.adoptNode(fresh));
          // The result's table lists the same checks in the same order: one list is enough.
          log.hidden = true;
        }
        progress.setAttribute("data-done", "true");
      });
  });
  source.addEventListener("timeout", function () { source.close(); window.location.reload(); });
  source.onerror = function () {
    // EventSource reconnects by itself with Last-Event-ID; the server resumes after it.
    say(counted() + "; reconnecting…");
  };
})();
