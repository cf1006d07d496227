"""The accounts on SQLite."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from ...domain.ports import Conflict, User, UserStore
from ._base import OnDatabase, in_thread
from .sql import chunks, placeholders


USER_COLUMNS = "id, username, password_hash, is_admin, created_at, language"


class SqliteUserStore(OnDatabase, UserStore):
    @in_thread
    def create(self, user: User) -> None:
        try:
            with self.db.tx() as c:
                c.execute("INSERT INTO users (id, username, password_hash, is_admin, created_at, language) "
                          "VALUES (?, ?, ?, ?, ?, ?)", (user.id, user.username, user.password_hash,
                                                        int(user.is_admin), user.created_at, user.language))
        except sqlite3.IntegrityError:
            raise Conflict(f"username {user.username!r} is taken") from None

    def _row(self, rows: list[tuple[Any, ...]]) -> User | None:
        if not rows:
            return None
        uid, name, pw, admin, created, language = rows[0]
        return User(id=uid, username=name, password_hash=pw, is_admin=bool(admin), created_at=created,
                    language=language)

    @in_thread
    def by_username(self, username: str) -> User | None:
        return self._row(self.db.query(f"SELECT {USER_COLUMNS} FROM users WHERE username = ?", (username,)))

    @in_thread
    def by_id(self, user_id: str) -> User | None:
        return self._row(self.db.query(f"SELECT {USER_COLUMNS} FROM users WHERE id = ?", (user_id,)))

    @in_thread
    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        with self.db.tx() as c:
            c.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))

    @in_thread
    def set_language(self, user_id: str, language: str) -> None:
        with self.db.tx() as c:
            c.execute("UPDATE users SET language = ? WHERE id = ?", (language, user_id))

    @in_thread
    def purge(self, user_id: str, at: str) -> None:
        with self.db.tx() as c:
            c.execute("INSERT OR IGNORE INTO purged_users VALUES (?, ?, 0)", (user_id, at))
            c.execute("DELETE FROM users WHERE id = ?", (user_id,))

    @in_thread
    def purged(self, user_ids: Sequence[str]) -> set[str]:
        out: set[str] = set()
        for chunk in chunks(list(dict.fromkeys(user_ids))):
            out.update(r[0] for r in self.db.query(
                f"SELECT user_id FROM purged_users WHERE user_id IN ({placeholders(len(chunk))})", chunk))
        return out

    @in_thread
    def pending_purges(self) -> list[str]:
        return [r[0] for r in self.db.query("SELECT user_id FROM purged_users WHERE done = 0 ORDER BY user_id")]

    @in_thread
    def purge_done(self, user_id: str) -> None:
        with self.db.tx() as c:
            c.execute("UPDATE purged_users SET done = 1 WHERE user_id = ?", (user_id,))
