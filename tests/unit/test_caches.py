"""The fold's process-wide caches stay bounded, and clearing them changes no result."""

from cinematch.domain.deltas import profile_count
from cinematch.services import caches
from cinematch.services.diary import NewEntry
from cinematch.services.wire import credits_count
from cinematch.testing import recompute_matches, wired


async def test_distinct_credits_never_grow_the_caches_past_the_bound(monkeypatch):
    monkeypatch.setattr(caches, "LIMIT", 40)
    app = wired("memory")
    diary, runner = app.services.diary(), app.services.runner()
    await runner.source.start()
    sizes = []
    for batch in range(12):
        for i in range(25):  # every entry a film with credits never seen before
            await diary.add(f"u{i % 3}", NewEntry(name=f"Film {batch}-{i}", rating=1 + i % 5,
                                                 director=f"Director {batch}-{i}", actors=f"Actor {batch}-{i}, Shared",
                                                 genres=[f"Genre {i % 4}"]))
        await runner.drain()
        sizes.append((profile_count(), credits_count()))
    assert max(p for p, _ in sizes) <= 40 + 25 and max(c for _, c in sizes) <= 40 + 25
    assert any(p < sizes[i - 1][0] for i, (p, _) in enumerate(sizes) if i)  # it did start over
    assert await recompute_matches(app, ["u0", "u1", "u2"]) == []  # and every figure is still exact


def test_trim_clears_only_past_the_limit():
    assert caches.trim(limit=10**9) is False
    assert caches.trim(limit=-1) is True and profile_count() == 0 and credits_count() == 0
