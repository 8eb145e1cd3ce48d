"""Margins a check records (expect.record_margin, expect.close) and the run seed (expect.generator):
carried from event to result, never serialised, varied only when validation asks."""

from __future__ import annotations

import json

import pytest
import torch
from pydantic import ValidationError

from judge.grading import grade_checks
from judge.harness import expect
from judge.harness.events import EventEnvelope
from judge.problem import load_problem
from judge.result import MAX_MARGINS_PER_CHECK, Margin
from judge.sandbox.process import ProcessSandbox
from tests.problem_factory import SOLUTION, make_problem


@pytest.fixture(autouse=True)
def _clean():
    expect.take_margins()
    expect.set_run_seed(0)
    yield
    expect.take_margins()
    expect.set_run_seed(0)


def test_record_margin_and_its_ratio():
    expect.record_margin("loss_ratio", 0.5, 0.75)
    expect.record_margin("step_ratio", torch.tensor(1.2), 0.6, bound="min")
    expect.record_margin("gone", float("nan"), 1.0)
    loss, step, gone = expect.take_margins()
    assert loss == Margin(name="loss_ratio", measured=0.5, threshold=0.75, bound="max")
    assert loss.ratio == pytest.approx(2 / 3) and step.ratio == pytest.approx(0.5)
    assert gone.measured is None and gone.ratio is None
    assert expect.take_margins() == [], "taking forgets"


def test_close_keeps_its_worst_error_over_calls_as_the_tolerance_margin():
    expect.close(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0], dtype=torch.float64), "x", rtol=0, atol=0.1)
    expect.close_scalar(1.05, 1.0, "y", rtol=0, atol=0.1)
    with pytest.raises(AssertionError):
        expect.close(torch.tensor([3.0]), torch.tensor([1.0], dtype=torch.float64), "z", rtol=0, atol=1.0)
    (tolerance,) = expect.take_margins()
    assert (tolerance.name, tolerance.threshold, tolerance.bound) == ("tolerance", 1.0, "max")
    assert tolerance.measured == pytest.approx(2.0), "the failing call's error / allowed"


def test_author_errors_raise():
    with pytest.raises(ValueError, match="margin name"):
        expect.record_margin("Loss ratio", 1.0, 2.0)
    with pytest.raises(ValueError, match="finite"):
        expect.record_margin("loss", 1.0, float("inf"))
    for _ in range(MAX_MARGINS_PER_CHECK):
        expect.record_margin("loss", 1.0, 2.0)
    with pytest.raises(ValueError, match="at most"):
        expect.record_margin("loss", 1.0, 2.0)


def test_the_host_refuses_too_many_or_non_finite_margins():
    base = {"type": "check", "id": "c", "outcome": "passed", "duration_s": 0.1}
    for margins in (
        [{"name": "loss", "measured": 1.0, "threshold": 2.0}] * (MAX_MARGINS_PER_CHECK + 1),
        [{"name": "loss", "measured": 1.0, "threshold": float("nan")}],
        [{"name": "loss", "measured": 1.0, "threshold": 2.0, "bound": "between"}],
    ):
        with pytest.raises(ValidationError):
            EventEnvelope.model_validate({"event": {**base, "margins": margins}})


def test_generator_is_the_seed_itself_unless_the_run_seed_changes():
    graded = torch.rand(3, generator=expect.generator(5))
    assert torch.equal(graded, torch.rand(3, generator=torch.Generator().manual_seed(5)))
    expect.set_run_seed(1)
    assert not torch.equal(graded, torch.rand(3, generator=expect.generator(5)))


SEEDED_CHECK = """
import torch
from judge.harness import expect

def test_adds_broadcast(candidate):
    a = torch.rand(3, generator=expect.generator(1))
    drawn = candidate.call("draw")
    expect.record_margin("check_side", float(a[0]), 2.0)
    expect.record_margin("probe_side", float(drawn), 2.0)
    expect.close(candidate.call("add", a, a), (a + a).double(), "add(a, a)")

def test_shape(candidate):
    expect.tensor(candidate.call("add", torch.ones(4), torch.ones(4)), "add(a, b)", shape=(4,))
"""
SEEDED_PROBES = """
import torch

def add(sol, a, b):
    return sol.add(a, b)

def draw(sol):
    return float(torch.rand(1))
"""


def test_the_run_seed_reaches_checks_and_probes_and_margins_stay_out_of_results(tmp_path, settings):
    root = make_problem(tmp_path, **{"checks/test_add.py": SEEDED_CHECK, "probes.py": SEEDED_PROBES})
    problem, sandbox = load_problem(root), ProcessSandbox(settings)

    def margins(seed: int) -> dict[str, float | None]:
        result = grade_checks(problem, SOLUTION.encode(), settings, sandbox, [], seed=seed).result
        assert result.score == result.max_score, result
        (check,) = [c for c in result.checks if c.id == "adds_broadcast"]
        assert "margins" not in json.loads(result.model_dump_json())["checks"][0]
        return {m.name: m.measured for m in check.margins}

    default, other = margins(0), margins(1)
    assert default["check_side"] == pytest.approx(
        float(torch.rand(3, generator=torch.Generator().manual_seed(1))[0]), abs=1e-5
    )
    torch.manual_seed(0)
    assert default["probe_side"] == pytest.approx(float(torch.rand(1)), abs=1e-5)
    assert other["check_side"] != default["check_side"] and other["probe_side"] != default["probe_side"]
    assert default["tolerance"] == 0.0
