"""Catalog movies and the matching rule of docs/contract.md §2 (enrichment).

A film is found under any of its *title keys*: its normalized title and original title, the
same without a leading article ("The Godfather" and "Godfather, The" both give "godfather"),
each part of a title with an alternative in parentheses ("Seven (Se7en)" gives "seven" and
"se7en"), and the same of every alternative title (IMDb's akas).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Generator, Iterable
from typing import Annotated, Any

import msgspec

from .bounds import (
    MAX_CODE,
    MAX_CODES,
    MAX_NAME,
    MAX_PEOPLE,
    Code,
    Duration,
    GenreList,
    ImdbId,
    PeopleList,
    PeopleText,
    Year,
)
from .text import normalize_title, people_string, split_people


class CatalogMovie(msgspec.Struct, omit_defaults=True):
    id: str
    title: str
    original_title: str | None = None
    year: int | None = None
    genres: list[str] = []
    director: str = ""
    actors: str = ""
    duration: int = 0
    poster_url: str | None = None
    backdrop_url: str | None = None  # a wide still for the film's page (TMDB's backdrop), served by CineMatch
    imdb_id: str | None = None
    tmdb_id: int | None = None
    writers: str = ""  # "A, B": IMDb's title.crew, TMDB's writing credits
    normalized_title: str = ""
    normalized_original_title: str = ""
    akas: list[str] = []  # alternative titles (other languages, other forms)
    votes: int = 0  # popularity (IMDb votes): breaks ties between equal matches
    countries: list[str] = []  # ISO 3166-1 alpha-2, where a film database knows them (TMDB)
    languages: list[str] = []  # ISO 639-1 of the original language, likewise
    keys: list[str] = []  # every title key (`movie_keys`); empty in documents older than them


class CatalogRecord(msgspec.Struct):
    """A catalog movie as an admin or a file supplies it, within the entry bounds (an entry
    enriched from it must stay within them)."""

    title: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_NAME)]
    original_title: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_NAME)] | None = None
    year: Year | None = None
    genres: GenreList | None = None
    director: PeopleText | PeopleList | None = None
    actors: PeopleText | PeopleList | None = None
    writers: PeopleText | PeopleList | None = None
    duration: Duration | None = None
    poster_url: Annotated[str, msgspec.Meta(max_length=2000)] | None = None
    backdrop_url: Annotated[str, msgspec.Meta(max_length=2000)] | None = None
    imdb_id: ImdbId | None = None
    tmdb_id: Annotated[int, msgspec.Meta(ge=1)] | None = None
    akas: Annotated[list[Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_NAME)]],
                    msgspec.Meta(max_length=MAX_AKAS)] | None = None
    votes: Annotated[int, msgspec.Meta(ge=0)] | None = None
    countries: Annotated[list[Code], msgspec.Meta(max_length=MAX_CODES)] | None = None  # ISO 3166-1 alpha-2
    languages: Annotated[list[Code], msgspec.Meta(max_length=MAX_CODES)] | None = None  # ISO 639-1


MAX_AKAS = 200

# Leading articles a title key drops (English, French, Italian, Spanish, German).
ARTICLES = frozenset({"the", "a", "an", "le", "la", "les", "l", "il", "lo", "gli", "el", "los", "las",
                      "der", "die", "das", "un", "une", "uno", "una"})
_TRAILING_ARTICLE = re.compile(r"^(?P<body>.+?),\s*"
                               r"(?P<article>the|a|an|le|la|les|l'|il|lo|gli|el|los|las|der|die|das)$",
                               re.IGNORECASE)
_ALTERNATIVE = re.compile(r"^(?P<outer>.+?)\s*\((?P<inner>[^()]+)\)\s*$")


def title_keys(text: str | None) -> list[str]:
    """The keys a title is found under (see the module's doc), most literal first."""
    if not text:
        return []
    keys: list[str] = []
    forms = [text.strip()]
    alt = _ALTERNATIVE.match(forms[0])
    if alt:  # "(1995)" is a year, not another title
        inner_is_year = alt.group("inner").strip().isdigit()
        forms += [alt.group("outer")] if inner_is_year else [alt.group("outer"), alt.group("inner")]
    for form in forms:
        trailing = _TRAILING_ARTICLE.match(form.strip())
        if trailing:  # "Godfather, The" -> "The Godfather"
            form = f"{trailing.group('article')} {trailing.group('body')}"
        norm = normalize_title(form)
        if not norm:
            continue
        keys.append(norm)
        first, _, rest = norm.partition(" ")
        if rest and first in ARTICLES:
            keys.append(rest)
    return list(dict.fromkeys(keys))


def movie_keys(title: str, original_title: str | None = None, akas: Iterable[str] = ()) -> list[str]:
    """Every key of a film: its title's, its original title's, its alternative titles'."""
    keys: dict[str, None] = {}
    for text in (title, original_title, *akas):
        keys.update(dict.fromkeys(title_keys(text)))
    return list(keys)


ROLES = ("director", "writer", "actor")


def person_key(name: str) -> str:
    """How a person's name is looked up: normalized as a title is ("Bong Joon-ho" = "bong joon ho")."""
    return normalize_title(name)


def credits_of(movie: CatalogMovie) -> list[tuple[str, str]]:
    """(person key, role) of everyone the film credits: its directors, writers and billed actors."""
    out = [(person_key(n), "director") for n in split_people(movie.director)]
    out += [(person_key(n), "writer") for n in split_people(movie.writers)]
    out += [(person_key(n), "actor") for n in split_people(movie.actors)]
    return [(k, role) for k, role in dict.fromkeys(out) if k]


def roles_of(movie: CatalogMovie, name: str) -> list[str]:
    """The roles the film credits `name` in (of ROLES)."""
    key = person_key(name)
    return [role for k, role in credits_of(movie) if k == key]


def keys_of(movie: CatalogMovie) -> list[str]:
    return movie.keys or movie_keys(movie.title, movie.original_title, movie.akas)


def word_starts(keys: Iterable[str]) -> list[str]:
    """The tails of title keys that begin at a later word ("godfather part ii" gives "part ii"
    and "ii"): a query found at a word inside a title is a prefix of one of them, which a
    store answers from an ordered index (a range), as it answers a title's own prefix."""
    tails: dict[str, None] = {}
    for key in keys:
        words = key.split(" ")
        tails.update(dict.fromkeys(" ".join(words[i:]) for i in range(1, len(words))))
    return list(tails)


def typo_anchors(q: str) -> Generator[str, bool, list[str]]:
    """Where to look for the films a query nothing contains (perhaps a typo: "godfathr part ii",
    "th matrix") was meant to find: for the query and each of its tails from a later word, the
    longest beginning that some title key or word start begins with (the typo follows it).
    A store drives this: each yielded text is a prefix to probe, sent back True when some key or
    word start begins with it; the answer is the anchors of at least three letters, the longest
    first, whose films are the candidates."""
    anchors = []
    starts = [0] + [i + 1 for i, ch in enumerate(q) if ch == " "]
    for start in starts:
        tail = q[start:]
        lo, hi = 0, len(tail)  # tail[:lo] begins some key; tail[:hi + 1] does not (a binary search)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if (yield tail[:mid]):
                lo = mid
            else:
                hi = mid - 1
        if len(tail[:lo].strip()) >= 3:
            anchors.append(tail[:lo])
    return sorted(set(anchors), key=lambda a: (-len(a), a))


def find_typo_anchors(q: str, begins: Callable[[str], bool]) -> list[str]:
    """`typo_anchors` of `q`, each probe answered by `begins`."""
    search = typo_anchors(q)
    try:
        text = next(search)
        while True:
            text = search.send(begins(text))
    except StopIteration as done:
        found: list[str] = done.value
        return found


async def find_typo_anchors_async(q: str, begins: Callable[[str], Awaitable[bool]]) -> list[str]:
    """`typo_anchors` of `q`, each probe answered by awaiting `begins`."""
    search = typo_anchors(q)
    try:
        text = next(search)
        while True:
            text = search.send(await begins(text))
    except StopIteration as done:
        found: list[str] = done.value
        return found


def catalog_movie(
    *,
    id: str,
    title: str,
    original_title: str | None = None,
    year: int | None = None,
    genres: Iterable[str] | None = None,
    director: str | list[str] | None = None,
    actors: str | list[str] | None = None,
    duration: int | None = None,
    poster_url: str | None = None,
    backdrop_url: str | None = None,
    imdb_id: str | None = None,
    tmdb_id: int | None = None,
    akas: Iterable[str] | None = None,
    votes: int | None = None,
    countries: Iterable[str] | None = None,
    languages: Iterable[str] | None = None,
    writers: str | list[str] | None = None,
) -> CatalogMovie:
    """Build a catalog movie with its normalized fields and title keys filled in."""
    akas = list(dict.fromkeys(a.strip() for a in (akas or ()) if a and a.strip() and a.strip() != title))
    return CatalogMovie(
        id=id,
        title=title,
        original_title=original_title or None,
        year=year,
        genres=[g.strip() for g in (genres or []) if g and g.strip()],
        # At most MAX_PEOPLE names (only the first 2 directors and 5 actors count anyway).
        director=people_string(split_people(director)[:MAX_PEOPLE]),
        actors=people_string(split_people(actors)[:MAX_PEOPLE]),
        writers=people_string(split_people(writers)[:MAX_PEOPLE]),
        duration=duration or 0,
        poster_url=poster_url,
        backdrop_url=backdrop_url,
        imdb_id=imdb_id,
        tmdb_id=tmdb_id,
        countries=[c.strip().upper() for c in (countries or ()) if c and c.strip() and len(c.strip()) <= MAX_CODE][:20],
        languages=[c.strip().lower() for c in (languages or ()) if c and c.strip() and len(c.strip()) <= MAX_CODE][:20],
        normalized_title=normalize_title(title),
        normalized_original_title=normalize_title(original_title),
        akas=akas[:MAX_AKAS],
        votes=votes or 0,
        keys=movie_keys(title, original_title, akas[:MAX_AKAS]),
    )


def catalog_id_for(title: str, year: int | None) -> str:
    """Stable id of a catalog movie: the normalized title and year."""
    return f"{normalize_title(title) or title.strip()}|{year if year is not None else ''}"


def group_candidates(names: Iterable[str], movies: Iterable[CatalogMovie],
                     keys: dict[str, list[str]] | None = None) -> dict[str, list[CatalogMovie]]:
    """Each name's candidates among `movies` (`CatalogStore.candidates`): the movies whose
    exact title or original title is the name, or that share a title key with it. `keys`: each
    name's `title_keys`, when the caller has them already (a store that looked them up)."""
    out: dict[str, list[CatalogMovie]] = {}
    exact: dict[str, list[str]] = {}
    by_key: dict[str, list[str]] = {}
    for name in names:
        out[name] = []
        exact.setdefault(name, []).append(name)
        for key in (keys[name] if keys is not None and name in keys else title_keys(name)):
            by_key.setdefault(key, []).append(name)
    for m in movies:
        hit = {*exact.get(m.title, ()), *(exact.get(m.original_title, ()) if m.original_title else ())}
        for key in keys_of(m):
            hit.update(by_key.get(key, ()))
        for name in hit:
            out[name].append(m)
    return out


YEAR_SLACK = 1  # a year given with a name matches films of that year, one before or one after


def match_movie(name: str, year: int | None, candidates: Iterable[CatalogMovie]) -> CatalogMovie | None:
    """The catalog entry a diary name refers to, or None.

    Tried in order: exact title, exact original title, normalized title, normalized original
    title, any other title key (leading article dropped, a title's alternative in parentheses,
    alternative titles). A given year admits only films within a year of it (none of them:
    nothing is linked); among the first tier's admitted films the nearest year wins, then
    the most votes, then the id.
    """
    candidates = [c for c in candidates if year is None or (c.year is not None and abs(c.year - year) <= YEAR_SLACK)]
    if not candidates:
        return None
    norm = normalize_title(name)
    keys = set(title_keys(name))
    tiers = (
        lambda c: c.title == name,
        lambda c: c.original_title is not None and c.original_title == name,
        lambda c: bool(norm) and c.normalized_title == norm,
        lambda c: bool(norm) and c.normalized_original_title == norm,
        lambda c: not keys.isdisjoint(keys_of(c)),
    )
    for hit in tiers:
        found = [c for c in candidates if hit(c)]
        if found:
            return min(found, key=lambda c: _rank(c, year))
    return None


def _rank(movie: CatalogMovie, year: int | None) -> tuple[Any, ...]:
    distance = abs(movie.year - year) if year is not None and movie.year is not None else 0
    return (distance, -movie.votes, movie.id)
