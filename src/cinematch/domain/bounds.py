"""The bounds every accepted diary entry keeps (docs/contract.md §2, §3).

One set, read by every path that accepts an entry: the HTTP API (its request types are
built from the annotated types below), every importer (`check_entry`), and the event
decoder (the `Movie` struct's field types, enforced by msgspec while decoding, plus
`check_date`). Bounded input keeps every sum exact in the fast fold (float64 and int64
stay far from their limits) and keeps a single request from costing seconds or
megabytes.
"""

from __future__ import annotations

from .messages import N_
import datetime as dt
from typing import Annotated

import msgspec

MIN_DATE = dt.date(1870, 1, 1)
MIN_YEAR, MAX_YEAR = 1870, 2100
MAX_NAME = 500  # characters of a title as typed
MAX_GENRES = 20  # genres of one entry (IMDb lists at most 3, TMDB rarely more than 8)
MAX_GENRE = 64  # characters of one genre
MAX_PEOPLE = 50  # names in one director or actors field (only the first 2 and 5 count)
MAX_PERSON = 200  # characters of one name
MAX_PEOPLE_TEXT = MAX_PEOPLE * (MAX_PERSON + 2)  # the "A, B" string of MAX_PEOPLE names
MAX_DURATION = 100_000  # minutes; the longest film ever released runs about 51,000
MAX_IMDB_ID = 32
MAX_INSTANT = 64  # characters of an ISO-8601 timestamp
MAX_TAGS = 20  # tags of one entry
MAX_TAG = 100  # characters of one tag
MAX_REVIEW = 20_000  # characters of one review (shown as text, never as HTML)
MAX_CODES = 20  # countries or languages of one film (TMDB lists a few)
MAX_CODE = 8  # characters of one code (ISO 3166-1 alpha-2, ISO 639-1; a few more for what TMDB invents)

Title = Annotated[str, msgspec.Meta(max_length=MAX_NAME)]
Review = Annotated[str, msgspec.Meta(max_length=MAX_REVIEW)]
Genre = Annotated[str, msgspec.Meta(max_length=MAX_GENRE)]
Genres = Annotated[tuple[Genre, ...], msgspec.Meta(max_length=MAX_GENRES)]
GenreList = Annotated[list[Genre], msgspec.Meta(max_length=MAX_GENRES)]
PeopleText = Annotated[str, msgspec.Meta(max_length=MAX_PEOPLE_TEXT)]
PeopleList = Annotated[list[Annotated[str, msgspec.Meta(max_length=MAX_PERSON)]], msgspec.Meta(max_length=MAX_PEOPLE)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_CODE)]
Codes = Annotated[tuple[Code, ...], msgspec.Meta(max_length=MAX_CODES)]
Duration = Annotated[int, msgspec.Meta(ge=0, le=MAX_DURATION)]
Year = Annotated[int, msgspec.Meta(ge=MIN_YEAR, le=MAX_YEAR)]
ImdbId = Annotated[str, msgspec.Meta(max_length=MAX_IMDB_ID)]
Instant = Annotated[str, msgspec.Meta(max_length=MAX_INSTANT)]
DateText = Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}$")]
# An event's date: the decoder checks its length only, and `events.validate_events` parses each
# distinct date once (the fold's `Parsed` cache). A pattern here would run a regex on every event
# decoded: a third of the projection's decode time.
EventDate = Annotated[str, msgspec.Meta(max_length=10)]


class OutOfBounds(ValueError):
    """A value outside the bounds; the message says which and why."""


def latest_date(today: dt.date) -> dt.date:
    """The last watched date accepted: tomorrow (a film watched late in another zone)."""
    return today + dt.timedelta(days=1)


def check_date(value: dt.date, today: dt.date, field: str = "date") -> None:
    if not MIN_DATE <= value <= latest_date(today):
        raise OutOfBounds(N_("{field} must be from {low} to {high}, got {value}").format(
            field=field, low=MIN_DATE.isoformat(), high=latest_date(today).isoformat(), value=value.isoformat()))


def check_text(value: str, limit: int, field: str) -> None:
    if len(value) > limit:
        raise OutOfBounds(N_("{field} is longer than {limit} characters").format(field=field, limit=limit))


def check_genres(genres: list[str] | tuple[str, ...]) -> None:
    if len(genres) > MAX_GENRES:
        raise OutOfBounds(f"at most {MAX_GENRES} genres per entry, got {len(genres)}")
    for genre in genres:
        check_text(genre, MAX_GENRE, "a genre")


def check_people(names: list[str], field: str) -> None:
    if len(names) > MAX_PEOPLE:
        raise OutOfBounds(f"at most {MAX_PEOPLE} names in {field}, got {len(names)}")
    for name in names:
        check_text(name, MAX_PERSON, f"a name in {field}")


def check_tags(tags: list[str] | tuple[str, ...]) -> None:
    if len(tags) > MAX_TAGS:
        raise OutOfBounds(N_("at most {n} tags per entry, got {got}").format(n=MAX_TAGS, got=len(tags)))
    for tag in tags:
        check_text(tag, MAX_TAG, "a tag")


def check_year(year: int | None) -> None:
    if year is not None and not MIN_YEAR <= year <= MAX_YEAR:
        raise OutOfBounds(N_("year must be from {low} to {high}, got {year}").format(
            low=MIN_YEAR, high=MAX_YEAR, year=year))


def check_duration(minutes: int | None) -> None:
    if minutes is not None and not 0 <= minutes <= MAX_DURATION:
        raise OutOfBounds(f"duration must be from 0 to {MAX_DURATION} minutes, got {minutes}")


def check_entry(*, name: str | None = None, year: int | None = None, date: dt.date | None = None,
                today: dt.date | None = None, genres: list[str] | tuple[str, ...] | None = None,
                directors: list[str] | None = None, actors: list[str] | None = None,
                duration: int | None = None, writers: list[str] | None = None) -> None:
    """Every bound of one entry's fields that are given; raises OutOfBounds at the first broken."""
    if name is not None:
        check_text(name, MAX_NAME, "name")
    check_year(year)
    if date is not None and today is not None:
        check_date(date, today)
    if genres is not None:
        check_genres(genres)
    if directors is not None:
        check_people(directors, "director")
    if actors is not None:
        check_people(actors, "actors")
    if writers is not None:
        check_people(writers, "writers")
    check_duration(duration)
