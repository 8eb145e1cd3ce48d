"""The submissions of the load test: distinct files across problems, each graded once offline.

Code submissions go to small problems made here (fast to grade, no training): correct, wrong, partly
right, crashing at import or in a call, syntax errors, attacks from tests/security, and submissions
that sleep or spin against a problem with a 2 s check / 3 s run limit. A few go to a real seed
problem; most of the volume is quiz answers, which exercise the whole queue path in milliseconds.
"""

from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from judge.result import GradeResult
from tests.api.support import judge_command
from tests.conftest import PROBLEMS, REPO
from tests.problem_factory import make_problem

ATTACKS = REPO / "tests" / "security" / "attacks"
#: Generous limits: a loaded two-core machine must not turn a correct answer into a timeout.
ADD = "rel-add"
#: Tight limits, for the submissions that must end as time_limit.
TIMEOUT = "rel-timeout"
SEED = "kl-divergence"
QUIZZES = ("aigc-concepts", "transformers-decoding-quiz")

CODE_FILES = {
    "correct": "def add(a, b):\n    return a + b\n",
    "wrong": "def add(a, b):\n    return a - b\n",
    "no_broadcast": "import torch\n\ndef add(a, b):\n    return a + b if a.shape == b.shape else torch.zeros(1)\n",
    "crash_at_import": "raise RuntimeError('broken at import')\n",
    "crash_in_call": "def add(a, b):\n    raise ValueError('not implemented')\n",
    "syntax_error": "def add(a, b)\n    return a + b\n",
}
#: Attacks whose verdict does not depend on timing (see tests/security/test_attacks.py).
ATTACK_NAMES = ("exit_zero_at_import", "read_hidden_checks", "read_secrets", "always_equal", "kill_the_runner")
TIMEOUT_FILES = {
    "sleep_forever": "import time\n\ndef add(a, b):\n    time.sleep(3600)\n",
    "spin_at_import": "while True:\n    pass\n",
}


@dataclass(frozen=True)
class Entry:
    """One distinct submission file and the problem it is for."""

    key: str
    problem: str
    path: Path
    kind: str  # quiz, code, attack, timeout, seed

    @property
    def source(self) -> bytes:
        """The file's bytes, as sent."""
        return self.path.read_bytes()


@dataclass(frozen=True)
class Offline:
    """What `judge grade --json` said about one file: a result, or that it cannot be graded."""

    result: GradeResult | None
    error: str = ""


def make_problems(root: Path) -> Path:
    """The suite's own problems under root/problems."""
    problems = root / "problems"
    make_problem(problems, ADD, check_timeout_s=15, run_timeout_s=40)
    make_problem(problems, TIMEOUT, check_timeout_s=2, run_timeout_s=3)
    return problems


def _quiz_variants(slug: str) -> dict[str, str]:
    solution = json.loads((PROBLEMS / slug / "solution.json").read_text())
    answers = solution["answers"]
    half = {k: v for i, (k, v) in enumerate(answers.items()) if i % 2 == 0}
    return {
        "perfect": json.dumps(solution),
        "half": json.dumps({"answers": half}),
        "malformed": '{"answers": [1, 2',
    }


def make_entries(root: Path) -> list[Entry]:
    """Every distinct file of the mix, written under root/files."""
    files = root / "files"
    files.mkdir(parents=True, exist_ok=True)
    entries: list[Entry] = []

    def add(key: str, problem: str, kind: str, text: str, suffix: str = ".py") -> None:
        path = files / f"{key}{suffix}"
        path.write_text(text)
        entries.append(Entry(key, problem, path, kind))

    for slug in QUIZZES:
        for name, text in _quiz_variants(slug).items():
            add(f"{slug}-{name}", slug, "quiz", text, ".json")
    for name, text in CODE_FILES.items():
        add(f"add-{name}", ADD, "code", text)
    for name in ATTACK_NAMES:
        add(f"attack-{name}", ADD, "attack", (ATTACKS / f"{name}.py").read_text())
    for name, text in TIMEOUT_FILES.items():
        add(f"timeout-{name}", TIMEOUT, "timeout", text)
    add("seed-solution", SEED, "seed", (PROBLEMS / SEED / "solution.py").read_text())
    return entries


def grade_offline(entries: list[Entry], env: dict[str, str], parallel: int = 2) -> dict[str, Offline]:
    """`judge grade --json` of every entry, `parallel` at a time; by key."""

    def one(entry: Entry) -> tuple[str, Offline]:
        done = subprocess.run(
            judge_command("grade", entry.problem, str(entry.path), "--json"),
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
        )
        # A file that does not compile exits 2 with its compile_error result printed, as the README says.
        if done.returncode == 0 or (done.returncode == 2 and done.stdout.strip()):
            return entry.key, Offline(GradeResult.model_validate_json(done.stdout.strip().splitlines()[-1]))
        return entry.key, Offline(
            None, done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"
        )

    with ThreadPoolExecutor(parallel) as pool:
        return dict(pool.map(one, entries))
