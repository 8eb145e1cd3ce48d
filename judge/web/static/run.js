// Run: the editor's code against the problem's public checks, through the candidate API, with the
// results and the code's printed output shown under the editor. Nothing is submitted and no attempt
// is used; the page never navigates away, so the editor keeps its text. Without this script the
// Run button does nothing (Submit still works).
(function () {
  "use strict";
  var button = document.getElementById("run");
  var panel = document.getElementById("run-result");
  var form = document.getElementById("submit-form");
  // The one editor; a multi-file problem's tabs have none, and send their packed files.
  var editor = document.getElementById("source");
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!button || !panel || !form || !meta || !window.fetch || !window.judgeEditor) return;
  var status = document.getElementById("run-status");
  var checks = document.getElementById("run-checks");
  var output = document.getElementById("run-output");
  var outputHeading = document.getElementById("run-output-heading");
  var runs = button.getAttribute("data-runs");
  // One long poll waits this long on the server before asking again.
  var WAIT_S = 10;

  function say(text) { status.textContent = text; }

  function finish() {
    button.disabled = false;
    panel.setAttribute("aria-busy", "false");
  }

  function call(url, options) {
    return fetch(url, options).then(function (answer) {
      return answer.json().then(
        function (body) { return { ok: answer.ok, body: body }; },
        function () { return { ok: false, body: { detail: "the server answered " + answer.status } }; }
      );
    });
  }

  function item(check) {
    var line = document.createElement("li");
    line.className = "outcome-" + check.outcome;
    line.setAttribute("data-check", check.id);
    line.textContent = check.id + ": " + check.outcome + (check.title ? " — " + check.title : "") +
      (check.message ? " (" + check.message + ")" : "");
    return line;
  }

  function show(run) {
    checks.textContent = "";
    (run.checks || []).forEach(function (check) { checks.appendChild(item(check)); });
    var printed = run.output || "";
    output.textContent = printed === "" ? "(nothing printed)" : printed;
    output.hidden = outputHeading.hidden = false;
    if (run.status === "failed") {
      say("The run could not be completed: " + (run.error || "the judge failed") + ". Try again.");
    } else {
      say(run.passed + " of " + run.total + " public checks passed. This run is not graded and used no attempt.");
    }
  }

  function poll(id) {
    call(runs + "/" + encodeURIComponent(id) + "?wait=" + WAIT_S, { credentials: "same-origin" }).then(function (answer) {
      if (!answer.ok) { say(answer.body.detail || "The run could not be read."); finish(); return; }
      var run = answer.body;
      if (run.status === "completed" || run.status === "failed") { show(run); finish(); return; }
      say(run.status === "running" ? "Running the public checks…" : "Waiting for a sandbox…");
      poll(id);
    }, function () { say("The connection failed; press Run again."); finish(); });
  }

  // Each check as it finishes, from the Run's event stream; polling where there is none or it fails.
  function follow(id, total) {
    if (!window.EventSource) { poll(id); return; }
    var done = 0;
    var stream = new EventSource(runs + "/" + encodeURIComponent(id) + "/events");
    stream.addEventListener("check", function (event) {
      checks.appendChild(item(JSON.parse(event.data)));
      done += 1;
      say(done + " of " + total + " public checks finished…");
    });
    stream.addEventListener("result", function (event) { stream.close(); show(JSON.parse(event.data)); finish(); });
    stream.addEventListener("timeout", function () { stream.close(); poll(id); });
    stream.onerror = function () {
      // A dropped connection is retried by EventSource itself; a refused one is closed: read the Run instead.
      if (stream.readyState === EventSource.CLOSED) poll(id);
    };
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    panel.hidden = false;
    panel.setAttribute("aria-busy", "true");
    checks.textContent = "";
    output.hidden = outputHeading.hidden = true;
    say("Sending your code…");
    call(runs, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": meta.getAttribute("content") },
      body: JSON.stringify({ problem: button.getAttribute("data-problem"), source: window.judgeEditor.source(form) })
    }).then(function (answer) {
      if (!answer.ok) {
        var syntax = answer.body.syntax_error;
        say(answer.body.detail || "The run was refused.");
        // A file that does not compile is refused before it runs: mark its line in the editor.
        if (syntax && editor) window.judgeEditor.showErrorLine(editor, syntax.line);
        finish();
        return;
      }
      say("Waiting for a sandbox…");
      follow(answer.body.id, answer.body.total);
    }, function () { say("The connection failed; press Run again."); finish(); });
  });
})();
