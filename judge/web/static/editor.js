// A small code editor with Python highlighting, built on a <textarea> so that it works without this
// script, with screen readers, and with the browser's own undo, search and spell-check off.
// The highlighted copy is drawn in a <pre> behind the transparent textarea text.
//
// Keyboard: Tab indents (4 spaces, or every selected line), Shift+Tab dedents. To leave the editor
// with the keyboard, press Esc and then Tab (or Shift+Tab): there is no keyboard trap.
(function () {
  "use strict";

  var KEYWORDS = ("False None True and as assert async await break class continue def del elif else except finally for " +
    "from global if import in is lambda nonlocal not or pass raise return try while with yield match case").split(" ");
  var BUILTINS = ("abs all any bool dict enumerate float getattr hasattr int isinstance len list max min print range " +
    "repr reversed round set sorted str sum super tuple type zip self cls torch nn F").split(" ");
  var TOKEN = new RegExp([
    "(#[^\\n]*)",                                                // 1 comment
    "([rRbBfFuU]{0,2}(?:\"\"\"[\\s\\S]*?(?:\"\"\"|$)|'''[\\s\\S]*?(?:'''|$)))", // 2 triple-quoted string
    "([rRbBfFuU]{0,2}(?:\"(?:[^\"\\\\\\n]|\\\\.)*\"?|'(?:[^'\\\\\\n]|\\\\.)*'?))", // 3 string
    "(@[A-Za-z_][\\w.]*)",                                       // 4 decorator
    "\\b(\\d[\\d_]*(?:\\.\\d*)?(?:[eE][+-]?\\d+)?j?|\\.\\d+(?:[eE][+-]?\\d+)?)\\b", // 5 number
    "\\b([A-Za-z_]\\w*)\\b"                                      // 6 name
  ].join("|"), "g");

  function escapeHtml(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function span(kind, text) {
    return '<span class="tok-' + kind + '">' + escapeHtml(text) + "</span>";
  }

  // Python source to highlighted HTML.
  function highlight(source) {
    var out = "", last = 0, previous = "", match;
    TOKEN.lastIndex = 0;
    while ((match = TOKEN.exec(source)) !== null) {
      if (match[0] === "") { TOKEN.lastIndex++; continue; }
      out += escapeHtml(source.slice(last, match.index));
      if (match[1]) out += span("comment", match[1]);
      else if (match[2] || match[3]) out += span("string", match[0]);
      else if (match[4]) out += span("decorator", match[4]);
      else if (match[5]) out += span("number", match[5]);
      else if (match[6]) {
        var name = match[6];
        if (KEYWORDS.indexOf(name) >= 0) out += span("keyword", name);
        else if (previous === "def" || previous === "class") out += span("defname", name);
        else if (BUILTINS.indexOf(name) >= 0) out += span("builtin", name);
        else out += escapeHtml(name);
        previous = name;
        last = TOKEN.lastIndex;
        continue;
      }
      previous = "";
      last = TOKEN.lastIndex;
    }
    // A trailing newline needs a character after it, or the <pre> is one line shorter than the textarea.
    return out + escapeHtml(source.slice(last)) + "\n";
  }

  function lineStart(text, index) { return text.lastIndexOf("\n", index - 1) + 1; }

  function enhance(area) {
    var wrap = document.createElement("div");
    wrap.className = "editor";
    var pre = document.createElement("pre");
    pre.className = "editor-highlight";
    pre.setAttribute("aria-hidden", "true");
    var code = document.createElement("code");
    pre.appendChild(code);
    area.parentNode.insertBefore(wrap, area);
    wrap.appendChild(pre);
    wrap.appendChild(area);
    area.classList.add("editor-input");
    area.spellcheck = false;
    var escaped = false;

    function sync() {
      code.innerHTML = highlight(area.value);
      pre.scrollTop = area.scrollTop;
      pre.scrollLeft = area.scrollLeft;
    }

    function replace(start, end, text, selectStart, selectEnd) {
      area.setSelectionRange(start, end);
      // execCommand keeps the browser's undo history; fall back to setRangeText where it is gone.
      if (!document.execCommand || !document.execCommand("insertText", false, text)) {
        area.setRangeText(text, start, end, "end");
      }
      if (selectStart !== undefined) area.setSelectionRange(selectStart, selectEnd);
      sync();
    }

    area.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { escaped = true; return; }
      if (event.key !== "Tab" || event.ctrlKey || event.altKey || event.metaKey) { escaped = false; return; }
      if (escaped) { escaped = false; return; } // let Tab move the focus on
      event.preventDefault();
      var value = area.value, start = area.selectionStart, end = area.selectionEnd;
      var first = lineStart(value, start);
      if (!event.shiftKey && start === end) { replace(start, end, "    "); return; }
      var block = value.slice(first, end);
      var lines = block.split("\n");
      var changed = lines.map(function (line) {
        if (!event.shiftKey) return "    " + line;
        return line.replace(/^ {1,4}|^\t/, "");
      }).join("\n");
      replace(first, end, changed, first, first + changed.length);
    });
    area.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.shiftKey || event.ctrlKey || event.altKey || event.metaKey) return;
      var value = area.value, start = area.selectionStart;
      var line = value.slice(lineStart(value, start), start);
      var indent = line.match(/^[ \t]*/)[0];
      if (/:\s*$/.test(line)) indent += "    ";
      if (!indent) return;
      event.preventDefault();
      replace(start, area.selectionEnd, "\n" + indent);
    });
    area.addEventListener("input", sync);
    area.addEventListener("scroll", function () { pre.scrollTop = area.scrollTop; pre.scrollLeft = area.scrollLeft; });
    sync();
  }

  document.querySelectorAll("textarea.code-editor").forEach(enhance);
  // Read-only code on the team's pages: highlighted in place.
  document.querySelectorAll("code.highlight-python").forEach(function (block) {
    block.innerHTML = highlight(block.textContent);
  });
  window.judgeHighlight = highlight;
})();
