// Records what the candidate does in the problem's editor, for the hiring team's code playback
// (judge/assessments/playback.py): each change of a file's text (the splice between its text before and
// after, so one keystroke costs a short scan and no request), a snapshot of every file on load, after
// each paste and every ~30 s of typing, every paste (its size and text) and every time the page is left
// and come back to. Events go to the server in small numbered batches every few seconds, when the window
// loses the focus and when the page goes away; a batch that fails for a lost connection is sent again
// (the server keeps it once), and what is still unsent when the page goes away is kept in localStorage
// and sent by the next page of the problem. The form carries the address only while the candidate's time runs; without
// this script the page works the same, unrecorded.
(function () {
  "use strict";

  var SEND_EVERY_MS = 4000;
  var SNAPSHOT_EVERY_MS = 30000;
  var PASTE_TEXT_MAX = 20000;
  var form = document.getElementById("submit-form");
  if (!form || !form.dataset.playback || !window.fetch) return;
  var areas = Array.prototype.slice.call(form.querySelectorAll("textarea.code-editor"));
  if (!areas.length) return;
  var url = form.dataset.playback;
  var csrf = document.querySelector('meta[name="csrf-token"]');
  var status = document.getElementById("playback-status");
  var STASH = "judge.playback." + url;

  function pageId() {
    var bytes = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  var page = pageId();
  var seq = 0;
  var events = [];      // recorded, not yet in a batch
  var batches = [];     // in order, each sent until the server has it
  var sending = false, stopped = false, away = false;
  var lastSnapshot = 0, snapshotAfterInput = false;
  var last = new Map();

  function fileOf(area) { return area.name === "source" ? null : area.name.slice(5); }

  function push(event) { if (!stopped) events.push(event); }

  function snapshot(reason) {
    lastSnapshot = Date.now();
    push({
      type: "snapshot", t: lastSnapshot, reason: reason,
      files: areas.map(function (area) { return { file: fileOf(area), text: area.value }; })
    });
  }

  // The one splice that turns `before` into `after`: their common start and end left out.
  function change(area, inputType) {
    var before = last.get(area), after = area.value;
    if (before === after) return false;
    var start = 0, max = Math.min(before.length, after.length);
    while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
    var end = 0;
    while (end < max - start &&
           before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end)) end++;
    push({
      type: "edit", t: Date.now(), file: fileOf(area), at: start, delete: before.length - start - end,
      insert: after.slice(start, after.length - end), input: inputType || null
    });
    last.set(area, after);
    return true;
  }

  // Text changed by a script without an input event (the editor's fallback, a loaded file).
  function catchUp() { areas.forEach(function (area) { change(area, null); }); }

  function show(text) {
    if (status) { status.textContent = text; status.hidden = false; }
  }

  function payload(batch) {
    return JSON.stringify({ page: batch.page, seq: batch.seq, sent_at: Date.now(), events: batch.events });
  }

  function request(batch, keepalive) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      keepalive: Boolean(keepalive),
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf ? csrf.content : "" },
      body: payload(batch)
    });
  }

  function seal() {
    catchUp();
    if (!events.length) return;
    batches.push({ page: page, seq: seq++, events: events });
    events = [];
  }

  // One batch at a time, oldest first; a lost connection, a 429 or a 5xx leaves it for the next round.
  function send() {
    seal();
    if (sending || stopped || !batches.length) return;
    sending = true;
    var batch = batches[0];
    request(batch, false).then(function (answer) {
      sending = false;
      if (answer.ok) { batches.shift(); send(); return; }
      if (answer.status === 429 || answer.status >= 500) return;
      if (answer.status === 413) {
        stop();
        show("Recording is full: your edits are no longer recorded. Your work is not affected.");
        return;
      }
      if (answer.status === 422) { batches.shift(); return; } // refused as it is: sending it again changes nothing
      stop(); // time up, window closed, signed out: nothing more can be recorded
    }, function () { sending = false; });
  }

  function stop() { stopped = true; batches = []; events = []; }

  // The page is going away: what is left goes with keepalive, which outlives the page, and is kept for
  // the next page in case it does not arrive (offline); a batch that did arrive is not stored twice.
  function flushNow() {
    seal();
    if (stopped || !batches.length) return;
    try { window.localStorage.setItem(STASH, JSON.stringify(batches)); } catch (e) { /* storage off or full */ }
    batches.forEach(function (batch) { request(batch, true).catch(function () { /* the page is gone */ }); });
  }

  function unstash() {
    try {
      var kept = JSON.parse(window.localStorage.getItem(STASH) || "[]");
      window.localStorage.removeItem(STASH);
      if (Array.isArray(kept)) batches = kept.filter(function (b) { return b && b.page && b.events; });
    } catch (e) { /* storage off, or not ours to read */ }
  }

  function leave(reason) {
    if (away) return;
    away = true;
    push({ type: "away", t: Date.now(), reason: reason });
    send();
  }

  function comeBack() {
    if (!away || document.visibilityState !== "visible") return;
    away = false;
    push({ type: "back", t: Date.now() });
  }

  areas.forEach(function (area) {
    last.set(area, area.value);
    area.addEventListener("input", function (event) {
      if (!change(area, event.inputType)) return;
      if (snapshotAfterInput || Date.now() - lastSnapshot >= SNAPSHOT_EVERY_MS) {
        snapshot(snapshotAfterInput ? "paste" : "periodic");
        snapshotAfterInput = false;
      }
    });
    area.addEventListener("paste", function (event) {
      var text = event.clipboardData ? event.clipboardData.getData("text/plain") : "";
      push({ type: "paste", t: Date.now(), file: fileOf(area), size: text.length, text: text.slice(0, PASTE_TEXT_MAX) });
      snapshotAfterInput = true;
    });
  });

  unstash();
  snapshot("load");
  window.addEventListener("blur", function () { leave("blur"); });
  window.addEventListener("focus", comeBack);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") leave("hidden");
    else comeBack();
  });
  form.addEventListener("submit", flushNow);
  window.addEventListener("pagehide", flushNow);
  setInterval(function () { if (events.length || batches.length) send(); }, SEND_EVERY_MS);
})();
