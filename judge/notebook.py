"""Jupyter notebooks: a candidate's `.ipynb` as the Python file it stands for, and a starter as a notebook.

A notebook becomes its code cells, in order, each under a `# %% cell N` line (N counts every cell
from 1, as a reader counts them in Jupyter); markdown and raw cells are left out. Shell (`!cmd`) and
magic (`%x`, `%%x`) lines cannot run in the sandbox, so a notebook holding one is refused with a
message naming the cell, rather than graded as a syntax error. Plain JSON parsing: no nbformat.
"""

from __future__ import annotations

import ast
import json
import re

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from judge.errors import InvalidSubmission, SourceTooLarge

SUFFIX = ".ipynb"
MEDIA_TYPE = "application/x-ipynb+json"
#: Lines the IPython kernel would run as shell commands or magics; never valid Python at a line's start.
_SHELL_OR_MAGIC = re.compile(r"^\s*(!|%%?[A-Za-z])")


class _Cell(BaseModel):
    """The part of a cell the conversion reads; outputs, metadata and ids are ignored."""

    model_config = ConfigDict(extra="ignore")

    cell_type: str
    source: str

    @field_validator("source", mode="before")
    @classmethod
    def _joined(cls, value: object) -> object:
        # nbformat stores a cell's text as one string or as a list of lines.
        if isinstance(value, list) and all(isinstance(line, str) for line in value):
            return "".join(value)
        return value


class _Notebook(BaseModel):
    """The nbformat 4 fields the conversion needs."""

    model_config = ConfigDict(extra="ignore")

    nbformat: int = Field(ge=4)
    cells: list[_Cell]


def notebook_source(data: bytes, max_bytes: int) -> str:
    """The Python file a notebook's code cells make. SourceTooLarge over `max_bytes`; InvalidSubmission
    when the file is not an nbformat 4 notebook, has no code, or a code cell holds a shell or magic line."""
    if len(data) > max_bytes:
        raise SourceTooLarge(f"the notebook is {len(data)} bytes; the limit is {max_bytes}")
    try:
        raw = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InvalidSubmission(f"the notebook is not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise InvalidSubmission(
            f"the notebook is not valid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    try:
        notebook = _Notebook.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "notebook"
        raise InvalidSubmission(f"not a Jupyter notebook (nbformat 4): {where}: {first['msg']}") from None
    parts = []
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        _refuse_shell_and_magic(number, cell.source)
        parts.append(f"# %% cell {number}\n{cell.source.rstrip()}\n")
    if not parts:
        raise InvalidSubmission("the notebook has no code cells")
    return "\n".join(parts)


def _refuse_shell_and_magic(number: int, source: str) -> None:
    """InvalidSubmission naming the cell and its first shell or magic line. A cell that parses as
    Python holds none (such lines are syntax errors), so `%` in an expression's continuation passes."""
    try:
        ast.parse(source)
    except SyntaxError:
        pass
    else:
        return
    for line in source.splitlines():
        if _SHELL_OR_MAGIC.match(line):
            shown = line.strip()
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            raise InvalidSubmission(f"cell {number}: shell and magic lines cannot run here (`{shown}`)")


def starter_notebook(title: str, entrypoint: str, source: str) -> bytes:
    """A notebook holding a starter: a markdown cell with the problem's title, then the code in one cell."""
    lines = source.splitlines(keepends=True)
    cells = [
        {
            "cell_type": "markdown",
            "metadata": {},
            "source": [f"# {title}\n", "\n", f"Write your solution below; it is graded as `{entrypoint}`."],
        },
        {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": lines},
    ]
    notebook = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return (json.dumps(notebook, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
