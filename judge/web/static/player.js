// The team's code player: replays a candidate's recorded editor events (judge/assessments/playback.py
// replays them the same way) on a timeline with play/pause and speed; pastes, times away and
// submissions are marks on it, and a mark is a button that goes there. Without this script the page
// shows the code at the last submission.
(function () {
  "use strict";

  var TICK_MS = 50;
  // A pause longer than this (the candidate away, thinking) is played as this long.
  var LONGEST_PAUSE_MS = 3000;
  var root = document.getElementById("player");
  var dataNode = document.getElementById("player-data");
  if (!root || !dataNode) return;
  var data = JSON.parse(dataNode.textContent);
  var events = data.events;
  var slider = document.getElementById("player-slider");
  var playButton = document.getElementById("player-play");
  var speed = document.getElementById("player-speed");
  var timeLabel = document.getElementById("player-time");
  var filesNode = document.getElementById("player-files");
  var marksNode = document.getElementById("player-marks");

  // Each page load's files, and the one that changed last: its files are the code at that moment.
  var pages, current, position;

  function reset() { pages = {}; current = null; position = 0; }

  function key(file) { return file === null || file === undefined ? "" : "f:" + file; }

  function apply(logged) {
    var event = logged.event;
    if (event.type !== "edit" && event.type !== "snapshot") return;
    var page = pages[logged.page] || (pages[logged.page] = { files: {}, order: [] });
    if (event.type === "snapshot") {
      page.files = {};
      page.order = [];
      event.files.forEach(function (f) { page.files[key(f.file)] = f.text; page.order.push(f.file); });
    } else {
      var k = key(event.file);
      if (!(k in page.files)) { page.files[k] = ""; page.order.push(event.file); }
      var text = page.files[k];
      var at = Math.min(event.at, text.length);
      page.files[k] = text.slice(0, at) + event.insert + text.slice(at + event.delete);
    }
    current = page;
  }

  function seek(target) {
    target = Math.max(0, Math.min(events.length, target));
    if (target < position) reset();
    while (position < target) apply(events[position++]);
    render();
  }

  function line(number, text) {
    var span = document.createElement("span");
    span.className = "line";
    span.setAttribute("data-n", String(number));
    span.textContent = text;
    return span;
  }

  function render() {
    slider.value = String(position);
    var at = position > 0 ? events[position - 1].event.t : (events.length ? events[0].event.t : null);
    timeLabel.textContent = at === null ? "Nothing recorded" :
      new Date(at).toISOString().slice(11, 19) + " UTC · event " + position + " of " + events.length;
    filesNode.textContent = "";
    if (!current) return;
    current.order.forEach(function (file) {
      var figure = document.createElement("figure");
      figure.className = "player-file";
      figure.setAttribute("data-file", file === null ? "" : file);
      if (file !== null) {
        var caption = document.createElement("figcaption");
        caption.textContent = file;
        figure.appendChild(caption);
      }
      var pre = document.createElement("pre");
      pre.className = "code-view player-code";
      pre.tabIndex = 0;
      var code = document.createElement("code");
      current.files[key(file)].split("\n").forEach(function (text, index) { code.appendChild(line(index + 1, text)); });
      pre.appendChild(code);
      figure.appendChild(pre);
      filesNode.appendChild(figure);
    });
  }

  // --- playing ---
  var timer = null, clockAt = 0;

  function pause() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    playButton.textContent = "Play";
  }

  function tick() {
    if (position >= events.length) { pause(); return; }
    clockAt += TICK_MS * Number(speed.value);
    var next = events[position].event.t;
    if (next - clockAt > LONGEST_PAUSE_MS) clockAt = next - LONGEST_PAUSE_MS;
    var target = position;
    while (target < events.length && events[target].event.t <= clockAt) target++;
    if (target !== position) seek(target);
  }

  function play() {
    if (!events.length) return;
    if (position >= events.length) seek(0);
    clockAt = position > 0 ? events[position - 1].event.t : events[0].event.t;
    timer = setInterval(tick, TICK_MS);
    playButton.textContent = "Pause";
  }

  playButton.addEventListener("click", function () { if (timer === null) play(); else pause(); });
  slider.addEventListener("input", function () { pause(); seek(Number(slider.value)); });

  // --- marks ---
  function mark(kind, at, label) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "player-mark " + kind;
    button.title = label;
    button.setAttribute("aria-label", label);
    button.setAttribute("data-position", String(at));
    button.style.left = (events.length ? (100 * at / events.length) : 0) + "%";
    button.addEventListener("click", function () { pause(); seek(at); });
    marksNode.appendChild(button);
  }

  // A paste's text comes in with the edit after it (the paste event fires first): its mark shows that edit done.
  function afterPaste(index) {
    for (var next = index + 1; next < events.length; next++) {
      if (events[next].page === events[index].page && events[next].event.type === "edit") return next + 1;
    }
    return index + 1;
  }

  function clock(t) { return new Date(t).toISOString().slice(11, 19); }

  events.forEach(function (logged, index) {
    var event = logged.event;
    if (event.type === "paste") mark("paste", afterPaste(index), "Paste of " + event.size + " characters at " + clock(event.t));
    if (event.type === "away") mark("away", index + 1, "Left the page at " + clock(event.t));
  });
  data.submissions.forEach(function (s) {
    mark("submission", s.position, "Attempt " + s.number + " submitted at " + clock(s.t));
  });

  root.querySelectorAll("[hidden]").forEach(function (node) { node.hidden = false; });
  reset();
  seek(Number(root.getAttribute("data-position")) || 0);
})();
