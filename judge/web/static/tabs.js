// Several files, one editor each: the textareas of a [data-file-tabs] block become tabs. Without this
// script every file's editor is shown one under the other, and the form submits them all either way.
// Keyboard: the tab list follows the ARIA tabs pattern (Left/Right arrows, Home, End).
(function () {
  "use strict";

  function enhance(block) {
    var panes = Array.prototype.slice.call(block.querySelectorAll(".file-pane"));
    if (panes.length < 2) return;
    var list = document.createElement("div");
    list.className = "file-tablist";
    list.setAttribute("role", "tablist");
    list.setAttribute("aria-label", "Files");
    var tabs = panes.map(function (pane, index) {
      var tab = document.createElement("button");
      tab.type = "button";
      tab.className = "file-tab";
      tab.id = "file-tab-" + (index + 1);
      tab.textContent = pane.getAttribute("data-file");
      tab.setAttribute("role", "tab");
      pane.id = pane.id || "file-pane-" + (index + 1);
      pane.setAttribute("role", "tabpanel");
      pane.setAttribute("aria-labelledby", tab.id);
      tab.setAttribute("aria-controls", pane.id);
      tab.addEventListener("click", function () { select(index, false); });
      list.appendChild(tab);
      return tab;
    });

    function select(index, focus) {
      tabs.forEach(function (tab, i) {
        var chosen = i === index;
        tab.setAttribute("aria-selected", chosen ? "true" : "false");
        tab.tabIndex = chosen ? 0 : -1;
        panes[i].hidden = !chosen;
      });
      if (focus) tabs[index].focus();
    }

    list.addEventListener("keydown", function (event) {
      var current = tabs.indexOf(document.activeElement);
      if (current < 0) return;
      var next = { ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: tabs.length - 1 }[event.key];
      if (next === undefined) return;
      event.preventDefault();
      select((next + tabs.length) % tabs.length, true);
    });

    block.insertBefore(list, block.firstChild);
    select(0, false);
  }

  document.querySelectorAll("[data-file-tabs]").forEach(enhance);
}());
