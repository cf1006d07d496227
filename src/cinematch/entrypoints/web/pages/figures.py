"""What the statistics page and the year in review draw from a person's figures (`GET
/api/me/stats` and the calendar): the charts, the lists of people, the calendar strip."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from ....domain.ratings import display
from ....domain.stats import THRESHOLDS
from ....i18n import country_name, gettext, language_name, month_name, translate, weekday_name
from ..charts import Bar, columns, heatmap, rows


def _bars(items: list[dict[str, Any]], label: Callable[[str], str] = lambda name: name) -> list[Bar]:
    return [Bar(label(a["name"]), a["count"], a["avg_rating"] if a["rated_count"] else None) for a in items]


def _release_years(items: list[dict[str, Any]]) -> list[Bar]:
    """Every year from the oldest film's to the newest's, the years without a film at zero."""
    by_year = {int(a["name"]): a for a in items if a["name"].isdigit()}
    if not by_year:
        return []
    return [Bar(str(y), by_year[y]["count"], by_year[y]["avg_rating"] if by_year[y]["rated_count"] else None)
            if y in by_year else Bar(str(y), 0) for y in range(min(by_year), max(by_year) + 1)]


def charts(stats: dict[str, Any], year: str | None) -> dict[str, Any]:
    """The charts of a person's figures (all time, or one year's in review), drawn."""
    monthly = stats["monthly_counts"]
    months = monthly.get(year, {}) if year else {}
    weekdays = {a["name"]: a for a in stats["weekdays"]}
    out = {
        "months": columns("chart-months", gettext("Films per month in {year}").format(year=year or ""),
                          [Bar(month_name(m), months.get(f"{m:02d}", 0)) for m in range(1, 13)]),
        "years": columns("chart-years", gettext("Films per year"),
                         [Bar(y, sum(monthly[y].values())) for y in sorted(monthly)]),
        "ratings": columns("chart-ratings", gettext("Ratings"),
                           [Bar(display(float(k)), n) for k, n in stats["rating_distribution"].items()]),
        "decades": columns("chart-decades", gettext("By decade of release"), _bars(stats["decades"]), with_avg=True),
        "release_years": columns("chart-release-years", gettext("By year of release"),
                                 _release_years(stats["release_years"]), with_avg=True),
        "weekdays": columns("chart-weekdays", gettext("By day of the week"), [
            Bar(weekday_name(d), weekdays[str(d)]["count"] if str(d) in weekdays else 0,
                weekdays[str(d)]["avg_rating"] if str(d) in weekdays and weekdays[str(d)]["rated_count"] else None)
            for d in range(1, 8)], with_avg=True),
        "genres": rows("chart-genres", gettext("Genres"), _bars(stats["genres"][:10], translate), with_avg=True),
        "countries": rows("chart-countries", gettext("Countries"), _bars(stats["countries"][:10], country_name),
                          with_avg=True),
        "languages": rows("chart-languages", gettext("Languages"), _bars(stats["languages"][:10], language_name),
                          with_avg=True),
    }
    return out


def figures_context(stats: dict[str, Any], year: str | None, min_count: int, today: dt.date,
                    calendar: dict[str, Any] | None = None, strip_year: int | None = None) -> dict[str, Any]:
    """Everything `_figures.html` shows: the totals, the charts, the people, the calendar strip
    (of `strip_year`, else the diary's latest year, else the year of `today`: the app's clock)."""
    years = sorted(stats["monthly_counts"], reverse=True)
    chosen = year if year in years else (years[0] if years else None)
    threshold = str(min_count if min_count in THRESHOLDS else 1)
    strip_year = strip_year or (int(years[0]) if years else today.year)
    return {"s": stats, "years": years, "year": chosen, "charts": charts(stats, chosen),
            "thresholds": THRESHOLDS, "threshold": int(threshold),
            "people": [(kind, stats[f"most_watched_{kind}"], stats[f"best_rated_{kind}"][threshold])
                       for kind in ("directors", "actors", "writers")],
            "calendar": calendar, "strip_year": strip_year,
            "strip": heatmap("chart-days", strip_year, calendar["days"]) if calendar is not None else None}
