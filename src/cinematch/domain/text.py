"""Title normalization, storage keys and people lists (docs/contract.md §2)."""

from __future__ import annotations

import re
import unicodedata

# Letters that NFD does not decompose into base + combining mark.
_SPECIAL = str.maketrans(
    {
        "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ß": "ss", "ẞ": "SS",
        "œ": "oe", "Œ": "OE", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D",
        "ð": "d", "Ð": "D", "þ": "th", "Þ": "TH",
    }
)
_NON_WORD = re.compile(r"[^\w\s]", re.UNICODE)
_SPACES = re.compile(r"\s+", re.UNICODE)
_PEOPLE_SPLIT = re.compile(r"[,|]")

MAX_DIRECTORS = 2
MAX_WRITERS = 2
MAX_ACTORS = 5


def normalize_title(text: str | None) -> str:
    """Fold a title for fuzzy matching: "Città d'Ombra" -> "citta d ombra"."""
    if not text:
        return ""
    if not text.isascii():  # (ASCII has no letters to fold: most titles skip this)
        text = text.translate(_SPECIAL)
        text = unicodedata.normalize("NFD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _NON_WORD.sub(" ", text.lower())
    return _SPACES.sub(" ", text).strip()


# '%' first: it escapes the others. '_' is escaped because a space becomes '_'.
_KEY_ESCAPES = (("%", "%25"), ("_", "%5F"), (".", "%2E"), ("$", "%24"), (" ", "_"))
# Characters whose key differs from the seed's (a migration recomputes the affinities of such names).
REKEYED_CHARACTERS = "%_.$"


def clean_key(name: str) -> str:
    """Storage key of an affinity name: the seed's readable key (spaces become '_', so
    "Christopher Nolan" is "Christopher_Nolan"), but one-to-one: '.', '$', '_' and '%'
    are percent-escaped, so two different names never share a document (the seed turned
    "J.J.", "J$J" and "J_J" into one key).

    The key only ever appears inside a document *value* or the `_id` string,
    never as a field path, so even an unusual key cannot act as an operator.
    """
    key = name.strip()
    for char, escaped in _KEY_ESCAPES:
        key = key.replace(char, escaped)
    return key or "Unknown"


def split_people(value: str | list[str] | None, limit: int | None = None) -> list[str]:
    """Split "A, B | C" into ["A", "B", "C"], trimmed, empties dropped, first `limit`."""
    if not value:
        return []
    parts = value if isinstance(value, list) else _PEOPLE_SPLIT.split(value)
    names = [p.strip() for p in parts if p and p.strip()]
    return names[:limit] if limit is not None else names


def people_string(value: str | list[str] | None) -> str:
    """The canonical "A, B" form stored on entries and carried by events."""
    return ", ".join(split_people(value))


def film_key(catalog_id: str | None, name: str, year: int | None) -> str:
    """Which film an entry is about: its catalog film, else the name as typed (normalized) and
    year (docs/contract.md §2 `distinct_films`)."""
    return catalog_id or f"{normalize_title(name)}|{year or ''}"
