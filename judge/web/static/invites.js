// The Copy button of a new invitation link: puts the whole link on the clipboard. Where the clipboard
// is not allowed (an http:// page, an old browser), it selects the whole link instead for Ctrl+C.
// Without JavaScript the button stays hidden and one click on the link selects it all (CSS user-select).
(function () {
  "use strict";
  function selectAll(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }
  function setUp(button) {
    var target = document.getElementById(button.getAttribute("data-copy"));
    var status = document.getElementById("copy-status");
    if (!target) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = target.textContent.trim();
      function fallback() {
        selectAll(target);
        if (status) status.textContent = "Selected: press Ctrl+C (⌘C) to copy.";
      }
      if (!navigator.clipboard || !window.isSecureContext) {
        fallback();
        return;
      }
      navigator.clipboard.writeText(text).then(function () {
        selectAll(target);
        if (status) status.textContent = "Copied.";
      }, fallback);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), setUp);
    var issued = document.getElementById("issued");
    if (issued) issued.focus();
  });
})();
