"""The judge CLI: one JSON object with --json, exit 0 whenever grading completed, one-line errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from judge.cli import app
from tests.problem_factory import SOLUTION, make_problem


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """invoke(*args) -> Result, on a bank holding only tiny-add."""
    bank = tmp_path / "bank"
    make_problem(bank)
    monkeypatch.setenv("JUDGE_PROBLEMS_DIRS", json.dumps([str(bank)]))
    monkeypatch.setenv("JUDGE_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args))

    return invoke


def write(tmp_path, text: str, name: str = "submission.py"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_json_output_is_exactly_one_object_with_the_contract(cli, tmp_path):
    result = cli("grade", "tiny-add", write(tmp_path, SOLUTION), "--json")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert set(data) == {"problem", "verdict", "score", "max_score", "checks"}
    assert data["verdict"] == "accepted" and data["score"] == data["max_score"] == 4
    assert set(data["checks"][0]) == {"id", "category", "outcome", "points", "max_points", "message"}


def test_a_failing_submission_still_exits_zero(cli, tmp_path):
    result = cli("grade", "tiny-add", write(tmp_path, "def add(a, b):\n    return a - b\n"), "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["verdict"] == "partial"


def test_table_output_lists_each_check_and_the_verdict(cli, tmp_path):
    result = cli("grade", "tiny-add", write(tmp_path, SOLUTION))
    assert result.exit_code == 0
    for text in ("adds_broadcast", "shape", "verdict: accepted", "4/4"):
        assert text in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("grade", "tiny-add", "/nonexistent/file.py"), "cannot read /nonexistent/file.py"),
        (("grade", "no-such-problem", "__FILE__"), "no problem 'no-such-problem' (known: tiny-add)"),
        (("grade", "tiny-add", "__FILE__", "--sandbox", "teleport"), "unknown sandbox 'teleport'"),
        (("problems", "show", "nope"), "no problem 'nope'"),
        (("problems", "validate"), "give one problem slug, or --all"),
    ],
)
def test_bad_input_exits_2_with_one_line(cli, tmp_path, args, message):
    path = write(tmp_path, SOLUTION)
    result = cli(*[path if a == "__FILE__" else a for a in args])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [f"error: {result.stderr.strip()[7:]}"]
    assert message in result.stderr


def test_non_utf8_submission_is_refused(cli, tmp_path):
    path = tmp_path / "binary.py"
    path.write_bytes(b"\xff\xfe\x00")
    result = cli("grade", "tiny-add", str(path))
    assert result.exit_code == 2 and "not UTF-8" in result.stderr


def test_problems_list_and_show_never_reveal_hidden_parts(cli, tmp_path):
    listing = cli("problems", "list")
    assert listing.exit_code == 0 and "tiny-add" in listing.stdout
    shown = cli("problems", "show", "tiny-add")
    assert shown.exit_code == 0
    assert "raise NotImplementedError" in shown.stdout
    assert "return a + b" not in shown.stdout
    assert "adds_broadcast" not in shown.stdout and "test_shape" not in shown.stdout


def test_validate_reports_an_uncaught_mutant(cli, tmp_path):
    bank = tmp_path / "bank2"
    make_problem(bank, slug="weak-checks", **{"mutants/subtracts.py": SOLUTION})
    result = cli("problems", "validate", str(bank / "weak-checks"))
    assert result.exit_code == 1
    assert "mutant subtracts gets full marks" in result.stdout
    assert "reference: 4/4" in result.stdout and "starter scores 0" in result.stdout


def test_quiz_grading_shows_explanations_after_the_table(tmp_path, monkeypatch):
    from judge.bank import ProblemBank
    from tests.conftest import PROBLEMS

    monkeypatch.setenv("JUDGE_PROBLEMS_DIRS", json.dumps([str(PROBLEMS)]))
    quiz = ProblemBank([PROBLEMS]).get("aigc-concepts").quiz
    path = write(tmp_path, '{"answers": {}}', "answers.json")
    shown = CliRunner().invoke(app, ["grade", "aigc-concepts", path])
    assert shown.exit_code == 0 and "verdict: wrong_answer" in shown.stdout
    flat = " ".join(shown.stdout.split())
    assert shown.stdout.index("Explanations") > shown.stdout.index("verdict:")
    assert " ".join(quiz.questions[0].explanation.split())[:60] in flat
    as_json = CliRunner().invoke(app, ["grade", "aigc-concepts", path, "--json"])
    assert "Explanations" not in as_json.stdout and len(as_json.stdout.strip().splitlines()) == 1
