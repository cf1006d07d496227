"""A local mirror of IMDb's dataset host for the tests (IMDb cannot be reached here): it answers as
a static file host does, with ETag and Last-Modified, 304 to a conditional request, 206 to a range,
and can cut a download short."""

import gzip
import random
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cinematch.data.imdb import FILES

FIXTURES = Path(__file__).parent / "fixtures" / "imdb"


class Mirror(BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}
    versions: dict[str, str] = {}
    cut_after: dict[str, int] = {}  # name -> bytes sent before the connection drops (once)
    seen: list[tuple[str, int, int, dict]] = []  # path, status, body bytes sent, request headers

    def log_message(self, *args):
        pass

    def do_GET(self):
        name = self.path.rsplit("/", 1)[-1]
        body = self.files.get(name)
        if body is None:
            self.send_response(404)
            self.end_headers()
            self.seen.append((name, 404, 0, dict(self.headers)))
            return
        etag, modified = f'"{self.versions[name]}"', "Mon, 01 Dec 2026 00:00:00 GMT"
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.end_headers()
            self.seen.append((name, 304, 0, dict(self.headers)))
            return
        start, status = 0, 200
        wanted = self.headers.get("Range", "")
        if wanted.startswith("bytes=") and self.headers.get("If-Range") in (etag, modified):
            start, status = int(wanted[6:].split("-")[0]), 206
        payload = body[start:]
        self.send_response(status)
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", modified)
        self.send_header("Content-Length", str(len(payload)))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.end_headers()
        cut = self.cut_after.pop(name, None)
        sent = payload if cut is None else payload[:cut]
        self.wfile.write(sent)
        self.wfile.flush()
        self.seen.append((name, status, len(sent), dict(self.headers)))
        if cut is not None:
            self.close_connection = True
            self.connection.shutdown(2)


@contextmanager
def imdb_mirror():
    files = {}
    for name in FILES:
        raw = next(FIXTURES.glob(f"{name}.tsv*")).read_bytes()
        files[f"{name}.tsv.gz"] = raw if raw[:2] == b"\x1f\x8b" else gzip.compress(raw)
    # title.akas large enough to be cut in the middle: rows for titles the catalog does not hold
    rnd = random.Random(7)
    akas = gzip.decompress(files["title.akas.tsv.gz"]).decode() + "".join(
        f"tt9{i:07d}\t1\t{''.join(rnd.choice('abcdefghij') for _ in range(30))}\tUS\t\\N\t\\N\t\\N\t0\n"
        for i in range(20_000))
    files["title.akas.tsv.gz"] = gzip.compress(akas.encode(), compresslevel=1)
    Mirror.files, Mirror.versions, Mirror.cut_after, Mirror.seen = files, {n: "v1" for n in files}, {}, []
    with serve() as url:
        yield url


@contextmanager
def serve():
    """The mirror of `Mirror.files` on a free port (its base URL)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Mirror)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()


