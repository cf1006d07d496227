"""The outbox relay's bookkeeping on the real MongoDB-wire server: which events it
publishes, in what order, and that it never writes a diary document."""

from __future__ import annotations

import asyncio

import pytest

from cinematch.adapters.mongo import OutboxRelay, migrate
from cinematch.domain.events import decode_event
from cinematch.services.diary import NewEntry
from tests.support import drop_database, require_service, wired_services


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


class HeldPublisher(RecordingPublisher):
    """Holds every publish that carries one of `held`'s events until `release` is set; fails
    the first `failures` publishes."""

    def __init__(self, held: str, failures: int = 0) -> None:
        super().__init__()
        self.held, self.failures = held, failures
        self.release = asyncio.Event()

    async def publish_raw(self, items) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("broker down")
        if any(user == self.held for user, _ in items):
            await self.release.wait()
        await super().publish_raw(items)


async def until(check, seconds: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "not within the bound"
        await asyncio.sleep(0.02)


async def test_a_large_import_in_flight_never_holds_back_another_users_write(mongo_profile):
    c = mongo_profile
    diary, store = c.services.diary(), c.storage.diary()
    publisher = HeldPublisher(held="big")
    relay, stop = OutboxRelay(store, publisher, sweep_seconds=3600), asyncio.Event()
    task = asyncio.create_task(relay.run_forever(stop))
    await diary.add_many("big", [NewEntry(name=f"Film {k}", rating=3) for k in range(500)])
    await until(lambda: "big" in relay._busy)  # its group is stuck publishing
    await diary.add(user_id="small", new=NewEntry(name="One Film", rating=4))
    await until(lambda: ("small", 1) in publisher.sent)  # published all the same
    await diary.add(user_id="big", new=NewEntry(name="Film 500", rating=3))  # while its first group still waits
    publisher.release.set()
    await until(lambda: ("big", 501) in publisher.sent)
    stop.set()
    await task
    big = [seq for user, seq in publisher.sent if user == "big"]
    assert big == list(range(1, 502))  # each once, in seq order
    assert await store.unsent() == []


async def test_a_failed_publish_is_retried_and_loses_nothing(mongo_profile):
    c = mongo_profile
    diary, store = c.services.diary(), c.storage.diary()
    publisher = HeldPublisher(held="", failures=2)
    relay, stop = OutboxRelay(store, publisher, sweep_seconds=3600), asyncio.Event()
    await diary.add_many("a", [NewEntry(name=f"Film {k}", rating=3) for k in range(3)])
    task = asyncio.create_task(relay.run_forever(stop))
    await until(lambda: len(publisher.sent) == 3)
    stop.set()
    await task
    assert publisher.sent == [("a", 1), ("a", 2), ("a", 3)] and publisher.failures == 0
    assert await store.unsent() == []
