"""Reviews, likes, privacy and lists through the API (docs/contract.md §3 and §8): what a person
writes and keeps, from an export or by hand, goes home again in the backup and the CSV, and a
private entry is on no public surface."""

import csv
import io
import json
import time
import zipfile

from tests.support import wait_synced

from ..unit.test_imports import FIXTURES, zipped
from .test_api import client, login  # noqa: F401 - the fixture
from .test_imports_api import admin, upload


def test_an_entry_keeps_its_review_like_and_privacy_and_the_review_has_a_bound(client):  # noqa: F811
    h = login(client)
    body = {"name": "Heat", "rating": 4.5, "review": "<script>x</script> The diner.", "spoilers": True,
            "liked": True, "private": True}
    e = client.post("/api/movies", json=body, headers=h).json()
    assert {k: e[k] for k in ("review", "spoilers", "liked", "private")} == {
        "review": "<script>x</script> The diner.", "spoilers": True, "liked": True, "private": True}
    plain = client.post("/api/movies", json={"name": "Alien"}, headers=h).json()
    assert (plain["review"], plain["spoilers"], plain["liked"], plain["private"]) == ("", False, False, False)
    r = client.patch(f"/api/movies/{e['id']}", json={"review": "", "private": False, "liked": False}, headers=h)
    assert r.status_code == 200 and (r.json()["review"], r.json()["private"], r.json()["liked"]) == ("", False, False)
    assert r.json()["rating"] == 4.5 and r.json()["spoilers"] is True  # what the patch did not name stays
    for bad in ({"name": "Heat", "review": "x" * 20_001}, {"name": "Heat", "liked": "yes"}):
        r = client.post("/api/movies", json=bad, headers=h)
        assert r.status_code == 400 and r.json()["detail"], r.text
    assert client.patch(f"/api/movies/{e['id']}", json={"review": "x" * 20_001}, headers=h).status_code == 400
    r = client.post("/api/movies", json={"name": "Heat", "review": "x" * 20_000}, headers=h)
    assert r.status_code == 201 and len(r.json()["review"]) == 20_000


def test_a_private_entry_leaves_the_public_trends(client):  # noqa: F811
    admin(client)
    people = [login(client, name) for name in ("ana", "ben", "cleo")]
    ids = [client.post("/api/movies", json={"name": "Heat", "year": 1995}, headers=h).json()["id"] for h in people]
    for h in people:
        wait_synced(client, h)

    def heat_count(want: int) -> int:  # the trends answer is cached for a quarter of a second
        end = time.monotonic() + 5
        while True:
            top = client.get("/api/trends/global").json()["top_movies"]
            count = next((m["count"] for m in top if m["title"] == "Heat"), 0)
            if count == want or time.monotonic() > end:
                return count
            time.sleep(0.05)
    assert heat_count(3) == 3
    assert client.patch(f"/api/movies/{ids[0]}", json={"private": True}, headers=people[0]).status_code == 200
    wait_synced(client, people[0])
    assert heat_count(0) == 0  # two people are fewer than the three a public film needs
    genres = {g["genre"]: g["count"] for g in client.get("/api/trends/global").json()["trending_genres"]}
    assert genres["Crime"] == 2  # the private entry's film counts in no genre either
    client.patch(f"/api/movies/{ids[0]}", json={"private": False}, headers=people[0])
    wait_synced(client, people[0])
    assert heat_count(3) == 3
    # a private entry still counts in its owner's own statistics
    client.patch(f"/api/movies/{ids[0]}", json={"private": True}, headers=people[0])
    assert wait_synced(client, people[0])["total_watched"] == 1


def test_lists_by_hand_in_order_with_what_the_diary_has(client):  # noqa: F811
    admin(client)
    h, other = login(client), login(client, "bob")
    r = client.post("/api/me/lists", json={"name": "Night films", "description": "After dark."}, headers=h)
    assert r.status_code == 201
    lst = r.json()
    assert (lst["name"], lst["public"], lst["count"], lst["items"]) == ("Night films", False, 0, [])
    url = f"/api/me/lists/{lst['id']}"
    for film in ({"name": "Heat", "year": 1995, "note": "The diner."}, {"name": "Alien"},
                 {"name": "A film nobody catalogued"}, {"name": "Stalker", "position": 1}):
        assert client.post(f"{url}/items", json=film, headers=h).status_code == 201
    client.post("/api/movies", json={"name": "Alien"}, headers=h)
    got = client.get(url, headers=h).json()
    assert [(i["title"], i["position"], i["watched"]) for i in got["items"]] == [
        ("Stalker", 1, False), ("Heat", 2, False), ("Alien", 3, True), ("A film nobody catalogued", 4, False)]
    assert got["items"][1]["note"] == "The diner." and got["items"][1]["catalog_id"]
    # the same film again moves it; an item goes; the summary counts
    client.post(f"{url}/items", json={"catalog_id": got["items"][1]["catalog_id"], "position": 1}, headers=h)
    assert client.delete(f"{url}/items/{got['items'][3]['id']}", headers=h).status_code == 204
    got = client.get(url, headers=h).json()
    assert [i["title"] for i in got["items"]] == ["Heat", "Stalker", "Alien"]
    [summary] = client.get("/api/me/lists", headers=h).json()["items"]
    assert (summary["count"], summary["watched"], summary["public"]) == (3, 1, False)
    r = client.patch(url, json={"name": "Films at night", "ranked": True}, headers=h)
    assert (r.json()["name"], r.json()["ranked"], r.json()["description"]) == ("Films at night", True, "After dark.")
    # somebody else's list is nobody's to them; bad input says why
    assert client.get(url, headers=other).status_code == 404
    assert client.post(f"{url}/items", json={"name": "Heat"}, headers=other).status_code == 404
    assert client.get("/api/me/lists", headers=other).json()["items"] == []
    for bad in ({}, {"name": ""}, {"name": "x" * 201}):
        r = client.post("/api/me/lists", json=bad, headers=h)
        assert r.status_code == 400 and r.json()["detail"]
    r = client.post(f"{url}/items", json={"note": "no film"}, headers=h)
    assert r.status_code == 400 and "name" in r.json()["detail"]
    r = client.post(f"{url}/items", json={"catalog_id": "nope"}, headers=h)
    assert r.status_code == 400 and "catalog" in r.json()["detail"]
    assert client.delete(url, headers=h).status_code == 204
    assert client.get(url, headers=h).status_code == 404 and client.delete(url, headers=h).status_code == 404


def test_a_letterboxd_export_brings_reviews_likes_and_lists_and_a_later_one_updates_them(client):  # noqa: F811
    admin(client)
    h = login(client)
    raw = zipped("letterboxd")
    preview = upload(client, h, raw, dry_run="true")
    first = upload(client, h, raw)
    assert first["lists"] == preview["lists"] == 1
    entries = client.get("/api/movies", params={"limit": 100}, headers=h).json()["items"]
    assert {e["name"]: e["review"] for e in entries if e["review"]} == {"Heat": "The diner scene, again.",
                                                                        "Fargo": "Yah."}
    assert [e["name"] for e in entries if e["liked"]] == ["Heat"]
    [summary] = client.get("/api/me/lists", headers=h).json()["items"]
    assert (summary["name"], summary["count"], summary["watched"]) == ("favourites", 3, 2)  # Heat, Fargo seen
    again = upload(client, h, raw)
    assert (again["imported"], again["updated"], again["lists"]) == (0, 0, 0)
    # a later export: the review edited, the list reordered
    later = {p.relative_to(FIXTURES / "letterboxd").as_posix(): p.read_text()
             for p in (FIXTURES / "letterboxd").rglob("*.csv")}
    later["reviews.csv"] = later["reviews.csv"].replace("The diner scene, again.", "The diner scene, a third time.")
    later["lists/favourites.csv"] = later["lists/favourites.csv"].replace("1,Heat", "9,Heat")
    body = zipped_texts(later)
    second = upload(client, h, body)
    assert (second["imported"], second["updated"], second["lists"]) == (0, 1, 1)
    heat = next(e for e in client.get("/api/movies", params={"limit": 100}, headers=h).json()["items"]
                if e["name"] == "Heat")
    assert heat["review"] == "The diner scene, a third time." and heat["liked"]
    [summary] = client.get("/api/me/lists", headers=h).json()["items"]
    assert [i["name"] for i in client.get(f"/api/me/lists/{summary['id']}", headers=h).json()["items"]] == [
        "Stalker", "Fargo", "Heat"]
    # undoing the later import puts the review back; undoing the first removes its list
    assert client.delete(f"/api/me/imports/{second['batch_id']}", headers=h).status_code == 204
    heat = next(e for e in client.get("/api/movies", params={"limit": 100}, headers=h).json()["items"]
                if e["name"] == "Heat")
    assert heat["review"] == "The diner scene, again."
    assert client.delete(f"/api/me/imports/{first['batch_id']}", headers=h).status_code == 204
    assert client.get("/api/me/lists", headers=h).json()["items"] == []


def zipped_texts(files: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return out.getvalue()


def test_the_backup_and_the_letterboxd_csv_carry_reviews_likes_privacy_and_lists(client):  # noqa: F811
    admin(client)
    h = login(client)
    upload(client, h, zipped("letterboxd"))
    heat = next(e for e in client.get("/api/movies", params={"limit": 100}, headers=h).json()["items"]
                if e["name"] == "Heat")
    client.patch(f"/api/movies/{heat['id']}", json={"private": True, "spoilers": True}, headers=h)
    mine = client.post("/api/me/lists", json={"name": "To share", "ranked": True}, headers=h).json()
    client.post(f"/api/me/lists/{mine['id']}/items", json={"name": "Alien", "note": "Ripley."}, headers=h)
    backup = client.get("/api/me/export", params={"format": "json"}, headers=h)
    data = json.loads(backup.content)
    assert data["version"] == 3 and len(data["lists"]) == 2
    # into an empty account: the same diary (with its words, likes and privacy) and the same lists
    other = login(client, "bob")
    r = client.post("/api/movies/import", content=backup.content,
                    headers={**other, "Content-Type": "application/json"})
    assert r.status_code == 200 and r.json()["lists"] == 2

    def diary(headers):
        items = client.get("/api/movies", params={"limit": 100}, headers=headers).json()["items"]
        return sorted((e["name"], e["date"], e["rating"], e["review"], e["spoilers"], e["liked"], e["private"],
                       e["catalog_id"]) for e in items)

    def lists(headers):
        out = []
        for s in client.get("/api/me/lists", headers=headers).json()["items"]:
            full = client.get(f"/api/me/lists/{s['id']}", headers=headers).json()
            out.append((full["name"], full["description"], full["ranked"], full["count"], full["watched"],
                        [(i["name"], i["year"], i["catalog_id"], i["note"]) for i in full["items"]]))
        return sorted(out, key=repr)
    assert diary(other) == diary(h) and lists(other) == lists(h)
    figures = ("total_watched", "rated_count", "sum_ratings", "watch_time_minutes", "rating_distribution")
    assert {k: wait_synced(client, other)[k] for k in figures} == {k: wait_synced(client, h)[k] for k in figures}
    text = client.get("/api/me/export", params={"format": "letterboxd"}, headers=h).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["Title", "Year", "imdbID", "Rating", "WatchedDate", "Rewatch", "Tags", "Review"]
    assert {r["Title"]: r["Review"] for r in rows if r["Review"]} == {"Heat": "The diner scene, again.",
                                                                       "Fargo": "Yah."}


def test_two_lists_whose_urls_differ_only_by_case_are_two_lists(client):  # noqa: F811
    """Letterboxd's short links are case-sensitive: boxd.it/aB and boxd.it/ab are two lists."""
    h = login(client)
    head = "Letterboxd list export v7\nDate,Name,Tags,URL,Description\n2024-01-01,{name},,https://boxd.it/{url},\n\n" \
           "Position,Name,Year,URL,Description\n1,Heat,1995,,\n"
    body = zipped_texts({"lists/one.csv": head.format(name="One", url="aB"),
                         "lists/two.csv": head.format(name="Two", url="ab"),
                         "diary.csv": "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n"})
    assert upload(client, h, body)["lists"] == 2
    assert sorted(x["name"] for x in client.get("/api/me/lists", headers=h).json()["items"]) == ["One", "Two"]
