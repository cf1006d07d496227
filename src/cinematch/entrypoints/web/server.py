"""The HTTP server `cinematch serve` runs: uvicorn with bounds on what a client can hold.

uvicorn closes a kept-alive connection that goes quiet (`timeout_keep_alive`) but has no
limit on how long a client may take to send a request's headers: a client that opens
connections and sends nothing, or a header a byte at a time, holds them for ever. The
protocol below closes a connection whose request headers are not complete
`HEADER_TIMEOUT` seconds after it opened (or after the previous answer). A reverse proxy
in front should still set its own limits (docs/security.md, "Behind a reverse proxy").
"""

from __future__ import annotations

import asyncio
import gc
import threading
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT = 10.0  # seconds to send a request line and headers (CINEMATCH_HTTP_HEADER_TIMEOUT_SECONDS)
KEEP_ALIVE = 5  # seconds an idle kept-alive connection stays open
MAX_CONNECTIONS = 1000  # concurrent connections; beyond, uvicorn answers 503
GRACEFUL_SHUTDOWN = 10  # seconds in-flight requests get on SIGTERM


class HeaderTimeoutProtocol(H11Protocol):
    header_timeout = HEADER_TIMEOUT
    _header_timer: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.cycle is None or self.cycle.response_complete:  # still waiting for a request's headers
            self.transport.close()

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._arm()

    def handle_events(self) -> None:
        super().handle_events()
        if self.cycle is not None and not self.cycle.response_complete:
            self._disarm()  # a request is in: its body and answer have their own bounds

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


# Set when the server is asked to stop: long-lived answers (the pages' event streams) end
# themselves, so the in-flight requests finish well within the graceful shutdown.
STOPPING = threading.Event()


def tune_collector() -> None:
    """Keep the cyclic garbage collector from stalling requests. A full collection walks every
    tracked object: with the libraries loaded, and 100,000 import rows alive, each one held the
    GIL for 30-100 ms, several times per import (measured: /health p99 108 ms during a
    100,000-row import). What is alive once the server is set up is frozen (never walked again;
    reference counting still frees it), and collections run 70 times less often; reference
    counting frees nearly everything anyway (the folds and imports make no cycles)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def run(app: Any, host: str, port: int, log_level: str = "info", header_timeout: float = HEADER_TIMEOUT) -> None:

    tune_collector()

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            STOPPING.set()
            super().handle_exit(sig, frame)

    protocol = type("HeaderTimeoutProtocol", (HeaderTimeoutProtocol,), {"header_timeout": header_timeout})
    Server(uvicorn.Config(app, host=host, port=port, log_level=log_level, http=protocol,
                          timeout_keep_alive=KEEP_ALIVE, limit_concurrency=MAX_CONNECTIONS,
                          timeout_graceful_shutdown=GRACEFUL_SHUTDOWN, server_header=False,
                          # the app logs each request itself, with its request id (web/observe.py), and
                          # uvicorn's own lines go through the process's handler (text or JSON)
                          access_log=False, log_config=None)).run()
