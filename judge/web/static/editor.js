// A small code editor with Python highlighting, built on a <textarea> so that it works without this
// script, with screen readers, and with the browser's own undo, search and spell-check off.
// The highlighted copy is drawn in a <pre> behind the transparent textarea text, with a gutter of line
// numbers beside it (lines never wrap, so one number is one line).
//
// Keyboard: Tab indents (4 spaces, or every selected line), Shift+Tab dedents. To leave the editor
// with the keyboard, press Esc and then Tab (or Shift+Tab): there is no keyboard trap.
//
// For other scripts: window.judgeEditor.showErrorLine(textarea, line) marks a line (1-based; null
// clears it) and scrolls it into view; a textarea rendered with data-error-line="N" starts marked.
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

  var OPENERS = "([{", CLOSERS = ")]}";
  var SPLIT_KEY = "judge.editor.split";
  var SPLIT_MIN = 20, SPLIT_MAX = 80, SPLIT_DEFAULT = 45;

  function escapeHtml(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function span(kind, text) {
    return '<span class="tok-' + kind + '">' + escapeHtml(text) + "</span>";
  }

  // Plain text between tokens, with the characters at `marks` (index -> class) wrapped. Brackets only
  // ever sit in this text: inside strings and comments they are not code.
  function plain(source, from, to, marks) {
    var out = "", last = from;
    for (var index in marks) {
      var at = +index;
      if (at < from || at >= to) continue;
      out += escapeHtml(source.slice(last, at)) + '<span class="' + marks[index] + '">' + escapeHtml(source[at]) + "</span>";
      last = at + 1;
    }
    return out + escapeHtml(source.slice(last, to));
  }

  // Python source to highlighted HTML; `marks` (optional) maps character indexes outside tokens to a class.
  function highlight(source, marks) {
    marks = marks || {};
    var out = "", last = 0, previous = "", match;
    TOKEN.lastIndex = 0;
    while ((match = TOKEN.exec(source)) !== null) {
      if (match[0] === "") { TOKEN.lastIndex++; continue; }
      out += plain(source, last, match.index, marks);
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
    return out + plain(source, last, source.length, marks) + "\n";
  }

  // Each bracket outside strings and comments, paired: index -> partner index, or -1 when unmatched.
  function pairBrackets(source) {
    var partner = {}, stack = [], last = 0, match;
    function scan(from, to) {
      for (var i = from; i < to; i++) {
        var c = source[i];
        if (OPENERS.indexOf(c) >= 0) { stack.push(i); partner[i] = -1; }
        else if (CLOSERS.indexOf(c) >= 0) {
          var open = stack.length ? stack[stack.length - 1] : -1;
          if (open >= 0 && OPENERS.indexOf(source[open]) === CLOSERS.indexOf(c)) {
            stack.pop();
            partner[open] = i;
            partner[i] = open;
          } else {
            partner[i] = -1;
          }
        }
      }
    }
    TOKEN.lastIndex = 0;
    while ((match = TOKEN.exec(source)) !== null) {
      if (match[0] === "") { TOKEN.lastIndex++; continue; }
      scan(last, match.index);
      last = TOKEN.lastIndex;
    }
    scan(last, source.length);
    return partner;
  }

  function lineStart(text, index) { return text.lastIndexOf("\n", index - 1) + 1; }

  function lineCount(text) { return text.split("\n").length; }

  function enhance(area) {
    var wrap = document.createElement("div");
    wrap.className = "editor";
    var gutter = document.createElement("div");
    gutter.className = "editor-gutter";
    gutter.setAttribute("aria-hidden", "true");
    var numbers = document.createElement("div");
    numbers.className = "editor-numbers";
    gutter.appendChild(numbers);
    var band = document.createElement("div");
    band.className = "editor-error-band";
    band.hidden = true;
    var pre = document.createElement("pre");
    pre.className = "editor-highlight";
    pre.setAttribute("aria-hidden", "true");
    var code = document.createElement("code");
    pre.appendChild(code);
    area.parentNode.insertBefore(wrap, area);
    wrap.appendChild(gutter);
    wrap.appendChild(band);
    wrap.appendChild(pre);
    wrap.appendChild(area);
    area.classList.add("editor-input");
    area.spellcheck = false;
    // Told to screen readers with the editor's description: which line is marked, and why.
    var note = document.createElement("p");
    note.className = "hint editor-error-note";
    note.id = area.id + "-error-note";
    note.hidden = true;
    wrap.parentNode.insertBefore(note, wrap.nextSibling);
    var escaped = false, shown = 0, errorLine = null, partner = {}, marked = "";

    function lineHeight() { return parseFloat(getComputedStyle(area).lineHeight) || 21; }
    function padTop() { return parseFloat(getComputedStyle(area).paddingTop) || 0; }

    function renumber() {
      var count = lineCount(area.value);
      if (count === shown) return;
      var html = "";
      for (var n = 1; n <= count; n++) html += "<div>" + n + "</div>";
      numbers.innerHTML = html;
      shown = count;
      gutter.style.width = (Math.max(2, String(count).length) + 2) + "ch";
      wrap.style.setProperty("--gutter", gutter.style.width);
      markGutter();
    }

    function markGutter() {
      var old = numbers.querySelector(".error");
      if (old) old.classList.remove("error");
      if (errorLine && numbers.children[errorLine - 1]) numbers.children[errorLine - 1].classList.add("error");
    }

    function follow() {
      pre.scrollTop = area.scrollTop;
      pre.scrollLeft = area.scrollLeft;
      numbers.style.transform = "translateY(" + (-area.scrollTop) + "px)";
      if (errorLine) band.style.transform = "translateY(" + (padTop() + (errorLine - 1) * lineHeight() - area.scrollTop) + "px)";
    }

    // The bracket at the caret (after it, else before it) and its partner, as marks for highlight().
    function bracketMarks() {
      var marks = {};
      if (area.selectionStart !== area.selectionEnd) return marks;
      var at = area.selectionStart;
      var here = partner[at] !== undefined ? at : (partner[at - 1] !== undefined ? at - 1 : -1);
      if (here < 0) return marks;
      if (partner[here] < 0) { marks[here] = "bracket-unmatched"; return marks; }
      marks[here] = "bracket-match";
      marks[partner[here]] = "bracket-match";
      return marks;
    }

    function paint() {
      var marks = bracketMarks();
      var key = Object.keys(marks).join(",");
      code.innerHTML = highlight(area.value, marks);
      marked = key;
    }

    function sync() {
      partner = pairBrackets(area.value);
      paint();
      renumber();
      follow();
    }

    function caretMoved() {
      var key = Object.keys(bracketMarks()).join(",");
      if (key !== marked) paint();
    }

    function showErrorLine(line) {
      var count = lineCount(area.value);
      errorLine = line && line >= 1 ? Math.min(Math.floor(line), count) : null;
      band.hidden = !errorLine;
      markGutter();
      var described = (area.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
        return id && id !== note.id;
      });
      if (errorLine) {
        note.textContent = "Line " + errorLine + " is marked: the error of your latest attempt is there.";
        note.hidden = false;
        described.push(note.id);
        area.setAttribute("data-error-line", String(errorLine));
        // Scroll the editor (not the page) so that the line sits a third of the way down.
        var top = padTop() + (errorLine - 1) * lineHeight();
        area.scrollTop = Math.max(0, top - area.clientHeight / 3);
      } else {
        note.hidden = true;
        area.removeAttribute("data-error-line");
      }
      area.setAttribute("aria-describedby", described.join(" "));
      follow();
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
    area.addEventListener("scroll", follow);
    ["keyup", "mouseup", "focus", "select"].forEach(function (name) { area.addEventListener(name, caretMoved); });
    document.addEventListener("selectionchange", function () { if (document.activeElement === area) caretMoved(); });
    area.judgeShowErrorLine = showErrorLine;
    sync();
    var initial = parseInt(area.getAttribute("data-error-line"), 10);
    if (initial > 0) showErrorLine(initial);
  }

  // The statement and the editor side by side, split by a handle that the mouse drags and the arrow
  // keys move (a WAI-ARIA window splitter); the share is remembered for the next problem page.
  function splitter(workspace) {
    var panes = workspace.children;
    if (panes.length !== 2) return;
    var handle = document.createElement("div");
    handle.className = "splitter";
    handle.tabIndex = 0;
    handle.setAttribute("role", "separator");
    handle.setAttribute("aria-orientation", "vertical");
    handle.setAttribute("aria-label", "Resize the statement and the editor");
    handle.setAttribute("aria-valuemin", String(SPLIT_MIN));
    handle.setAttribute("aria-valuemax", String(SPLIT_MAX));
    if (panes[0].id) handle.setAttribute("aria-controls", panes[0].id);
    workspace.insertBefore(handle, panes[1]);
    workspace.classList.add("split");

    function stored() {
      try { return parseFloat(window.localStorage.getItem(SPLIT_KEY)); } catch (e) { return NaN; }
    }

    function set(share, remember) {
      share = Math.round(Math.min(SPLIT_MAX, Math.max(SPLIT_MIN, share)) * 10) / 10;
      workspace.style.setProperty("--statement-share", share + "fr");
      workspace.style.setProperty("--editor-share", (100 - share) + "fr");
      handle.setAttribute("aria-valuenow", String(Math.round(share)));
      handle.setAttribute("aria-valuetext", "Statement " + Math.round(share) + "% of the width");
      if (remember) {
        try { window.localStorage.setItem(SPLIT_KEY, String(share)); } catch (e) { /* storage off: not remembered */ }
      }
      return share;
    }

    var share = set(isNaN(stored()) ? SPLIT_DEFAULT : stored(), false);

    function shareAt(clientX) {
      var box = workspace.getBoundingClientRect();
      return 100 * (clientX - box.left) / box.width;
    }

    handle.addEventListener("pointerdown", function (event) {
      if (event.button !== 0) return;
      event.preventDefault();
      handle.setPointerCapture(event.pointerId);
      workspace.classList.add("resizing");
    });
    handle.addEventListener("pointermove", function (event) {
      if (!handle.hasPointerCapture(event.pointerId)) return;
      share = set(shareAt(event.clientX), false);
    });
    function release(event) {
      if (!handle.hasPointerCapture(event.pointerId)) return;
      handle.releasePointerCapture(event.pointerId);
      workspace.classList.remove("resizing");
      share = set(share, true);
    }
    handle.addEventListener("pointerup", release);
    handle.addEventListener("pointercancel", release);
    handle.addEventListener("keydown", function (event) {
      var steps = { ArrowLeft: -2, ArrowRight: 2, PageUp: -10, PageDown: 10 };
      if (event.key in steps) share = set(share + steps[event.key], true);
      else if (event.key === "Home") share = set(SPLIT_MIN, true);
      else if (event.key === "End") share = set(SPLIT_MAX, true);
      else if (event.key === "Enter") share = set(SPLIT_DEFAULT, true);
      else return;
      event.preventDefault();
    });
  }

  document.querySelectorAll("textarea.code-editor").forEach(enhance);
  document.querySelectorAll(".workspace").forEach(splitter);
  // Read-only code on the team's pages: highlighted in place.
  document.querySelectorAll("code.highlight-python").forEach(function (block) {
    block.innerHTML = highlight(block.textContent);
  });
  window.judgeHighlight = highlight;
  var MARKER = /^# ==== file: \S+ ====$/m;
  window.judgeEditor = {
    /** The code of `form` as the server stores it: the one editor's text, or, with one editor per file
     * (tabs), each file under its marker line in page order, packed as judge/bundle.py packs them. */
    source: function (form) {
      var one = form.querySelector('textarea[name="source"]');
      if (one) return one.value;
      return Array.prototype.map.call(form.querySelectorAll('textarea[name^="file:"]'), function (area) {
        var text = area.value;
        if (MARKER.test(text)) return text; // the server refuses it, naming the file
        return "# ==== file: " + area.name.slice(5) + " ====\n" + text + (text && text.slice(-1) !== "\n" ? "\n" : "");
      }).join("");
    },
    /** Mark `line` (1-based; null clears the mark) of the enhanced `textarea` and scroll it into view. */
    showErrorLine: function (textarea, line) {
      if (textarea && textarea.judgeShowErrorLine) textarea.judgeShowErrorLine(line);
      else if (textarea && line) textarea.setAttribute("data-error-line", String(line));
    }
  };
})();
