"""`judge problems validate`: the typed report, the mutant-by-check table, --seeds, --jobs and --json."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from judge.bank.validation import MutantOutcome, ValidationReport
from judge.cli import app, mutant_table
from tests.problem_factory import SOLUTION, make_problem


def test_validate_all_in_parallel_as_one_json_object(tmp_path, monkeypatch):
    bank = tmp_path / "bank"
    make_problem(bank, check_timeout_s=30, run_timeout_s=120)
    make_problem(bank, slug="weak-checks", check_timeout_s=30, run_timeout_s=120, **{"mutants/subtracts.py": SOLUTION})
    monkeypatch.setenv("JUDGE_PROBLEMS_DIRS", json.dumps([str(bank)]))
    monkeypatch.setenv("JUDGE_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(
        app, ["problems", "validate", "--all", "--jobs", "2", "--seeds", "2", "--json", "--sandbox", "process"]
    )
    assert result.exit_code == 1, result.output
    assert "1 problem(s) failed validation" in result.stderr
    (line,) = result.stdout.strip().splitlines()
    data = json.loads(line)
    assert data["ok"] is False
    tiny, weak = data["problems"]
    assert (tiny["slug"], tiny["ok"], weak["slug"], weak["ok"]) == ("tiny-add", True, "weak-checks", False)
    assert tiny["checks"] == ["adds", "adds_broadcast", "shape"] and tiny["seeds"] == 2
    assert tiny["mutants"] == [
        {"name": "subtracts", "score": 1.0, "max_score": 4.0, "caught_by": ["adds", "adds_broadcast"]}
    ]
    assert tiny["idle_checks"] == ["shape"]
    assert {"level": "warn", "text": "check shape catches no mutant: add a mutant it catches, or drop it"} in tiny[
        "findings"
    ]
    assert {"level": "ok", "text": "reference with seed 1: full marks"} in tiny["findings"]
    margins = {(m["check"], m["name"]): m for m in tiny["margins"]}
    assert set(margins) == {("adds", "tolerance"), ("adds_broadcast", "tolerance")}
    assert all(m["seeds"] == 2 and m["threshold"] == 1.0 and m["worst_ratio"] == 0.0 for m in margins.values())
    assert weak["mutants"][0]["caught_by"] == [] and set(weak["idle_checks"]) == set(weak["checks"])
    assert {"level": "fail", "text": "mutant subtracts gets full marks"} in weak["findings"]


def test_the_table_has_a_row_per_check_or_a_row_per_mutant_when_narrower(monkeypatch):
    report = ValidationReport(
        slug="p",
        checks=["shape", "value", "grads"],
        mutants=[
            MutantOutcome(name=f"a_long_mutant_name_{i}", score=0, max_score=3, caught_by=["value"] if i else ["grads"])
            for i in range(5)
        ],
    )
    monkeypatch.setenv("COLUMNS", "200")
    table, rows = mutant_table(report)
    assert rows[0] == ["check \\ mutant", *(f"a_long_mutant_name_{i}" for i in range(5))]
    assert rows[1:] == [["shape", *"....."], ["value", ".", *"xxxx"], ["grads", "x", *"...."]]
    assert len(table.columns) == 6
    monkeypatch.setenv("COLUMNS", "60")
    table, rows = mutant_table(report)
    assert rows[0] == ["mutant \\ check", "shape", "value", "grads"]
    assert rows[1] == ["a_long_mutant_name_0", ".", ".", "x"] and rows[2] == ["a_long_mutant_name_1", ".", "x", "."]
    assert len(table.columns) == 4


def test_the_table_is_printed_after_the_findings(tmp_path, monkeypatch):
    bank = tmp_path / "bank"
    make_problem(bank, check_timeout_s=30, run_timeout_s=120)
    monkeypatch.setenv("JUDGE_PROBLEMS_DIRS", json.dumps([str(bank)]))
    monkeypatch.setenv("JUDGE_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(app, ["problems", "validate", "tiny-add", "--sandbox", "process"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "warn check shape catches no mutant" in out
    assert out.index("tiny-add: mutants caught") > out.index("mutant subtracts: 1/4, caught by adds, adds_broadcast")
    assert "check \\ mutant\tsubtracts\nadds\tx\nadds_broadcast\tx\nshape\t.\n" in out
