"""Class 6: what is public (trends, popularity recommendations) shows catalog films only,
counted by distinct users, once enough users have them; nothing a user typed."""

from .support import admin, sign_up, wait_synced

SPAM = "BUY-CHEAP-PILLS now http://evil.example"
PRIVATE = "therapy session with Dr. Rossi"


def catalog(client):
    films = [{"title": "Heat", "year": 1995, "genres": ["Crime", "Drama"]},
             {"title": "Alien", "year": 1979, "genres": ["Horror", "Sci-Fi"]},
             {"title": "Brazil", "year": 1985, "genres": ["Comedy"]}]
    assert client.post("/api/admin/catalog", json=films, headers=admin(client)).json() == {"upserted": 3}


def test_one_user_cannot_put_a_title_in_the_public_trends(app_client):
    _, client = app_client
    catalog(client)
    spammer = sign_up(client, "spammer")
    for _ in range(40):
        client.post("/api/movies", json={"name": SPAM, "rating": 5, "genres": ["SPAM-GENRE"]}, headers=spammer)
    for _ in range(5):  # a catalog film, many times by one user: one user
        client.post("/api/movies", json={"name": "Heat", "rating": 5, "genres": ["SPAM-GENRE"]}, headers=spammer)
    wait_synced(client, spammer)
    trends = client.get("/api/trends/global").json()
    assert "evil" not in str(trends) and "SPAM" not in str(trends)
    assert trends["top_movies"] == []  # Heat has 1 user of the 3 needed
    assert {g["genre"] for g in trends["trending_genres"]} == {"Crime", "Drama"}  # the catalog's, not the typed ones
    assert all(g["count"] == 1 for g in trends["trending_genres"])


def test_a_film_is_listed_once_enough_distinct_users_have_it(app_client):
    _, client = app_client
    catalog(client)
    users = [sign_up(client, f"viewer{i}") for i in range(4)]
    for i, h in enumerate(users):
        for _ in range(1 + i):  # logging it again does not count again
            client.post("/api/movies", json={"name": "heat", "rating": 4}, headers=h)
        if i < 2:
            client.post("/api/movies", json={"name": "Alien", "rating": 4}, headers=h)
    for h in users:
        wait_synced(client, h)
    trends = client.get("/api/trends/global").json()
    assert [(m["title"], m["count"]) for m in trends["top_movies"]] == [("Heat", 4)]  # Alien: 2 users < 3
    genres = {g["genre"]: g["count"] for g in trends["trending_genres"]}
    assert genres == {"Crime": 4, "Drama": 4, "Horror": 2, "Sci-Fi": 2}
    assert abs(sum(g["percentage"] for g in trends["trending_genres"]) - 100) < 0.5


def test_popularity_recommendations_never_show_another_users_typed_title(app_client):
    _, client = app_client
    catalog(client)
    for i in range(3):
        h = sign_up(client, f"other{i}")
        client.post("/api/movies", json={"name": PRIVATE, "rating": 5}, headers=h)
        client.post("/api/movies", json={"name": "Brazil", "rating": 4}, headers=h)
        wait_synced(client, h)
    me = sign_up(client, "newcomer")
    recs = client.get("/api/recommendations/me", headers=me).json()
    assert recs["strategy"] in ("popularity", "cold_start")
    assert "Rossi" not in str(recs)
    if recs["strategy"] == "popularity":
        assert [i["title"] for i in recs["items"]] == ["Brazil"]


def test_a_user_who_logs_a_private_title_still_sees_it_in_their_own_diary(app_client):
    _, client = app_client
    h = sign_up(client, "dora2")
    client.post("/api/movies", json={"name": PRIVATE, "rating": 5}, headers=h)
    assert wait_synced(client, h)["recent_movies"][0]["name"] == PRIVATE
