"""Problem statements are Markdown from teams: rendered, and nothing that runs or restyles survives."""

from __future__ import annotations

import re

import pytest

from judge.web.markdown import render_markdown

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "![x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<iframe src="https://example.com"></iframe>',
    '<a href="https://example.com" onclick="steal()">x</a>',
    "<style>body { display: none }</style>",
    '<svg onload="alert(1)"><circle r="5"/></svg>',
    "<form action=https://evil.example><input name=k></form>",
    '[x](vbscript:msgbox(1) "t")',
    "<details open ontoggle=alert(1)>x</details>",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_markdown_renders_inert(text):
    html = str(render_markdown(f"# Title\n\n{text}\n\nafter"))
    lowered = html.lower()
    for bad in ("<script", "<iframe", "<style", "<svg", "<form", "<input"):
        assert bad not in lowered, (bad, html)
    # The text may mention a javascript: URL; no link or image may point at one.
    assert not re.search(r"(href|src)\s*=\s*\"?\s*(javascript|vbscript|data):", lowered), html
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", lowered), html
    assert "<h1>Title</h1>" in html and "after" in html


def test_statement_markdown_keeps_code_tables_and_safe_links():
    html = str(
        render_markdown(
            "## API\n\n```python\nx = 1 < 2\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[docs](https://pytorch.org) `z`"
        )
    )
    assert '<pre><code class="language-python">x = 1 &lt; 2' in html
    assert "<table>" in html and "<td>2</td>" in html
    assert 'href="https://pytorch.org"' in html and 'rel="noopener noreferrer nofollow"' in html
    assert "<code>z</code>" in html


def test_every_seed_statement_renders(settings):
    from judge.bank.loader import find_packages

    for slug, directory in find_packages(settings.problems.dirs).items():
        html = str(render_markdown((directory / "statement.md").read_text()))
        assert html.count("<h1>") >= 1, slug


def test_headings_can_be_demoted_under_a_page_heading():
    html = str(render_markdown("# A\n\n## B\n\n###### F", heading_offset=1))
    assert "<h2>A</h2>" in html and "<h3>B</h3>" in html and "<h6>F</h6>" in html and "<h1>" not in html
