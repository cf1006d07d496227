"""MovieLens-100k: fetch it, and read it in the GroupLens or the RecBole layout.

The dataset's licence forbids redistribution, so it is fetched, never committed.
`fetch_ml100k` tries the GroupLens zip first, then the copy the `recbole` wheel on
the package index carries (`pip download --no-deps recbole`), and writes the
files it found under `<data_dir>/datasets/ml-100k/`.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..progress import Progress

GROUPLENS_URL = "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
RECBOLE_SPEC = "recbole==1.2.1"
GROUPLENS_FILES = ("u.data", "u.item")
RECBOLE_FILES = ("ml-100k.inter", "ml-100k.item")
GENRES_19 = ("unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama",
             "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War",
             "Western")


class DatasetUnavailable(RuntimeError):
    """Neither source could be reached; the message says what was tried."""


@dataclass(frozen=True)
class Item:
    id: str
    title: str
    year: int | None
    genres: tuple[str, ...]


@dataclass
class Ratings:
    """Explicit ratings as parallel arrays (raw ids kept for joins with the items)."""

    users: np.ndarray  # raw user ids (str)
    items: np.ndarray  # raw item ids (str)
    ratings: np.ndarray  # float64
    timestamps: np.ndarray  # int64 seconds, 0 when unknown

    def __len__(self) -> int:
        return len(self.ratings)


def dataset_dir(data_dir: str | os.PathLike[str]) -> Path:
    return Path(data_dir) / "datasets" / "ml-100k"


def is_present(path: Path) -> bool:
    return all((path / f).exists() for f in GROUPLENS_FILES) or all((path / f).exists() for f in RECBOLE_FILES)


def fetch_ml100k(data_dir: str | os.PathLike[str], *, grouplens_url: str = GROUPLENS_URL, timeout: float = 20,
                 use_recbole: bool = True, progress: Progress | None = None) -> Path:
    """Put MovieLens-100k under `<data_dir>/datasets/ml-100k` (idempotent); returns the folder.
    `progress(step, done, total)` hears the download's bytes."""
    target = dataset_dir(data_dir)
    if is_present(target):
        return target
    tried = []
    try:
        with urllib.request.urlopen(grouplens_url, timeout=timeout) as resp:  # noqa: S310 - fixed https URL
            size = int(resp.headers.get("Content-Length") or 0) or None
            parts, got = [], 0
            while chunk := resp.read(1 << 16):
                parts.append(chunk)
                got += len(chunk)
                if progress:
                    progress("ml-100k bytes", got, size)
            blob = b"".join(parts)
        _unpack_grouplens(blob, target)
        return target
    except Exception as exc:  # noqa: BLE001 - any failure means: try the next source
        tried.append(f"{grouplens_url}: {exc}")
    if use_recbole:
        try:
            _unpack_recbole(target, timeout)
            return target
        except Exception as exc:  # noqa: BLE001 - each source's failure is reported with the others
            tried.append(f"pip download {RECBOLE_SPEC}: {exc}")
    raise DatasetUnavailable("could not fetch MovieLens-100k; tried " + "; ".join(tried))


def _atomic_dir(target: Path, files: dict[str, bytes]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".ml-100k-"))
    for name, data in files.items():
        (tmp / name).write_bytes(data)
    if target.exists():
        shutil.rmtree(target)
    tmp.rename(target)  # readers never see half a dataset


def _unpack_grouplens(blob: bytes, target: Path) -> None:
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        files = {Path(n).name: z.read(n) for n in z.namelist()
                 if Path(n).name in ("u.data", "u.item", "u.user", "u.genre", "README")}
    if not all(f in files for f in GROUPLENS_FILES):
        raise ValueError("the zip has no u.data/u.item")
    _atomic_dir(target, files)


def _unpack_recbole(target: Path, timeout: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q", "-d", tmp,
             RECBOLE_SPEC], check=True, timeout=max(timeout, 120), capture_output=True,
        )
        [wheel] = list(Path(tmp).glob("recbole-*.whl"))
        with zipfile.ZipFile(wheel) as z:
            prefix = "recbole/dataset_example/ml-100k/"
            files = {n[len(prefix):]: z.read(n) for n in z.namelist()
                     if n.startswith(prefix) and n[len(prefix):] in ("ml-100k.inter", "ml-100k.item", "ml-100k.user")}
    if not all(f in files for f in RECBOLE_FILES):
        raise ValueError("the recbole wheel has no dataset_example/ml-100k")
    _atomic_dir(target, files)


# --- loaders -------------------------------------------------------------------------

def load_items(path: str | os.PathLike[str]) -> dict[str, Item]:
    path = Path(path)
    if (path / "u.item").exists():
        return _grouplens_items(path / "u.item")
    if (path / "ml-100k.item").exists():
        return _recbole_items(path / "ml-100k.item")
    raise FileNotFoundError(f"no u.item or ml-100k.item in {path}")


def load_ratings(path: str | os.PathLike[str]) -> Ratings:
    path = Path(path)
    if (path / "u.data").exists():
        rows = [line.split("\t") for line in (path / "u.data").read_text("latin-1").splitlines() if line.strip()]
        return _ratings(rows)
    if (path / "ml-100k.inter").exists():
        lines = (path / "ml-100k.inter").read_text("utf-8").splitlines()
        header = [h.split(":")[0] for h in lines[0].split("\t")]
        cols = [header.index(c) for c in ("user_id", "item_id", "rating", "timestamp")]
        rows = [[p[i] for i in cols] for p in (line.split("\t") for line in lines[1:] if line.strip())]
        return _ratings(rows)
    raise FileNotFoundError(f"no u.data or ml-100k.inter in {path}")


def load_csv_ratings(path: str | os.PathLike[str]) -> Ratings:
    """Any `user_id,item_id,rating[,timestamp]` CSV (a header line is skipped when present)."""
    rows: list[list[str]] = []
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        try:
            for r in reader:
                if not r:
                    continue
                where = f"{path}, line {reader.line_num}"
                if not rows and any("rating" in c.lower() for c in r):
                    continue  # the header line
                if len(r) < 3:
                    raise ValueError(f"{where}: {len(r)} column(s); expected user_id,item_id,rating[,timestamp]")
                for column, name in ((3, "rating"), (4, "timestamp")):
                    if len(r) >= column and r[column - 1].strip() and not _is_number(r[column - 1]):
                        raise ValueError(f"{where}, column {column} ({name}): {r[column - 1][:60]!r} is not a number")
                if not r[2].strip():
                    raise ValueError(f"{where}, column 3 (rating): empty")
                rows.append([r[0], r[1], r[2], r[3] if len(r) > 3 else "0"])
        except UnicodeDecodeError:
            raise ValueError(f"{path}: not UTF-8 text (line {reader.line_num + 1})") from None
        except csv.Error as exc:
            raise ValueError(f"{path}, line {reader.line_num}: {exc}") from None
    return _ratings(rows)


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def _ratings(rows: Sequence[Sequence[str]]) -> Ratings:
    return Ratings(
        users=np.array([r[0].strip() for r in rows]),
        items=np.array([r[1].strip() for r in rows]),
        ratings=np.array([float(r[2]) for r in rows], dtype=np.float64),
        timestamps=np.array([int(float(r[3])) if len(r) > 3 and r[3].strip() else 0 for r in rows], dtype=np.int64),
    )


def _split_title(raw: str) -> tuple[str, int | None]:
    """GroupLens titles carry the year: 'Toy Story (1995)'. Articles stay where ML put them."""
    raw = raw.strip()
    if raw.endswith(")") and len(raw) > 7 and raw[-6] == "(" and raw[-5:-1].isdigit():
        return raw[:-7].strip(), int(raw[-5:-1])
    return raw, None


def _grouplens_items(file: Path) -> dict[str, Item]:
    out = {}
    for line in file.read_text("latin-1").splitlines():
        p = line.split("|")
        if len(p) < 24:
            continue
        title, year = _split_title(p[1])
        if year is None and p[2][-4:].isdigit():
            year = int(p[2][-4:])
        genres = tuple(g for g, flag in zip(GENRES_19, p[5:24]) if flag == "1" and g != "unknown")
        out[p[0]] = Item(p[0], title, year, genres)
    return out


def _recbole_items(file: Path) -> dict[str, Item]:
    lines = file.read_text("utf-8").splitlines()
    header = [h.split(":")[0] for h in lines[0].split("\t")]
    ix = {name: i for i, name in enumerate(header)}
    out = {}
    for line in lines[1:]:
        p = line.split("\t")
        if len(p) < len(header):
            continue
        year = p[ix["release_year"]].strip()
        genres = tuple(g for g in p[ix["class"]].split() if g != "unknown")
        out[p[ix["item_id"]]] = Item(p[ix["item_id"]], p[ix["movie_title"]].strip(),
                                     int(year) if year.isdigit() else None, genres)
    return out
