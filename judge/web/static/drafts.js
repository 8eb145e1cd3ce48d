// Keeps the candidate's code on the server while they type: a draft is saved a few seconds after the
// last edit and when the editor loses focus, and the page asks before it is left with unsaved edits.
// The form carries the draft's API address only while the candidate's time runs.
(function () {
  "use strict";

  var SAVE_AFTER_MS = 3000;
  var form = document.getElementById("submit-form");
  var status = document.getElementById("draft-status");
  if (!form || !status || !form.dataset.draft || !window.judgeEditor) return;
  // One editor, or one per file of a multi-file problem: the draft is their packed text.
  var areas = form.querySelectorAll("textarea.code-editor");
  if (!areas.length) return;
  function current() { return window.judgeEditor.source(form); }
  var csrf = document.querySelector('meta[name="csrf-token"]');
  var saved = current();
  var timer = null, saving = false, submitting = false;

  function show(text, failed) {
    status.textContent = text;
    status.classList.toggle("error", Boolean(failed));
  }

  function dirty() { return current() !== saved; }

  function schedule() {
    if (timer === null) timer = setTimeout(save, SAVE_AFTER_MS);
  }

  function failed(answer) {
    return answer.json().then(
      function (body) { return body.detail || answer.statusText; },
      function () { return answer.status + " " + answer.statusText; }
    );
  }

  function save() {
    if (timer !== null) { clearTimeout(timer); timer = null; }
    if (saving || submitting || !dirty()) return;
    saving = true;
    var text = current();
    // A refusal (time up, too large) stands until the next edit; a lost connection is retried.
    var retry = false;
    show("Saving…");
    fetch(form.dataset.draft, {
      method: "PUT",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf ? csrf.content : "" },
      body: JSON.stringify({ source: text })
    }).then(function (answer) {
      if (answer.ok) {
        saved = text;
        show(dirty() ? "Unsaved changes" : "Saved");
        return null;
      }
      retry = answer.status >= 500 || answer.status === 429;
      return failed(answer).then(function (reason) { show("Not saved: " + reason, true); });
    }, function () {
      retry = true;
      show("Not saved: the server could not be reached; trying again", true);
    }).then(function () {
      saving = false;
      if (dirty() && (retry || current() !== text)) schedule();
    });
  }

  Array.prototype.forEach.call(areas, function (area) {
    area.addEventListener("input", function () {
      if (!status.classList.contains("error")) show("Unsaved changes");
      schedule();
    });
    area.addEventListener("blur", save);
  });
  // Submitting sends the code itself: leaving for the result is not losing it.
  form.addEventListener("submit", function () {
    submitting = true;
    if (timer !== null) { clearTimeout(timer); timer = null; }
  });
  window.addEventListener("beforeunload", function (event) {
    if (submitting || !dirty()) return;
    event.preventDefault();
    event.returnValue = "";
  });
})();
