"""Notebooks and several files offline: `judge grade`, batches, and the multi-file problem graded in a real sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from judge import bundle
from judge.bank.loader import ProblemBank
from judge.batch import collect_submissions, grade_batch
from judge.cli import app
from judge.grading import grade_submission
from judge.result import Verdict
from judge.settings import Settings
from tests.conftest import PROBLEMS
from tests.test_batch import write_tree, write_zip
from tests.test_notebook import notebook

SLUG = "mlp-model-and-training"


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Settings on the repository's bank."""
    return Settings(
        problems={"dirs": [PROBLEMS]}, storage={"data_dir": tmp_path / "data"}, queue={"retry_backoff_s": 0}
    )


@pytest.fixture
def bank(settings) -> ProblemBank:
    """The repository's bank."""
    return ProblemBank(settings)


def reference_files(bank: ProblemBank) -> dict[str, str]:
    """The multi-file problem's reference, file by file."""
    problem = bank.get(SLUG)
    return bundle.unpack(problem.solution_path.read_text(), problem.file_names)


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """invoke(*args) -> Result, on the repository's bank."""
    monkeypatch.setenv("JUDGE_PROBLEMS_DIRS", json.dumps([str(PROBLEMS)]))
    monkeypatch.setenv("JUDGE_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


def test_cli_grades_a_notebook_and_refuses_magics(cli, tmp_path):
    kl = (PROBLEMS / "kl-divergence" / "solution.py").read_text()
    good = tmp_path / "work.ipynb"
    good.write_bytes(notebook(("markdown", "# KL"), ("code", kl)))
    result = cli("grade", "kl-divergence", str(good), "--json", "--sandbox", "process")
    assert result.exit_code == 0, result.output
    graded = json.loads(result.stdout)
    assert graded["verdict"] == "accepted" and graded["score"] == graded["max_score"]
    bad = tmp_path / "bad.ipynb"
    bad.write_bytes(notebook(("code", "import torch"), ("code", "%timeit torch.ones(3)")))
    refused = cli("grade", "kl-divergence", str(bad), "--json", "--sandbox", "process")
    assert refused.exit_code == 2
    assert "cell 2: shell and magic lines cannot run here (`%timeit torch.ones(3)`)" in refused.output


def test_cli_grades_a_zip_of_the_declared_files_as_one_submission(cli, bank, tmp_path):
    archive = write_zip(tmp_path / "mine.zip", {f"mine/{n}": t for n, t in reference_files(bank).items()})
    result = cli("grade", SLUG, str(archive), "--json", "--sandbox", "process")
    assert result.exit_code == 0, result.output
    graded = json.loads(result.stdout)
    assert graded["verdict"] == "accepted" and graded["score"] == graded["max_score"] == 11
    stray = write_zip(tmp_path / "stray.zip", {"train.py": "", "model.py": "", "../x.py": ""})
    refused = cli("grade", SLUG, str(stray), "--json", "--sandbox", "process")
    assert refused.exit_code == 2
    assert "../x.py: paths outside the zip are refused" in refused.output


def test_batch_collects_folders_of_files_and_notebooks(settings, bank, tmp_path):
    files = reference_files(bank)
    root = write_tree(
        tmp_path / "subs",
        {
            "alice/train.py": files["train.py"],
            "alice/model.py": files["model.py"],
            "bob/train.py": files["train.py"],
            "carol.ipynb": notebook(("code", "x = 1")),
        },
    )
    found = {s.candidate: s for s in collect_submissions(root, "train.py", settings, ["model.py"])}
    assert bundle.unpack(found["alice"].source.decode(), ["train.py", "model.py"]) == files
    assert found["bob"].error == "model.py is missing; this problem takes train.py, model.py"
    assert found["carol"].error == "a notebook holds one file; this problem takes train.py, model.py: send a zip"

    kl_root = write_tree(
        tmp_path / "kl",
        {"dan.ipynb": notebook(("code", "x = 1")), "eve.ipynb": notebook(("code", "!ls")), "fay.py": "y = 2\n"},
    )
    kl = {s.candidate: s for s in collect_submissions(kl_root, "solution.py", settings)}
    assert kl["dan"].source == b"# %% cell 1\nx = 1\n" and kl["dan"].error is None
    assert kl["eve"].error == "cell 1: shell and magic lines cannot run here (`!ls`)"
    assert kl["fay"].source == b"y = 2\n"
    zipped = write_zip(tmp_path / "subs.zip", {"all/dan.ipynb": notebook(("code", "x = 1")), "all/fay.py": "y = 2\n"})
    in_zip = {s.candidate: s.source for s in collect_submissions(zipped, "solution.py", settings)}
    assert in_zip == {"dan": b"# %% cell 1\nx = 1\n", "fay": b"y = 2\n"}


def test_batch_grades_multi_file_candidates(settings, bank, tmp_path):
    from judge.sandbox.process import ProcessSandbox

    files = reference_files(bank)
    root = write_tree(
        tmp_path / "subs",
        {"alice/train.py": files["train.py"], "alice/model.py": files["model.py"], "bob/train.py": files["train.py"]},
    )
    report = grade_batch(
        bank.get(SLUG),
        collect_submissions(root, "train.py", settings, ["model.py"]),
        settings,
        ProcessSandbox(settings),
        bank.hidden_paths(),
        jobs=1,
        threshold=0.8,
    )
    rows = {r.candidate: r for r in report.candidates}
    assert rows["alice"].verdict is Verdict.ACCEPTED and rows["alice"].score == 11
    assert rows["bob"].score == 0 and rows["bob"].error == "model.py is missing; this problem takes train.py, model.py"


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["docker", "bwrap"])
def test_the_multi_file_problem_in_a_real_sandbox(settings, bank, backend):
    from tests.sandbox.conftest import sandbox_or_skip

    sandbox = sandbox_or_skip(backend, settings)
    problem = bank.get(SLUG)
    reference = grade_submission(problem, problem.solution_path.read_bytes(), settings, sandbox, bank.hidden_paths())
    assert reference.verdict is Verdict.ACCEPTED and reference.score == problem.max_score
    assert len(problem.mutants) >= 7
    for mutant in problem.mutants:
        result = grade_submission(problem, mutant.read_bytes(), settings, sandbox, bank.hidden_paths())
        assert result.score < problem.max_score, f"{mutant.name} was not caught"


def test_a_bundle_the_grader_cannot_split_fails_every_check_saying_why(settings, bank):
    from judge.sandbox.process import ProcessSandbox

    problem = bank.get(SLUG)
    result = grade_submission(problem, b"from model import MLP\n", settings, ProcessSandbox(settings), [])
    assert result.score == 0
    assert {c.message for c in result.checks} == {
        "this problem takes 2 files (train.py, model.py): send a zip of them, "
        "or one text with each file under a line '# ==== file: train.py ===='"
    }


def test_the_workspace_writes_every_file(bank, tmp_path):
    from judge.workspace import prepare_workspace

    problem = bank.get(SLUG)
    workspace = prepare_workspace(problem, problem.solution_path.read_bytes(), None, Path(tmp_path))
    try:
        written = sorted(p.name for p in workspace.candidate_dir.iterdir() if p.is_file())
        assert written == ["model.py", "train.py"]
        assert (workspace.candidate_dir / "model.py").read_text() == reference_files(bank)["model.py"]
    finally:
        workspace.remove()
