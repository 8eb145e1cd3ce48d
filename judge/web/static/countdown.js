// Counts down the candidate's remaining time from the server's figure (data-remaining, seconds), so the
// page's clock does not depend on the candidate's clock being right. The server enforces the limit.
(function () {
  "use strict";
  document.querySelectorAll("[data-remaining]").forEach(function (clock) {
    var remaining = parseFloat(clock.getAttribute("data-remaining"));
    if (!isFinite(remaining)) return;
    var end = Date.now() + remaining * 1000;
    var warned = false;
    function pad(n) { return (n < 10 ? "0" : "") + n; }
    function tick() {
      var left = Math.max(0, Math.round((end - Date.now()) / 1000));
      var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
      clock.textContent = (h ? h + ":" + pad(m) : m) + ":" + pad(s);
      if (left <= 300 && !warned) {
        warned = true;
        clock.classList.add("clock-low");
        var note = document.getElementById(clock.getAttribute("data-announce") || "");
        if (note) note.textContent = "Five minutes or less remain.";
      }
      if (left === 0) {
        clock.classList.add("clock-up");
        var note2 = document.getElementById(clock.getAttribute("data-announce") || "");
        if (note2) note2.textContent = "Your time is up. Submissions are no longer accepted.";
        return;
      }
      setTimeout(tick, 1000 - ((end - Date.now()) % 1000 + 1000) % 1000 || 1000);
    }
    tick();
  });
})();
