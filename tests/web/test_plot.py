"""The server-drawn charts: a check's curves and the score histogram."""

from __future__ import annotations

import math
import re

import pytest

from judge.result import Series
from judge.web.plot import (
    CHAR_WIDTH,
    Y_TITLE_WIDTH,
    Bin,
    histogram_bins,
    histogram_chart,
    left_margin,
    nice_ticks,
    series_chart,
    tick_labels,
    value_axis,
)


def test_series_chart_draws_one_line_per_run_of_finite_values():
    chart = str(series_chart([Series(name="loss", values=[3.0, 2.0, None, 1.5, 1.0, 0.5])], "loss per step"))
    assert chart.startswith("<svg") and 'role="img"' in chart and "<title>loss per step</title>" in chart
    assert chart.count("<polyline") == 2, "the gap splits the line"
    points = re.findall(r'points="([^"]+)"', chart)
    ys = [float(p.split(",")[1]) for p in points[0].split()]
    assert ys == sorted(ys), "a falling loss is drawn going down (larger y)"


def test_series_chart_handles_flat_single_and_empty_series():
    assert "<polyline" in str(series_chart([Series(name="loss", values=[2.0, 2.0, 2.0])], "flat"))
    assert "<circle" in str(series_chart([Series(name="loss", values=[2.0])], "one point"))
    assert "no finite values" in str(series_chart([Series(name="loss", values=[None, None])], "empty"))


def test_chart_text_is_escaped():
    chart = str(series_chart([Series(name="loss", values=[1.0, 0.5])], '<script>alert("x")</script>'))
    assert "<script>" not in chart and "&lt;script&gt;" in chart


def test_two_series_get_a_legend():
    chart = str(
        series_chart([Series(name="d_loss", values=[1.0, 0.5]), Series(name="g_loss", values=[2.0, 1.0])], "gan")
    )
    assert 'class="legend"' in chart and chart.count("<polyline") == 2


def test_histogram_bins_and_chart():
    bins = histogram_bins([0, 9.9, 10, 55, 100, 100], 100, bins=10)
    assert [b.count for b in bins] == [2, 1, 0, 0, 0, 1, 0, 0, 0, 2]
    chart = str(histogram_chart(bins, "scores"))
    assert chart.count('class="bar"') == 10 and 'data-count="2"' in chart
    assert "0–10: 2" in chart
    assert histogram_chart([Bin(0, 50, 0), Bin(50, 100, 0)], "empty").count('class="bar"') == 2


def _y_ticks(chart: str) -> list[tuple[float, str]]:
    """(x of the label's right end, text) of every y-axis tick label."""
    return [
        (float(x), text)
        for x, text in re.findall(
            r'<text x="([-\d.]+)" y="[-\d.]+" text-anchor="end" class="tick y-tick">([^<]*)</text>', chart
        )
    ]


@pytest.mark.parametrize(
    ("low", "high"), [(-826_800.0, 3.2), (0.1, 0.9), (1.05, 1.3), (-5.0, 5.0), (1.2e-4, 3.4e-4), (17, 4321)]
)
def test_ticks_are_nice_numbers_spanning_the_data(low, high):
    ticks = nice_ticks(low, high)
    assert ticks[0] <= low and ticks[-1] >= high, "the axis spans every value"
    steps = {round(b - a, 12) for a, b in zip(ticks, ticks[1:])}
    assert len(steps) == 1, f"evenly spaced: {ticks}"
    step = steps.pop()
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert round(mantissa, 9) in (1, 2, 5), f"a 1-2-5 step, not {step}"
    assert 3 <= len(ticks) <= 12
    assert ticks[0] > low - step - 1e-12 and ticks[-1] < high + step + 1e-12, "no empty tick interval beyond the data"


def test_negative_labels_are_whole_and_fit_the_left_margin():
    """The wrong-sign loss that once read 3.268e+05 for -8.268e+05: every label is whole and inside the svg."""
    series = Series(name="reported_loss", values=[3.2, -1200.0, -95_000.0, -826_800.0])
    chart = str(series_chart([series], "loss"))
    ticks = _y_ticks(chart)
    texts = [text for _x, text in ticks]
    assert "-800k" in texts and "0" in texts and texts[0].startswith("-"), texts
    for right_end, text in ticks:
        assert right_end - len(text) * CHAR_WIDTH >= Y_TITLE_WIDTH, f"{text} runs into the axis title or off the svg"
    assert left_margin(texts) > max(len(t) for t in texts) * CHAR_WIDTH


def test_labels_are_data_values_not_padded_bounds():
    chart = str(series_chart([Series(name="loss", values=[0.93, 0.41, 0.12])], "loss"))
    texts = [text for _x, text in _y_ticks(chart)]
    assert texts == ["0", "0.2", "0.4", "0.6", "0.8", "1.0"]


def test_a_flat_series_gets_an_axis_around_its_value():
    ticks = nice_ticks(2.3, 2.3)
    assert ticks[0] < 2.3 < ticks[-1] and 2.3 in ticks


def test_compact_labels():
    assert tick_labels([-1e6, -5e5, 0.0, 5e5]) == ["-1M", "-500k", "0", "500k"]
    assert tick_labels([1000.0, 1500.0, 2000.0]) == ["1k", "1.5k", "2k"]
    assert tick_labels([1.05, 1.1, 1.15]) == ["1.05", "1.10", "1.15"]
    assert tick_labels([1e-4, 2e-4]) == ["1e-4", "2e-4"]
    assert tick_labels([1000.1, 1000.2, 1000.3]) == ["1000.1", "1000.2", "1000.3"], "never two equal labels"


def test_log_scale_where_positive_values_span_decades():
    falling = Series(name="loss", values=[5000.0, 400.0, 30.0, 2.0, 0.4])
    chart = str(series_chart([falling], "loss"))
    assert "(log scale)" in chart and "logarithmic" in chart
    texts = [text for _x, text in _y_ticks(chart)]
    assert texts[0] == "0.1" and texts[-1] == "10k" and "100" in texts, texts
    assert value_axis([1.0, 99.0]).log is False, "less than two decades stays linear"
    assert value_axis([-1.0, 1000.0]).log is False, "a negative value rules out a log axis"
    assert value_axis([1.0, 100.0]).log is True


def test_gridlines_in_both_directions():
    chart = str(series_chart([Series(name="loss", values=[float(v) for v in range(30, 0, -1)])], "loss"))
    lines = re.findall(r'<line x1="([-\d.]+)" y1="([-\d.]+)" x2="([-\d.]+)" y2="([-\d.]+)" class="grid"/>', chart)
    horizontal = [line for line in lines if line[1] == line[3]]
    vertical = [line for line in lines if line[0] == line[2]]
    assert len(horizontal) == len(_y_ticks(chart)) >= 3
    assert len(vertical) >= 3 and 'class="tick x-tick">0<' in chart and "training step" in chart


def test_several_series_are_told_apart_by_colour_dash_and_legend():
    reported = Series(name="reported_loss", values=[-10.0 * i for i in range(41)])
    reference = Series(name="reference_loss", values=[500.0] + [None] * 39 + [620.0])
    chart = str(series_chart([reported, reference], "Your model's losses"))
    assert 'class="legend">reported loss<' in chart and 'class="legend">reference loss<' in chart
    assert chart.count('<circle cx="') - chart.split("legend-box")[1].count("<circle") == 2, "two reference dots"
    assert 'stroke-dasharray="6 3"' in chart, "the second series is dashed in the legend"
    assert "<desc>reported loss: 41 values" in chart and "reference loss: 2 values, first 500, last 620" in chart
    assert 'aria-label="Your model&#39;s losses"' in chart


def test_a_series_of_lone_points_shows_a_dot_in_the_legend():
    reported = Series(name="reported_loss", values=[3.0, 2.0, 1.0])
    reference = Series(name="reference_loss", values=[3.0, None, 1.5])
    legend = str(series_chart([reported, reference], "losses")).split('class="legend-box"')[1]
    assert legend.count("<circle") == 1
