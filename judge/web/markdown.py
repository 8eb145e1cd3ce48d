"""Problem statements: Markdown rendered to HTML, then sanitised, because uploaded problems are
written by teams and their statements are shown to other people."""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

#: What a statement may use: text structure, code, tables, links and images (no scripts, styles,
#: forms, frames or event handlers; nh3 drops those with their content where dangerous).
ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "details",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "code": {"class"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}
#: A wide table scrolls sideways in its own box (focusable, so that the keyboard scrolls it too) rather
#: than widening the statement. Added after sanitising, which leaves every <table> bare.
TABLE_SCROLL = '<div class="table-scroll" role="region" aria-label="Table (scrolls sideways)" tabindex="0"><table>'
#: Only plain web links; relative links stay relative. javascript:, data: and the like are dropped.
URL_SCHEMES = {"http", "https", "mailto"}


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # commonmark with tables and strikethrough; raw HTML in the Markdown stays off (html=False), so it
    # is shown as text, and the sanitiser below is the second line of defence.
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])


def render_markdown(text: str, heading_offset: int = 0) -> Markup:
    """Markdown to HTML that is safe to put in a page: only allowed tags, attributes and URL schemes;
    links get rel="noopener noreferrer nofollow". `heading_offset` demotes headings (1: # becomes <h2>),
    so that a statement inside a page keeps the page's one <h1>."""
    parser = _parser()
    tokens = parser.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1]) + heading_offset)}"
    html = parser.renderer.render(tokens, parser.options, {})
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return Markup(clean.replace("<table>", TABLE_SCROLL).replace("</table>", "</table></div>"))
