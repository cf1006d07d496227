"""Diary CSV imports: Letterboxd diary/ratings, IMDb ratings, and `name,year,rating,date`.

Parsing only: every row becomes an `ImportRow` or a per-line error with a reason.
Rules (CONTRACT §3): half-star ratings round half up (3.5 -> 4, 0.5 -> 1); IMDb's
1-10 ratings map to round-half-up(r / 2); Letterboxd's "Watched Date" wins over
"Date". A row without a rating is skipped (Letterboxd logs films watched but not
rated), not an error.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import msgspec

MAX_FIELD = 10_000
MAX_ROWS = 50_000


class ImportRow(msgspec.Struct, omit_defaults=True):
    line: int
    name: str
    rating: int
    date: str | None = None
    year: int | None = None
    imdb_id: str | None = None
    genres: list[str] | None = None
    director: str | None = None
    actors: str | None = None
    duration: int | None = None


class ImportError_(msgspec.Struct):
    line: int
    reason: str


class ParsedImport(msgspec.Struct):
    format: str
    rows: list[ImportRow]
    errors: list[ImportError_]
    skipped: int


class UnreadableImport(ValueError):
    """The file as a whole cannot be read (no header, unknown columns, not text)."""


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _rating(raw: str, scale: int) -> int | None:
    """Stars (0.5-5, `scale` 5) or IMDb points (1-10, `scale` 10) to 1-5; None when empty."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"rating {raw[:20]!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"rating {raw[:20]!r} is not a number")
    low, high = (Decimal("0.5"), Decimal(5)) if scale == 5 else (Decimal(1), Decimal(10))
    if not low <= value <= high:
        raise ValueError(f"rating {raw[:20]} is outside {low}-{high}")
    stars = _half_up(value) if scale == 5 else _half_up(value / 2)
    return max(1, stars)


def _date(raw: str) -> str | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        if len(raw) != 10:
            raise ValueError
        return dt.date.fromisoformat(raw).isoformat()
    except ValueError:
        raise ValueError(f"date {raw[:40]!r} is not a real date YYYY-MM-DD") from None


def parse_year(raw: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit() or not 1870 <= int(raw) <= 2200:
        raise ValueError(f"year {raw[:20]!r} is not a year")
    return int(raw)


def _int(raw: str, what: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise ValueError(f"{what} {raw[:20]!r} is not a whole number")
    return int(raw)


# The columns each format is recognised by (compared case-insensitively).
FORMATS: dict[str, tuple[str, ...]] = {
    "imdb": ("const", "your rating", "title"),
    "letterboxd-diary": ("name", "rating", "watched date"),
    "letterboxd-ratings": ("name", "rating", "letterboxd uri"),
    "generic": ("name", "rating"),
}


def detect_format(header: list[str]) -> str:
    cols = {h.strip().lower() for h in header}
    for name, needed in FORMATS.items():
        if all(c in cols for c in needed):
            return name
    raise UnreadableImport(
        "unrecognised CSV header: expected Letterboxd diary.csv/ratings.csv, IMDb ratings.csv "
        "or the columns name,year,rating,date"
    )


def _row(fmt: str, get, line: int) -> ImportRow | None:
    if fmt == "imdb":
        rating = _rating(get("your rating"), 10)
        name = get("title").strip() or get("original title").strip()
        rated = get("date rated").strip()
        genres = [g.strip() for g in get("genres").split(",") if g.strip()] or None
        kw = dict(date=_date(rated) if rated else None, year=parse_year(get("year")),
                  imdb_id=get("const").strip() or None, genres=genres,
                  director=get("directors").strip() or None, duration=_int(get("runtime (mins)"), "runtime"))
    else:
        rating = _rating(get("rating"), 5)
        name = get("name").strip()
        when = get("watched date").strip() or get("date").strip()  # Letterboxd: watched date wins
        kw = dict(date=_date(when) if when else None, year=parse_year(get("year")))
    if rating is None:
        return None
    if not name:
        raise ValueError("name is empty")
    if len(name) > MAX_FIELD:
        raise ValueError(f"name is longer than {MAX_FIELD} characters")
    return ImportRow(line=line, name=name, rating=rating, **kw)  # type: ignore[arg-type]


def parse_backup(data: str) -> ParsedImport:
    """The CineMatch JSON backup (`domain.exports`); an entry's "line" is its place in the list."""
    from .exports import BACKUP_FORMAT, Backup
    try:
        backup = msgspec.json.decode(data, type=Backup)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise UnreadableImport(f"unreadable CineMatch backup: {exc}") from None
    if backup.format != BACKUP_FORMAT or backup.version != 1:
        raise UnreadableImport(f"not a CineMatch backup this version reads ({backup.format!r} v{backup.version})")
    if len(backup.diary) > MAX_ROWS:
        raise UnreadableImport(f"more than {MAX_ROWS} diary entries in one backup")
    rows = [ImportRow(line=i, name=e.name, rating=e.rating, date=e.date, year=e.year, imdb_id=e.imdb_id,
                      genres=e.genres, director=e.director, actors=e.actors, duration=e.duration)
            for i, e in enumerate(backup.diary, start=1)]
    return ParsedImport(format="cinematch-backup", rows=rows, errors=[], skipped=0)


def parse_import(data: bytes | str) -> ParsedImport:
    """Parse a whole file (a CSV of a known header, or the CineMatch JSON backup); rows that
    cannot be read are reported with their line number."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UnreadableImport("the file is not UTF-8 text") from None
    if "\x00" in data:
        raise UnreadableImport("the file is not text (it contains NUL bytes)")
    if data.lstrip().startswith("{"):
        return parse_backup(data)
    reader = csv.reader(io.StringIO(data, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise UnreadableImport("the file is empty") from None
    except csv.Error as exc:
        raise UnreadableImport(f"unreadable CSV header: {exc}") from None
    fmt = detect_format(header)
    index = {h.strip().lower(): i for i, h in enumerate(header)}
    rows: list[ImportRow] = []
    errors: list[ImportError_] = []
    skipped = 0
    while True:
        line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(ImportError_(line, f"unreadable CSV row: {exc}"))
            continue
        if not any(v.strip() for v in values):
            continue  # blank line
        if len(rows) + len(errors) + skipped >= MAX_ROWS:
            errors.append(ImportError_(line, f"more than {MAX_ROWS} rows; the rest was not read"))
            break
        if len(values) > len(header):
            errors.append(ImportError_(line, f"{len(values)} fields where the header has {len(header)}"))
            continue

        def get(col: str, values=values) -> str:
            i = index.get(col)
            return values[i] if i is not None and i < len(values) else ""

        try:
            row = _row(fmt, get, line)
        except ValueError as exc:
            errors.append(ImportError_(line, str(exc)))
            continue
        if row is None:
            skipped += 1
        else:
            rows.append(row)
    return ParsedImport(format=fmt, rows=rows, errors=errors, skipped=skipped)
