"""The server's charts (entrypoints/web/charts.py): an image named and described in words, the
same figures as a table, bars in proportion; the calendar's heat map a square per day."""

import re

from cinematch import i18n
from cinematch.domain.review import year_extras
from cinematch.domain.diary import DiaryEntry
from cinematch.entrypoints.web.charts import Bar, columns, heatmap, rows


def test_a_column_chart_is_an_image_with_words_and_a_table():
    i18n.use("en")
    html = str(columns("c", "By decade", [Bar("1980s", 3, 4.5), Bar("1990s", 6, None)], with_avg=True))
    assert 'role="img" aria-labelledby="c-t c-d"' in html and '<title id="c-t">By decade</title>' in html
    assert '<desc id="c-d">1980s: 3 (average 4.5); 1990s: 6</desc>' in html
    heights = [float(h) for h in re.findall(r'<rect class="bar"[^>]* height="([\d.]+)"', html)]
    assert heights[1] == 2 * heights[0]  # in proportion
    assert html.count("<circle class=\"avg\"") == 1  # an average only where there is one
    assert "<tr><th scope=\"row\">1990s</th><td>6</td><td>—</td></tr>" in html


def test_names_are_escaped_and_a_row_chart_lists_each():
    i18n.use("en")
    html = str(rows("r", "Genres", [Bar("<b>Drama</b>", 2), Bar("Noir", 1)]))
    assert "<b>" not in html and "&lt;b&gt;Drama&lt;/b&gt;" in html
    assert html.count('<rect class="bar"') == 2


def test_the_heat_map_has_a_square_per_day_and_says_it_in_italian():
    i18n.use("it")
    try:
        html = str(heatmap("h", 2024, {"2024-02-29": 3, "2024-03-01": 1, "2023-12-31": 9}))
    finally:
        i18n.use("en")
    assert html.count('class="day ') == 366  # a leap year; the day of another year is not drawn
    assert html.count('class="day l3"') == 1 and html.count('class="day l1"') == 1
    assert "2 giorni con un film" in html and "Giorni con un film nel 2024" in html


def entry(i, date, director, private=False):
    return DiaryEntry(id=f"e{i}", user_id="u", name=f"F{i}", date=date, added_at=f"2025-01-0{i}T00:00:00+00:00",
                      director=director, private=private)


def test_a_years_first_and_last_film_and_the_directors_new_to_it():
    entries = [entry(1, "2023-05-01", "Ann"), entry(2, "2024-01-02", "Ann, Bo"), entry(3, "2024-07-01", "Cy"),
               entry(4, "2024-08-01", "Cy"), entry(5, "2025-01-01", "Dee")]
    extras = year_extras(entries, 2024)
    assert (extras["first"]["id"], extras["last"]["id"]) == ("e2", "e4")
    assert extras["new_directors"] == [{"name": "Cy", "count": 2}, {"name": "Bo", "count": 1}]  # not Ann
    assert year_extras(entries, 2022) == {"first": None, "last": None, "new_directors": []}
