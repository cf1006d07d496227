"""Fetching IMDb's dataset files (docs/contract.md §4, `cinematch catalog fetch imdb`).

Each file is `<base>/<name>.tsv.gz`. A fetch asks only for what changed and never starts over what
it has half: a file fetched before is asked for with its `ETag` and `Last-Modified`
(`If-None-Match`, `If-Modified-Since`: a 304 costs nothing); a download cut short is kept as
`<name>.tsv.gz.part` and the next fetch asks for the rest (`Range`, with `If-Range` so that a file
changed meanwhile comes whole again). A downloaded file is read through once as gzip (its CRC and
length checked at the end) before it replaces the one in use, so the import never meets half a
file. What each file was fetched as is kept in `fetched.json` beside them."""

from __future__ import annotations

import gzip
import json
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ..progress import Progress
from .imdb import FILES

DATASETS_URL = "https://datasets.imdbws.com/"
STATE = "fetched.json"
CHUNK = 1 << 20  # gzip check reads


class FetchFailed(RuntimeError):
    """A file could not be fetched whole (the host, the network, or a damaged file); what was
    downloaded of it is kept for the next fetch to resume."""


@dataclass
class FetchReport:
    downloaded: list[str] = field(default_factory=list)  # fetched whole or resumed
    unchanged: list[str] = field(default_factory=list)  # 304: the copy here is current
    resumed: list[str] = field(default_factory=list)  # of the downloaded, those continued from a part
    bytes: int = 0  # bytes received

    @property
    def changed(self) -> bool:
        return bool(self.downloaded)


def file_name(name: str) -> str:
    return f"{name}.tsv.gz"


def _state(folder: Path) -> dict[str, dict[str, str]]:
    try:
        loaded = json.loads((folder / STATE).read_text())
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _save_state(folder: Path, state: dict[str, dict[str, str]]) -> None:
    temporary = folder / f"{STATE}.tmp"
    temporary.write_text(json.dumps(state, indent=1, sort_keys=True))
    os.replace(temporary, folder / STATE)  # whole or not at all


def check_gzip(path: Path) -> None:
    """Read the file through as gzip: a cut or damaged one raises FetchFailed."""
    try:
        with gzip.open(path, "rb") as f:
            while f.read(CHUNK * 8):
                pass
    except (OSError, EOFError, zlib.error) as exc:
        raise FetchFailed(f"{path.name} is not a whole gzip file ({exc}); fetch again") from None


def fetch_datasets(folder: str | Path, base_url: str = DATASETS_URL, names: tuple[str, ...] = FILES,
                   progress: Progress | None = None, client: httpx.Client | None = None,
                   timeout: float = 60.0) -> FetchReport:
    """Bring `names` in `folder` up to date with `base_url`; see the module's docstring."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    progress = progress or Progress(False)
    report = FetchReport()
    own = client is None
    http = client or httpx.Client(timeout=timeout, follow_redirects=True,
                                  headers={"User-Agent": "CineMatch catalog fetch"})
    try:
        state = _state(folder)
        for name in names:
            try:
                _fetch_one(http, base_url.rstrip("/") + "/" + file_name(name), folder / file_name(name), state,
                           report, progress)
            finally:  # a part's validators too: the next fetch resumes it
                _save_state(folder, state)
    finally:
        if own:
            http.close()
    return report


def _fetch_one(http: httpx.Client, url: str, target: Path, state: dict[str, dict[str, str]], report: FetchReport,
               progress: Progress) -> None:
    part = target.with_name(target.name + ".part")
    known = state.get(target.name, {})
    headers: dict[str, str] = {}
    have = part.stat().st_size if part.exists() else 0
    validator = known.get("part_etag") or known.get("part_last_modified")
    if have and validator:
        headers.update({"Range": f"bytes={have}-", "If-Range": validator})
    elif target.exists() and (known.get("etag") or known.get("last_modified")):
        have = 0
        if known.get("etag"):
            headers["If-None-Match"] = known["etag"]
        if known.get("last_modified"):
            headers["If-Modified-Since"] = known["last_modified"]
    else:
        have = 0
    try:
        with http.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                report.unchanged.append(target.name)
                return
            if response.status_code not in (200, 206):
                raise FetchFailed(f"{url} answered {response.status_code}")
            resuming = response.status_code == 206
            if resuming and not response.headers.get("content-range", "").startswith(f"bytes {have}-"):
                part.unlink(missing_ok=True)  # not the rest of what is here: the next fetch starts over
                raise FetchFailed(f"{url} answered another range than asked ({response.headers.get('content-range')})")
            if not resuming:
                have = 0  # the whole file (the host ignored the range, or the file changed)
            etag, modified = response.headers.get("etag", ""), response.headers.get("last-modified", "")
            state[target.name] = {**known, "part_etag": etag, "part_last_modified": modified if not etag else ""}
            length = response.headers.get("content-length")
            total = have + int(length) if length and length.isdigit() else None
            with part.open("ab" if resuming else "wb") as out:
                done = have
                for chunk in _chunks(response):
                    out.write(chunk)
                    done += len(chunk)
                    report.bytes += len(chunk)
                    progress(target.name, done, total)
            progress.done(target.name, done)
            if total is not None and done != total:
                raise FetchFailed(f"{target.name}: {done:,} of {total:,} bytes; fetch again to resume")
    except httpx.HTTPError as exc:
        raise FetchFailed(f"{url}: {exc or type(exc).__name__} (the part fetched is kept: fetch again to "
                          "resume)") from None
    check_gzip(part)
    os.replace(part, target)
    state[target.name] = {"etag": etag, "last_modified": modified, "size": str(target.stat().st_size)}
    report.downloaded.append(target.name)
    if resuming:
        report.resumed.append(target.name)


def _chunks(response: httpx.Response) -> Iterator[bytes]:
    # raw bytes: the file is gzip itself; a transfer encoding is undone by httpx, a file's own gzip never
    yield from response.iter_raw()  # as it arrives: what came before a cut is kept
