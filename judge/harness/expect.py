"""Assertions for check authors, with messages safe to show a candidate.

Messages name the quantity and what the statement promised (shapes, ranges, tolerances), never an
expected value computed by a reference.
"""

from __future__ import annotations

import math
from typing import Any

import torch


def tensor(value: Any, name: str, shape: tuple[int, ...] | None = None, dtype: torch.dtype | None = None) -> torch.Tensor:
    """Assert `value` is a tensor of the given shape and dtype; return it."""
    assert isinstance(value, torch.Tensor), f"{name} must be a tensor, got {type(value).__name__}"
    if shape is not None:
        assert tuple(value.shape) == tuple(shape), f"{name} has shape {list(value.shape)}, expected {list(shape)}"
    if dtype is not None:
        assert value.dtype == dtype, f"{name} has dtype {value.dtype}, expected {dtype}"
    return value


def floating(value: Any, name: str, shape: tuple[int, ...] | None = None) -> torch.Tensor:
    """Assert a floating-point tensor of the given shape; return it as float64."""
    value = tensor(value, name, shape)
    assert value.is_floating_point(), f"{name} must be a floating-point tensor, got {value.dtype}"
    return value.double()


def scalar(value: Any, name: str) -> float:
    """Assert a Python number or a one-element tensor; return it as a float."""
    if isinstance(value, torch.Tensor):
        assert value.numel() == 1, f"{name} must be a scalar, got shape {list(value.shape)}"
        value = value.item()
    assert isinstance(value, (int, float)) and not isinstance(value, bool), f"{name} must be a number, got {type(value).__name__}"
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
    actual = floating(actual, name, tuple(expected.shape)) if isinstance(actual, torch.Tensor) or expected.dim() else actual
    if not isinstance(actual, torch.Tensor):
        actual = torch.tensor(scalar(actual, name), dtype=torch.float64)
    finite(actual, name)
    error = (actual - expected).abs()
    allowed = atol + rtol * expected.abs()
    if not bool((error <= allowed).all()):
        worst = float(error.max())
        raise AssertionError(f"{name} differs from the reference (max abs error {worst:.3g}; tolerance rtol={rtol:g}, atol={atol:g})")


def close_scalar(actual: Any, expected: float, name: str, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """Scalar form of close()."""
    value = scalar(actual, name)
    assert math.isfinite(value), f"{name} is not finite"
    if abs(value - expected) > atol + rtol * abs(expected):
        raise AssertionError(f"{name} differs from the reference (abs error {abs(value - expected):.3g}; tolerance rtol={rtol:g}, atol={atol:g})")
