"""Assertions for check authors, with messages safe to show a candidate.

Messages name the quantity and what the statement promised (shapes, ranges, tolerances), never an
expected value computed by a reference.
"""

from __future__ import annotations

import math
import re
from typing import Any

import torch

from judge.result import (
    MAX_MARGINS_PER_CHECK,
    MAX_SERIES_PER_CHECK,
    MAX_SERIES_POINTS,
    SERIES_NAME_PATTERN,
    Bound,
    Margin,
    Series,
)

#: Values of one series looked at, at most: a candidate returning millions costs no real time.
MAX_SERIES_INPUT = 100_000
#: Series the running check recorded; the harness plugin takes them into the check's event.
_recorded: list[Series] = []
#: Margins the running check recorded; the harness plugin takes them into the check's event.
_margins: list[Margin] = []
#: The run's seed (RunnerConfig.seed), set by the harness plugin; 0 in every graded run.
_run_seed = 0
#: Seeds a check derives with `generator` are offset by this much per unit of the run's seed, so that
#: the seeds of one run never coincide with those of another run's for the small seeds checks use.
SEED_STRIDE = 1_000_003


def tensor(
    value: Any, name: str, shape: tuple[int, ...] | None = None, dtype: torch.dtype | None = None
) -> torch.Tensor:
    """Assert `value` is a tensor of the given shape and dtype; return it."""
    assert isinstance(value, torch.Tensor), f"{name} must be a tensor, got {type(value).__name__}"
    if shape is not None:
        assert tuple(value.shape) == tuple(shape), f"{name} has shape {list(value.shape)}, expected {list(shape)}"
    if dtype is not None:
        assert value.dtype == dtype, f"{name} has dtype {value.dtype}, expected {dtype}"
    return value


def floating(value: Any, name: str, shape: tuple[int, ...] | None = None) -> torch.Tensor:
    """Assert a floating-point tensor of the given shape; return it as float64."""
    checked = tensor(value, name, shape)
    assert checked.is_floating_point(), f"{name} must be a floating-point tensor, got {checked.dtype}"
    return checked.double()


def scalar(value: Any, name: str) -> float:
    """Assert a Python number or a one-element tensor; return it as a float."""
    if isinstance(value, torch.Tensor):
        assert value.numel() == 1, f"{name} must be a scalar, got shape {list(value.shape)}"
        value = value.item()
    assert isinstance(value, (int, float)) and not isinstance(value, bool), (
        f"{name} must be a number, got {type(value).__name__}"
    )
    return float(value)


def finite(value: torch.Tensor, name: str) -> None:
    """Assert no NaN or infinity."""
    assert bool(torch.isfinite(value).all()), f"{name} contains NaN or infinity"


def in_range(value: torch.Tensor, low: float, high: float, name: str) -> None:
    """Assert every element lies in [low, high]."""
    finite(value, name)
    assert bool(((value >= low) & (value <= high)).all()), f"{name} must lie in [{low}, {high}]"


def close(actual: Any, expected: torch.Tensor, name: str, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """Assert actual matches the reference within the tolerance the statement states."""
    expected = expected.double()
    actual = (
        floating(actual, name, tuple(expected.shape)) if isinstance(actual, torch.Tensor) or expected.dim() else actual
    )
    if not isinstance(actual, torch.Tensor):
        actual = torch.tensor(scalar(actual, name), dtype=torch.float64)
    finite(actual, name)
    error = (actual - expected).abs()
    allowed = atol + rtol * expected.abs()
    _note_tolerance(error, allowed)
    if not bool((error <= allowed).all()):
        worst = float(error.max())
        raise AssertionError(
            f"{name} differs from the reference (max abs error {worst:.3g}; tolerance rtol={rtol:g}, atol={atol:g})"
        )


def close_scalar(actual: Any, expected: float, name: str, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """Scalar form of close()."""
    value = scalar(actual, name)
    assert math.isfinite(value), f"{name} is not finite"
    _note_tolerance(torch.tensor(abs(value - expected)), torch.tensor(atol + rtol * abs(expected)))
    if abs(value - expected) > atol + rtol * abs(expected):
        raise AssertionError(
            f"{name} differs from the reference (abs error {abs(value - expected):.3g}; tolerance rtol={rtol:g}, atol={atol:g})"
        )


def record_series(name: str, values: Any) -> None:
    """Attach a curve of the candidate's run (e.g. the loss per training step) to this check's result,
    for the candidate's and the team's pages; it is never scored.

    `values` comes from the candidate, so nothing in it fails the check: a 1-D tensor or a sequence of
    numbers and one-element tensors; anything not a finite number becomes a gap (None). Only the first
    MAX_SERIES_INPUT values count; longer series than MAX_SERIES_POINTS are thinned evenly, keeping the
    first and the last point. A bad `name` or more
    than MAX_SERIES_PER_CHECK series in one check is the check author's error (ValueError).
    """
    if not re.fullmatch(SERIES_NAME_PATTERN, name):
        raise ValueError(f"series name {name!r} must match {SERIES_NAME_PATTERN}")
    if len(_recorded) >= MAX_SERIES_PER_CHECK:
        raise ValueError(f"a check may record at most {MAX_SERIES_PER_CHECK} series")
    if isinstance(values, torch.Tensor):
        values = values.detach().reshape(-1)[:MAX_SERIES_INPUT].tolist() if values.dim() <= 1 else []
    points = [_point(v) for v in values[:MAX_SERIES_INPUT]] if isinstance(values, (list, tuple)) else []
    if len(points) > MAX_SERIES_POINTS:
        last = len(points) - 1
        points = [points[round(i * last / (MAX_SERIES_POINTS - 1))] for i in range(MAX_SERIES_POINTS)]
    _recorded.append(Series(name=name, values=points))


def _point(value: Any) -> float | None:
    if isinstance(value, torch.Tensor):
        value = value.item() if value.numel() == 1 and not value.is_complex() else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    # Six significant digits: plenty for a plot, and a bounded size on the wire.
    return float(f"{value:.6g}") if math.isfinite(value) else None


def take_series() -> list[Series]:
    """The series recorded since the last call, and forget them (the harness calls this per check)."""
    taken = list(_recorded)
    _recorded.clear()
    return taken


def set_run_seed(seed: int) -> None:
    """Make `generator` derive its seeds from `seed` (the harness plugin calls this from RunnerConfig.seed)."""
    global _run_seed
    _run_seed = seed


def generator(seed: int) -> torch.Generator:
    """A CPU generator for a check's inputs: seeded with `seed` itself in every graded run (the run's
    seed is 0), and with a different seed per run seed when `judge problems validate --seeds N` grades
    the reference again to measure how close it comes to each threshold."""
    return torch.Generator().manual_seed(seed + SEED_STRIDE * _run_seed)


def record_margin(name: str, measured: float, threshold: float, bound: Bound = "max") -> None:
    """Record what a threshold check measured and the threshold it compares it with (`bound` "max":
    measured must stay at or under the threshold; "min": at or over it), for `judge problems validate
    --seeds N`, which reports the reference's worst ratio over seeds. Never scored, never shown to
    candidates; call it before the assertion it describes.

    A bad name, a non-finite threshold or more than MAX_MARGINS_PER_CHECK margins in one check is the
    check author's error (ValueError); a non-finite `measured` (from the candidate) is kept as None.
    """
    if not re.fullmatch(SERIES_NAME_PATTERN, name):
        raise ValueError(f"margin name {name!r} must match {SERIES_NAME_PATTERN}")
    if not math.isfinite(threshold):
        raise ValueError(f"margin {name!r}: the threshold must be a finite number")
    if len(_margins) >= MAX_MARGINS_PER_CHECK:
        raise ValueError(f"a check may record at most {MAX_MARGINS_PER_CHECK} margins")
    value = _point(measured)
    _margins.append(Margin(name=name, measured=value, threshold=float(threshold), bound=bound))


def _note_tolerance(error: torch.Tensor, allowed: torch.Tensor) -> None:
    """Keep the check's worst error / allowed over its close() calls as its "tolerance" margin (at
    most 1 passes), so that every tolerance check reports how close it came without asking its author."""
    error, allowed = error.double().reshape(-1), allowed.double().reshape(-1)
    if not bool(torch.isfinite(error).all()):
        return
    used = torch.where(allowed > 0, error / allowed.clamp_min(1e-300), torch.where(error > 0, math.inf, 0.0))
    worst = float(used.max()) if used.numel() else 0.0
    previous = next((m for m in _margins if m.name == "tolerance"), None)
    if previous is None:
        if len(_margins) < MAX_MARGINS_PER_CHECK:
            _margins.append(Margin(name="tolerance", measured=_point(worst), threshold=1.0))
    elif previous.measured is not None:
        previous.measured = None if not math.isfinite(worst) else max(previous.measured, worst)


def take_margins() -> list[Margin]:
    """The margins recorded since the last call, and forget them (the harness calls this per check)."""
    taken = list(_margins)
    _margins.clear()
    return taken
