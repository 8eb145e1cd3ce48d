"""The server-drawn charts: a check's curves and the score histogram."""

from __future__ import annotations

import re

from judge.result import Series
from judge.web.plot import Bin, histogram_bins, histogram_chart, series_chart


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
