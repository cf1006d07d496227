"""Class 9 on a real `cinematch serve`: a client that opens connections and sends nothing,
or headers a byte at a time, is cut off; answers carry the security headers."""

import socket
import time

import httpx

from .support import serving


def open_idle(base: str) -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    s = socket.create_connection((host, int(port)))
    s.settimeout(10)
    return s


def closed_within(s: socket.socket, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            if s.recv(1024) == b"":
                return True
        except TimeoutError:
            return False
        except OSError:
            return True
    return False


def test_half_open_connections_are_closed_and_the_server_still_answers(tmp_path):
    with serving(tmp_path / "data", CINEMATCH_HTTP_HEADER_TIMEOUT_SECONDS="1") as base:
        idle = [open_idle(base) for _ in range(50)]
        slow = open_idle(base)
        slow.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # never finishes its headers
        assert httpx.get(f"{base}/health", timeout=5).status_code == 200  # not starved meanwhile
        started = time.monotonic()
        assert closed_within(slow, 5)
        assert all(closed_within(s, 5) for s in idle)
        assert time.monotonic() - started < 5
        ok = httpx.get(f"{base}/health", timeout=5)
        assert ok.status_code == 200 and "server" not in ok.headers
        assert ok.headers["x-content-type-options"] == "nosniff"
        for s in idle + [slow]:
            s.close()


def test_a_kept_alive_connection_that_goes_quiet_is_closed(tmp_path):
    with serving(tmp_path / "data", CINEMATCH_HTTP_HEADER_TIMEOUT_SECONDS="1") as base:
        s = open_idle(base)
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"200 OK" in s.recv(4096)
        s.sendall(b"GET /health HTTP/1.1\r\n")  # the next request's headers never end
        assert closed_within(s, 5)
        s.close()
