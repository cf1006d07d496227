"""The catalog from IMDb's non-commercial datasets (https://datasets.imdbws.com/, docs/contract.md §4).

The files are tab-separated, gzipped or not, with a header line; `\\N` is null. They are read
as streams, one line at a time, in the order that keeps memory to what the films need:
`title.basics` picks the films (`movie`, `tvMovie`, not adult) and is the only file held for
every row kept; `title.ratings` adds votes, `title.crew` directors and writers, `title.principals` the first
billed actors (by `ordering`), `title.akas` alternative titles, and `name.basics` is read last,
for the names of the people kept only. A film's catalog id is its IMDb id (`tt…`), so a second
run updates the same films in place.
"""

from __future__ import annotations

import bisect
import gzip
import io
from array import array
from collections.abc import Awaitable, Callable, Iterable, Iterator
from pathlib import Path

from ..domain.catalog import MAX_AKAS, CatalogMovie, catalog_movie
from ..progress import Progress

FILMS = frozenset({"movie", "tvMovie"})
ACTING = frozenset({"actor", "actress"})
MAX_ACTORS_KEPT = 5  # only the first five billed actors count (docs/contract.md §2)
MAX_DIRECTORS_KEPT = 2
MAX_WRITERS_KEPT = 2  # likewise the first two writers
MAX_AKAS_KEPT = 20
NULL = "\\N"
FILES = ("title.basics", "title.ratings", "title.crew", "title.principals", "title.akas", "name.basics")
REQUIRED = ("title.basics", "title.crew", "title.principals", "name.basics")


class MissingFile(ValueError):
    """A dataset file the import needs is not in the folder."""


def find(folder: Path, name: str) -> Path | None:
    for candidate in (folder / f"{name}.tsv.gz", folder / f"{name}.tsv"):
        if candidate.is_file():
            return candidate
    return None


def lines(path: Path) -> Iterator[str]:
    """The lines of one TSV file (gzipped or not) after its header."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="\n", errors="replace")
        next(text, None)  # the header
        yield from text


def rows(path: Path) -> Iterator[list[str]]:
    """The rows of one TSV file split on tabs; no quoting (IMDb's files have none, and a quote
    character is data)."""
    for line in lines(path):
        yield line.rstrip("\n").split("\t")


# Memory: the films' other fields are kept in dicts keyed by the *number* of the IMDb id
# (`tt0113277` -> 113277), and people by theirs (`nm0000520` -> 520): a small int is a
# quarter of the string, and 700,000 films hold millions of such keys.
def _num(code: str) -> int:
    return int(code[2:]) if code[2:].isdigit() else -1


# a film as title.basics gives it: IMDb id, title, original title, year, runtime, genres
Film = tuple[str, str, str | None, int | None, int | None, tuple[str, ...]]


def _films(path: Path, progress: Progress) -> dict[int, Film]:
    """number -> (IMDb id, title, original title, year, runtime, genres) of the films."""
    films: dict[int, Film] = {}
    genres_seen: dict[str, tuple[str, ...]] = {}  # the same few genre lists, shared
    n = 0
    for n, row in enumerate(rows(path), start=1):
        if len(row) < 9 or row[1] not in FILMS or row[4] == "1":
            continue
        tconst, _, title, original, _, year, _, runtime, genres = row[:9]
        shared = genres_seen.get(genres)
        if shared is None:
            shared = genres_seen[genres] = () if genres == NULL else tuple(genres.split(","))
        films[_num(tconst)] = (tconst, title, None if original in (NULL, title) else original,
                               int(year) if year.isdigit() else None, int(runtime) if runtime.isdigit() else None,
                               shared)
        if n % 500_000 == 0:
            progress("title.basics rows", n)
    progress.done("title.basics rows", n)
    return films


def _votes(path: Path | None, films: dict[int, Film]) -> dict[int, int]:
    out: dict[int, int] = {}
    if path is None:
        return out
    for row in rows(path):
        if len(row) >= 3 and row[2].isdigit() and (t := _num(row[0])) in films:
            out[t] = int(row[2])
    return out


def _crew(path: Path, films: dict[int, Film]) -> tuple[dict[int, tuple[int, ...]], dict[int, tuple[int, ...]]]:
    """number -> the first directors, and number -> the first writers (people numbers)."""
    directors: dict[int, tuple[int, ...]] = {}
    writers: dict[int, tuple[int, ...]] = {}
    for row in rows(path):
        if len(row) >= 2 and (t := _num(row[0])) in films:
            if row[1] != NULL:
                directors[t] = tuple(_num(p) for p in row[1].split(",")[:MAX_DIRECTORS_KEPT])
            if len(row) >= 3 and row[2].strip() != NULL:
                writers[t] = tuple(_num(p) for p in row[2].strip().split(",")[:MAX_WRITERS_KEPT])
    return directors, writers


def _actors(path: Path, films: dict[int, Film], progress: Progress) -> dict[int, tuple[int, ...]]:
    """number -> the first billed actors (people numbers, by `ordering`). The file is the largest
    by far (about 90 million rows): a line is split only as far as the category, and a film's
    rows, which come together, are settled when the next film's begin."""
    out: dict[int, tuple[int, ...]] = {}
    current, number, keep = "", -1, False
    cast: list[tuple[int, int]] = []
    n = 0
    for n, line in enumerate(lines(path), start=1):
        parts = line.split("\t", 4)
        if len(parts) < 4 or parts[3] not in ACTING:
            continue
        if parts[0] != current:
            if cast:
                cast.sort()
                out[number] = tuple(p for _, p in cast[:MAX_ACTORS_KEPT])
            current, number = parts[0], _num(parts[0])
            keep, cast = number in films, []
        if keep:
            cast.append((int(parts[1]) if parts[1].isdigit() else 10**6, _num(parts[2])))
        if n % 2_000_000 == 0:
            progress("title.principals rows", n)
    if cast:
        cast.sort()
        out[number] = tuple(p for _, p in cast[:MAX_ACTORS_KEPT])
    progress.done("title.principals rows", n)
    return out


def _akas(path: Path | None, films: dict[int, Film]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    if path is None:
        return out
    for row in rows(path):
        if len(row) >= 3 and row[2] != NULL and (t := _num(row[0])) in films:
            titles = out.setdefault(t, [])
            if len(titles) < MAX_AKAS_KEPT and row[2] not in titles:
                titles.append(row[2])
    return out


class Names:
    """The names of the people kept, compactly: person numbers in increasing order (name.basics
    lists them so) in an int array, the names UTF-8 in one buffer with their offsets. Millions
    of people as Python strings in a dict took most of the import's memory."""

    def __init__(self) -> None:
        self.ids = array("q")
        self.ends = array("q")
        self.blob = bytearray()

    def add(self, person: int, name: str) -> None:
        self.blob += name.encode()
        self.ids.append(person)
        self.ends.append(len(self.blob))

    def get(self, person: int) -> str | None:
        i = bisect.bisect_left(self.ids, person)
        if i == len(self.ids) or self.ids[i] != person:
            return None
        return self.blob[self.ends[i - 1] if i else 0:self.ends[i]].decode()


def _names(path: Path, wanted: bytearray) -> Names:
    """`wanted` is a bitmap of person numbers."""
    out = Names()
    limit = len(wanted) * 8
    for row in rows(path):
        if len(row) >= 2:
            p = _num(row[0])
            if 0 <= p < limit and wanted[p >> 3] & (1 << (p & 7)):
                out.add(p, row[1])
    if any(later < earlier for earlier, later in zip(out.ids, out.ids[1:])):  # a file not in order: sort it
        starts = [0, *out.ends[:-1]]
        pairs = sorted(zip(out.ids, (bytes(out.blob[a:b]) for a, b in zip(starts, out.ends))))
        out = Names()
        for person, name in pairs:
            out.add(person, name.decode())
    return out


def _bitmap(people: Iterable[int]) -> bytearray:
    people = [p for p in people if p >= 0]
    bits = bytearray((max(people, default=0) >> 3) + 1)
    for p in people:
        bits[p >> 3] |= 1 << (p & 7)
    return bits


def read_catalog(folder: str | Path, progress: Progress | None = None) -> Iterator[CatalogMovie]:
    """The films of the dataset folder, as catalog movies (in `title.basics` order)."""
    folder = Path(folder)
    progress = progress or Progress(False)
    paths = {name: find(folder, name) for name in FILES}
    required = {name: path for name in REQUIRED if (path := paths[name]) is not None}
    missing = [name for name in REQUIRED if name not in required]
    if missing:
        raise MissingFile(f"{folder} lacks {', '.join(f'{m}.tsv.gz' for m in missing)} (IMDb's dataset files)")
    films = _films(required["title.basics"], progress)
    votes = _votes(paths["title.ratings"], films)
    directors, writers = _crew(required["title.crew"], films)
    actors = _actors(required["title.principals"], films, progress)
    akas = _akas(paths["title.akas"], films)
    wanted = _bitmap(p for group in (directors, writers, actors) for people in group.values() for p in people)
    names = _names(required["name.basics"], wanted)
    del wanted
    for number, (tconst, title, original, year, runtime, genres) in films.items():
        yield catalog_movie(
            id=tconst, title=title, original_title=original, year=year, genres=genres,
            director=[n for p in directors.get(number, ()) if (n := names.get(p))],
            writers=[n for p in writers.get(number, ()) if (n := names.get(p))],
            actors=[n for p in actors.get(number, ()) if (n := names.get(p))],
            duration=runtime if runtime is not None and runtime <= 100_000 else None, imdb_id=tconst,
            akas=akas.get(number, [])[:MAX_AKAS], votes=votes.get(number, 0))


async def import_catalog(folder: str | Path, upsert: Callable[[list[CatalogMovie]], Awaitable[int]], chunk: int = 5000,
                         progress: Progress | None = None) -> int:
    """Stream the folder's films into the catalog store (`upsert`, a chunk at a time)."""
    progress = progress or Progress(False)
    batch: list[CatalogMovie] = []
    total = 0
    for movie in read_catalog(folder, progress):
        batch.append(movie)
        if len(batch) == chunk:
            total += await upsert(batch)
            batch = []
            progress("films written", total)
    if batch:
        total += await upsert(batch)
    progress.done("films written", total)
    return total
