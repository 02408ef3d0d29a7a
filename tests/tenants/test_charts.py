"""The chart helper's geometry: bars in proportion to their figures (or to their own totals), a
small figure still visible, nothing divided by zero, a timeline's running total and limit, and the
drawing carries its name, its description and its table."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from tenants.charts import PAD, Bar, Day, bar_chart, timeline_chart


def bars(*items: Bar):
    return bar_chart(key="k", title="T", description="D", label_header="L", value_header="V", bars=list(items))


def test_bars_are_in_proportion_and_a_small_figure_stays_visible():
    chart = bars(Bar("a", 10), Bar("b", 5), Bar("c", 0), Bar("d", 1))
    a, b, c, d = chart.bars
    assert a.width == pytest.approx(2 * b.width, abs=0.1) and c.width == 0 and d.width >= 2
    assert [bar.y for bar in chart.bars] == [PAD + i * 30 for i in range(4)]
    assert not chart.is_empty and chart.total == 16


def test_coverage_bars_are_drawn_against_their_own_totals_and_zero_of_zero_is_empty():
    chart = bars(Bar("acks", 3, 4), Bar("trained", 1, 4), Bar("none", 0, 0))
    acks, trained, none = chart.bars
    assert acks.track_width == trained.track_width and acks.width == pytest.approx(3 * trained.width, abs=0.1)
    assert (acks.percent, trained.percent, none.percent) == (75, 25, None) and none.width == 0
    assert (acks.shown, none.shown) == ("3 / 4", "nothing to count yet")
    assert bars(Bar("x", 0), Bar("y", 0, 0)).is_empty


def test_a_timeline_runs_its_total_against_the_limit():
    days = [Day(f"2026-05-{n:02d}", value, str(n)) for n, value in enumerate([100, 0, 300, 50], 1)]
    chart = timeline_chart(
        key="t", title="T", description="D", label_header="Day", value_header="Tokens",
        cumulative_header="So far", days=days, slots=31, limit=1000, limit_label="Quota",
    )  # fmt: skip
    assert [d.cumulative for d in chart.days] == [100, 100, 400, 450]
    assert chart.days[2].height == pytest.approx(3 * chart.days[0].height, abs=0.1) and chart.days[1].height == 0
    assert chart.geometry["limit_y"] < chart.days[3].line_y < chart.geometry["baseline"]
    assert [label for label, _x in chart.geometry["ticks"]] == ["1", "4"]


def test_the_drawing_is_named_described_and_given_as_a_table():
    html = Template("{% load charts %}{% chart c %}").render(Context({"c": bars(Bar("Serious", 2, None, "red"))}))
    assert 'role="img" aria-labelledby="k-title k-desc"' in html
    assert '<title id="k-title">T</title>' in html and '<desc id="k-desc">D</desc>' in html
    assert 'data-label="Serious" data-value="2"' in html and 'fill="#d4351c"' in html
    assert 'id="k-table"' in html and "Show the figures as a table" in html


@pytest.mark.parametrize("language", ["fr", "es", "pt", "ar", "sw"])
def test_the_drawing_is_in_numbers_svg_reads_in_every_language(language):
    """Lengths and coordinates in SVG attributes are plain numbers: a decimal comma (French,
    Spanish…) is no length, and the browser drew no bar."""
    import re

    from django.utils import translation

    days = [Day(f"2026-05-{n:02d}", value, str(n)) for n, value in enumerate([1234, 77, 3], 1)]
    timeline = timeline_chart(
        key="t", title="T", description="D", label_header="Day", value_header="Tokens",
        cumulative_header="So far", days=days, slots=31, limit=5000, limit_label="Quota",
    )  # fmt: skip
    with translation.override(language):
        for chart in (bars(Bar("a", 7, 9), Bar("b", 2, 3)), timeline):
            html = Template("{% load charts %}{% chart c %}").render(Context({"c": chart}))
            svg = html[html.index("<svg") : html.index("</svg>")]
            numeric = re.findall(r' (?:x|y|x1|y1|x2|y2|width|height|dy)="([^"]*)"', svg)
            assert numeric and all(re.fullmatch(r"-?[0-9]+(\.[0-9]+)?%?", value) for value in numeric), numeric


def test_a_share_of_nothing_is_said_in_words_never_drawn_as_0_of_0():
    html = Template("{% load charts %}{% chart chart %}").render(
        Context({"chart": bars(Bar("France", 3, 4), Bar("Kenya", 0, 0))})
    )
    assert "nothing to count yet" in html and "0 / 0" not in html and "(0%)" not in html
    empty = Template("{% load charts %}{% chart chart %}").render(Context({"chart": bars(Bar("Kenya", 0, 0))}))
    assert "Nothing to show yet." in empty and "<svg" not in empty and "0 / 0" not in empty


@pytest.mark.django_db
def test_a_country_with_nothing_yet_says_so_on_its_overview(client, cast):
    client.force_login(cast.outsider)
    html = client.get("/c/ke/").content.decode()
    # Kenya's admin is there to train; no policy asks for an acknowledgement yet.
    assert "nothing to count yet" in html
    assert "0 / 0" not in html
