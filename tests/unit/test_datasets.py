"""MovieLens loaders (both layouts), the fetcher's fallbacks and the demo loader."""

import io
import zipfile

import pytest

from cinematch.services.demo import credits, demo_catalog, display_title, load_demo
from cinematch.data.movielens import DatasetUnavailable, fetch_ml100k, load_csv_ratings, load_items, load_ratings
from tests.support import wired

U_ITEM = ("50|Star Wars (1977)|01-Jan-1977||http://x|0|1|1|0|0|0|0|0|0|0|0|0|0|0|1|1|0|1|0\n"
          "127|Godfather, The (1972)|01-Jan-1972||http://x|0|1|0|0|0|0|1|0|1|0|0|0|0|0|0|0|0|0|0\n"
          "999|Nameless (unknown)|||http://x|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n")
U_DATA = "1\t50\t5\t881250949\n1\t127\t4\t881250950\n2\t50\t3\t881250000\n"
REC_ITEM = ("item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n"
            "50\tStar Wars\t1977\tAction Adventure Romance Sci-Fi War\n"
            "127\tGodfather, The\t1972\tAction Crime Drama\n")
REC_INTER = ("user_id:token\titem_id:token\trating:float\ttimestamp:float\n"
             "1\t50\t5\t881250949\n1\t127\t4\t881250950\n2\t50\t3\t881250000\n")


def grouplens(tmp_path):
    (tmp_path / "u.item").write_text(U_ITEM, "latin-1")
    (tmp_path / "u.data").write_text(U_DATA)
    return tmp_path


def recbole(tmp_path):
    (tmp_path / "ml-100k.item").write_text(REC_ITEM)
    (tmp_path / "ml-100k.inter").write_text(REC_INTER)
    return tmp_path


@pytest.mark.parametrize("layout", [grouplens, recbole])
def test_both_layouts_read_the_same(tmp_path, layout):
    path = layout(tmp_path)
    items, ratings = load_items(path), load_ratings(path)
    assert (items["50"].title, items["50"].year) == ("Star Wars", 1977)
    assert set(items["50"].genres) == {"Action", "Adventure", "Romance", "Sci-Fi", "War"}
    assert items["127"].title == "Godfather, The" and "Crime" in items["127"].genres
    assert list(ratings.users) == ["1", "1", "2"] and list(ratings.items) == ["50", "127", "50"]
    assert list(ratings.ratings) == [5.0, 4.0, 3.0] and ratings.timestamps[0] == 881250949


def test_csv_ratings(tmp_path):
    f = tmp_path / "r.csv"
    f.write_text("user_id,item_id,rating,timestamp\nu1,i1,4.5,10\nu2,i1,3,\n")
    r = load_csv_ratings(f)
    assert list(r.users) == ["u1", "u2"] and list(r.ratings) == [4.5, 3.0] and list(r.timestamps) == [10, 0]
    f.write_text("u1,i1,not-a-number\n")
    with pytest.raises(ValueError, match="line"):
        load_csv_ratings(f)


def test_fetch_reads_the_grouplens_zip_and_is_idempotent(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("ml-100k/u.item", U_ITEM)
        z.writestr("ml-100k/u.data", U_DATA)
    (tmp_path / "ml-100k.zip").write_bytes(buf.getvalue())
    path = fetch_ml100k(tmp_path / "data", grouplens_url=(tmp_path / "ml-100k.zip").as_uri(), use_recbole=False)
    assert path == tmp_path / "data" / "datasets" / "ml-100k" and len(load_ratings(path)) == 3
    # Present already: no source is contacted again.
    assert fetch_ml100k(tmp_path / "data", grouplens_url="file:///nonexistent", use_recbole=False) == path


def test_fetch_says_what_it_tried(tmp_path):
    with pytest.raises(DatasetUnavailable, match="nonexistent"):
        fetch_ml100k(tmp_path, grouplens_url="file:///nonexistent/ml-100k.zip", use_recbole=False)


def test_display_titles_and_credits():
    assert display_title("Godfather, The") == "The Godfather"
    assert display_title("Fish Called Wanda, A") == "A Fish Called Wanda"
    assert display_title("Star Wars") == "Star Wars"
    c = credits()
    assert len(c) >= 100 and c["50"]["director"] == "George Lucas" and int(c["50"]["runtime"]) > 0


async def demo(container, path):
    return await load_demo(path, catalog=container.storage.catalog(), accounts=container.services.accounts(),
                           diary=container.services.diary(), today=container.clock().now().date(), users=2,
                           entries=10)


async def test_demo_loads_catalog_users_and_diaries(tmp_path):
    path = recbole(tmp_path / "ds") if (tmp_path / "ds").mkdir() is None else None
    container = wired("memory", data_dir=tmp_path)
    report = await demo(container, path)
    assert report["catalog_movies"] == 2 and report["users_created"] == ["demo_1", "demo_2"]
    assert report["diary_entries"] == 3
    user = await container.storage.users().by_username("demo_1")
    entries, _ = await container.storage.diary().snapshot(user.id)
    by_title = {e.title: e for e in entries}
    assert by_title["Star Wars"].director == "George Lucas" and by_title["Star Wars"].duration == 121
    assert by_title["The Godfather"].rating == 4
    await container.services.runner().drain()
    stats = await container.services.queries().user_stats(user.id)
    assert stats["total_watched"] == 2 and stats["sum_ratings"] == 9
    again = await demo(container, path)
    assert again["users_created"] == []  # idempotent


def test_demo_catalog_uses_credits():
    from cinematch.data.movielens import Item
    [m] = demo_catalog({"50": Item("50", "Star Wars", 1977, ("Sci-Fi",))})
    assert m.director == "George Lucas" and "Harrison Ford" in m.actors and m.duration == 121
