"""What every command shares: its container, a one-off run against the store, logging, and a
failure told in one line."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from ...settings import Settings, load_settings

if TYPE_CHECKING:  # the container module loads only when a command needs it
    from ...container import Application

T = TypeVar("T")


def _container(**overrides: object) -> Application:
    from ...container import build_container
    return build_container(load_settings(**overrides))


async def close_resources(container: Application) -> None:
    from ...container import close_resources as close  # the container module loads only when needed
    await close(container)


def one_off(work: Callable[[Application], Awaitable[T]], **overrides: object) -> T:
    """`work(container)` once, as a short-lived process of its own: the store prepared as serve
    would prepare it (runtime.Runtime: MongoDB's migrations on start), closed on the way out."""
    from ...runtime import Runtime
    runtime = Runtime(_container(**overrides))

    async def run() -> T:
        await runtime.prepare()
        try:
            return await work(runtime.container)
        finally:
            await runtime.stop()
    return asyncio.run(run())


def _profile_default(args_profile: str | None) -> str:
    import os
    return args_profile or os.environ.get("CINEMATCH_PROFILE") or "kafka"


def _logging(settings: Settings) -> None:
    import logging

    from ...adapters.observability import configure_logging
    configure_logging(settings.log_format)
    logging.getLogger("py4j").setLevel(logging.WARNING)


def one_line(exc: BaseException) -> str:
    """An error as one line a person can act on (no traceback)."""
    from ...domain.ports import StoreUnavailable
    if isinstance(exc, StoreUnavailable):
        return exc.reason
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.filename}: {exc.strerror or exc}"
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}" if exc.args else "missing field"
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:500]


def _is_bad_input(exc: BaseException) -> bool:
    import msgspec

    from ...domain.ports import Conflict
    return isinstance(exc, (ValueError, KeyError, TypeError, FileNotFoundError, IsADirectoryError, NotADirectoryError,
                            msgspec.MsgspecError, Conflict))


def json_problem(path: str, raw: bytes, exc: Exception) -> str:
    """A JSON file's decoding error, with the line and column msgspec's byte offset points at."""
    import re
    text = str(exc)
    found = re.search(r"\(byte (\d+)\)", text)
    if found:
        offset = int(found.group(1))
        before = raw[:offset]
        line, column = before.count(b"\n") + 1, offset - (before.rfind(b"\n") + 1) + 1
        return f"{path}, line {line}, column {column}: {text[:found.start()].strip()}"
    return f"{path}: {text}"
