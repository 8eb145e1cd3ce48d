"""Reports as files: any rows of models as CSV (flattened, formula-safe) or JSON, by extension."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from enum import StrEnum

import pytest
from pydantic import BaseModel

from judge.report import ReportFormatError, report_format, rows_to_csv, rows_to_json, write_report


class Colour(StrEnum):
    RED = "red"


class Tag(BaseModel):
    name: str
    line: int

    def __str__(self) -> str:
        return f"{self.name}@{self.line}"


class Where(BaseModel):
    city: str


class Row(BaseModel):
    name: str
    score: float | None
    colour: Colour | None = None
    at: datetime | None = None
    parts: dict[str, Colour] = {}
    tags: list[Tag] = []
    where: Where | None = None


ROWS = [
    Row(
        name="ann",
        score=1.5,
        colour=Colour.RED,
        parts={"b": Colour.RED},
        tags=[Tag(name="gc", line=3), Tag(name="x", line=9)],
        where=Where(city="Oslo"),
    ),
    Row(
        name='=HYPERLINK("http://evil")',
        score=None,
        at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        parts={"a": Colour.RED},
    ),
]


def test_csv_flattens_nested_fields_into_columns_in_field_order():
    table = list(csv.reader(io.StringIO(rows_to_csv(ROWS))))
    assert table[0] == ["name", "score", "colour", "at", "parts.b", "parts.a", "tags", "where.city"]
    assert table[1] == ["ann", "1.5", "red", "", "red", "", "gc@3; x@9", "Oslo"]
    assert table[2][1:6] == ["", "", "2026-01-02T03:04:05+00:00", "", "red"]


def test_csv_defuses_text_a_spreadsheet_would_run_as_a_formula():
    table = list(csv.reader(io.StringIO(rows_to_csv(ROWS))))
    assert table[2][0] == '\'=HYPERLINK("http://evil")'
    assert rows_to_csv([Row(name="-1+2", score=-3.0)]).splitlines()[1].startswith("'-1+2,-3.0")


def test_json_keeps_the_structure():
    data = json.loads(rows_to_json(ROWS))
    assert data[0]["tags"] == [{"name": "gc", "line": 3}, {"name": "x", "line": 9}]
    assert data[1]["name"] == '=HYPERLINK("http://evil")' and data[1]["score"] is None


def test_write_report_picks_the_format_by_extension_and_replaces_atomically(tmp_path):
    write_report(tmp_path / "r.csv", ROWS)
    write_report(tmp_path / "r.JSON", ROWS)
    assert (tmp_path / "r.csv").read_text().startswith("name,score,")
    assert json.loads((tmp_path / "r.JSON").read_text())[0]["name"] == "ann"
    write_report(tmp_path / "r.csv", ROWS[:1])
    assert len((tmp_path / "r.csv").read_text().splitlines()) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.JSON", "r.csv"]


def test_empty_report_is_an_empty_table():
    assert rows_to_csv([]) == "\n"
    assert json.loads(rows_to_json([])) == []


@pytest.mark.parametrize("name", ["report.xlsx", "report", "report.csv.txt"])
def test_other_formats_are_refused(tmp_path, name):
    with pytest.raises(ReportFormatError, match="must end in .csv or .json"):
        report_format(tmp_path / name)


def test_a_missing_directory_is_refused(tmp_path):
    with pytest.raises(ReportFormatError, match="is not a directory"):
        write_report(tmp_path / "nope" / "r.csv", ROWS)
