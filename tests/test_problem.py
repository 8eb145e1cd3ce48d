"""Problem packages: what loads, and each way a package is refused with a clear message."""

import pytest

from judge.bank.loader import ProblemBank
from judge.errors import InvalidProblem, ProblemNotFound
from judge.problem import Limits, load_problem
from judge.settings import Settings
from tests.conftest import PROBLEMS
from tests.problem_factory import make_problem


def test_valid_package_loads(tmp_path):
    problem = load_problem(make_problem(tmp_path))
    assert problem.slug == "tiny-add"
    assert [c.id for c in problem.check_specs] == ["adds", "adds_broadcast", "shape"]
    assert problem.max_score == 4
    assert [m.name for m in problem.mutants] == ["subtracts.py"]


def test_every_problem_in_the_repository_loads():
    problems = ProblemBank(Settings(problems={"dirs": [PROBLEMS]})).problems()
    assert {"vae-mnist", "aigc-concepts"} <= {p.slug for p in problems}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"problem.toml": "slug = [unclosed"}, "problem.toml"),
        (
            {
                "problem.toml": 'slug = "tiny-add"\ntitle = "x"\ndifficulty = "easy"\nkind = "code"\nentrypoint = "solution.py"\n'
            },
            "at least one check",
        ),
        (
            {
                "problem.toml": 'slug = "tiny-add"\ntitle = "x"\ndifficulty = "trivial"\nkind = "code"\nentrypoint = "solution.py"\n'
            },
            "difficulty",
        ),
        (
            {
                "problem.toml": 'slug = "tiny-add"\ntitle = "x"\ndifficulty = "easy"\nkind = "code"\nentrypoint = "../x.py"\n[[checks]]\nid="adds"\ncategory="formula"\npoints=1\n'
            },
            "entrypoint",
        ),
        ({"checks/test_add.py": "def test_adds_broadcast(candidate):\n    pass\n"}, "test_shape in checks/"),
        ({"checks/test_extra.py": "def test_surprise(candidate):\n    pass\n"}, "not declared"),
        ({"public/test_add_public.py": ""}, "test_adds in public/"),
    ],
)
def test_invalid_packages_are_refused_with_a_reason(tmp_path, change, message):
    directory = make_problem(tmp_path, **change)
    with pytest.raises(InvalidProblem, match=message):
        load_problem(directory)


def test_slug_must_match_directory(tmp_path):
    directory = make_problem(tmp_path)
    renamed = directory.rename(tmp_path / "other-name")
    with pytest.raises(InvalidProblem, match="must equal the directory name"):
        load_problem(renamed)


def test_missing_file_is_named(tmp_path):
    directory = make_problem(tmp_path)
    (directory / "probes.py").unlink()
    with pytest.raises(InvalidProblem, match="missing probes.py"):
        load_problem(directory)


def test_symbolic_links_are_refused(tmp_path):
    directory = make_problem(tmp_path)
    (directory / "checks" / "link.py").symlink_to("/etc/passwd")
    with pytest.raises(InvalidProblem, match="symbolic link"):
        load_problem(directory)


def test_bank_finds_by_slug_and_by_path_and_names_known_slugs(tmp_path):
    make_problem(tmp_path)
    bank = ProblemBank(Settings(problems={"dirs": [tmp_path]}))
    assert bank.get("tiny-add").slug == "tiny-add"
    assert bank.get(str(tmp_path / "tiny-add")).slug == "tiny-add"
    with pytest.raises(ProblemNotFound, match="known: tiny-add"):
        bank.get("nope")


def test_limits_are_clamped_to_server_maxima():
    limits = Limits(check_timeout_s=100, run_timeout_s=1000, memory_mb=8192)
    clamped = limits.clamped(max_check_timeout_s=10, max_wall_timeout_s=60, max_memory_mb=1024)
    assert (clamped.check_timeout_s, clamped.run_timeout_s, clamped.memory_mb) == (10, 60, 1024)
    assert (
        Limits(check_timeout_s=5)
        .clamped(max_check_timeout_s=10, max_wall_timeout_s=60, max_memory_mb=1024)
        .check_timeout_s
        == 5
    )
