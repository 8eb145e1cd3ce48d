"""The package version store: content hashes, immutable versions, and uploads installed as new
versions in one atomic step."""

from __future__ import annotations

import threading

import pytest

from judge.bank import versions
from judge.bank.loader import ProblemBank
from judge.bank.packages import accept_package, uploads_dir, with_uploads
from judge.errors import ProblemNotFound
from judge.problem import load_problem
from judge.settings import Settings
from tests.api.packages import tiny_package, zip_bytes
from tests.api.support import FakeSandbox
from tests.conftest import PROBLEMS


def write(directory, files: dict[str, bytes]):
    """Write `files` under `directory`; the directory."""
    for name, data in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_bytes(data)
    return directory


@pytest.fixture
def settings(tmp_path) -> Settings:
    """The service's settings (with uploads) on a fresh data dir."""
    return with_uploads(Settings(problems={"dirs": [PROBLEMS]}, storage={"data_dir": tmp_path / "data"}))


def test_the_hash_covers_every_path_and_byte_but_not_bytecode_caches(tmp_path):
    one = write(tmp_path / "one" / "tiny-upload", tiny_package())
    two = write(tmp_path / "two" / "tiny-upload", tiny_package())
    assert versions.package_hash(one) == versions.package_hash(two)
    write(two, {"__pycache__/probes.cpython-311.pyc": b"\0"})
    assert versions.package_hash(one) == versions.package_hash(two)
    write(two, {"checks/test_tiny.py": tiny_package()["checks/test_tiny.py"] + b"\n"})
    assert versions.package_hash(one) != versions.package_hash(two)
    moved = write(tmp_path / "three" / "tiny-upload", {**tiny_package(), "notes/a": b"x"})
    renamed = write(tmp_path / "four" / "tiny-upload", {**tiny_package(), "notes/b": b"x"})
    assert versions.package_hash(moved) != versions.package_hash(renamed)


def test_a_stored_version_is_a_copy_named_by_its_hash_and_storing_again_changes_nothing(tmp_path, settings):
    source = write(tmp_path / "src" / "tiny-upload", tiny_package())
    version = versions.store(settings, source)
    stored = versions.version_dir(settings, "tiny-upload", version)
    assert version == versions.package_hash(source) == versions.package_hash(stored)
    assert stored.is_relative_to(settings.storage.data_dir.resolve())
    write(source, {"statement.md": b"# changed\n"})
    assert versions.store(settings, source) != version
    assert versions.store(settings, write(tmp_path / "again" / "tiny-upload", tiny_package())) == version
    assert load_problem(stored).statement().startswith("# Add\n")
    assert sorted(p.name for p in stored.parent.parent.iterdir()) == sorted([version, versions.package_hash(source)])
    with pytest.raises(ProblemNotFound):
        versions.load_version(settings, "tiny-upload", "0" * 64)
    with pytest.raises(ProblemNotFound):
        versions.version_dir(settings, "tiny-upload", "../../escape")


def test_snapshot_of_a_built_in_problem_is_stored_once(settings):
    problem = load_problem(PROBLEMS / "kl-divergence")
    version = versions.snapshot(settings, problem)
    assert versions.snapshot(settings, problem) == version
    assert versions.load_version(settings, "kl-divergence", version).max_score == problem.max_score


def test_a_new_upload_is_a_new_version_and_never_alters_an_earlier_one(settings):
    first = accept_package(zip_bytes(tiny_package()), ProblemBank(settings), FakeSandbox())
    old = versions.version_dir(settings, "tiny-upload", first.package_hash)
    changed = tiny_package()
    changed["statement.md"] = b"# Add, again\n"
    second = accept_package(zip_bytes(changed), ProblemBank(settings), FakeSandbox())
    assert second.replaced and second.package_hash != first.package_hash
    assert versions.package_hash(old) == first.package_hash
    assert load_problem(old).statement() == "# Add\nWrite `add(a, b)` returning a + b.\n"
    assert load_problem(uploads_dir(settings) / "tiny-upload").statement() == "# Add, again\n"


def test_an_install_never_leaves_the_slug_missing_or_half_written(settings):
    """Readers load the slug while new versions are installed: each finds one whole version."""
    accept_package(zip_bytes(tiny_package()), ProblemBank(settings), FakeSandbox())
    installed = uploads_dir(settings) / "tiny-upload"
    stop = threading.Event()
    seen: set[str] = set()
    failures: list[Exception] = []

    def read() -> None:
        while not stop.is_set():
            try:
                seen.add(load_problem(installed).statement())
            except Exception as exc:  # any failure to load is what this test looks for
                failures.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for n in range(8):
            files = tiny_package()
            files["statement.md"] = f"# Add {n}\n".encode()
            accept_package(zip_bytes(files), ProblemBank(settings), FakeSandbox())
    finally:
        stop.set()
        reader.join()
    assert failures == []
    assert len(seen) > 1 and all(s.startswith("# Add") for s in seen)


def test_an_upload_from_before_versions_is_replaced_by_a_version(settings):
    legacy = uploads_dir(settings) / "tiny-upload"
    write(legacy, tiny_package())
    accepted = accept_package(zip_bytes(tiny_package()), ProblemBank(settings), FakeSandbox())
    assert accepted.replaced and legacy.is_symlink()
    assert legacy.resolve() == versions.version_dir(settings, "tiny-upload", accepted.package_hash)
