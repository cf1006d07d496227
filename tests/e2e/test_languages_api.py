"""The API speaks English whatever the request asks (docs/contract.md §6): only the pages translate;
and a page's language never leaks into the next request."""

from tests.e2e.test_api import make_client


def test_the_api_answers_in_english_and_the_pages_in_the_asked_language(tmp_path):
    c, cl = make_client(tmp_path, ml_train_on_start=False)
    with cl:
        italian = {"accept-language": "it-IT,it;q=0.9"}
        r = cl.post("/api/auth/register", json={"username": "ugo", "password": "short"}, headers=italian)
        assert r.status_code == 400 and r.json()["detail"] == "password must be at least 10 characters"
        assert '<html lang="it">' in cl.get("/", headers=italian).text
        assert '<html lang="en">' in cl.get("/").text  # the next request, with no language asked: English
        r = cl.post("/api/auth/register", json={"username": "ugo", "password": "short"}, headers=italian)
        assert r.json()["detail"] == "password must be at least 10 characters"
    c.storage.db().close()
