"""Charts drawn on the server as SVG (docs/contract.md §6): no chart library, nothing loaded from
anywhere else. Each chart is a `<figure>`: the SVG (an image named by its title and described by
its figures in words) and the same figures as a table a person can open. Colours come from the
page's CSS variables, so a chart follows the light or dark scheme of the page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from ...i18n import format_date, format_number, gettext, month_name, ngettext, weekday_name

# The SVG's own units, about the pixels of a chart's box in a column of the page: its text keeps
# the size the page gives it (a wider box would scale the words down with it).
WIDTH = 360
HEIGHT = 190
PLOT_TOP, PLOT_BOTTOM = 18, 160  # the bars' area
ROW = 22  # one row of a horizontal chart
LABEL_WIDTH = 118  # a horizontal chart's names
PAD = 16  # room at the sides for the first and last labels


@dataclass(frozen=True)
class Bar:
    label: str  # as shown under or beside the bar
    value: int
    avg: float | None = None  # the average rating of the bar's films, when the chart shows it


def _table(title: str, bars: Sequence[Bar], value_head: str, with_avg: bool) -> str:
    name, average, show = gettext("Name"), gettext("Average rating"), gettext("Show as a table")
    head = f'<th scope="col">{escape(name)}</th><th scope="col">{escape(value_head)}</th>'
    if with_avg:
        head += f'<th scope="col">{escape(average)}</th>'
    rows = "".join(
        f'<tr><th scope="row">{escape(b.label)}</th><td>{format_number(b.value)}</td>'
        + (f"<td>{format_number(b.avg, 2) if b.avg else '—'}</td>" if with_avg else "") + "</tr>"
        for b in bars)
    return (f'<details class="table-view"><summary>{escape(show)}</summary>'
            f"<table><caption>{escape(title)}</caption><thead><tr>{head}</tr></thead><tbody>{rows}</tbody>"
            "</table></details>")


def _words(bars: Sequence[Bar], with_avg: bool) -> str:
    """The chart in words (its SVG description): every bar, its count and average."""
    parts = []
    for b in bars:
        text = f"{b.label}: {format_number(b.value)}"
        if with_avg and b.avg:
            text += " (" + gettext("average {avg}").format(avg=format_number(b.avg, 1)) + ")"
        parts.append(text)
    return "; ".join(parts) or gettext("No films yet.")


def columns(chart_id: str, title: str, bars: Sequence[Bar], *, with_avg: bool = False,
            value_head: str | None = None) -> Markup:
    """Vertical bars in order (months, years, decades, weekdays, ratings); with `with_avg` a line
    of the bars' average ratings (0-5) over them."""
    value_head = value_head or gettext("Films")
    n = max(len(bars), 1)
    step = (WIDTH - 2 * PAD) / n
    width = max(2.0, step * 0.72)
    top = max([b.value for b in bars] + [1])
    longest = max([len(b.label) for b in bars] + [1]) * 6.5 + 8  # a label's width, about, in units
    every = max(1, -(-int(n * longest) // WIDTH))  # as many labels under the bars as fit side by side
    shapes, labels, points = [], [], []
    for i, b in enumerate(bars):
        x = PAD + i * step + (step - width) / 2
        h = (PLOT_BOTTOM - PLOT_TOP) * b.value / top
        shapes.append(f'<rect class="bar" x="{x:.1f}" y="{PLOT_BOTTOM - h:.1f}" width="{width:.1f}" '
                      f'height="{h:.1f}" rx="2"><title>{escape(b.label)}: {format_number(b.value)}</title></rect>')
        if n <= 12 and b.value:
            shapes.append(f'<text class="value" x="{x + width / 2:.1f}" y="{PLOT_BOTTOM - h - 4:.1f}" '
                          f'text-anchor="middle">{format_number(b.value)}</text>')
        if i % every == 0:
            labels.append(f'<text class="axis" x="{x + width / 2:.1f}" y="{HEIGHT - 12}" text-anchor="middle">'
                          f"{escape(b.label)}</text>")
        if with_avg and b.avg:
            points.append((x + width / 2, PLOT_BOTTOM - (PLOT_BOTTOM - PLOT_TOP) * b.avg / 5))
    line = ""
    if points:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        line = (f'<polyline class="avg" points="{path}"/>'
                + "".join(f'<circle class="avg" cx="{x:.1f}" cy="{y:.1f}" r="3"/>' for x, y in points))
    return _figure(chart_id, title, bars, with_avg, value_head, WIDTH, HEIGHT,
                   "".join(shapes) + line + f'<line class="base" x1="0" x2="{WIDTH}" y1="{PLOT_BOTTOM}" '
                   f'y2="{PLOT_BOTTOM}"/>' + "".join(labels))


def rows(chart_id: str, title: str, bars: Sequence[Bar], *, with_avg: bool = False,
         value_head: str | None = None) -> Markup:
    """Horizontal bars, largest first as given (genres, countries, languages)."""
    value_head = value_head or gettext("Films")
    top = max([b.value for b in bars] + [1])
    room = WIDTH - LABEL_WIDTH - 64
    shapes = []
    for i, b in enumerate(bars):
        y = i * ROW + 4
        w = max(2.0, room * b.value / top)
        label = b.label if len(b.label) <= 16 else b.label[:15] + "…"
        shapes.append(f'<text class="axis" x="{LABEL_WIDTH - 8}" y="{y + 13}" text-anchor="end">{escape(label)}</text>'
                      f'<rect class="bar" x="{LABEL_WIDTH}" y="{y}" width="{w:.1f}" height="{ROW - 8}" rx="2">'
                      f"<title>{escape(b.label)}: {format_number(b.value)}</title></rect>"
                      f'<text class="value" x="{LABEL_WIDTH + w + 6:.1f}" y="{y + 13}">{format_number(b.value)}'
                      + (f" · {format_number(b.avg, 1)}★" if with_avg and b.avg else "") + "</text>")
    return _figure(chart_id, title, bars, with_avg, value_head, WIDTH, max(ROW, len(bars) * ROW + 8), "".join(shapes))


def _figure(chart_id: str, title: str, bars: Sequence[Bar], with_avg: bool, value_head: str, width: int,
            height: int, body: str) -> Markup:
    # The image is named by its title and described in words; the table says the same, for
    # whoever reads rather than looks (and for a screen reader, row by row).
    return Markup(
        f'<figure class="chart" id="{chart_id}">'
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
        f'preserveAspectRatio="xMidYMid meet"><title id="{chart_id}-t">{escape(title)}</title>'
        f'<desc id="{chart_id}-d">{escape(_words(bars, with_avg))}</desc>{body}</svg>'
        + _table(title, bars, value_head, with_avg) + "</figure>")


CELL = 11  # a day's square and the gap after it: 13 units
DAY_LEFT, DAY_TOP = 30, 16


def heatmap(chart_id: str, year: int, days: dict[str, int]) -> Markup:
    """A year of days as GitHub draws it: a column per week (Monday first), a square per day,
    darker for more films; the same as a table of months."""
    first = dt.date(year, 1, 1)
    start = first - dt.timedelta(days=first.weekday())  # the Monday of the first week
    last = dt.date(year, 12, 31)
    cells, months = [], []
    per_month = [[0, 0] for _ in range(12)]  # days watched, films
    day = start
    while day <= last:
        week, weekday = (day - start).days // 7, day.weekday()
        if day.year == year:
            n = days.get(day.isoformat(), 0)
            level = 0 if n == 0 else 1 if n == 1 else 2 if n == 2 else 3 if n <= 4 else 4
            x, y = DAY_LEFT + week * (CELL + 2), DAY_TOP + weekday * (CELL + 2)
            words = ngettext("{n} film", "{n} films", n).format(n=format_number(n))
            cells.append(f'<rect class="day l{level}" x="{x}" y="{y}" width="{CELL}" height="{CELL}" rx="2">'
                         f"<title>{escape(format_date(day))}: {escape(words)}</title></rect>")
            if day.day == 1:
                months.append(f'<text class="axis" x="{x}" y="{DAY_TOP - 5}">{escape(month_name(day.month))}</text>')
            if n:
                per_month[day.month - 1][0] += 1
                per_month[day.month - 1][1] += n
        day += dt.timedelta(days=1)
    names = "".join(f'<text class="axis" x="0" y="{DAY_TOP + i * (CELL + 2) + 9}">{escape(weekday_name(i + 1))}'
                    "</text>" for i in (0, 2, 4))
    width = DAY_LEFT + 54 * (CELL + 2)
    height = DAY_TOP + 7 * (CELL + 2)
    watched = sum(1 for d, n in days.items() if n and d.startswith(str(year)))
    title = gettext("Days watched in {year}").format(year=year)
    words = ngettext("{n} day with a film", "{n} days with a film", watched).format(n=format_number(watched))
    month, days_head, films, show = gettext("Month"), gettext("Days"), gettext("Films"), gettext("Show as a table")
    head = (f'<th scope="col">{escape(month)}</th><th scope="col">{escape(days_head)}</th>'
            f'<th scope="col">{escape(films)}</th>')
    body = "".join(f'<tr><th scope="row">{escape(month_name(m + 1, "wide"))}</th><td>{format_number(d)}</td>'
                   f"<td>{format_number(f)}</td></tr>" for m, (d, f) in enumerate(per_month))
    return Markup(
        f'<figure class="chart heatmap" id="{chart_id}">'
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d">'
        f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(words)}</desc>'
        + names + "".join(months) + "".join(cells) + "</svg>"
        f'<details class="table-view"><summary>{escape(show)}</summary><table>'
        f"<caption>{escape(title)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></details>"
        "</figure>")


@dataclass(frozen=True)
class Interval:
    label: str
    value: float  # a proportion, 0-1
    low: float  # its 95% interval
    high: float


def intervals(chart_id: str, title: str, items: Sequence[Interval]) -> Markup:
    """Proportions as horizontal bars with their 95% interval drawn across each (an experiment's
    variants): where two intervals overlap, the difference may be chance."""
    top = max([i.high for i in items] + [0.01])
    room = WIDTH - LABEL_WIDTH - 64
    shapes, words = [], []
    for n, i in enumerate(items):
        y = n * ROW + 4
        x = LABEL_WIDTH + room * i.value / top
        lo, hi = LABEL_WIDTH + room * i.low / top, LABEL_WIDTH + room * i.high / top
        text = (f"{format_number(i.value * 100, 1)} % ({format_number(i.low * 100, 1)}–"
                f"{format_number(i.high * 100, 1)} %)")
        label = i.label if len(i.label) <= 16 else i.label[:15] + "…"
        shapes.append(f'<text class="axis" x="{LABEL_WIDTH - 8}" y="{y + 13}" text-anchor="end">{escape(label)}</text>'
                      f'<rect class="bar" x="{LABEL_WIDTH}" y="{y}" width="{max(2.0, x - LABEL_WIDTH):.1f}" '
                      f'height="{ROW - 8}" rx="2"><title>{escape(i.label)}: {escape(text)}</title></rect>'
                      f'<line class="ci" x1="{lo:.1f}" x2="{hi:.1f}" y1="{y + 7}" y2="{y + 7}"/>'
                      f'<line class="ci" x1="{lo:.1f}" x2="{lo:.1f}" y1="{y + 2}" y2="{y + 12}"/>'
                      f'<line class="ci" x1="{hi:.1f}" x2="{hi:.1f}" y1="{y + 2}" y2="{y + 12}"/>'
                      f'<text class="value" x="{max(x, hi) + 6:.1f}" y="{y + 13}">'
                      f"{format_number(i.value * 100, 1)} %</text>")
        words.append(f"{i.label}: {text}")
    name, rate, show = gettext("Variant"), gettext("Conversion rate (95% interval)"), gettext("Show as a table")
    body = "".join(f'<tr><th scope="row">{escape(i.label)}</th><td>{escape(w.split(": ", 1)[1])}</td></tr>'
                   for i, w in zip(items, words))
    height = max(ROW, len(items) * ROW + 8)
    return Markup(
        f'<figure class="chart" id="{chart_id}">'
        f'<svg viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
        f'preserveAspectRatio="xMidYMid meet"><title id="{chart_id}-t">{escape(title)}</title>'
        f'<desc id="{chart_id}-d">{escape("; ".join(words))}</desc>{"".join(shapes)}</svg>'
        f'<details class="table-view"><summary>{escape(show)}</summary><table><caption>{escape(title)}</caption>'
        f'<thead><tr><th scope="col">{escape(name)}</th><th scope="col">{escape(rate)}</th></tr></thead>'
        f"<tbody>{body}</tbody></table></details></figure>")
