// Live progress of one submission: each finished check arrives as a server-sent event and is listed;
// when the result event comes, the server-rendered result replaces the placeholder. Without this
// script the page still works: it refreshes itself until the result is there (see the <noscript>).
(function () {
  "use strict";
  var progress = document.getElementById("progress");
  if (!progress || !window.EventSource) return;
  var log = document.getElementById("progress-log");
  var status = document.getElementById("progress-status");
  var total = parseInt(progress.getAttribute("data-total"), 10) || 0;
  var seen = {};
  var count = 0;

  function say(text) { status.textContent = text; }

  var source = new EventSource(progress.getAttribute("data-events"));
  source.addEventListener("check", function (event) {
    var check = JSON.parse(event.data);
    // A regrade streams its checks again under a new attempt; the event id names one check event.
    var key = event.lastEventId || String(count);
    if (seen[key]) return;
    seen[key] = true;
    count += 1;
    if (check.total) total = check.total;
    var item = document.createElement("li");
    item.className = "progress-event" + (check.outcome ? " outcome-" + check.outcome : "");
    item.setAttribute("data-seq", String(count));
    // At the score_only feedback level events name no check: {done, total} only.
    var label = check.id ? check.id : "check " + (check.done || count);
    item.textContent = label + (check.outcome ? ": " + check.outcome : " finished") + (check.message ? " (" + check.message + ")" : "");
    log.appendChild(item);
    say(count + (total ? " of " + total : "") + " checks finished");
  });
  source.addEventListener("result", function () {
    source.close();
    progress.setAttribute("data-events-before-result", String(count));
    say("Grading finished.");
    fetch(progress.getAttribute("data-result"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (answer) { return answer.text(); })
      .then(function (html) {
        var holder = document.getElementById("result");
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("result");
        if (holder && fresh) holder.replaceWith(document.adoptNode(fresh));
        progress.setAttribute("data-done", "true");
      });
  });
  source.addEventListener("timeout", function () { source.close(); window.location.reload(); });
  source.onerror = function () {
    // EventSource reconnects by itself with Last-Event-ID; the server resumes after it.
    say(count + " checks finished; reconnecting…");
  };
})();
