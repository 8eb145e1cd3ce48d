"""Bare mode for bench/grading_latency.py: a problem's checks under plain `python -m pytest`, no sandbox.

    python -m pytest CHECKS_DIR -p bare_plugin --bare-solution solution.py --bare-probes probes.py --bare-checks a,b

The checks' `candidate` fixture calls the problem's probes on the imported solution in this very
process, instead of in an isolated candidate process: the floor the judge's overhead is measured
against. Everything else is as in the judge: the same seed before each probe (torch.manual_seed),
one torch thread on both sides (OMP_NUM_THREADS=1, torch.set_num_threads(1)), every probe answer
passed through the judge's wire encoding (so the checks see exactly the values they see when
judged), and only the problem's declared checks are run.
"""

from __future__ import annotations

import importlib.util
import types
from typing import Any

import pytest
import torch

from judge.harness import wire


def pytest_addoption(parser: pytest.Parser) -> None:
    """The solution, the probes and the declared check ids."""
    group = parser.getgroup("bare", "bare grading (bench)")
    group.addoption("--bare-solution", required=True, help="the submission file")
    group.addoption("--bare-probes", required=True, help="the problem's probes.py")
    group.addoption("--bare-checks", required=True, help="comma-separated check ids to run")


def _load(name: str, path: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BareCandidate:
    """Calls probes in-process, as the candidate process would (seeded, one thread, wire round trip)."""

    def __init__(self, solution: types.ModuleType, probes: types.ModuleType) -> None:
        self.solution = solution
        self.probes = probes

    def call(self, probe: str, *args: Any, seed: int | None = None) -> Any:
        """probes.<probe>(solution, *args), seeded like the judge's candidate process."""
        torch.manual_seed(0 if seed is None else seed)
        torch.set_num_threads(1)
        value = getattr(self.probes, probe)(self.solution, *wire.decode(wire.encode(list(args))))
        return wire.decode(wire.encode(value))


@pytest.fixture(scope="session")
def _bare_candidate(pytestconfig: pytest.Config) -> BareCandidate:
    solution = _load("solution", pytestconfig.getoption("--bare-solution"))
    probes = _load("probes", pytestconfig.getoption("--bare-probes"))
    return BareCandidate(solution, probes)


@pytest.fixture
def candidate(_bare_candidate: BareCandidate) -> BareCandidate:
    """The in-process stand-in for the judge's candidate session."""
    return _bare_candidate


@pytest.fixture(autouse=True)
def _deterministic() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(1)


def pytest_collection_modifyitems(items: list[pytest.Item], config: pytest.Config) -> None:
    """Only the problem's declared checks, as the judge runs them."""
    wanted = set(config.getoption("--bare-checks").split(","))
    items[:] = [item for item in items if item.name.removeprefix("test_") in wanted]
