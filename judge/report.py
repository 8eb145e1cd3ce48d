"""Reports as files: rows of typed models written as CSV or JSON, chosen by the file's extension.

General on purpose: any list of pydantic models becomes a table. In CSV, a nested model or dict
becomes one column per key (`checks.loss_formula`), a list becomes one cell of its items' `str()`
joined by "; ", and text that a spreadsheet would run as a formula is defused. JSON keeps the
full structure.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Sequence
from datetime import date, datetime
from enum import Enum
from pathlib import Path

from pydantic import BaseModel

from judge.errors import JudgeError

REPORT_FORMATS = (".csv", ".json")
#: A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ReportFormatError(JudgeError):
    """A report was asked for in a format the judge does not write."""


def report_format(path: Path) -> str:
    """The format a report path asks for (`.csv` or `.json`); ReportFormatError for any other."""
    suffix = path.suffix.lower()
    if suffix not in REPORT_FORMATS:
        raise ReportFormatError(f"report {path} must end in .csv or .json, not {suffix or 'no extension'!r}")
    return suffix


def check_report_path(path: Path) -> None:
    """Refuse, before any work is done, a report path that cannot be written: wrong extension, or no such directory."""
    report_format(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise ReportFormatError(f"cannot write {path}: {directory} is not a directory")


def rows_to_csv(rows: Sequence[BaseModel]) -> str:
    """The rows as CSV text: a header of every column seen, in first-seen order, then one line per row."""
    flat = [_flatten(row) for row in rows]
    # Columns keep the model's field order; keys of a nested field (one column per check) in first-seen order.
    by_field: dict[str, dict[str, None]] = {}
    for row in rows:
        for name in type(row).model_fields:
            by_field.setdefault(name, {})
    for record in flat:
        for key in record:
            by_field[key.split(".", 1)[0]][key] = None
    columns = [key for keys in by_field.values() for key in keys]
    # A nested field that is None in some rows leaves no column of its own beside its keys' columns.
    nested = {key.split(".", 1)[0] for key in columns if "." in key}
    columns = [key for key in columns if key not in nested]
    flat = [{key: value for key, value in record.items() if key not in nested} for record in flat]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(flat)
    return out.getvalue()


def rows_to_json(rows: Sequence[BaseModel]) -> str:
    """The rows as a JSON array of objects, nested structure kept."""
    return json.dumps([row.model_dump(mode="json") for row in rows], indent=2, ensure_ascii=False) + "\n"


def write_report(path: Path, rows: Sequence[BaseModel]) -> None:
    """Write the rows to `path` as CSV or JSON by its extension, atomically (never a half-written report)."""
    check_report_path(path)
    text = rows_to_csv(rows) if report_format(path) == ".csv" else rows_to_json(rows)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _flatten(row: BaseModel) -> dict[str, str | int | float | bool | None]:
    record: dict[str, str | int | float | bool | None] = {}
    for name in type(row).model_fields:
        _flatten_value(record, name, getattr(row, name))
    return record


def _flatten_value(record: dict, key: str, value: object) -> None:
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            _flatten_value(record, f"{key}.{name}", getattr(value, name))
    elif isinstance(value, dict):
        for name, item in value.items():
            _flatten_value(record, f"{key}.{name}", item)
    elif isinstance(value, (list, tuple, set, frozenset)):
        record[key] = _safe_text("; ".join(_cell_text(item) for item in value))
    else:
        record[key] = _scalar(value)


def _cell_text(value: object) -> str:
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def _scalar(value: object) -> str | int | float | bool | None:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Enum):
        value = value.value
        if value is None or isinstance(value, (bool, int, float)):
            return value
    return _safe_text(str(value))


def _safe_text(text: str) -> str:
    # A candidate's name or file name must not run as a formula in the hiring team's spreadsheet.
    return "'" + text if text.startswith(FORMULA_STARTS) else text
