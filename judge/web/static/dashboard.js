// Keeps the dashboard's candidates, score distribution and similar pairs current while candidates work
// (a clock runs or a submission is queued or grading): fetches the page every few seconds and swaps in
// its #live part, keeping the scroll position, open <details> and focus. It stops once nobody works;
// without JavaScript, reloading the page does the same.
(function () {
  "use strict";
  var INTERVAL_MS = 10000;
  function working(region) {
    return region.getAttribute("data-live") === "true";
  }
  function focusedLink(region) {
    var active = document.activeElement;
    return active && region.contains(active) ? active.getAttribute("href") : null;
  }
  function swap(region, fresh) {
    var x = window.scrollX, y = window.scrollY;
    var open = Array.prototype.map.call(region.querySelectorAll("details"), function (d) { return d.open; });
    var href = focusedLink(region);
    region.replaceWith(fresh);
    Array.prototype.forEach.call(fresh.querySelectorAll("details"), function (d, i) {
      if (open[i]) d.open = true;
    });
    if (href) {
      var again = fresh.querySelector('a[href="' + href.replace(/"/g, '\\"') + '"]');
      if (again) again.focus({ preventScroll: true });
    }
    window.scrollTo(x, y);
  }
  function poll() {
    var region = document.getElementById("live");
    if (!region || !working(region)) return;
    fetch(region.getAttribute("data-src"), { credentials: "same-origin", cache: "no-store", headers: { Accept: "text/html" } })
      .then(function (answer) {
        if (!answer.ok) throw new Error("HTTP " + answer.status);
        return answer.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("live");
        if (!fresh) return;
        swap(region, fresh);
        if (working(fresh)) {
          setTimeout(poll, INTERVAL_MS);
        } else {
          var status = document.getElementById("live-status");
          if (status) status.textContent = "Nobody is at work now; the page no longer updates itself.";
        }
      })
      .catch(function () { setTimeout(poll, INTERVAL_MS * 3); });
  }
  setTimeout(poll, INTERVAL_MS);
})();
