"""Offline batch grading: reading a directory or .zip safely, grading in parallel, flags and similar pairs."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest

from judge import batch as batch_module
from judge.bank.loader import ProblemBank
from judge.batch import InvalidBatch, collect_submissions, grade_batch, is_batch
from judge.errors import SandboxFault
from judge.result import Outcome, Verdict
from judge.sandbox.process import ProcessSandbox
from judge.settings import Settings
from tests.problem_factory import MUTANT, SOLUTION, STARTER, make_problem

# Long enough to fingerprint: a one-line add() is below copydetect's noise threshold.
CAREFUL = '''
import torch


def add(a, b):
    """a + b, promoted to float64 and broadcast."""
    left = torch.as_tensor(a, dtype=torch.float64)
    right = torch.as_tensor(b, dtype=torch.float64)
    shape = torch.broadcast_shapes(left.shape, right.shape)
    return left.expand(shape) + right.expand(shape)
'''
CAREFUL_COPY = '''
import torch

def add(x, y):
    """My own implementation."""
    # written from scratch
    first = torch.as_tensor(x, dtype=torch.float64)
    second = torch.as_tensor(y, dtype=torch.float64)
    out_shape = torch.broadcast_shapes(first.shape, second.shape)
    return first.expand(out_shape) + second.expand(out_shape)
'''


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Settings on a bank holding only tiny-add, with time limits parallel grading on a busy machine cannot hit."""
    make_problem(tmp_path / "bank", check_timeout_s=30, run_timeout_s=120)
    return Settings(
        problems={"dirs": [tmp_path / "bank"]}, storage={"data_dir": tmp_path / "data"}, queue={"retry_backoff_s": 0}
    )


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return root


def write_zip(path: Path, files: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return path


def candidates(submissions) -> dict[str, str]:
    return {s.candidate: s.origin for s in submissions}


def test_a_directory_holds_one_file_or_one_folder_per_candidate(tmp_path, settings):
    root = write_tree(
        tmp_path / "subs",
        {
            "alice.py": SOLUTION,
            "bob/solution.py": MUTANT,
            "bob/notes.txt": "ignored",
            "carol/helper.py": "no entrypoint: not a submission",
            "readme.md": "ignored",
            ".hidden.py": "ignored",
        },
    )
    (root / "mallory.py").symlink_to("/etc/passwd")
    (root / "eve").symlink_to(root / "bob")
    found = collect_submissions(root, "solution.py", settings)
    assert candidates(found) == {"alice": "alice.py", "bob": "bob/solution.py"}
    assert found[0].source == SOLUTION.encode()
    assert is_batch(root) and not is_batch(root / "alice.py")


def test_a_candidate_twice_or_no_candidate_at_all_is_refused(tmp_path, settings):
    clash = write_tree(tmp_path / "clash", {"bob.py": SOLUTION, "bob/solution.py": SOLUTION})
    with pytest.raises(InvalidBatch, match="two submissions for candidate 'bob'"):
        collect_submissions(clash, "solution.py", settings)
    empty = write_tree(tmp_path / "empty", {"notes.txt": "x"})
    with pytest.raises(InvalidBatch, match=r"no submissions in .*one \*\.py file per candidate"):
        collect_submissions(empty, "solution.py", settings)
    many = write_tree(tmp_path / "many", {f"c{i}.py": SOLUTION for i in range(4)})
    with pytest.raises(InvalidBatch, match="holds 4 submissions; the limit is 3"):
        collect_submissions(
            many,
            "solution.py",
            settings.model_copy(update={"batch": settings.batch.model_copy(update={"max_submissions": 3})}),
        )


def test_a_zip_is_read_in_memory_looking_through_one_wrapping_folder(tmp_path, settings):
    archive = write_zip(
        tmp_path / "subs.zip",
        {
            "export/alice.py": SOLUTION,
            "export/bob/solution.py": MUTANT,
            "export/__MACOSX/._alice.py": "junk",
            "export/x/y/z.py": "too deep",
        },
    )
    assert is_batch(archive)
    assert candidates(collect_submissions(archive, "solution.py", settings)) == {
        "alice": "export/alice.py",
        "bob": "export/bob/solution.py",
    }
    one = write_zip(tmp_path / "one.zip", {"alice/solution.py": SOLUTION})
    assert candidates(collect_submissions(one, "solution.py", settings)) == {"alice": "alice/solution.py"}


def test_unsafe_zip_members_are_never_read(tmp_path, settings):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("../escape.py", SOLUTION)
        z.writestr("/abs.py", SOLUTION)
        z.writestr("c:\\win.py", SOLUTION)
        z.writestr("sub/../../up.py", SOLUTION)
        link = zipfile.ZipInfo("linked.py")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        z.writestr(link, "/etc/passwd")
        z.writestr("honest.py", SOLUTION)
    assert candidates(collect_submissions(archive, "solution.py", settings)) == {"honest": "honest.py"}
    assert not (tmp_path.parent / "escape.py").exists()


def test_zip_reads_stop_at_the_size_limits(tmp_path, settings):
    archive = write_zip(tmp_path / "bomb.zip", {"big.py": b"#" * (8 * 2**20), "ok.py": SOLUTION})
    assert archive.stat().st_size < 2**20
    found = {s.candidate: s for s in collect_submissions(archive, "solution.py", settings)}
    assert len(found["big"].source) == settings.limits.max_source_bytes + 1
    with pytest.raises(InvalidBatch, match="the limit for an archive of submissions is 100"):
        collect_submissions(
            archive,
            "solution.py",
            settings.model_copy(update={"batch": settings.batch.model_copy(update={"max_archive_bytes": 100})}),
        )
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip at all")
    with pytest.raises(InvalidBatch, match="not a readable zip archive"):
        collect_submissions(bad, "solution.py", settings)


def test_grade_batch_grades_flags_and_pairs_every_candidate(tmp_path, settings, monkeypatch):
    decoded = []
    real_decode = batch_module.decode_source
    # Grading, flags and similarity read one decoded text: the batch checks each file once.
    monkeypatch.setattr(
        batch_module, "decode_source", lambda source, s: decoded.append(source) or real_decode(source, s)
    )
    root = write_tree(
        tmp_path / "subs",
        {
            "alice.py": CAREFUL,
            "bob.py": CAREFUL_COPY,
            "carol/solution.py": "import gc\n" + MUTANT,
            "erin.py": STARTER,
            "huge.py": "#" * (settings.limits.max_source_bytes + 10),
            "latin.py": b"# \xe9\n",
        },
    )
    bank = ProblemBank(settings)
    problem = bank.get("tiny-add")
    seen = []
    batch = grade_batch(
        problem,
        collect_submissions(root, "solution.py", settings),
        settings,
        ProcessSandbox(Settings()),
        bank.hidden_paths(),
        jobs=2,
        threshold=0.8,
        on_report=lambda r: seen.append(r.candidate),
    )
    rows = {r.candidate: r for r in batch.candidates}
    assert sorted(seen) == list(rows) == ["alice", "bob", "carol", "erin", "huge", "latin"]
    assert (rows["alice"].verdict, rows["alice"].score, rows["alice"].max_score) == (Verdict.ACCEPTED, 4, 4)
    assert rows["alice"].checks == {"adds": Outcome.PASSED, "adds_broadcast": Outcome.PASSED, "shape": Outcome.PASSED}
    assert (rows["carol"].verdict, rows["carol"].score, rows["carol"].file) == (Verdict.PARTIAL, 1, "carol/solution.py")
    assert [(f.kind.value, f.line) for f in rows["carol"].flags] == [("gc", 1)] and rows["alice"].flags == []
    assert rows["erin"].score == 0 and rows["alice"].time_s > 0
    for name, message in (("huge", "bytes; the limit is"), ("latin", "not UTF-8")):
        assert (rows[name].verdict, rows[name].score) == (None, 0) and message in rows[name].error
    # Only the disguised copy pairs up: the starter shares nothing of its own with anyone.
    assert [(p.a, p.b) for p in batch.similar_pairs] == [("alice", "bob")]
    assert [m.candidate for m in rows["alice"].similar] == ["bob"] and [m.candidate for m in rows["bob"].similar] == [
        "alice"
    ]
    assert rows["alice"].similar[0].lines and not rows["erin"].similar
    assert not batch.judge_failed
    assert len(decoded) == 6


class FlakySandbox(ProcessSandbox):
    """The process sandbox, failing the first `faults` runs as a broken Docker engine would."""

    def __init__(self, settings: Settings, faults: int) -> None:
        super().__init__(settings)
        self.faults = faults

    def run(self, job, on_event=None):
        if self.faults > 0:
            self.faults -= 1
            raise SandboxFault("docker daemon went away")
        return super().run(job, on_event)


def test_a_sandbox_fault_is_retried_then_reported_as_the_judges_not_scored(tmp_path, settings):
    bank = ProblemBank(settings)
    problem = bank.get("tiny-add")
    subs = collect_submissions(write_tree(tmp_path / "subs", {"alice.py": SOLUTION}), "solution.py", settings)
    recovered = grade_batch(
        problem,
        subs,
        settings,
        FlakySandbox(settings, faults=settings.queue.max_tries - 1),
        bank.hidden_paths(),
        jobs=1,
        threshold=0.8,
    )
    assert recovered.candidates[0].verdict is Verdict.ACCEPTED
    failed = grade_batch(
        problem,
        subs,
        settings,
        FlakySandbox(settings, faults=settings.queue.max_tries),
        bank.hidden_paths(),
        jobs=1,
        threshold=0.8,
    )
    row = failed.candidates[0]
    assert (row.verdict, row.score) == (Verdict.INTERNAL_ERROR, None)
    assert f"the judge failed {settings.queue.max_tries} times: docker daemon went away" == row.error
    assert failed.judge_failed


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["docker", "bwrap"])
def test_a_batch_grades_in_parallel_in_an_isolating_sandbox(tmp_path, settings, backend):
    from tests.sandbox.conftest import sandbox_or_skip

    sandbox = sandbox_or_skip(backend, settings)
    root = write_tree(tmp_path / "subs", {"alice.py": CAREFUL, "bob.py": CAREFUL_COPY, "carol.py": MUTANT})
    bank = ProblemBank(settings)
    problem = bank.get("tiny-add")
    batch = grade_batch(
        problem,
        collect_submissions(root, "solution.py", settings),
        settings,
        sandbox,
        bank.hidden_paths(),
        jobs=3,
        threshold=0.8,
    )
    assert [(r.candidate, r.verdict, r.score) for r in batch.candidates] == [
        ("alice", Verdict.ACCEPTED, 4),
        ("bob", Verdict.ACCEPTED, 4),
        ("carol", Verdict.PARTIAL, 1),
    ]
    assert [(p.a, p.b) for p in batch.similar_pairs] == [("alice", "bob")]
