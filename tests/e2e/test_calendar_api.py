"""GET /api/me/calendar (docs/contract.md §3, §2 Calendar): days, streaks, milestones, a year."""

import datetime as dt

from tests.e2e.test_api import login


def test_days_streaks_and_milestones_follow_every_edit(app):
    c, cl = app
    h = login(cl)
    today = c.clock().now().date()
    assert cl.get("/api/me/calendar", headers=h).json() == {
        "days": {}, "longest_streak": {"days": 0, "start": None, "end": None},
        "current_streak": {"days": 0, "start": None, "end": None}, "milestones": []}
    start = dt.date(2024, 12, 1)
    rows = "".join(f"Film {i},{(start + dt.timedelta(days=i)).isoformat()}\n" for i in range(52))
    r = cl.post("/api/movies/import", content=("name,date\n" + rows).encode(),
                headers={**h, "Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    cal = cl.get("/api/me/calendar", headers=h).json()
    assert len(cal["days"]) == 52 and set(cal["days"].values()) == {1}
    assert cal["longest_streak"] == {"days": 52, "start": "2024-12-01", "end": "2025-01-21"}
    assert [(m["n"], m["date"], m["title"]) for m in cal["milestones"]] == [
        (1, "2024-12-01", "Film 0"), (50, "2025-01-19", "Film 49")]
    # Watched yesterday and today: a current streak; a watch on an earlier day comes first in order.
    for day in (today - dt.timedelta(days=1), today):
        assert cl.post("/api/movies", json={"name": "Now", "date": day.isoformat()}, headers=h).status_code == 201
    early = cl.post("/api/movies", json={"name": "Early", "date": "2024-01-05"}, headers=h).json()
    cal = cl.get("/api/me/calendar", headers=h).json()
    assert cal["current_streak"]["days"] >= 2 and cal["current_streak"]["end"] == today.isoformat()
    assert cal["milestones"][0] == {"n": 1, "date": "2024-01-05", "title": "Early", "entry_id": early["id"]}
    assert cal["milestones"][1]["title"] == "Film 48"  # the 50th moved back one
    # A re-date moves the day; a year keeps its own days and streaks.
    cl.patch(f"/api/movies/{early['id']}", json={"date": "2023-07-01"}, headers=h)
    year = cl.get("/api/me/calendar", params={"year": 2023}, headers=h).json()
    assert year["days"] == {"2023-07-01": 1} and year["longest_streak"]["days"] == 1
    assert [m["n"] for m in year["milestones"]] == [1]
    assert cl.get("/api/me/calendar", params={"year": 1200}, headers=h).status_code == 400
    assert cl.get("/api/me/calendar").status_code == 401
