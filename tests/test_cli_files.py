"""The CLI on files it cannot grade (named in every message) and on terminals and pipes (slugs never cut)."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import time

import pytest
from typer.testing import CliRunner

from judge.cli import app
from tests.api.support import judge_command
from tests.problem_factory import SOLUTION, make_problem

LONG_SLUG = "a-problem-with-a-really-quite-long-slug-for-narrow-terminals"


@pytest.fixture
def bank(tmp_path, monkeypatch):
    """A bank of tiny-add and a problem with a long slug, for commands run in this process."""
    root = tmp_path / "bank"
    make_problem(root)
    make_problem(root, slug=LONG_SLUG)
    monkeypatch.setenv("JUDGE_PROBLEMS_DIRS", json.dumps([str(root)]))
    monkeypatch.setenv("JUDGE_DATA_DIR", str(tmp_path / "data"))
    return root


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def test_a_file_that_is_not_utf8_is_named_with_the_byte_and_the_fix(bank, tmp_path):
    path = tmp_path / "my_vae.py"
    path.write_bytes(b"x = '\xe9'\n")
    result = run("grade", "tiny-add", str(path))
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [f"error: {path}: not UTF-8 (byte 5); save it as UTF-8"]


@pytest.mark.parametrize("content", [b"", b"\n  \n\t\n"], ids=["empty", "blank"])
def test_an_empty_file_says_so_without_grading(bank, tmp_path, content):
    path = tmp_path / "my_vae.py"
    path.write_bytes(content)
    result = run("grade", "tiny-add", str(path), "--json")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [f"error: {path}: the file is empty; nothing to grade"]


def test_a_syntax_error_shows_one_line_and_the_code_line(bank, tmp_path):
    path = tmp_path / "my_vae.py"
    path.write_text("import torch\n\ndef add(a, b)\n    return a + b\n")
    result = run("grade", "tiny-add", str(path), "--sandbox", "process")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: {path}: SyntaxError at line 3: expected ':'",
        "     3 | def add(a, b)",
    ]


def test_a_syntax_error_in_json_is_the_compile_error_result_and_exits_2(bank, tmp_path):
    path = tmp_path / "my_vae.py"
    path.write_text("def add(a, b):\nreturn a + b\n")
    result = run("grade", "tiny-add", str(path), "--sandbox", "process", "--json")
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["verdict"] == "compile_error" and data["score"] == 0
    assert data["compile_error"]["line"] == 2 and data["compile_error"]["text"] == "return a + b"


def test_a_batch_names_empty_broken_and_non_utf8_files_in_its_rows(bank, tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.py").write_text(SOLUTION)
    (subs / "bob.py").write_text("")
    (subs / "carol.py").write_text("def add(a, b)\n    return a + b\n")
    (subs / "dave.py").write_bytes(b"# \xff\n")
    result = run("grade", "tiny-add", str(subs), "--sandbox", "process", "--json")
    assert result.exit_code == 0, result.output
    rows = {c["candidate"]: c for c in json.loads(result.stdout)["candidates"]}
    assert rows["alice"]["verdict"] == "accepted"
    assert (rows["bob"]["verdict"], rows["bob"]["error"]) == (None, "the file is empty; nothing to grade")
    assert rows["carol"]["verdict"] == "compile_error" and rows["carol"]["flags"] == []
    assert rows["carol"]["error"] == "SyntaxError at line 1: expected ':'"
    assert (rows["dave"]["verdict"], rows["dave"]["error"]) == (None, "not UTF-8 (byte 2); save it as UTF-8")
    piped = run("grade", "tiny-add", str(subs), "--sandbox", "process")
    assert "carol\t0/4\tcompile_error: SyntaxError at line 1: expected ':'\t" in piped.stdout


def test_problems_list_piped_is_plain_lines_with_whole_slugs(bank):
    result = run("problems", "list")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == [LONG_SLUG, "tiny-add"]
    assert all(len(line.split("\t")) == 6 for line in lines)


def test_checks_piped_are_plain_lines(bank, tmp_path):
    path = tmp_path / "solution.py"
    path.write_text(SOLUTION)
    result = run("grade", "tiny-add", str(path), "--sandbox", "process")
    assert result.exit_code == 0, result.output
    assert "adds_broadcast\t" in result.stdout and "verdict: accepted" in result.stdout
    assert "┃" not in result.stdout and "│" not in result.stdout


def test_problems_list_on_a_narrow_terminal_is_a_table_that_keeps_slugs_whole(bank, tmp_path):
    controller, terminal = pty.openpty()
    env = {
        **os.environ,
        "JUDGE_PROBLEMS_DIRS": json.dumps([str(bank)]),
        "JUDGE_DATA_DIR": str(tmp_path / "data"),
        "COLUMNS": "90",
        "LINES": "40",
        "TERM": "xterm",
    }
    process = subprocess.Popen(judge_command("problems", "list"), env=env, stdout=terminal, stderr=terminal)
    os.close(terminal)
    output = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if select.select([controller], [], [], 1)[0]:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal closed: the process ended
                break
            if not chunk:
                break
            output += chunk
        elif process.poll() is not None:
            break
    process.wait(timeout=30)
    os.close(controller)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", output.decode(errors="replace"))
    assert process.returncode == 0, text
    assert LONG_SLUG in text and "tiny-add" in text, text
    assert "┃" in text or "│" in text, "a table on a terminal"
    assert max(len(line.rstrip("\r")) for line in text.splitlines()) <= 90
