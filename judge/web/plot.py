"""Small charts drawn on the server as inline SVG: a check's recorded curves (the candidate's training
loss) and the score histogram of an assessment. No JavaScript, readable by screen readers through
their titles and descriptions and the tables the templates put beside them.

Axes carry "nice" ticks (1, 2 or 5 times a power of ten) that span the data, labelled in a compact
notation (k, M, G; scientific for tiny numbers) and measured before drawing, so the left margin always
holds the longest label: a label is never clipped into a different number. A positive series that spans
two decades or more is drawn on a log scale, and the axis says so."""

from __future__ import annotations

import math
from dataclasses import dataclass

from markupsafe import Markup, escape

from judge.result import Series

WIDTH, HEIGHT = 720, 320
#: The histogram sits in half a column, so it is drawn smaller (its text then stays readable when scaled).
HISTOGRAM_WIDTH, HISTOGRAM_HEIGHT = 480, 240
MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 20, 16, 44
#: Room left of the tick labels for the rotated y-axis title.
Y_TITLE_WIDTH = 22
#: Width of one tick-label character at the stylesheet's 11px font, rounded up so labels always fit.
CHAR_WIDTH = 7.0
#: About this many ticks per axis; nice steps make it a few more or fewer.
TICKS = 6
#: A positive range at least this many times its lowest value is drawn on a log scale (two decades).
LOG_SPAN = 100.0
#: Line colours for up to MAX_SERIES_PER_CHECK series; distinguishable for common colour blindness,
#: and each series has its own dash pattern too, so the chart reads in greyscale.
COLOURS = ("#0b5cad", "#c0392b", "#1e8449", "#7d3c98")
DASHES = ("", "6 3", "2 3", "8 3 2 3")
_SI = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def _fmt(value: float) -> str:
    return f"{value:.4g}"


#: What the series names the problems' checks record mean, for the captions under their charts.
SERIES_MEANINGS = {
    "reported_loss": "the loss the submitted code itself returned at each training step",
    "reference_loss": (
        "the judge's reference loss of the model's output, before training (step 0) and after the last "
        "step: the value the check compares"
    ),
    "d_loss": "the discriminator loss the submitted train_step returned while the discriminator trained",
    "g_loss": "the generator loss the submitted train_step returned while the generator trained",
}


def series_label(name: str) -> str:
    """A series name as words: reported_loss reads "reported loss"."""
    return name.replace("_", " ")


def series_meaning(name: str) -> str:
    """What a recorded series is, where its name is one the checks use; else empty."""
    return SERIES_MEANINGS.get(name, "")


def nice_step(span: float, count: int = TICKS) -> float:
    """The 1-2-5 step that cuts `span` into about `count` intervals."""
    raw = span / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw * 0.999)


def nice_ticks(low: float, high: float, count: int = TICKS, integer: bool = False) -> list[float]:
    """Evenly spaced 1-2-5 ticks from a multiple of the step at or below `low` to one at or above `high`.

    A flat range (low == high) is widened around its value; `integer` keeps steps whole (training steps)."""
    if high < low:
        low, high = high, low
    if high == low:
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    step = nice_step(high - low, count)
    if integer:
        step = max(1.0, round(step))
    first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    return [_clean(i * step) for i in range(first, last + 1)]


def log_ticks(low: float, high: float) -> list[float]:
    """Powers of ten from the one at or below `low` to the one at or above `high` (both positive); with
    2x and 5x between them where the range spans fewer than four decades."""
    first, last = math.floor(math.log10(low) + 1e-9), math.ceil(math.log10(high) - 1e-9)
    ticks = []
    for power in range(first, last + 1):
        ticks.append(_clean(10.0**power))
        if last - first < 4 and power < last:
            ticks += [_clean(2 * 10.0**power), _clean(5 * 10.0**power)]
    return ticks


def _clean(value: float) -> float:
    """A tick without binary noise (0.30000000000000004 becomes 0.3) and without a negative zero."""
    return float(f"{value:.12g}") + 0.0


def tick_labels(ticks: list[float]) -> list[str]:
    """Compact labels for ticks: below a thousand with the decimals the axis's step needs, the same for
    all; from a thousand up each with its own SI suffix where that tells them apart (-826800 reads -800k on a 200k-step axis, never a
    clipped 3.268e+05); tiny or huge axes in scientific notation."""
    largest = max((abs(t) for t in ticks), default=0.0)
    if largest and (largest < 1e-3 or largest >= 1e15):
        return [_scientific(t) for t in ticks]
    compact = [_si(t) for t in ticks]
    # A fine step on large values (1000.1, 1000.2) would read 1k twice: those keep their decimals.
    if largest >= 1e3 and len(set(compact)) == len(ticks):
        return compact
    steps = [abs(b - a) for a, b in zip(ticks, ticks[1:]) if b != a] or [largest or 1.0]
    decimals = max(0, -math.floor(math.log10(min(steps)) + 1e-9))
    return [f"{t:.{decimals}f}" if t else "0" for t in ticks]


def _si(value: float) -> str:
    scale, suffix = next(((s, x) for s, x in _SI if abs(value) >= s), (1.0, ""))
    text = f"{value / scale:.3f}".rstrip("0").rstrip(".")
    return f"{text}{suffix}" if value else "0"


def _scientific(value: float) -> str:
    if not value:
        return "0"
    mantissa, exponent = f"{value:.2e}".split("e")
    return f"{float(mantissa):g}e{int(exponent)}"


@dataclass(frozen=True)
class Axis:
    """One axis: its ticks (the first and last are its bounds), their labels, and whether it is logarithmic."""

    ticks: list[float]
    labels: list[str]
    log: bool = False

    @property
    def low(self) -> float:
        """The axis's lower bound."""
        return self.ticks[0]

    @property
    def high(self) -> float:
        """The axis's upper bound."""
        return self.ticks[-1]

    def fraction(self, value: float) -> float:
        """Where `value` lies between the bounds, from 0 to 1."""
        if self.log:
            low, high, value = math.log10(self.low), math.log10(self.high), math.log10(value)
        else:
            low, high = self.low, self.high
        return (value - low) / (high - low) if high > low else 0.5


def value_axis(values: list[float]) -> Axis:
    """The y axis for `values`: logarithmic where all are positive and span LOG_SPAN or more, else linear."""
    low, high = min(values), max(values)
    if low > 0 and high / low >= LOG_SPAN:
        ticks = log_ticks(low, high)
        return Axis(ticks, tick_labels_each(ticks), log=True)
    ticks = nice_ticks(low, high)
    return Axis(ticks, tick_labels(ticks))


def tick_labels_each(ticks: list[float]) -> list[str]:
    """Labels for log ticks, each in its own compact form (the ticks span decades, so no shared suffix)."""
    return [tick_labels([t])[0] for t in ticks]


@dataclass(frozen=True)
class _Frame:
    """Maps data coordinates to the SVG's pixel box."""

    x_axis: Axis
    y_axis: Axis
    left: float
    width: float = WIDTH
    height: float = HEIGHT

    @property
    def right(self) -> float:
        """The plot area's right edge."""
        return self.width - MARGIN_RIGHT

    @property
    def bottom(self) -> float:
        """The plot area's bottom edge."""
        return self.height - MARGIN_BOTTOM

    def x(self, value: float) -> float:
        """The pixel column of x value `value`."""
        return self.left + self.x_axis.fraction(value) * (self.right - self.left)

    def y(self, value: float) -> float:
        """The pixel row of y value `value`."""
        return self.bottom - self.y_axis.fraction(value) * (self.bottom - MARGIN_TOP)


def left_margin(labels: list[str]) -> float:
    """Room for the y-axis title and the longest tick label, so no label is cut off."""
    return Y_TITLE_WIDTH + 8 + CHAR_WIDTH * max((len(label) for label in labels), default=1)


def _axes(frame: _Frame, x_label: str, y_label: str, x_ticks: bool = True) -> list[str]:
    """Gridlines, axis lines, tick labels and axis titles."""
    left, right, bottom = frame.left, frame.right, frame.bottom
    parts = []
    for tick, label in zip(frame.y_axis.ticks, frame.y_axis.labels):
        y = frame.y(tick)
        parts.append(f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" class="grid"/>')
        parts.append(
            f'<text x="{left - 6:.1f}" y="{y + 4:.1f}" text-anchor="end" class="tick y-tick">{escape(label)}</text>'
        )
    if x_ticks:
        for tick, label in zip(frame.x_axis.ticks, frame.x_axis.labels):
            x = frame.x(tick)
            parts.append(f'<line x1="{x:.1f}" y1="{MARGIN_TOP}" x2="{x:.1f}" y2="{bottom}" class="grid"/>')
            parts.append(
                f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle" class="tick x-tick">{escape(label)}</text>'
            )
    middle = (MARGIN_TOP + bottom) / 2
    parts += [
        f'<line x1="{left:.1f}" y1="{MARGIN_TOP}" x2="{left:.1f}" y2="{bottom}" class="axis"/>',
        f'<line x1="{left:.1f}" y1="{bottom}" x2="{right}" y2="{bottom}" class="axis"/>',
        f'<text x="{(left + right) / 2:.1f}" y="{frame.height - 8}" text-anchor="middle" class="label">{escape(x_label)}</text>',
        f'<text x="14" y="{middle:.1f}" text-anchor="middle" class="label" '
        f'transform="rotate(-90 14 {middle:.1f})">{escape(y_label)}</text>',
    ]
    return parts


def _svg(title: str, description: str, body: list[str], width: float = WIDTH, height: float = HEIGHT) -> Markup:
    head = (
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(title)}" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>"
    )
    return Markup(head + "".join(body) + "</svg>")


def _describe(series: list[Series], y_axis: Axis) -> str:
    parts = []
    for one in series:
        finite = [v for v in one.values if v is not None]
        if finite:
            parts.append(
                f"{series_label(one.name)}: {len(finite)} values, first {_fmt(finite[0])}, last {_fmt(finite[-1])}, "
                f"lowest {_fmt(min(finite))}, highest {_fmt(max(finite))}"
            )
        else:
            parts.append(f"{series_label(one.name)}: no finite values")
    scale = "logarithmic" if y_axis.log else "linear"
    return f"{'; '.join(parts)}. The value axis is {scale}."


def series_chart(series: list[Series], title: str) -> Markup:
    """A line chart of one check's series against the step, with gridlines and, for more than one
    series, a legend; gaps where a value was not finite, and a lone point as a dot."""
    finite = [v for s in series for v in s.values if v is not None]
    longest = max((len(s.values) for s in series), default=0)
    if not finite:
        return Markup(f'<p class="muted">{escape(title)}: no finite values were recorded.</p>')
    y_axis = value_axis(finite)
    x_ticks = nice_ticks(0, max(longest - 1, 1), count=8, integer=True)
    x_axis = Axis(x_ticks, [str(int(t)) for t in x_ticks])
    frame = _Frame(x_axis, y_axis, left_margin(y_axis.labels))
    names = ", ".join(series_label(s.name) for s in series)
    body = _axes(frame, "training step", names + (" (log scale)" if y_axis.log else ""))
    for index, one in enumerate(series):
        body += _line(frame, one, index)
    if len(series) > 1:
        body += _legend(frame, series)
    return _svg(title, _describe(series, y_axis), body)


def _line(frame: _Frame, one: Series, index: int) -> list[str]:
    """One series: a polyline per run of finite values, a dot for a run of one."""
    colour, dash = COLOURS[index % len(COLOURS)], DASHES[index % len(DASHES)]
    style = f' stroke-dasharray="{dash}"' if dash else ""
    runs: list[list[tuple[float, float]]] = [[]]
    for step, value in enumerate(one.values):
        if value is None:
            runs.append([])
        else:
            runs[-1].append((frame.x(step), frame.y(value)))
    parts = []
    name = escape(one.name)
    for run in runs:
        if len(run) > 1:
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
            parts.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="2"{style} points="{points}" '
                f'class="series" data-series="{name}"/>'
            )
        elif run:
            x, y = run[0]
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}" class="series" data-series="{name}"/>'
            )
    return parts


def _legend(frame: _Frame, series: list[Series]) -> list[str]:
    """A boxed key in the plot's top-right corner: each series' line sample and name."""
    widest = max(len(series_label(s.name)) for s in series) * CHAR_WIDTH
    box_width, box_height = widest + 44, 8 + 16 * len(series)
    x0, y0 = frame.right - box_width - 6, MARGIN_TOP + 6
    parts = [
        f'<g class="legend-box"><rect x="{x0:.1f}" y="{y0}" width="{box_width:.1f}" height="{box_height}" '
        'fill="#fff" fill-opacity="0.9" stroke="#d0d7de"/>'
    ]
    for index, one in enumerate(series):
        y = y0 + 14 + 16 * index
        colour, dash = COLOURS[index % len(COLOURS)], DASHES[index % len(DASHES)]
        style = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<line x1="{x0 + 8:.1f}" y1="{y - 4}" x2="{x0 + 32:.1f}" y2="{y - 4}" stroke="{colour}" stroke-width="2"{style}/>'
        )
        if _has_lone_points(one):
            parts.append(f'<circle cx="{x0 + 20:.1f}" cy="{y - 4}" r="4" fill="{colour}"/>')
        parts.append(f'<text x="{x0 + 38:.1f}" y="{y}" class="legend">{escape(series_label(one.name))}</text>')
    parts.append("</g>")
    return parts


def _has_lone_points(one: Series) -> bool:
    """Whether some value of `one` has no finite neighbour, so it is drawn as a dot."""
    values = [None, *one.values, None]
    return any(
        values[i] is not None and values[i - 1] is None and values[i + 1] is None for i in range(1, len(values) - 1)
    )


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
    """A bar chart of histogram bins, counts on whole-number gridlines."""
    most = max((b.count for b in bins), default=0)
    y_ticks = nice_ticks(0, max(most, 1), count=5, integer=True)
    y_axis = Axis(y_ticks, [str(int(t)) for t in y_ticks])
    x_axis = Axis([0.0, float(max(len(bins), 1))], ["", ""])
    frame = _Frame(x_axis, y_axis, left_margin(y_axis.labels), HISTOGRAM_WIDTH, HISTOGRAM_HEIGHT)
    body = _axes(frame, x_label, "candidates", x_ticks=False)
    slot = (frame.right - frame.left) / max(len(bins), 1)
    for index, one in enumerate(bins):
        top = frame.y(one.count)
        label = f"{_fmt(one.low)}–{_fmt(one.high)}: {one.count}"
        body.append(
            f'<rect x="{frame.x(index) + 2:.1f}" y="{top:.1f}" width="{slot - 4:.1f}" height="{frame.bottom - top:.1f}" '
            f'class="bar" data-count="{one.count}"><title>{escape(label)}</title></rect>'
        )
    edges = [b.low for b in bins] + [bins[-1].high if bins else 0.0]
    for index, edge in enumerate(edges):
        body.append(
            f'<text x="{frame.x(index):.1f}" y="{frame.bottom + 16}" text-anchor="middle" class="tick">{_fmt(edge)}</text>'
        )
    description = "; ".join(f"{_fmt(b.low)}–{_fmt(b.high)}: {b.count}" for b in bins)
    return _svg(title, description, body, HISTOGRAM_WIDTH, HISTOGRAM_HEIGHT)
