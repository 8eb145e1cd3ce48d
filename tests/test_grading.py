"""The grading pipeline end to end on the process backend, with a small fast problem."""

from __future__ import annotations

import pytest

from judge.bank import versions
from judge.bank.loader import ProblemBank
from judge.errors import ChecksFault, InvalidSubmission, ProblemNotFound, SandboxFault
from judge.grading import CANDIDATE_OUTPUT_MARKER, build_job, candidate_output, grade_submission
from judge.harness.isolation import IsolationPolicy
from judge.problem import load_problem
from judge.result import Outcome, Verdict
from judge.sandbox.process import ProcessSandbox
from judge.settings import Settings
from judge.workspace import prepare_workspace
from tests.conftest import grade_ref
from tests.problem_factory import HIDDEN, SOLUTION, make_problem


@pytest.fixture
def tiny(tmp_path):
    """grade(source, **problem_overrides) on a fresh tiny-add problem."""
    settings = Settings(problems={"dirs": [tmp_path]}, storage={"data_dir": tmp_path / "data"})
    sandbox = ProcessSandbox(Settings())

    def run(source: str, **overrides):
        directory = make_problem(tmp_path, **overrides)
        return grade_ref(str(directory), source.encode(), settings, sandbox)

    return run


def outcomes(result):
    return {c.id: c.outcome for c in result.checks}


def test_reference_is_accepted_and_callback_sees_each_check(tmp_path):
    directory = make_problem(tmp_path)
    settings = Settings(problems={"dirs": [tmp_path]}, storage={"data_dir": tmp_path / "data"})
    seen = []
    result = grade_ref("tiny-add", SOLUTION.encode(), settings, ProcessSandbox(Settings()), on_check=seen.append)
    assert result.verdict is Verdict.ACCEPTED and result.score == result.max_score == 4
    assert sorted(c.id for c in seen) == ["adds", "adds_broadcast", "shape"]
    assert directory.exists()


def test_wrong_values_fail_with_a_message_that_quotes_no_expected_value(tiny):
    result = tiny("def add(a, b):\n    return a * 1000 + b\n")
    assert result.verdict is Verdict.PARTIAL
    failed = [c for c in result.checks if c.outcome is Outcome.FAILED]
    assert {c.id for c in failed} == {"adds", "adds_broadcast"}
    assert all("differs from the reference" in c.message for c in failed)
    assert all("1000" not in c.message and "tensor(" not in c.message for c in failed)


def test_a_file_that_does_not_compile_is_one_compile_error_not_an_error_per_check(tiny):
    result = tiny("import torch\n\ndef add(a, b)\n    return a + b\n")
    assert result.verdict is Verdict.COMPILE_ERROR and result.score == 0 and result.max_score == 4
    assert result.compile_error is not None
    assert (result.compile_error.line, result.compile_error.text) == (3, "def add(a, b)")
    assert result.compile_error.headline() == "SyntaxError at line 3: expected ':'"
    assert all(c.outcome is Outcome.ERROR and c.message == "not run: the file does not compile" for c in result.checks)


def test_an_indentation_error_is_a_compile_error_too(tiny):
    result = tiny("def add(a, b):\nreturn a + b\n")
    assert result.verdict is Verdict.COMPILE_ERROR
    assert result.compile_error is not None and result.compile_error.message.startswith("IndentationError")


def test_an_import_error_is_a_runtime_error_for_every_check(tiny):
    result = tiny("import no_such_module_anywhere\n\ndef add(a, b):\n    return a + b\n")
    assert result.verdict is Verdict.RUNTIME_ERROR and result.compile_error is None
    assert all(c.outcome is Outcome.ERROR and "ModuleNotFoundError" in c.message for c in result.checks)


def test_exception_names_type_message_and_line(tiny):
    result = tiny("def add(a, b):\n    raise ValueError('boom')\n")
    assert result.checks[0].message == "ValueError: boom (at solution.py:2)"


def test_a_check_that_times_out_does_not_sink_the_others(tiny):
    source = "import time\ndef add(a, b):\n    if a.dim() == 2:\n        time.sleep(60)\n    return a + b\n"
    result = tiny(source, check_timeout_s=3)
    assert outcomes(result) == {"adds": Outcome.PASSED, "adds_broadcast": Outcome.TIMEOUT, "shape": Outcome.PASSED}
    assert result.verdict is Verdict.TIME_LIMIT and result.score == 3


def test_a_crash_in_one_check_restarts_the_process_for_the_next(tiny):
    source = "import os\ndef add(a, b):\n    if a.dim() == 2:\n        os._exit(0)\n    return a + b\n"
    result = tiny(source)
    assert outcomes(result) == {"adds": Outcome.PASSED, "adds_broadcast": Outcome.ERROR, "shape": Outcome.PASSED}
    broadcast = next(c for c in result.checks if c.id == "adds_broadcast")
    assert "exited with code 0" in broadcast.message


def test_garbage_on_the_channel_is_the_submissions_fault(tiny):
    source = (
        "import os\n"
        "def add(a, b):\n"
        "    for fd in range(3, 12):\n"
        "        try:\n"
        "            os.write(fd, b'\\x00\\x00\\x00\\x05{{{{{')\n"
        "        except OSError:\n"
        "            pass\n"
        "    return a + b\n"
    )
    result = tiny(source)
    assert result.score == 0
    assert all(c.outcome is Outcome.ERROR for c in result.checks), [(c.id, c.outcome, c.message) for c in result.checks]


def test_run_time_limit_ends_the_run(tiny):
    source = "import time\ndef add(a, b):\n    time.sleep(60)\n"
    result = tiny(source, check_timeout_s=4, run_timeout_s=6)
    assert result.verdict is Verdict.TIME_LIMIT and result.score == 0
    assert all(c.outcome is Outcome.TIMEOUT for c in result.checks)


def test_broken_checks_are_a_fault_of_the_judge_not_a_score(tiny):
    with pytest.raises(ChecksFault, match="collecting the checks failed"):
        tiny(
            SOLUTION,
            **{
                "checks/test_add.py": "import not_a_module\ndef test_adds_broadcast(candidate): pass\ndef test_shape(candidate): pass\n"
            },
        )


def test_checks_that_kill_the_runner_are_the_problems_fault_not_a_score(tiny):
    """The runner dies in a check's own code: a fault of the checks (never scored), not of the sandbox."""
    checks = "import os\ndef test_adds_broadcast(candidate):\n    os._exit(9)\ndef test_shape(candidate):\n    pass\n"
    with pytest.raises(ChecksFault, match="exited with code 9"):
        tiny(SOLUTION, **{"checks/test_add.py": checks})


class RestartingEngine(ProcessSandbox):
    """A backend whose engine restarts during every run (as dockerd stopped mid-grade)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.epochs = 0

    def engine_epoch(self) -> str | None:
        self.epochs += 1
        return f"pid {self.epochs}"


def test_an_engine_restart_during_the_grade_is_a_fault_of_the_judge_not_a_score(tmp_path):
    make_problem(tmp_path)
    settings = Settings(problems={"dirs": [tmp_path]}, storage={"data_dir": tmp_path / "data"})
    sandbox = RestartingEngine(settings)
    with pytest.raises(SandboxFault, match=r"engine stopped or restarted during the grade \(pid 1 -> pid 2\)"):
        grade_ref("tiny-add", SOLUTION.encode(), settings, sandbox)
    assert ProcessSandbox(Settings()).engine_epoch() is None, "a backend without an engine never sees a restart"


def test_submissions_must_be_utf8_and_small(tmp_path):
    make_problem(tmp_path)
    settings = Settings(problems={"dirs": [tmp_path]}, limits={"max_source_bytes": 100})
    with pytest.raises(InvalidSubmission, match="not UTF-8"):
        grade_ref("tiny-add", b"\xff\xfe", settings, ProcessSandbox(Settings()))
    with pytest.raises(InvalidSubmission, match="limit is 100"):
        grade_ref("tiny-add", b"#" * 101, settings, ProcessSandbox(Settings()))


def test_job_clamps_limits_and_hides_the_bank(tmp_path):
    directory = make_problem(tmp_path, check_timeout_s=50, run_timeout_s=500)
    settings = Settings(
        problems={"dirs": [tmp_path]},
        storage={"data_dir": tmp_path},
        limits={"max_check_timeout_s": 7, "max_wall_timeout_s": 30, "max_memory_mb": 300},
    )
    problem = load_problem(directory)
    workspace = prepare_workspace(problem, b"", None)
    try:
        job = build_job(problem, workspace, settings, None, ProblemBank(settings).hidden_paths())
    finally:
        workspace.remove()
    assert job.config.check_timeout_s == 7 and job.config.run_timeout_s == 30
    assert isinstance(job.config.policy, IsolationPolicy) and job.config.policy.memory_mb == 300
    assert str(tmp_path.resolve()) in job.config.policy.hide_paths
    assert str(workspace.trusted_dir) in job.config.policy.hide_paths
    assert job.config.check_ids == ["adds", "adds_broadcast", "shape"]


def test_a_stored_package_version_is_graded_whatever_the_bank_holds_now_and_stays_hidden(tmp_path):
    bank = tmp_path / "bank"
    directory = make_problem(bank)
    settings = Settings(problems={"dirs": [bank]}, storage={"data_dir": tmp_path / "data"})
    version = versions.snapshot(settings, load_problem(directory))
    # The bank's package changes afterwards: its hidden check now fails every submission.
    (directory / "checks" / "test_add.py").write_text(
        HIDDEN.replace("def test_shape(candidate):\n", "def test_shape(candidate):\n    assert False, 'changed'\n")
    )
    sandbox = ProcessSandbox(Settings())
    problems = ProblemBank(settings)
    assert grade_ref("tiny-add", SOLUTION.encode(), settings, sandbox).verdict is not Verdict.ACCEPTED
    stored = problems.load("tiny-add", version)
    result = grade_submission(stored, SOLUTION.encode(), settings, sandbox, problems.hidden_paths())
    assert result.verdict is Verdict.ACCEPTED and result.score == result.max_score == 4
    with pytest.raises(ProblemNotFound):
        problems.load("tiny-add", "0" * 64)
    workspace = prepare_workspace(stored, b"", None)
    try:
        hidden = build_job(stored, workspace, settings, None, problems.hidden_paths()).config.policy.hide_paths
    finally:
        workspace.remove()
    assert any(versions.versions_dir(settings).is_relative_to(path) for path in hidden)


def test_a_runs_output_is_the_candidates_part_of_the_runners_stderr_capped():
    runner = f"..  [100%]\n2 passed\n{CANDIDATE_OUTPUT_MARKER}hello\nworld\n\n"
    assert candidate_output(runner, 1024) == "hello\nworld\n"
    # A runner killed before its marker (the run's time limit) left no candidate output to show.
    assert candidate_output("..  [100%]\n", 1024) == ""
    # Cut on a character boundary, with a note of the whole size.
    assert candidate_output(f"{CANDIDATE_OUTPUT_MARKER}{'é' * 10}\n", 5) == "éé\n[output cut: 20 bytes in all]"
