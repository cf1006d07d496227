"""The projection's view of a wire event: a film's credits stay raw JSON.

A film's credits (director, actors, genres, writers, countries, languages) repeat in every
event about it, and the fold needs them only to find the film's affinity profile
(`profiles.Profiles.lookup`). Decoded into strings and tuples of strings per event, then encoded
again into a cache key, they cost a third of the projection's per-event time. Here they are
kept as `msgspec.Raw`: a slice of the payload (no copy, not tracked by the collector). The
slices joined, with the film's year, id, name and title, are the key of the credits cache; they
are decoded, and their types checked, only when the key is new. The cache holds only credits that passed,
so a hit is valid by construction: equal bytes decode to equal values.

`WireEvent` has the fields of `domain.Event` under the same names and types, but
for the credits of `movie` (`previous`, rare, is a plain domain `Movie`). The domain
rules (`validate_events`) read it as they read an `Event`. `as_domain` turns one
back into a domain `Event` for the paths that fold event by event (a replay after a
crash, the events after a recompute).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from operator import attrgetter
from typing import Any, NamedTuple

import msgspec

from ...domain.events import Event, InvalidEvent, Movie, check_movie_people, decode_all, validate_events
from .caches import FoldCache

_NULL = msgspec.Raw(b"null")
# Kept raw: everything of a profile (`profiles.PROFILE_FIELDS`) but the name, which the domain's
# rules read (and which names the film only when it is not linked to the catalog).
CREDITS = ("director", "actors", "genres", "writers", "countries", "languages", "year", "catalog_id")


def _like(struct: type[msgspec.Struct], name: str, types: dict[str, object], defaults: dict[str, object]) -> type:
    """A struct with the fields of `struct` (names, order, defaults), some retyped: the
    domain model stays the one place where an event's fields are declared."""
    fields = []
    for f in msgspec.structs.fields(struct):
        default = defaults.get(f.name, f.default)
        kind = types.get(f.name, f.type)
        fields.append((f.name, kind) if default is msgspec.NODEFAULT else (f.name, kind, default))
    config = struct.__struct_config__
    return msgspec.defstruct(name, fields, omit_defaults=config.omit_defaults, gc=config.gc,
                             forbid_unknown_fields=config.forbid_unknown_fields, module=__name__)


# `domain.Movie` with the credits as raw JSON (checked by `profile_hits`), and
# `domain.Event` whose movie is one.
WireMovie = _like(Movie, "WireMovie", dict.fromkeys(CREDITS, msgspec.Raw), dict.fromkeys(CREDITS, _NULL))
WireEvent = _like(Event, "WireEvent", {"movie": WireMovie | None}, {})


_decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(WireEvent)
_movie = attrgetter("movie")
_credits_raw = attrgetter(*CREDITS)
_catalog_raw = attrgetter("catalog_id")
_name = attrgetter("name")
_credits_encoded = msgspec.json.Encoder().encode
_join = b"\0".join
# What the credits are, field by field, as `domain.Movie` declares them.
_movie_types = {f.name: f.type for f in msgspec.structs.fields(Movie)}
_credit_types = tuple((name, msgspec.json.Decoder(_movie_types[name])) for name in CREDITS)

Hit = tuple[int, tuple[str, ...]]  # (profile id, cleaned genres) of a film's credits


class Wire(NamedTuple):
    """Decoded wire events, their movies, and the `profile_hits` of the movies (None for no movie)."""

    events: list[Any]
    movies: list[Any]
    hits: list[Hit | None]


def decode_wire(payloads: Iterable[bytes], cache: FoldCache) -> Wire:
    """Decode and validate wire events. Raises InvalidEvent at the first bad one, with the
    reason `domain.decode_events` gives (a caller that wants the good ones decodes them one
    by one)."""
    events = decode_all(_decoder, payloads)
    validate_events(events, cache.parsed)
    movies = list(map(_movie, events))
    if None not in movies:
        every: list[Hit | None] = list(profile_hits(movies, cache))
        return Wire(events, movies, every)
    # A RECALCULATE has no movie to fold; one it carries is checked all the same.
    hits = iter(profile_hits([m for m in movies if m is not None], cache))
    return Wire(events, movies, [None if m is None else next(hits) for m in movies])


def profile_hits(movies: Sequence[Any], cache: FoldCache) -> list[tuple[int, tuple[str, ...]]]:
    """(profile id, cleaned genres) of each movie (`WireMovie` or `Movie`), through the
    credits in `cache`.

    Two kinds of credits key share them, and cannot collide: raw JSON values joined by
    NUL (JSON text never holds a NUL byte), and a byte 1 (which JSON text never starts with)
    before the JSON array of the decoded values of a domain `Movie`. A film the catalog does
    not know is known by its name too: NUL NUL and the name after either. Equal content under
    two spellings (escapes) is two keys of one profile: a miss, not a mistake.

    A new key of a `WireMovie` is decoded first: credits of the wrong type raise
    InvalidEvent (the whole call: nothing is cached for them)."""
    credits, lookup = cache.credits, cache.profiles.lookup
    if set(map(type, movies)) <= {WireMovie}:  # the projection's batches: keys built in C
        keys = list(map(_join, map(_credits_raw, movies)))
        # A film not linked to the catalog is known by its name too (rare: a loop of its own).
        films = list(map(_catalog_raw, movies))
        if _NULL in films:
            for i in [i for i, c in enumerate(films) if c == _NULL]:
                keys[i] += b"\0\0" + movies[i].name.encode()
    else:
        keys = [(_join(_credits_raw(m)) if type(m) is WireMovie else b"\1" + _credits_encoded(_credits_raw(m)))
                + b"\0\0" + m.name.encode() for m in movies]
    hits = list(map(credits.get, keys))
    if None in hits:
        for i in [i for i, hit in enumerate(hits) if hit is None]:
            hit = credits.get(keys[i])  # an earlier movie of this call may have filled it
            if hit is None:
                profile: tuple[Any, ...] = (*credits_of(movies[i]), movies[i].name)  # `PROFILE_FIELDS`
                hit = credits[keys[i]] = lookup(*profile)
            hits[i] = hit
    found: list[Hit] = hits  # type: ignore[assignment]  # no None left: each miss was filled above
    return found


def credits_of(movie: Any) -> tuple[Any, ...]:
    """The `CREDITS` as values; raises InvalidEvent for a raw one of the wrong type."""
    if type(movie) is not WireMovie:
        values: tuple[Any, ...] = _credits_raw(movie)  # (attrgetter of several fields: a tuple)
        return values
    out = []
    for field, decoder in _credit_types:
        try:
            out.append(decoder.decode(getattr(movie, field)))
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            # The path the whole-event decoder would give: `$.movie.<field>`, then any index.
            text = str(exc)
            where = f"$.movie.{field}"
            text = text.replace("`$", f"`{where}") if " - at `$" in text else f"{text} - at `{where}`"
            raise InvalidEvent(f"invalid event: {text}") from None
    check_movie_people(out[0], out[1], "movie", out[3])
    return tuple(out)


def catalog_id_of(movie: Any) -> str | None:
    """A movie's catalog film (raw JSON in a `WireMovie`, checked when its profile was found)."""
    value = movie.catalog_id
    if type(value) is msgspec.Raw:
        found: str | None = msgspec.json.decode(value)
        return found
    return value  # type: ignore[no-any-return]


def as_domain(event: Any) -> Event:
    """The domain `Event` of a decoded wire event (an `Event` is returned as it is)."""
    if type(event) is not WireEvent:
        domain: Event = event
        return domain
    wire: Any = event
    fields = msgspec.structs.asdict(wire)
    m = wire.movie
    if m is not None:
        movie = msgspec.structs.asdict(m)
        movie.update(zip(CREDITS, credits_of(m)))
        fields["movie"] = Movie(**movie)
    return Event(**fields)
