"""A person's lists of films (docs/contract.md §8): named, ordered, each film with a note.

A list is one record (its items inside, in order): lists are small (Letterboxd's longest run to a
few thousand films) and always read whole. Private by default; `public` is the profile's business.
"""

from __future__ import annotations

from .messages import N_
import msgspec

MAX_LISTS = 1_000  # lists of one person
MAX_ITEMS = 5_000  # films on one list
MAX_LIST_NAME = 200
MAX_DESCRIPTION = 5_000
MAX_NOTE = 2_000


class ListItem(msgspec.Struct, omit_defaults=True):
    id: str
    name: str  # as written (the person, or the export)
    title: str = ""  # the catalog's title, when matched
    year: int | None = None
    catalog_id: str | None = None
    imdb_id: str | None = None
    note: str = ""


class FilmList(msgspec.Struct, omit_defaults=True):
    id: str
    name: str
    created: str
    updated: str = ""
    description: str = ""
    ranked: bool = False  # the order is a ranking (numbered on the page)
    public: bool = False
    items: list[ListItem] = []
    batch: str = ""  # the import that made it: undoing the import removes it
    source: str = ""  # its name where it was imported from: a later export of it replaces it


class ListProblem(ValueError):
    """A list command that cannot be carried out; the message says why."""


def check_list(name: str | None, description: str | None) -> None:
    if name is not None:
        if not name.strip():
            raise ListProblem(N_("a list needs a name"))
        if len(name) > MAX_LIST_NAME:
            raise ListProblem(N_("a list's name is at most {n} characters").format(n=MAX_LIST_NAME))
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise ListProblem(N_("a list's description is at most {n} characters").format(n=f"{MAX_DESCRIPTION:,}"))


def check_note(note: str | None) -> None:
    if note is not None and len(note) > MAX_NOTE:
        raise ListProblem(N_("a note is at most {n} characters").format(n=f"{MAX_NOTE:,}"))


def placed(items: list[ListItem], item: ListItem, position: int | None) -> list[ListItem]:
    """`items` with `item` at `position` (1-based; None or past the end: last). The same film
    already there moves instead of appearing twice."""
    rest = [i for i in items if i.id != item.id]
    at = len(rest) if position is None else max(0, min(position - 1, len(rest)))
    return [*rest[:at], item, *rest[at:]]
