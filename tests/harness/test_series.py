"""Curves a check records (expect.record_series): bounded, finite, carried from event to stored result."""

from __future__ import annotations

import math

import pytest
import torch
from pydantic import ValidationError

from judge.harness import expect
from judge.harness.events import MAX_EVENT_BYTES, CheckEvent, EventEnvelope
from judge.problem import CheckSpec
from judge.result import MAX_SERIES_PER_CHECK, MAX_SERIES_POINTS, CheckResult, Outcome, Series
from judge.scoring import check_results


@pytest.fixture(autouse=True)
def _clean():
    expect.take_series()
    yield
    expect.take_series()


def test_records_numbers_tensors_and_gaps():
    expect.record_series("loss", [3.0, torch.tensor(2.5), torch.tensor([2.0]), float("nan"), "x", None, True, 1])
    expect.record_series("d_loss", torch.tensor([1.0, float("inf"), 0.5]))
    (loss, d_loss) = expect.take_series()
    assert loss == Series(name="loss", values=[3.0, 2.5, 2.0, None, None, None, None, 1.0])
    assert d_loss.values == [1.0, None, 0.5]
    assert expect.take_series() == [], "taking forgets"


def test_not_a_sequence_records_an_empty_series():
    expect.record_series("loss", {"a": 1})
    expect.record_series("loss", torch.zeros(2, 2))
    assert [s.values for s in expect.take_series()] == [[], []]


def test_long_series_are_thinned_keeping_both_ends():
    expect.record_series("loss", list(range(1000)))
    (series,) = expect.take_series()
    assert len(series.values) == MAX_SERIES_POINTS
    assert series.values[0] == 0 and series.values[-1] == 999
    assert series.values == sorted(series.values)


def test_huge_series_are_cut_before_they_cost_time():
    expect.record_series("loss", torch.arange(10_000_000, dtype=torch.float64))
    (series,) = expect.take_series()
    assert len(series.values) == MAX_SERIES_POINTS and series.values[-1] == expect.MAX_SERIES_INPUT - 1


def test_values_are_rounded_to_six_digits():
    expect.record_series("loss", [math.pi, 1e-30, -123456789.0])
    assert expect.take_series()[0].values == [3.14159, 1e-30, -123457000.0]


def test_author_errors_raise():
    with pytest.raises(ValueError, match="series name"):
        expect.record_series("Loss curve", [1.0])
    for _ in range(MAX_SERIES_PER_CHECK):
        expect.record_series("loss", [1.0])
    with pytest.raises(ValueError, match="at most"):
        expect.record_series("loss", [1.0])


def test_the_host_refuses_events_with_non_finite_too_long_or_too_many_series():
    base = {"type": "check", "id": "c", "outcome": "passed", "duration_s": 0.1}
    for series in (
        [{"name": "loss", "values": [float("nan")]}],
        [{"name": "loss", "values": [1.0] * (MAX_SERIES_POINTS + 1)}],
        [{"name": "loss", "values": [1.0]}] * (MAX_SERIES_PER_CHECK + 1),
        [{"name": "<script>", "values": [1.0]}],
    ):
        with pytest.raises(ValidationError):
            EventEnvelope.model_validate({"event": {**base, "series": series}})
    raw = '{"event": {"type": "check", "id": "c", "outcome": "passed", "duration_s": 0, "series": [{"name": "loss", "values": [Infinity]}]}}'
    with pytest.raises(ValidationError):
        EventEnvelope.model_validate_json(raw)


def test_a_full_event_fits_the_event_size_limit():
    values = [-1.23457e-300] * MAX_SERIES_POINTS
    event = CheckEvent(
        id="x" * 64,
        outcome=Outcome.FAILED,
        message="m" * 400,
        duration_s=1.0,
        series=[Series(name="n" * 32, values=values)] * MAX_SERIES_PER_CHECK,
    )
    assert len(event.model_dump_json()) < MAX_EVENT_BYTES


def test_scoring_carries_series_into_the_result_and_back_from_json():
    spec = CheckSpec(id="loss_decreases", category="loss", points=2, title="t")
    event = CheckEvent(
        id="loss_decreases",
        outcome=Outcome.FAILED,
        message="no",
        duration_s=1,
        series=[Series(name="loss", values=[2.0, None, 1.0])],
    )
    (result,) = check_results([spec], [event], timed_out=False)
    assert result.series == event.series and result.points == 0
    assert CheckResult.model_validate_json(result.model_dump_json()) == result
    (missing,) = check_results([spec], [], timed_out=True)
    assert missing.series == []
