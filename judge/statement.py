"""A problem statement's two readings: on the web pages, and for candidates who work with files.

A statement is one Markdown file. Some of it only makes sense to one audience: a quiz taken with the
CLI or the JSON API needs the answers file's format and the `judge` commands, while the web page shows
a form. Such parts sit between marker lines, each alone on its line:

    <!-- cli -->   ... shown to CLI and API users (files), left out on the web ...   <!-- /cli -->
    <!-- web -->   ... shown on the web pages only ...                               <!-- /web -->

Blocks do not nest and every block is closed; `check_markers` says what is wrong otherwise (the
problem loader calls it, so a package with broken markers does not load). Anything else, other HTML
comments included, is shown to both.
"""

from __future__ import annotations

import re
from enum import StrEnum

from judge.errors import InvalidProblem


class Audience(StrEnum):
    """Who reads the statement: the web pages, or someone working with files (CLI and JSON API)."""

    WEB = "web"
    CLI = "cli"


_MARKER = re.compile(r"^<!--\s*(/?)(web|cli)\s*-->\s*$")


def _blocks(text: str) -> list[tuple[Audience | None, str]]:
    """Each line with the audience of the block it sits in (None: everyone); markers as (audience, "")."""
    lines: list[tuple[Audience | None, str]] = []
    current: Audience | None = None
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        marker = _MARKER.match(line.strip())
        if marker is None:
            lines.append((current, line))
            continue
        closing, audience = marker.group(1) == "/", Audience(marker.group(2))
        if closing and current is not audience:
            raise InvalidProblem(f"statement.md line {number}: <!-- /{audience} --> closes no open {audience} block")
        if not closing and current is not None:
            raise InvalidProblem(f"statement.md line {number}: <!-- {audience} --> inside a {current} block")
        current = None if closing else audience
    if current is not None:
        raise InvalidProblem(f"statement.md: the {current} block is never closed (<!-- /{current} -->)")
    return lines


def check_markers(text: str) -> None:
    """Raise InvalidProblem when the statement's audience markers are unbalanced or nested."""
    _blocks(text)


def for_audience(text: str, audience: Audience) -> str:
    """The statement as `audience` reads it: the other audience's blocks and every marker line left out."""
    return "".join(line for owner, line in _blocks(text) if owner in (None, audience))
