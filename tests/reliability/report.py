"""Figures of the reliability suite (submissions, faults, inputs, lost, seconds), printed after the run."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """One line of the summary."""

    test: str
    text: str
    seconds: float | None


FIGURES: list[Figure] = []


def note(test: str, text: str, seconds: float | None = None) -> None:
    """Keep one figure for the summary."""
    FIGURES.append(Figure(test, text, seconds))


def lines() -> list[str]:
    """The summary, one line per figure."""
    return [f"{f.test}: {f.text}" + (f" ({f.seconds:.1f} s)" if f.seconds is not None else "") for f in FIGURES]
