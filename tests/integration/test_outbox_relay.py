"""The outbox relay's bookkeeping on the real MongoDB-wire server: which events it
publishes, in what order, and that it never writes a diary document."""

from __future__ import annotations

import pytest

from cinematch.adapters.mongo import OutboxRelay, migrate
from cinematch.domain.events import decode_event
from cinematch.services.diary import NewEntry
from cinematch.testing import drop_database, require_service, wired_services


class RecordingPublisher:
    """A hand-written fake publisher: remembers what the relay handed over."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, int]] = []

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish_raw(self, items) -> None:
        self.sent += [(user, decode_event(payload).seq) for user, payload in items]


@pytest.fixture
async def mongo_profile(tmp_path):
    require_service("mongo")
    c = wired_services(tmp_path)  # the kafka profile's wiring; no broker is reached here
    await migrate(c.storage.mongo())
    yield c
    await drop_database(c)


async def test_each_event_once_in_seq_order_and_the_diary_untouched(mongo_profile):
    c = mongo_profile
    diary, store = c.services.diary(), c.storage.diary()
    publisher = RecordingPublisher()
    relay = OutboxRelay(store, publisher, sweep_seconds=3600)
    for user in ("a", "b"):
        await diary.add_many(user, [NewEntry(name=f"Film {k}", rating=3) for k in range(3)])
    before = {u: await store.col.find_one({"_id": u}) for u in ("a", "b")}
    assert await relay.run_once() == 6
    assert sorted(publisher.sent) == [("a", 1), ("a", 2), ("a", 3), ("b", 1), ("b", 2), ("b", 3)]
    assert {u: await store.col.find_one({"_id": u}) for u in ("a", "b")} == before  # the relay never writes it
    assert await relay.run_once() == 0 and await store.unsent() == []
    await diary.add(user_id="a", new=NewEntry(name="Film 9", rating=5))
    assert await relay.run_once() == 1 and publisher.sent[-1] == ("a", 4)
    # the writer trimmed what the relay had published
    assert [o["seq"] for o in (await store.col.find_one({"_id": "a"}))["outbox"]] == [4]


async def test_a_write_whose_signal_was_lost_is_found_by_the_sweep(mongo_profile, monkeypatch):
    c = mongo_profile
    diary, store = c.services.diary(), c.storage.diary()
    publisher = RecordingPublisher()
    relay = OutboxRelay(store, publisher, sweep_seconds=3600)
    assert await relay.run_once() == 0  # the start-up sweep is done: the next one is an hour away
    collection = type(store.mongo.db.outbox_signals)
    real_insert = collection.insert_one

    async def lost(self, *args, **kwargs):
        if self.name == "outbox_signals":
            raise ConnectionError("the API died between the diary write and its signal")
        return await real_insert(self, *args, **kwargs)

    monkeypatch.setattr(collection, "insert_one", lost)
    await diary.add(user_id="z", new=NewEntry(name="Lost Signal", rating=4))  # accepted all the same
    monkeypatch.undo()
    assert await relay.run_once() == 0  # no signal: not seen yet
    assert await store.unsent() == ["z"]
    relay._next_sweep = 0  # the sweep is due (every sweep_seconds, and at every relay start)
    assert await relay.run_once() == 1 and publisher.sent == [("z", 1)]
    assert await store.unsent() == []
