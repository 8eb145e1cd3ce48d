"""The syntax check: where a file does not compile, bounded in time and memory, never running the code."""

from __future__ import annotations

import time

import pytest

from judge.syntax import TOO_DEEP, WALL_TIMEOUT_S, SyntaxProblem, check_syntax


def test_code_that_compiles_has_no_problem():
    assert check_syntax("import torch\n\n\ndef add(a, b):\n    return a + b\n") is None
    assert check_syntax("") is None


def test_a_syntax_error_names_its_line_column_message_and_text():
    problem = check_syntax("import torch\n\ndef add(a, b)\n    return a + b\n")
    assert problem == SyntaxProblem(line=3, column=14, message="SyntaxError: expected ':'", text="def add(a, b)")
    assert problem.headline() == "SyntaxError at line 3: expected ':'"


def test_an_indentation_error_is_reported_as_such():
    problem = check_syntax("def add(a, b):\nreturn a + b\n")
    assert problem is not None and problem.line == 2 and problem.text == "return a + b"
    assert problem.message.startswith("IndentationError: expected an indented block")


def test_an_unclosed_bracket_at_the_end_of_the_file_points_at_a_line_of_the_file():
    source = "def add(a, b):\n    return (a +\n"
    problem = check_syntax(source)
    assert problem is not None and 1 <= problem.line <= 2 and problem.text in source


def test_the_code_is_compiled_never_run(tmp_path):
    marker = tmp_path / "ran"
    assert check_syntax(f"open({str(marker)!r}, 'w').write('x')\n") is None
    assert not marker.exists()


def test_a_long_line_is_cut_in_the_problem():
    problem = check_syntax("x = 1 +* 2  # " + "y" * 1000 + "\n")
    assert problem is not None and len(problem.text) == 200 and problem.text.endswith("…")


@pytest.mark.parametrize(
    "source",
    [
        "x = " + "(" * 100_000 + "1" + ")" * 100_000 + "\n",
        "x = " + "-" * 1_000_000 + "1\n",
        "x = " + "[" * 100_000 + "]" * 100_000 + "\n",
    ],
    ids=["100k-parentheses", "1MB-unary-chain", "100k-brackets"],
)
def test_deep_nesting_is_a_clear_problem_not_a_crash(source):
    problem = check_syntax(source)
    assert problem is not None and problem.line == 1
    assert problem.message.startswith(TOO_DEEP)


def test_a_1mb_one_line_expression_is_bounded():
    source = "x = " + "+".join(["1"] * 500_000) + "\n"
    assert len(source) > 1_000_000
    started = time.monotonic()
    problem = check_syntax(source)
    assert time.monotonic() - started < WALL_TIMEOUT_S + 2
    # CPython's compiler recurses once per operator here: past its limit it is "too deep", never a crash.
    assert problem is not None and problem.message.startswith("SyntaxError: the code")


def test_the_check_is_cheap_for_an_ordinary_file():
    source = "import torch\n\n" + "".join(f"def f{i}(x):\n    return x * {i}\n\n" for i in range(300))
    check_syntax(source)
    started = time.monotonic()
    for _ in range(3):
        assert check_syntax(source) is None
    # An interpreter start-up and a compile; generous for a loaded machine.
    assert (time.monotonic() - started) / 3 < 2.0
