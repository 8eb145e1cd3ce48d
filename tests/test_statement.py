"""A statement's audience markers: what the web shows and what CLI and API users read, and every quiz of
the bank has a web statement that speaks of the form, not of files and commands."""

from __future__ import annotations

import shutil

import pytest

from judge.errors import InvalidProblem
from judge.problem import Kind, load_problem
from judge.statement import Audience, check_markers, for_audience
from tests.conftest import PROBLEMS

TEXT = "# T\n\nboth\n<!-- cli -->\nfiles only\n<!-- /cli -->\n<!--web-->\nweb only\n<!-- /web -->\nend\n"
QUIZZES = [p.name for p in sorted(PROBLEMS.iterdir()) if load_problem(p).spec.kind is Kind.QUIZ]


def test_each_audience_reads_its_blocks_and_no_marker():
    assert for_audience(TEXT, Audience.WEB) == "# T\n\nboth\nweb only\nend\n"
    assert for_audience(TEXT, Audience.CLI) == "# T\n\nboth\nfiles only\nend\n"
    plain = "# T\n<!-- a comment stays -->\n```\n<!-- cli\n```\n"
    assert for_audience(plain, Audience.WEB) == for_audience(plain, Audience.CLI) == plain


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("<!-- cli -->\nx\n", "the cli block is never closed"),
        ("x\n<!-- /web -->\n", "line 2: <!-- /web --> closes no open web block"),
        ("<!-- cli -->\n<!-- /web -->\n", "line 2: <!-- /web --> closes no open web block"),
        ("<!-- web -->\n<!-- cli -->\n<!-- /cli -->\n<!-- /web -->\n", "line 2: <!-- cli --> inside a web block"),
    ],
)
def test_unbalanced_or_nested_markers_are_refused(text, says):
    with pytest.raises(InvalidProblem, match=says.replace("(", r"\(")):
        check_markers(text)


def test_a_package_with_broken_markers_does_not_load(tmp_path):
    copy = tmp_path / "aigc-concepts"
    shutil.copytree(PROBLEMS / "aigc-concepts", copy)
    (copy / "statement.md").write_text("# Quiz\n<!-- web -->\nnever closed\n", encoding="utf-8")
    with pytest.raises(InvalidProblem, match="aigc-concepts: statement.md: the web block is never closed"):
        load_problem(copy)


@pytest.mark.parametrize("slug", QUIZZES)
def test_every_quiz_speaks_to_the_web_on_the_web_and_to_files_elsewhere(slug):
    problem = load_problem(PROBLEMS / slug)
    web, cli = problem.statement(Audience.WEB), problem.statement(Audience.CLI)
    for word in ("judge ", "answers.json", "JSON", "file"):
        assert word not in web, f"{slug}: the web statement says {word!r}"
    assert "Submit answers" in web and "Submit answers" not in cli
    assert f"judge grade {slug} answers.json" in cli and f"judge problems show {slug}" in cli
    for text in (web, cli):
        assert "never shown" not in text
        assert "shown only once you can no longer submit this quiz" in " ".join(text.split())
