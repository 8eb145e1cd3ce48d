// Keeps the dashboard's rejudge rounds current while one is grading: fetches the rounds table
// every few seconds and swaps it in, and says when grading is done. Without JavaScript the
// "Refresh progress" link does the same.
(function () {
  "use strict";
  var INTERVAL_MS = 2000;
  function grading(table) {
    return Array.prototype.some.call(table.querySelectorAll("tr[data-round]"), function (row) {
      return Number(row.getAttribute("data-finished")) < Number(row.getAttribute("data-gradings"));
    });
  }
  function poll() {
    var table = document.getElementById("rejudge-rounds");
    if (!table || !grading(table)) return;
    fetch(table.getAttribute("data-src"), { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (answer) {
        if (!answer.ok) throw new Error("HTTP " + answer.status);
        return answer.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("rejudge-rounds");
        if (!fresh) return;
        table.replaceWith(fresh);
        if (grading(fresh)) {
          setTimeout(poll, INTERVAL_MS);
        } else {
          var status = document.getElementById("rejudge-status");
          if (status) status.textContent = "Rejudging is done.";
        }
      })
      .catch(function () { setTimeout(poll, INTERVAL_MS * 5); });
  }
  setTimeout(poll, INTERVAL_MS);
})();
