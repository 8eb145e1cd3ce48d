"""`judge problems new`: a scaffold fails validation on each TODO(author) line, and validates once they are filled."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from judge.bank.scaffold import scaffold
from judge.bank.validation import TODO_MARKER, Level, validate_problem
from judge.cli import app
from judge.problem import Kind, load_problem
from judge.sandbox.process import ProcessSandbox
from judge.settings import Settings

# A tiny real problem written into the scaffold's TODO lines: "scale a tensor by 2".
CODE_FILLS = {
    "problem.toml": {
        'title = "TODO(author): a one-line': 'title = "Scale a tensor by 2"',
        "tags = []": 'tags = ["test"]',
        'title = "TODO(author): what this hidden': 'title = "transform(x) equals 2 * x"',
    },
    "statement.md": {
        "# TODO(author): the title": "# Scale a tensor by 2",
        "TODO(author): what to implement": "Return twice the input.",
        "def transform(x): ...": "def transform(x): ...   # [...] -> [...], the input's dtype",
        "TODO(author): every rule": "No in-place change of `x`.",
        "what must not be done": "",
        "| value |": "| value | `x` of shape `[6, 5]`, standard normal | rtol 1e-5, atol 1e-6 |",
    },
    "starter.py": {'"""TODO': '    """Return 2 * x, of the shape and dtype of x."""'},
    "solution.py": {"raise NotImplementedError": "    return 2 * x"},
    "probes.py": {"# TODO": ""},
    "checks/test_scale_by_two.py": {"raise NotImplementedError": "    return 2 * x.double()"},
    "mutants/example_mistake.py": {
        '"""Mutant: TODO': '"""Mutant: adds 2 instead of multiplying by 2."""',
        "raise NotImplementedError": "    return x + 2",
    },
}
QUIZ_FILLS = {
    "problem.toml": {'title = "TODO': 'title = "A tiny quiz"', "tags = ": 'tags = ["quiz"]'},
    "quiz.toml": {
        'prompt = "TODO(author): a single': 'prompt = "What does softmax return?"',
        '"TODO(author): the correct option': '    "a probability vector",',
        'explanation = "TODO(author): why a is': 'explanation = "Softmax normalises exponentials to sum to 1."',
        'prompt = "TODO(author): a multiple': 'prompt = "Which are losses?"',
        '"TODO(author): a correct option': '    "cross-entropy",',
        'explanation = "TODO(author): why a and b': 'explanation = "Both are losses; ReLU is an activation."',
    },
    "statement.md": {
        "# TODO(author): the title": "# A tiny quiz",
        "TODO(author): what the quiz covers": "Two questions.",
    },
    "mutants/README.md": {"| TODO": ""},
}


def fill(root: Path, fills: dict[str, dict[str, str]]) -> None:
    """Replace each line holding a key (its TODO) by its value; every TODO line must be covered."""
    for name, replacements in fills.items():
        path = root / name
        lines = path.read_text().splitlines()
        for marker, replacement in replacements.items():
            hits = [i for i, line in enumerate(lines) if marker in line]
            assert len(hits) == 1, (name, marker, hits)
            lines[hits[0]] = replacement
        path.write_text("\n".join(lines) + "\n")
    left = [
        f"{p}: {line}"
        for p in root.rglob("*")
        if p.is_file()
        for line in p.read_text().splitlines()
        if TODO_MARKER in line
    ]
    assert not left, left


@pytest.fixture
def settings(tmp_path):
    return Settings(problems={"dirs": [tmp_path / "problems"]}, storage={"data_dir": tmp_path / "data"})


def test_an_unfilled_code_scaffold_fails_naming_each_todo_and_grades_nothing(tmp_path, settings):
    root = scaffold("scale-by-two", Kind.CODE, tmp_path / "problems")
    problem = load_problem(root)
    assert problem.mutants and [c.id for c in problem.check_specs] == ["shape", "value"]
    report = validate_problem(problem, settings, ProcessSandbox(settings), [])
    assert not report.ok and not report.mutants
    failed = [f.text for f in report.findings if f.level is Level.FAIL]
    assert failed and all(TODO_MARKER in text for text in failed)
    assert "solution.py:8: TODO(author) the reference solution" in failed
    assert any(text.startswith("statement.md:") for text in failed)
    assert any(text.startswith("problem.toml:3:") for text in failed)


def test_a_filled_code_scaffold_validates(tmp_path, settings):
    root = scaffold("scale-by-two", Kind.CODE, tmp_path / "problems")
    fill(root, CODE_FILLS)
    report = validate_problem(load_problem(root), settings, ProcessSandbox(settings), [], seeds=2)
    assert report.ok, report.lines
    assert [m.name for m in report.mutants] == ["example_mistake"]
    assert report.catches("value", "example_mistake") and not report.catches("shape", "example_mistake")
    assert report.idle_checks == ["shape"]
    assert any(f.level is Level.WARN and "shape catches no mutant" in f.text for f in report.findings)
    # value's expect.close records its tolerance margin, on both seeds.
    (margin,) = report.margins
    assert (margin.check, margin.name, margin.threshold, margin.seeds) == ("value", "tolerance", 1.0, 2)
    assert margin.worst_ratio is not None and 0 <= margin.worst_ratio < 1


def test_a_filled_quiz_scaffold_validates(tmp_path, settings):
    root = scaffold("tiny-quiz", Kind.QUIZ, tmp_path / "problems")
    unfilled = validate_problem(load_problem(root), settings, ProcessSandbox(settings), [])
    assert not unfilled.ok and any("quiz.toml" in f.text for f in unfilled.findings)
    fill(root, QUIZ_FILLS)
    report = validate_problem(load_problem(root), settings, ProcessSandbox(settings), [])
    assert report.ok, report.lines
    assert report.catches("second_question", "subset") and report.idle_checks == ["first_question"]


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("JUDGE_PROBLEMS_DIRS", json.dumps([str(tmp_path / "problems")]))
    monkeypatch.setenv("JUDGE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    return lambda *args: CliRunner().invoke(app, list(args))


def test_new_writes_the_package_and_says_what_next(cli, tmp_path):
    result = cli("problems", "new", "scale-by-two")
    assert result.exit_code == 0, result.output
    assert "created problems/scale-by-two/checks/test_scale_by_two.py" in result.stdout
    assert "judge problems validate problems/scale-by-two" in result.stdout
    quiz = cli("problems", "new", "tiny-quiz", "--kind", "quiz", "--dir", "elsewhere")
    assert quiz.exit_code == 0 and (tmp_path / "elsewhere/tiny-quiz/quiz.toml").is_file()


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("Bad_Slug", "'Bad_Slug' is not a valid slug"),
        ("x", "'x' is not a valid slug"),
        ("../up", "'../up' is not a valid slug"),
        ("taken", "the bank already has a problem 'taken'"),
    ],
)
def test_new_refuses_a_bad_or_taken_slug_in_one_line(cli, slug, message):
    assert cli("problems", "new", "taken").exit_code == 0
    result = cli("problems", "new", slug)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_new_refuses_an_existing_directory(cli, tmp_path):
    (tmp_path / "other/slug-here").mkdir(parents=True)
    result = cli("problems", "new", "slug-here", "--dir", "other")
    assert result.exit_code == 2 and "already exists" in result.stderr
