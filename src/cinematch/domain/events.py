"""The diary event of docs/contract.md §1: model, validation, wire encoding.

Seed-era events (no `event_id`, `schema_version`, `entry_id` or `seq`) are
accepted; unknown fields are ignored. A malformed event raises `InvalidEvent`
with a reason a person can read, and is never half-applied.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Annotated, Any, Literal, get_args

import msgspec

from .messages import N_
from .bounds import (
    MAX_PEOPLE,
    MAX_TAG,
    MAX_TAGS,
    Codes,
    Duration,
    EventDate,
    Genres,
    ImdbId,
    Instant,
    OutOfBounds,
    PeopleText,
    Title,
    Year,
    check_date,
)
from .ratings import Rating, rating_problem

EventType = Literal["ADD", "UPDATE", "DELETE", "UPDATE_RATING", "BULK_IMPORT", "RECALCULATE"]
EVENT_TYPES: tuple[str, ...] = get_args(EventType)
# 2: ratings in half stars, and unrated entries (rating null or absent; UPDATE_RATING may set
# or remove one). Version 1 events (every seed-era producer) carry an integer rating 1..5.
SCHEMA_VERSION = 2
MAX_USER_ID = 128
MAX_ENTRY_KEY = 128
MAX_CATALOG_ID = 600  # a catalog id is the normalized title and the year


class InvalidEvent(ValueError):
    """An event that cannot be applied; `reason` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Movie(msgspec.Struct, omit_defaults=True, gc=False):
    """The enriched snapshot of one diary entry, as carried by an event."""

    # The field types carry the entry bounds (`domain.bounds`): msgspec enforces them
    # while decoding, so a producer outside the web app is held to them too.
    name: Title = ""
    year: Year | None = None
    rating: Rating | None = None  # None: an unrated watch (schema_version 2)
    imdb_id: ImdbId | None = None
    # A tuple: immutable, hashable, and one object fewer for the collector to track.
    genres: Genres | None = None
    duration: Duration | None = None
    director: PeopleText | None = None
    actors: PeopleText | None = None
    writers: PeopleText | None = None  # CineMatch addition, like countries and languages
    countries: Codes | None = None  # ISO 3166-1 alpha-2, where the catalog knows them
    languages: Codes | None = None  # ISO 639-1 of the original language, likewise
    date: EventDate | None = None
    old_rating: Rating | None = None
    new_rating: Rating | None = None
    rewatch: bool = False
    tags: Annotated[tuple[Annotated[str, msgspec.Meta(max_length=MAX_TAG)], ...],
                    msgspec.Meta(max_length=MAX_TAGS)] = ()
    # CineMatch additions; seed consumers ignore them.
    title: Title | None = None  # catalog title when the name matched the catalog
    added_at: Instant | None = None  # when the entry was added: the trend window's clock
    catalog_id: Annotated[str, msgspec.Meta(max_length=MAX_CATALOG_ID)] | None = None  # the matched catalog film
    private: bool = False  # shown on no public surface: the trends leave it out (review text stays out of events)


class Event(msgspec.Struct, omit_defaults=True, gc=False):
    event_type: EventType
    user_id: Annotated[str, msgspec.Meta(max_length=MAX_USER_ID)]
    movie: Movie | None = None
    previous: Movie | None = None
    entry_id: Annotated[str, msgspec.Meta(max_length=MAX_ENTRY_KEY)] | None = None
    event_id: Annotated[str, msgspec.Meta(max_length=MAX_USER_ID)] | None = None
    schema_version: int = 1  # absent: a seed-era producer; CineMatch writes SCHEMA_VERSION
    timestamp: Instant | None = None
    # CineMatch addition: the user's diary version after this change (1, 2, 3…).
    # It is the idempotency guard: a projection applies an event to a document
    # only when seq is above the document's high-water mark.
    seq: int | None = None


_decoder = msgspec.json.Decoder(Event)
_encoder = msgspec.json.Encoder()


def encode_event(event: Event) -> bytes:
    return _encoder.encode(event)


def decode_event(payload: bytes | str) -> Event:
    """Decode and validate one wire event; raises InvalidEvent with the reason."""
    return decode_events((payload,))[0]


def decode_events(payloads: Iterable[bytes | str]) -> list[Event]:
    """Decode and validate many wire events; raises InvalidEvent at the first bad one
    (a caller that wants every good one then decodes them one by one)."""
    events = decode_all(_decoder, payloads)
    validate_events(events)
    return events


def decode_all(decoder: msgspec.json.Decoder[Any], payloads: Iterable[bytes | str]) -> list[Any]:
    """Decode payloads with `decoder` (of `Event` or a view of it), not yet validated;
    raises InvalidEvent, with msgspec's reason, at the first that fails."""
    try:
        return list(map(decoder.decode, payloads))
    except msgspec.ValidationError as exc:
        raise InvalidEvent(f"invalid event: {exc}") from None
    except msgspec.DecodeError as exc:
        raise InvalidEvent(f"undecodable event: {exc}") from None
    except RecursionError:  # nesting deeper than the decoder follows
        raise InvalidEvent("undecodable event: JSON nested too deeply") from None


def _check_rating(value: object, field: str, version: int) -> None:
    """A rating in half stars; none (unrated) from schema_version 2 on."""
    if value is None:
        if version < 2:
            raise InvalidEvent(f"{field} is required (schema_version 1)")
        return
    if type(value) is int and 1 <= value <= 5:
        return
    problem = rating_problem(value, field)
    if problem:
        raise InvalidEvent(problem)


class Parsed:
    """Dates and instants already parsed once: a batch repeats a few hundred of them
    thousands of times, and parsing is most of the validation's cost. A validation
    without one starts a new one (nothing is kept between calls); the projector keeps
    its own in its bounded fold cache (`services.projection.caches.FoldCache`)."""

    __slots__ = ("dates", "instants")

    def __init__(self) -> None:
        self.dates: set[str] = set()
        self.instants: set[str] = set()

    def __len__(self) -> int:
        return len(self.dates) + len(self.instants)

    def clear(self) -> None:
        self.dates.clear()
        self.instants.clear()


def _check_once(value: str, field: str, seen: set[str], parse: Callable[[str, str], object]) -> None:
    """Parse `value` (raising InvalidEvent) unless it already parsed once."""
    if value not in seen:
        parse(value, field)
        seen.add(value)


def _check_movie(movie: Movie | None, field: str, parsed: Parsed) -> None:
    if movie is None:
        raise InvalidEvent(f"{field} is required")
    if not movie.name or movie.name.isspace():
        raise InvalidEvent(f"{field}.name must not be empty")
    if movie.date is not None and movie.date not in parsed.dates:
        _check_once(movie.date, f"{field}.date", parsed.dates, _parse_bounded_date)
    if type(movie) is Movie:  # (the wire view checks its own credits: `wire.credits_of`)
        check_movie_people(movie.director, movie.actors, field, movie.writers)
    if movie.added_at is not None and movie.added_at not in parsed.instants:
        _check_once(movie.added_at, f"{field}.added_at", parsed.instants, parse_timestamp)


def validate_event(event: Event) -> None:
    validate_events((event,))


def validate_events(events: Iterable[Event], parsed: Parsed | None = None) -> None:
    """Raise InvalidEvent, with the reason, at the first event that breaks a rule.
    One loop over the batch: a call per event costs as much as the checks themselves."""
    parsed = Parsed() if parsed is None else parsed
    dates, instants = parsed.dates, parsed.instants
    for event in events:
        user_id, seq, stamp = event.user_id, event.seq, event.timestamp
        if not user_id or user_id.isspace():
            raise InvalidEvent("user_id must not be empty")
        if seq is not None and seq < 1:
            raise InvalidEvent("seq must be a positive integer")
        if stamp is not None and stamp not in instants:
            _check_once(stamp, "timestamp", instants, parse_timestamp)
        kind = event.event_type
        if kind == "RECALCULATE":
            continue
        movie = event.movie
        # `_check_movie` inline for the usual wire movie (a call per event costs as much as the
        # checks): a name, a date and an instant seen before, the credits checked by the wire view
        # (a domain `Movie` has its people counted there).
        if (movie is None or type(movie) is Movie or not movie.name
                or (movie.date is not None and movie.date not in dates)
                or (movie.added_at is not None and movie.added_at not in instants) or movie.name.isspace()):
            _check_movie(movie, "movie", parsed)
        assert movie is not None  # _check_movie raised otherwise
        version = event.schema_version
        if kind == "UPDATE_RATING":
            old, new = movie.old_rating, movie.new_rating
            if not (type(old) is int and type(new) is int and 1 <= old <= 5 and 1 <= new <= 5):
                _check_rating(old, "movie.old_rating", version)
                _check_rating(new, "movie.new_rating", version)
            continue
        rating = movie.rating
        if not (type(rating) is int and 1 <= rating <= 5):
            _check_rating(rating, "movie.rating", version)
        if kind == "UPDATE":
            _check_movie(event.previous, "previous", parsed)
            assert event.previous is not None  # _check_movie raised otherwise
            _check_rating(event.previous.rating, "previous.rating", version)


def check_movie_people(director: str | None, actors: str | None, field: str, writers: str | None = None) -> None:
    """At most MAX_PEOPLE names in each people field (their length is bounded by the type)."""
    for what, value in (("director", director), ("actors", actors), ("writers", writers)):
        if value and value.count(",") + value.count("|") >= MAX_PEOPLE:
            raise InvalidEvent(f"{field}.{what} lists more than {MAX_PEOPLE} names")


def _parse_bounded_date(value: str, field: str) -> dt.date:
    """A real date inside the bounds. A consumer does not know the producer's zone, so
    "tomorrow" is judged a day late (a watched date that passed once always passes again:
    the bound only moves forward)."""
    date = parse_date(value, field)
    try:
        check_date(date, dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=1), field)
    except OutOfBounds as exc:
        raise InvalidEvent(str(exc)) from None
    return date


def parse_date(value: str, field: str = "date") -> dt.date:
    try:
        # fromisoformat alone also takes the basic form (20250301) and more: only YYYY-MM-DD passes.
        if len(value) != 10 or value[4] != "-" or value[7] != "-" or not (value[:4] + value[5:7] + value[8:]).isdigit():
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidEvent(N_("{field} must be a real date YYYY-MM-DD, got {value!r}").format(
            field=field, value=value[:40])) from None


def parse_timestamp(value: str, field: str = "timestamp") -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidEvent(f"{field} must be ISO-8601, got {value[:40]!r}") from None
