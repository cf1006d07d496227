"""What people do with their recommendations (docs/contract.md §5): the feedback event, the
signals it leaves, and the rules read from them.

A feedback event says a film was shown (IMPRESSION), opened (CLICK), or waved away
(NOT_INTERESTED, SEEN). Folded, each becomes a *signal* whose id is its identity: one
impression per user, film and day; one click per user, film and day (an experiment's apart);
one not-interested or seen per user and film. Signals are only ever inserted when absent, so
a replayed batch, a duplicate publish or a second tab changes nothing: the counts are the
number of distinct signals, in every runtime, never a counter read, incremented and written
back.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Literal

import msgspec

from .events import InvalidEvent, MAX_USER_ID, parse_timestamp

FeedbackType = Literal["IMPRESSION", "CLICK", "NOT_INTERESTED", "SEEN"]
ACTIONS: dict[str, str] = {"click": "CLICK", "not_interested": "NOT_INTERESTED", "seen": "SEEN"}
HIDING = frozenset({"not_interested", "seen"})  # a film so marked never comes back to that user
CONVERSION_DAYS = 30
MAX_MOVIE_ID = 600
MovieId = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_MOVIE_ID)]
Name = Annotated[str, msgspec.Meta(max_length=64)]


class FeedbackEvent(msgspec.Struct, omit_defaults=True, frozen=True):
    """On the wire (topic `user-feedback-events`, key = user_id), JSON like the diary's events."""

    event_type: FeedbackType
    user_id: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_USER_ID)]
    movie_id: MovieId
    timestamp: str
    event_id: str = ""
    schema_version: int = 1
    experiment: Name = ""  # the running experiment the list came from, with its variant
    variant: Name = ""


class Signal(msgspec.Struct, omit_defaults=True, frozen=True):
    """One kept signal of one user (an item of the `feedback` item store)."""

    id: str  # its identity: kind, film and (impressions, clicks) day
    kind: str  # impression, click, not_interested, seen
    film: str  # the recommendation's movie_id
    day: str  # YYYY-MM-DD, in the product's zone
    at: str  # the instant of the first such event
    experiment: str = ""
    variant: str = ""


def feedback_event(event_type: str, user_id: str, movie_id: str, at: dt.datetime, experiment: str = "",
                   variant: str = "") -> FeedbackEvent:
    return FeedbackEvent(event_type=event_type, user_id=user_id, movie_id=movie_id,  # type: ignore[arg-type]
                         timestamp=at.isoformat(timespec="seconds"), event_id=str(uuid.uuid4()),
                         experiment=experiment, variant=variant)


_decoder = msgspec.json.Decoder(FeedbackEvent)


def decode_feedback(payload: bytes | str) -> FeedbackEvent:
    """A wire event, checked; `InvalidEvent` says what is wrong with one that is not."""
    try:
        event = _decoder.decode(payload)
    except msgspec.ValidationError as exc:
        raise InvalidEvent(f"invalid feedback event: {exc}") from None
    except msgspec.DecodeError:
        raise InvalidEvent("invalid feedback event: not JSON") from None
    parse_timestamp(event.timestamp)
    return event


def signal_of(event: FeedbackEvent, tz: dt.tzinfo) -> Signal:
    """The signal an event leaves (the pure fold every runtime runs)."""
    kind = event.event_type.lower()
    day = parse_timestamp(event.timestamp).astimezone(tz).date().isoformat()
    if kind in HIDING:
        ident = f"{kind}:{event.movie_id}"
    else:  # an experiment's impressions and clicks count apart from the same day's others
        ident = f"{kind}:{event.experiment}:{day}:{event.movie_id}"
    return Signal(id=ident, kind=kind, film=event.movie_id, day=day, at=event.timestamp,
                  experiment=event.experiment, variant=event.variant)


def signals_by_user(events: Iterable[FeedbackEvent], tz: dt.tzinfo) -> dict[str, list[Signal]]:
    """Each user's signals of a batch; the first event of an identity wins (so a batch decides
    the same however it is cut, as the store keeps the first it was given)."""
    out: dict[str, dict[str, Signal]] = {}
    for event in events:
        signal = signal_of(event, tz)
        out.setdefault(event.user_id, {}).setdefault(signal.id, signal)
    return {user: list(signals.values()) for user, signals in out.items()}


def hidden_films(signals: Iterable[Signal]) -> set[str]:
    return {s.film for s in signals if s.kind in HIDING}


def first_impressions(signals: Iterable[Signal], experiment: str = "") -> dict[str, Signal]:
    """Each film's first impression (of one experiment when named)."""
    first: dict[str, Signal] = {}
    for s in signals:
        if s.kind == "impression" and (not experiment or s.experiment == experiment):
            if s.film not in first or s.day < first[s.film].day:
                first[s.film] = s
    return first


def converted(first: dict[str, Signal], acted: Mapping[str, Sequence[str]]) -> set[str]:
    """The films logged or put on the watchlist (`acted`: film -> the days it was) within
    `CONVERSION_DAYS` days of their first impression, each once."""
    out = set()
    for film, impression in first.items():
        start = dt.date.fromisoformat(impression.day)
        end = (start + dt.timedelta(days=CONVERSION_DAYS)).isoformat()
        if any(impression.day <= day <= end for day in acted.get(film, ())):
            out.add(film)
    return out
