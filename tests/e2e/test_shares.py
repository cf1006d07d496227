"""Shared years in review (docs/contract.md §3 shares): a public, unguessable link to a year,
its card image, no private entry on it, revoked links and deleted accounts gone."""

import io

from PIL import Image

from tests.e2e.test_api import login


def log(cl, h, name, date, **extra):
    r = cl.post("/api/movies", json={"name": name, "date": date, "rating": 4, **extra}, headers=h)
    assert r.status_code == 201, r.text
    return r.json()


def test_a_shared_year_opens_signed_out_without_private_entries_and_stops_when_revoked(app):
    c, cl = app
    h = login(cl, "sara")
    log(cl, h, "Open Window", "2024-05-01")
    log(cl, h, "Secret Diary Film", "2024-05-02", private=True, director="Hidden Person")
    log(cl, h, "Other Year", "2023-01-01")
    made = cl.post("/api/me/shares", json={"kind": "year", "year": 2024}, headers=h)
    assert made.status_code == 201, made.text
    token, url = made.json()["token"], made.json()["url"]
    assert url == f"/share/{token}" and len(token) >= 32
    assert [s["token"] for s in cl.get("/api/me/shares", headers=h).json()["items"]] == [token]
    page = cl.get(url)  # no sign-in
    assert page.status_code == 200 and "sara" in page.text and "Open Window" in page.text
    assert "Secret Diary Film" not in page.text and "Hidden Person" not in page.text
    assert 'id="total-films">1<' in page.text  # the private entry is not even counted
    assert "Other Year" not in page.text
    assert f'property="og:image" content="http://testserver.local/share/{token}.png"' in page.text
    image = cl.get(f"{url}.png")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(image.content)).size == (1200, 630)
    italian = cl.get(url, headers={"accept-language": "it"})
    assert "Il 2024 di sara in rassegna" in italian.text
    # Someone else cannot revoke it; its owner can, and then it is gone.
    other = login(cl, "ugo")
    assert cl.delete(f"/api/me/shares/{token}", headers=other).status_code == 404
    assert cl.get(url).status_code == 200
    assert cl.delete(f"/api/me/shares/{token}", headers=h).status_code == 204
    assert cl.get(url).status_code == 404 and cl.get(f"{url}.png").status_code == 404
    assert cl.get("/api/me/shares", headers=h).json()["items"] == []


def test_unknown_links_bad_requests_and_a_deleted_account(app):
    c, cl = app
    h = login(cl, "tina")
    assert cl.get("/share/not-a-real-token").status_code == 404
    assert cl.get("/share/" + "x" * 500).status_code == 404
    assert cl.post("/api/me/shares", json={"kind": "month", "year": 2024}, headers=h).status_code == 400
    assert cl.post("/api/me/shares", json={"kind": "year", "year": 1200}, headers=h).status_code == 400
    assert cl.post("/api/me/shares", json={"kind": "year", "year": 2024}).status_code == 401
    token = cl.post("/api/me/shares", json={"kind": "year", "year": 2024}, headers=h).json()["token"]
    assert cl.get(f"/share/{token}").status_code == 200  # a year without films is a page all the same
    r = cl.request("DELETE", "/api/me", json={"password": "correct-horse-42"}, headers=h)
    assert r.status_code == 204, r.text
    assert cl.get(f"/share/{token}").status_code == 404
