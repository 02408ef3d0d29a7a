"""Server-rendered SVG charts for dashboards: the geometry of a chart, computed here from its
figures, and drawn by one template (templates/includes/chart.html, through `{% chart %}` in
tenants/templatetags/charts.py) with the same figures as a table beside it. No script, no chart
library: the page is whole without JavaScript and a screen reader reads the table.

Two kinds:

- `bar_chart`: one horizontal bar per row (a state, a risk level, a country), each with its value
  written at its end; with `of=` each bar is drawn against its own total (coverage: 7 of 9).
- `timeline_chart`: a value per day as bars, the running total as a line, and a limit (a quota) as
  a dashed line.

The apps compute their figures with grouped queries; this module only draws."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext

# GOV.UK colours, darkened where the plain one does not reach 3:1 against white (WCAG 1.4.11).
COLOURS = {
    "green": "#00703c",
    "yellow": "#8a6400",
    "orange": "#b14b00",
    "red": "#d4351c",
    "grey": "#505a5f",
    "blue": "#1d70b8",
    "purple": "#4c2c92",
}
TRACK = "#dfe3e6"
INK = "#0b0c0c"

WIDTH = 640
LABEL_WIDTH = 230
VALUE_WIDTH = 170
ROW_HEIGHT = 30
BAR_HEIGHT = 18
PAD = 8


@dataclass
class Bar:
    label: str
    value: int
    of: int | None = None  # the bar's own total (a coverage), if any
    colour: str = "blue"
    # filled in by the chart
    y: float = 0
    text_y: float = 0
    text_x: float = 0
    width: float = 0
    track_width: float = 0
    fill: str = ""

    @property
    def percent(self) -> int | None:
        """The share of its own total; None with no total, or a total of nothing (no "0%" of 0)."""
        if not self.of:
            return None
        return round(100 * self.value / self.of)

    @property
    def shown(self) -> str:
        """The figure written at the end of the bar and in the table, grouped as the reader writes
        numbers (4,500,000; 4 500 000)."""
        from django.utils.formats import number_format

        if self.of is None:
            return number_format(self.value, force_grouping=True)
        if not self.of and not self.value:  # a share of nothing: said in words, never "0 / 0"
            return gettext("nothing to count yet")
        return f"{number_format(self.value, force_grouping=True)} / {number_format(self.of, force_grouping=True)}"


@dataclass
class Day:
    label: str
    value: int
    tick: str = ""  # the short label under the axis (the day of the month), if any
    shown: str = ""  # the day as the reader writes it, in the table (else the label, a machine key)
    cumulative: int = 0
    x: float = 0
    y: float = 0
    height: float = 0
    line_y: float = 0


@dataclass
class Chart:
    key: str  # unique on its page: the ids of the figure and its table start with it
    title: str  # a heading and the SVG's <title>
    description: str  # one sentence that says what the chart shows, the SVG's <desc>
    kind: str  # "bars" or "timeline"
    label_header: str  # the table's first column
    value_header: str  # the table's figure column
    bars: list[Bar] = field(default_factory=list)
    days: list[Day] = field(default_factory=list)
    limit: int | None = None
    limit_label: str = ""
    cumulative_header: str = ""
    empty_text: str = ""
    geometry: dict = field(default_factory=dict)

    @property
    def empty_words(self) -> str:
        """What a chart with nothing to draw says instead: its own words, else the common ones."""
        return self.empty_text or gettext("Nothing to show yet.")

    @property
    def is_empty(self) -> bool:
        if self.kind == "bars":
            return not any(bar.value or bar.of for bar in self.bars)
        return not any(day.value for day in self.days) and not self.limit

    @property
    def total(self) -> int:
        return sum(bar.value for bar in self.bars) if self.kind == "bars" else sum(d.value for d in self.days)


def bar_chart(
    *,
    key: str,
    title: str,
    description: str,
    label_header: str,
    value_header: str,
    bars: list[Bar],
    empty_text: str = "",
) -> Chart:
    chart = Chart(
        key=key,
        title=title,
        description=description,
        kind="bars",
        label_header=label_header,
        value_header=value_header,
        bars=bars,
        empty_text=empty_text,
    )
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    top = max([bar.of if bar.of is not None else bar.value for bar in bars] + [1])
    for index, bar in enumerate(bars):
        bar.y = PAD + index * ROW_HEIGHT
        bar.text_y = bar.y + BAR_HEIGHT - 4
        bar.fill = COLOURS.get(bar.colour, COLOURS["blue"])
        bar.text_x = LABEL_WIDTH + plot + PAD
        if bar.of == 0:  # a share of nothing: no track, and its words where the bar would be
            bar.text_x = LABEL_WIDTH
        elif bar.of is not None:  # each bar against its own total: the track is the whole
            bar.track_width = plot
            bar.width = round(plot * bar.value / bar.of, 1) if bar.of else 0
        else:
            bar.width = round(plot * bar.value / top, 1)
        if bar.value and bar.width < 2:
            bar.width = 2  # a small non-zero value stays visible
    chart.geometry = {
        "width": WIDTH,
        "height": PAD * 2 + max(len(bars), 1) * ROW_HEIGHT,
        "label_x": LABEL_WIDTH - PAD,
        "bar_x": LABEL_WIDTH,
        "value_x": LABEL_WIDTH + plot + PAD,
        "bar_height": BAR_HEIGHT,
        "track": TRACK,
        "ink": INK,
    }
    return chart


TIMELINE_HEIGHT, LEFT, BOTTOM, TOP_PAD = 240, 56, 28, 18


def timeline_chart(
    *,
    key: str,
    title: str,
    description: str,
    label_header: str,
    value_header: str,
    cumulative_header: str,
    days: list[Day],
    slots: int,
    limit: int | None = None,
    limit_label: str = "",
    empty_text: str = "",
) -> Chart:
    """`days` in order, of `slots` in the period (a month's days): bars of each value, a line of the
    running total and a dashed line at `limit`."""
    chart = Chart(
        key=key,
        title=title,
        description=description,
        kind="timeline",
        label_header=label_header,
        value_header=value_header,
        cumulative_header=cumulative_header,
        days=days,
        limit=limit,
        limit_label=limit_label,
        empty_text=empty_text,
    )
    running = 0
    for day in days:
        running += day.value
        day.cumulative = running
    top = max([limit or 0, running, 1])
    plot_w, plot_h = WIDTH - LEFT - 8, TIMELINE_HEIGHT - BOTTOM - TOP_PAD
    step = plot_w / max(slots, 1)
    baseline = TOP_PAD + plot_h
    for index, day in enumerate(days):
        day.x = round(LEFT + index * step + step * 0.15, 1)
        day.height = round(plot_h * day.value / top, 1)
        day.y = round(baseline - day.height, 1)
        day.line_y = round(baseline - plot_h * day.cumulative / top, 1)
    # A tick each week, and the last day unless it would crowd the week's.
    last = len(days)
    marks = [i for i in (1, 8, 15, 22, 29) if i <= last]
    if last and (not marks or last - marks[-1] >= 3):
        marks.append(last)
    chart.geometry = {
        "width": WIDTH,
        "height": TIMELINE_HEIGHT,
        "left": LEFT,
        "baseline": baseline,
        "bar_width": round(step * 0.7, 1),
        "limit_y": round(baseline - plot_h * limit / top, 1) if limit else None,
        "points": " ".join(f"{round(d.x + step * 0.35, 1)},{d.line_y}" for d in days),
        "ticks": [(days[i - 1].tick or days[i - 1].label, round(days[i - 1].x + step * 0.35, 1)) for i in marks],
        "bar": COLOURS["blue"],
        "line": COLOURS["green"],
        "limit": COLOURS["red"],
        "ink": INK,
    }
    return chart
