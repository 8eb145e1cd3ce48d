"""The judge CLI: one JSON object with --json, exit 0 whenever grading completed, one-line errors."""

from __future__ import annotations

import csv
import json
import os
import pty
import re
import select
import signal
import stat
import subprocess
import time
import zipfile

import pytest
from typer.testing import CliRunner

from judge.cli import app
from tests.api.support import free_port, judge_command, service_env
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
    assert set(data) == {"problem", "verdict", "score", "max_score", "checks", "compile_error"}
    assert data["compile_error"] is None
    assert data["verdict"] == "accepted" and data["score"] == data["max_score"] == 4
    assert set(data["checks"][0]) == {"id", "category", "outcome", "points", "max_points", "message", "series"}


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


def no_containing_sandbox(monkeypatch) -> None:
    """Neither docker nor bwrap can run: only the process backend is left."""
    monkeypatch.setenv("JUDGE_DOCKER_HOST", "unix:///nonexistent/docker.sock")
    monkeypatch.setenv("JUDGE_BWRAP_PATH", "/nonexistent/bwrap")


def test_grade_falls_back_to_process_with_a_one_line_warning(cli, tmp_path, monkeypatch):
    no_containing_sandbox(monkeypatch)
    result = cli("grade", "tiny-add", write(tmp_path, SOLUTION), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["verdict"] == "accepted"
    warning = result.stderr.strip().splitlines()
    assert len(warning) == 1 and warning[0].startswith("warning: grading in the process sandbox")
    assert "grade only code you trust" in warning[0] and "bwrap: /nonexistent/bwrap is not installed" in warning[0]


@pytest.mark.parametrize("command", [("serve", "--port", "0"), ("worker",)])
def test_the_service_refuses_to_start_without_a_containing_sandbox(cli, monkeypatch, tmp_path, command):
    no_containing_sandbox(monkeypatch)
    result = cli(*command)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(
        "error: no sandbox that contains candidate code works here"
    )
    assert "--sandbox process" in result.stderr and "setup-docker.sh" in result.stderr
    assert not (tmp_path / "data").exists(), "nothing is created before the sandbox is chosen"


def test_serve_with_process_named_warns_at_start_and_on_readyz(cli, monkeypatch):
    import uvicorn
    from fastapi.testclient import TestClient

    no_containing_sandbox(monkeypatch)
    served = []
    monkeypatch.setattr(uvicorn, "run", lambda application, **kwargs: served.append(application))
    result = cli("serve", "--port", "0", "--sandbox", "process")
    assert result.exit_code == 0, result.output
    assert (
        "sandbox: process" in result.stdout
        and "warning: sandbox process:" in result.stdout
        and "trusted code only" in result.stdout
    )
    with TestClient(served[0]) as client:
        ready = client.get("/readyz").json()
    assert ready["checks"]["sandbox"] == "ok"
    assert ready["sandbox"]["name"] == "process" and ready["sandbox"]["trusted_code_only"] is True
    assert "trusted code only" in ready["sandbox"]["warning"]


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
    from judge.bank.loader import ProblemBank
    from judge.settings import Settings
    from tests.conftest import PROBLEMS

    monkeypatch.setenv("JUDGE_PROBLEMS_DIRS", json.dumps([str(PROBLEMS)]))
    quiz = ProblemBank(Settings()).get("aigc-concepts").quiz
    path = write(tmp_path, '{"answers": {}}', "answers.json")
    shown = CliRunner().invoke(app, ["grade", "aigc-concepts", path])
    assert shown.exit_code == 0 and "verdict: wrong_answer" in shown.stdout
    flat = " ".join(shown.stdout.split())
    assert shown.stdout.index("Explanations") > shown.stdout.index("verdict:")
    assert " ".join(quiz.questions[0].explanation.split())[:60] in flat
    as_json = CliRunner().invoke(app, ["grade", "aigc-concepts", path, "--json"])
    assert "Explanations" not in as_json.stdout and len(as_json.stdout.strip().splitlines()) == 1


# Batch grading: `judge grade PROBLEM DIR_OR_ZIP --report out.csv`.

BATCH_CAREFUL = (
    "import torch\n\n\ndef add(a, b):\n"
    '    """a + b in float64."""\n'
    "    left = torch.as_tensor(a, dtype=torch.float64)\n"
    "    right = torch.as_tensor(b, dtype=torch.float64)\n"
    "    shape = torch.broadcast_shapes(left.shape, right.shape)\n"
    "    return left.expand(shape) + right.expand(shape)\n"
)
BATCH_COPY = BATCH_CAREFUL.replace("left", "p").replace("right", "q").replace("a + b in float64.", "Mine!") + "# done\n"


@pytest.fixture
def roomy_cli(tmp_path, monkeypatch):
    """Like cli, with time limits that parallel grading on a busy 2-core machine cannot hit."""
    bank = tmp_path / "roomy"
    make_problem(bank, check_timeout_s=30, run_timeout_s=120)
    monkeypatch.setenv("JUDGE_PROBLEMS_DIRS", json.dumps([str(bank)]))
    monkeypatch.setenv("JUDGE_DATA_DIR", str(tmp_path / "data"))
    return lambda *args: CliRunner().invoke(app, list(args))


def test_a_directory_batch_writes_a_csv_report_with_flags_and_similar_pairs(roomy_cli, tmp_path):
    subs = tmp_path / "subs"
    (subs / "carol").mkdir(parents=True)
    (subs / "alice.py").write_text(BATCH_CAREFUL)
    (subs / "bob.py").write_text(BATCH_COPY)
    (subs / "carol" / "solution.py").write_text("import ctypes\n" + "def add(a, b):\n    return a - b\n")
    report = tmp_path / "out.csv"
    result = roomy_cli("grade", "tiny-add", str(subs), "--sandbox", "process", "--jobs", "2", "--report", str(report))
    assert result.exit_code == 0, result.output
    rows = {row["candidate"]: row for row in csv.DictReader(report.open())}
    assert list(rows) == ["alice", "bob", "carol"]
    assert [rows[c]["verdict"] for c in rows] == ["accepted", "accepted", "partial"]
    assert (rows["carol"]["score"], rows["carol"]["max_score"], rows["carol"]["file"]) == (
        "1.0",
        "4.0",
        "carol/solution.py",
    )
    assert (rows["carol"]["checks.adds"], rows["carol"]["checks.shape"]) == ("failed", "passed")
    assert rows["carol"]["flags"] == "ctypes@1" and rows["alice"]["flags"] == ""
    assert rows["alice"]["similar"].startswith("bob (") and rows["bob"]["similar"].startswith("alice (")
    assert float(rows["alice"]["time_s"]) > 0
    for text in ("alice", "ctypes", "3 submissions", f"report written to {report}"):
        assert text in " ".join(result.stdout.split())


def test_a_zip_batch_prints_one_json_object_and_writes_a_json_report(roomy_cli, tmp_path):
    archive = tmp_path / "subs.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("collected/dora.py", SOLUTION)
        z.writestr("collected/../../escape.py", SOLUTION)
    report = tmp_path / "out.json"
    result = roomy_cli("grade", "tiny-add", str(archive), "--sandbox", "process", "--json", "--report", str(report))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["problem"] == "tiny-add" and data["similar_pairs"] == [] and data["similarity_threshold"] == 0.8
    assert [(c["candidate"], c["verdict"], c["score"]) for c in data["candidates"]] == [("dora", "accepted", 4.0)]
    assert json.loads(report.read_text()) == data["candidates"]


def test_a_quiz_batch_grades_answer_files_without_flags(tmp_path, monkeypatch):
    from tests.conftest import PROBLEMS

    monkeypatch.setenv("JUDGE_PROBLEMS_DIRS", json.dumps([str(PROBLEMS)]))
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "ann.json").write_text('{"answers": {}}')
    (subs / "ben.json").write_text("not json")
    result = CliRunner().invoke(app, ["grade", "aigc-concepts", str(subs), "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["candidates"]
    assert [(r["candidate"], r["verdict"], r["score"], r["flags"]) for r in rows] == [
        ("ann", "wrong_answer", 0.0, []),
        ("ben", "runtime_error", 0.0, []),
    ]


def test_single_file_grading_can_write_a_one_row_report(roomy_cli, tmp_path):
    report = tmp_path / "one.csv"
    result = roomy_cli("grade", "tiny-add", write(tmp_path, SOLUTION, "zoe.py"), "--json", "--report", str(report))
    assert result.exit_code == 0 and json.loads(result.stdout)["verdict"] == "accepted"
    rows = list(csv.DictReader(report.open()))
    assert [(r["candidate"], r["verdict"], r["score"]) for r in rows] == [("zoe", "accepted", "4.0")]


@pytest.mark.parametrize(
    ("setup", "extra", "message"),
    [
        ("empty_dir", (), "no submissions in"),
        ("bad_zip", (), "is not a readable zip archive"),
        ("empty_dir", ("--report", "out.xlsx"), "must end in .csv or .json"),
        ("one_file_dir", ("--report", "/nonexistent/dir/out.csv"), "is not a directory"),
        ("two_for_one", (), "two submissions for candidate 'amy'"),
    ],
)
def test_bad_batches_exit_2_with_one_line(cli, tmp_path, setup, extra, message):
    target = tmp_path / "batch"
    if setup == "bad_zip":
        target = tmp_path / "batch.zip"
        target.write_bytes(b"PK but not really")
    else:
        target.mkdir()
        if setup == "one_file_dir":
            (target / "amy.py").write_text(SOLUTION)
        if setup == "two_for_one":
            (target / "amy.py").write_text(SOLUTION)
            (target / "amy").mkdir()
            (target / "amy" / "solution.py").write_text(SOLUTION)
    result = cli("grade", "tiny-add", str(target), "--sandbox", "process", *extra)
    assert result.exit_code == 2, result.output
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr


@pytest.mark.slow
def test_a_seed_problem_batch_grades_reference_and_mutant_and_pairs_a_copy(tmp_path, monkeypatch):
    from tests.conftest import PROBLEMS

    monkeypatch.setenv("JUDGE_PROBLEMS_DIRS", json.dumps([str(PROBLEMS)]))
    monkeypatch.setenv("JUDGE_DATA_DIR", str(tmp_path / "data"))
    problem = PROBLEMS / "kl-divergence"
    reference = (problem / "solution.py").read_text()
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "ref.py").write_text(reference)
    (subs / "copycat.py").write_text(reference.replace("terms", "t").replace("diff", "delta") + "\n# all mine\n")
    (subs / "mutant.py").write_text((problem / "mutants" / "categorical_args_swapped.py").read_text())
    report = tmp_path / "kl.csv"
    result = CliRunner().invoke(
        app, ["grade", "kl-divergence", str(subs), "--sandbox", "process", "-j", "2", "--report", str(report)]
    )
    assert result.exit_code == 0, result.output
    rows = {row["candidate"]: row for row in csv.DictReader(report.open())}
    assert (rows["ref"]["verdict"], rows["ref"]["score"], rows["ref"]["max_score"]) == ("accepted", "15.0", "15.0")
    assert rows["mutant"]["verdict"] == "partial" and float(rows["mutant"]["score"]) < 15
    assert rows["ref"]["similar"].startswith("copycat (") and rows["mutant"]["similar"] == ""


def test_first_admin_key_goes_to_an_owner_only_file_without_a_terminal(cli, monkeypatch, tmp_path):
    import uvicorn

    no_containing_sandbox(monkeypatch)
    monkeypatch.setattr(uvicorn, "run", lambda application, **kwargs: None)
    path = tmp_path / "data" / "first-admin-key"
    path.parent.mkdir()
    path.write_text("left by an earlier start\n")
    path.chmod(0o644)
    result = cli("serve", "--port", "0", "--sandbox", "process")
    assert result.exit_code == 0, result.output
    key = path.read_text().strip()
    assert re.fullmatch(r"judge_[0-9a-f]{12}_[A-Za-z0-9_-]+", key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert key not in result.output and key.rsplit("_", 1)[1] not in result.output
    assert f"written to {path.resolve()} (mode 0600)" in result.stdout


def test_first_admin_key_is_printed_on_a_terminal(tmp_path):
    controller, terminal = pty.openpty()
    env = service_env(tmp_path, port=str(free_port()))
    process = subprocess.Popen(
        judge_command("serve"), env=env, stdin=terminal, stdout=terminal, stderr=terminal, start_new_session=True
    )
    os.close(terminal)
    output = b""
    try:
        deadline = time.monotonic() + 90
        while b"judge serving on" not in output and process.poll() is None and time.monotonic() < deadline:
            if select.select([controller], [], [], 1)[0]:
                try:
                    output += os.read(controller, 65536)
                except OSError:  # the terminal closed: the process ended
                    break
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        os.close(controller)
    text = output.decode(errors="replace")
    assert "created an admin API key; it is shown only this once:" in text, text[-3000:]
    assert re.search(r"judge_[0-9a-f]{12}_[A-Za-z0-9_-]{40,}", text)
    assert not (tmp_path / "data" / "first-admin-key").exists()
