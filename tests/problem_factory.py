"""Builds small problem packages on disk for tests of the core (fast to grade: no training)."""

from __future__ import annotations

import textwrap
from pathlib import Path

PROBLEM_TOML = """
slug = "{slug}"
title = "Add two tensors"
difficulty = "easy"
tags = ["test"]
kind = "code"
entrypoint = "solution.py"

[limits]
check_timeout_s = {check_timeout_s}
run_timeout_s = {run_timeout_s}
memory_mb = 512

[[checks]]
id = "adds"
category = "formula"
points = 2
visibility = "public"

[[checks]]
id = "adds_broadcast"
category = "formula"
points = 1

[[checks]]
id = "shape"
category = "shape"
points = 1
"""

PROBES = """
def add(sol, a, b):
    return sol.add(a, b)
"""

PUBLIC = """
import torch
from judge.harness import expect

def test_adds(candidate):
    a, b = torch.ones(3), torch.arange(3.0)
    expect.close(candidate.call("add", a, b), (a + b).double(), "add(a, b)")
"""

HIDDEN = """
import torch
from judge.harness import expect

def test_adds_broadcast(candidate):
    a, b = torch.ones(2, 1), torch.arange(3.0)
    expect.close(candidate.call("add", a, b), (a + b).double(), "add(a, b) with broadcasting")

def test_shape(candidate):
    expect.tensor(candidate.call("add", torch.ones(4), torch.ones(4)), "add(a, b)", shape=(4,))
"""

SOLUTION = "def add(a, b):\n    return a + b\n"
STARTER = "def add(a, b):\n    raise NotImplementedError\n"
MUTANT = "def add(a, b):\n    return a - b\n"


def make_problem(
    root: Path, slug: str = "tiny-add", check_timeout_s: float = 5, run_timeout_s: float = 20, **overrides: str
) -> Path:
    """Write a valid three-check problem package under root/slug; `overrides` replace files by name."""
    directory = root / slug
    (directory / "checks").mkdir(parents=True)
    (directory / "public").mkdir()
    (directory / "mutants").mkdir()
    files = {
        "problem.toml": PROBLEM_TOML.format(slug=slug, check_timeout_s=check_timeout_s, run_timeout_s=run_timeout_s),
        "statement.md": "# Add\n\n`add(a, b)` returns `a + b` (broadcasting), float64 tolerance rtol 1e-5.\n",
        "starter.py": STARTER,
        "solution.py": SOLUTION,
        "probes.py": PROBES,
        "public/test_add_public.py": PUBLIC,
        "checks/test_add.py": HIDDEN,
        "mutants/subtracts.py": MUTANT,
    }
    files.update(overrides)
    for name, text in files.items():
        (directory / name).write_text(textwrap.dedent(text))
    return directory
