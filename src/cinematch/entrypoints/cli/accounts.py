"""The people and their data on this instance: users created and reset, the embedded store backed up and restored."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ...settings import Settings, load_settings
from .common import one_off

if TYPE_CHECKING:  # the services load only when a command needs them
    from ...services.accounts import Accounts


def _embedded_only(what: str) -> Settings:
    settings = load_settings()
    if settings.storage != "sqlite":
        raise ValueError(f"{what} is for the embedded store (CINEMATCH_STORAGE=sqlite); on MongoDB use mongodump "
                         "and mongorestore (docs/operations.md)")
    return settings


def cmd_backup(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ...adapters.sqlite.backup import backup
    settings = _embedded_only("backup")
    print(json.dumps(backup(settings.db_path, Path(args.file))))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ...adapters.sqlite.backup import restore
    settings = _embedded_only("restore")
    print(json.dumps(restore(settings.db_path, Path(args.file))))
    return 0


def _read_password(args: argparse.Namespace) -> str:
    """The password from standard input (`--password-stdin`: its first line) or a prompt asked twice."""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise ValueError("--password-stdin: standard input held no password")
        return password
    if not sys.stdin.isatty():
        raise ValueError("no terminal to ask the password on: pass it with --password-stdin")
    import getpass
    password = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != password:
        raise ValueError("the two passwords differ")
    return password


def _accounts_run(work: Callable[[Accounts], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
    """`work(accounts)` against the configured store (its migrations first, as serve would)."""
    return one_off(lambda c: work(c.services.accounts()))


def cmd_user_create(args: argparse.Namespace) -> int:
    password = _read_password(args)

    async def work(accounts: Accounts) -> dict[str, Any]:
        user = await accounts.register(args.name, password, is_admin=args.admin)
        return {"user_id": user.id, "username": user.username, "is_admin": user.is_admin}
    print(json.dumps(_accounts_run(work)))
    return 0


def cmd_user_reset_password(args: argparse.Namespace) -> int:
    password = _read_password(args)

    async def work(accounts: Accounts) -> dict[str, Any]:
        user = await accounts.reset_password(args.name, password)
        return {"user_id": user.id, "username": user.username, "signed_out": True}
    print(json.dumps(_accounts_run(work)))
    return 0
