"""The calendar's rules (docs/contract.md §2 Calendar): milestones, streaks, a year's view."""

import datetime as dt

from cinematch.domain.calendar import calendar_view, milestones_upto, streaks
from cinematch.domain.diary import DiaryEntry

TODAY = dt.date(2026, 3, 10)


def test_milestones_are_the_first_ones_then_every_500th():
    assert milestones_upto(0) == []
    assert milestones_upto(49) == [1]
    assert milestones_upto(1000) == [1, 50, 100, 250, 500, 1000]
    assert milestones_upto(2600) == [1, 50, 100, 250, 500, 1000, 1500, 2000, 2500]


def test_the_longest_streak_is_the_earliest_of_the_longest_runs():
    days = ["2026-01-01", "2026-01-02", "2026-01-03", "2026-02-01", "2026-02-02", "2026-02-03", "2026-02-05"]
    longest, current = streaks(days, TODAY)
    assert longest == (3, "2026-01-01", "2026-01-03") and current == (0, None, None)


def test_the_current_streak_ends_today_or_yesterday():
    assert streaks(["2026-03-08", "2026-03-09"], TODAY)[1] == (2, "2026-03-08", "2026-03-09")
    assert streaks(["2026-03-10"], TODAY)[1] == (1, "2026-03-10", "2026-03-10")
    assert streaks(["2026-03-07", "2026-03-08"], TODAY)[1] == (0, None, None)  # two days ago: broken
    assert streaks([], TODAY) == ((0, None, None), (0, None, None))


def test_a_streak_runs_across_months_and_years():
    longest, _ = streaks(["2025-12-30", "2025-12-31", "2026-01-01", "2026-02-28", "2026-03-01"], TODAY)
    assert longest == (3, "2025-12-30", "2026-01-01")


def test_a_years_view_keeps_its_days_streaks_within_it_and_its_milestones():
    days = {"2025-12-30": 1, "2025-12-31": 2, "2026-01-01": 1, "2026-01-02": 1}
    marks = [(1, DiaryEntry(id="a", user_id="u", name="a", title="A", date="2025-12-30", added_at="")),
             (50, DiaryEntry(id="b", user_id="u", name="B", date="2026-01-02", added_at=""))]
    year = calendar_view(days, marks, TODAY, 2026)
    assert year["days"] == {"2026-01-01": 1, "2026-01-02": 1}
    assert year["longest_streak"] == {"days": 2, "start": "2026-01-01", "end": "2026-01-02"}  # cut at the year
    assert year["milestones"] == [{"n": 50, "date": "2026-01-02", "title": "B", "entry_id": "b"}]
    whole = calendar_view(days, marks, TODAY)
    assert whole["longest_streak"]["days"] == 4 and len(whole["milestones"]) == 2
