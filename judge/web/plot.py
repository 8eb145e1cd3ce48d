"""Small charts drawn on the server as inline SVG: a check's recorded curves (the candidate's training
loss) and the score histogram of an assessment. No JavaScript, readable by screen readers through
their titles and the tables the templates put beside them."""

from __future__ import annotations

import math
from dataclasses import dataclass

from markupsafe import Markup, escape

from judge.result import Series

WIDTH, HEIGHT = 480, 220
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 64, 16, 16, 40
#: Line colours for up to MAX_SERIES_PER_CHECK series; distinguishable for common colour blindness.
COLOURS = ("#0b5cad", "#c0392b", "#1e8449", "#7d3c98")


def _fmt(value: float) -> str:
    return f"{value:.4g}"


@dataclass(frozen=True)
class _Frame:
    """Maps data coordinates to the SVG's pixel box."""

    x_max: float
    y_min: float
    y_max: float

    def x(self, step: float) -> float:
        span = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
        return MARGIN_LEFT + (step / self.x_max * span if self.x_max else span / 2)

    def y(self, value: float) -> float:
        span = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
        fraction = (value - self.y_min) / (self.y_max - self.y_min) if self.y_max > self.y_min else 0.5
        return MARGIN_TOP + span * (1 - fraction)


def _axes(frame: _Frame, x_label: str, y_label: str) -> list[str]:
    bottom, right = HEIGHT - MARGIN_BOTTOM, WIDTH - MARGIN_RIGHT
    parts = [
        f'<line x1="{MARGIN_LEFT}" y1="{MARGIN_TOP}" x2="{MARGIN_LEFT}" y2="{bottom}" class="axis"/>',
        f'<line x1="{MARGIN_LEFT}" y1="{bottom}" x2="{right}" y2="{bottom}" class="axis"/>',
        f'<text x="{MARGIN_LEFT - 6}" y="{MARGIN_TOP + 4}" text-anchor="end" class="tick">{_fmt(frame.y_max)}</text>',
        f'<text x="{MARGIN_LEFT - 6}" y="{bottom}" text-anchor="end" class="tick">{_fmt(frame.y_min)}</text>',
        f'<text x="{(MARGIN_LEFT + right) / 2}" y="{HEIGHT - 6}" text-anchor="middle" class="label">{escape(x_label)}</text>',
        f'<text x="14" y="{(MARGIN_TOP + bottom) / 2}" text-anchor="middle" class="label" '
        f'transform="rotate(-90 14 {(MARGIN_TOP + bottom) / 2})">{escape(y_label)}</text>',
    ]
    return parts


def _svg(title: str, body: list[str]) -> Markup:
    head = (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    )
    return Markup(head + "".join(body) + "</svg>")


def series_chart(series: list[Series], title: str) -> Markup:
    """A line chart of one check's series against the step; gaps where a value was not finite."""
    finite = [v for s in series for v in s.values if v is not None]
    longest = max((len(s.values) for s in series), default=0)
    if not finite:
        return Markup(f'<p class="muted">{escape(title)}: no finite values were recorded.</p>')
    low, high = min(finite), max(finite)
    pad = (high - low) * 0.05 if high > low else max(abs(high) * 0.05, 1.0)
    frame = _Frame(x_max=max(longest - 1, 1), y_min=low - pad, y_max=high + pad)
    body = _axes(frame, "step", ", ".join(s.name for s in series))
    body.append(
        f'<text x="{WIDTH - MARGIN_RIGHT}" y="{HEIGHT - MARGIN_BOTTOM + 14}" text-anchor="end" class="tick">{longest - 1}</text>'
    )
    body.append(f'<text x="{MARGIN_LEFT}" y="{HEIGHT - MARGIN_BOTTOM + 14}" text-anchor="middle" class="tick">0</text>')
    for index, one in enumerate(series):
        colour = COLOURS[index % len(COLOURS)]
        runs: list[list[str]] = [[]]
        for step, value in enumerate(one.values):
            if value is None:
                runs.append([])
            else:
                runs[-1].append(f"{frame.x(step):.1f},{frame.y(value):.1f}")
        for run in runs:
            if len(run) > 1:
                body.append(
                    f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(run)}" class="series" data-series="{escape(one.name)}"/>'
                )
            elif run:
                x, y = run[0].split(",")
                body.append(
                    f'<circle cx="{x}" cy="{y}" r="2.5" fill="{colour}" class="series" data-series="{escape(one.name)}"/>'
                )
    if len(series) > 1:
        for index, one in enumerate(series):
            legend_y = MARGIN_TOP + 12 + 14 * index
            body.append(
                f'<text x="{WIDTH - MARGIN_RIGHT - 4}" y="{legend_y}" text-anchor="end" fill="{COLOURS[index % len(COLOURS)]}" class="legend">{escape(one.name)}</text>'
            )
    return _svg(title, body)


@dataclass(frozen=True)
class Bin:
    """One histogram bar: scores in [low, high) (the last bin includes high) and how many."""

    low: float
    high: float
    count: int


def histogram_bins(values: list[float], max_value: float, bins: int = 10) -> list[Bin]:
    """`values` (scores from 0 to max_value) counted into `bins` equal bins."""
    top = max_value if max_value > 0 else max(values, default=1.0) or 1.0
    width = top / bins
    counts = [0] * bins
    for value in values:
        counts[min(bins - 1, max(0, math.floor(value / width)))] += 1
    return [Bin(low=i * width, high=(i + 1) * width, count=c) for i, c in enumerate(counts)]


def histogram_chart(bins: list[Bin], title: str, x_label: str = "score") -> Markup:
    """A bar chart of histogram bins."""
    most = max((b.count for b in bins), default=0)
    frame = _Frame(x_max=float(len(bins)), y_min=0.0, y_max=float(max(most, 1)))
    body = _axes(frame, x_label, "candidates")
    slot = (WIDTH - MARGIN_LEFT - MARGIN_RIGHT) / max(len(bins), 1)
    for index, one in enumerate(bins):
        top = frame.y(one.count)
        height = HEIGHT - MARGIN_BOTTOM - top
        label = f"{_fmt(one.low)}–{_fmt(one.high)}: {one.count}"
        body.append(
            f'<rect x="{frame.x(index) + 2:.1f}" y="{top:.1f}" width="{slot - 4:.1f}" height="{height:.1f}" '
            f'class="bar" data-count="{one.count}"><title>{escape(label)}</title></rect>'
        )
        body.append(
            f'<text x="{frame.x(index):.1f}" y="{HEIGHT - MARGIN_BOTTOM + 14}" text-anchor="middle" class="tick">{_fmt(one.low)}</text>'
        )
    body.append(
        f'<text x="{frame.x(len(bins)):.1f}" y="{HEIGHT - MARGIN_BOTTOM + 14}" text-anchor="middle" class="tick">{_fmt(bins[-1].high if bins else 0)}</text>'
    )
    return _svg(title, body)
