"""What the diary table keeps beside its entries, for reads that must not walk a whole diary:
the entries of each day (the calendar) and what each entry adds to its film's audience (a film's
page). Both written in the transaction of every diary write; the migrations that added them to
the entries stored before (db.MIGRATIONS 13 and 14) are here too."""

from __future__ import annotations

import sqlite3

import msgspec

from ...domain.audience import share_of
from ...domain.diary import DiaryEntry

_DAY_IN = """INSERT INTO diary_days VALUES (new.user_id, new.date, 1)
              ON CONFLICT (user_id, date) DO UPDATE SET n = n + 1;"""
_DAY_OUT = """UPDATE diary_days SET n = n - 1 WHERE user_id = old.user_id AND date = old.date;
              DELETE FROM diary_days WHERE user_id = old.user_id AND date = old.date AND n = 0;"""
DIARY_DAYS = (  # (triggers hold semicolons: these statements are run one by one, never split)
    """CREATE TABLE diary_days (user_id TEXT NOT NULL, date TEXT NOT NULL, n INTEGER NOT NULL,
                                PRIMARY KEY (user_id, date)) WITHOUT ROWID""",
    "INSERT INTO diary_days SELECT user_id, date, count(*) FROM diary GROUP BY user_id, date",
    f"CREATE TRIGGER diary_day_in AFTER INSERT ON diary BEGIN {_DAY_IN} END",
    f"CREATE TRIGGER diary_day_out AFTER DELETE ON diary BEGIN {_DAY_OUT} END",
    f"""CREATE TRIGGER diary_day_moved AFTER UPDATE OF user_id, date ON diary
        WHEN old.date IS NOT new.date OR old.user_id IS NOT new.user_id BEGIN {_DAY_OUT} {_DAY_IN} END""",
)


def audience_columns(entry: DiaryEntry) -> tuple[str | None, int | None]:
    """The diary row's `film` and `halves`: the entry's `share_of` its film's audience (None, None
    when it adds nothing)."""
    share = share_of(entry)
    return (None, None) if share is None else share


def add_audience_columns(c: sqlite3.Connection) -> None:
    c.execute("ALTER TABLE diary ADD COLUMN film TEXT")
    c.execute("ALTER TABLE diary ADD COLUMN halves INTEGER")
    decode = msgspec.json.Decoder(DiaryEntry).decode
    last = 0
    next_rows = "SELECT rowid, doc FROM diary WHERE rowid > ? ORDER BY rowid LIMIT 5000"
    while rows := c.execute(next_rows, (last,)).fetchall():
        c.executemany("UPDATE diary SET film = ?, halves = ? WHERE rowid = ?",
                      [(*audience_columns(decode(doc)), rowid) for rowid, doc in rows])
        last = rows[-1][0]
    c.execute("CREATE INDEX diary_audience ON diary (film, user_id, halves) WHERE film IS NOT NULL")
