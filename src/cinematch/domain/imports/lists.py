"""Letterboxd's list exports (`lists/<slug>.csv` in the export ZIP, or one uploaded alone).

A list file has two tables, one after the other:

    Letterboxd list export v7            (a first line some exports leave empty)
    Date,Name,Tags,URL,Description        the list itself, one row
    2019-09-19,All-Time Favorites,...,https://boxd.it/3Yb9Q,...

    Position,Name,Year,URL,Description    its films, in the list's order
    1,Sonatine,1993,https://boxd.it/20TI,

The list's URL names it at Letterboxd: a later export of the same list replaces it.
"""

from __future__ import annotations

import csv
import io

from ..messages import N_
from ..lists import MAX_LIST_NAME, MAX_NOTE
from .rows import MAX_ROWS, LineReason, ListRow, ParsedList, UnreadableImport, check_name, parse_year


def is_list_export(text: str) -> bool:
    """Whether a CSV is a list export (its first table is a list's Date,Name,Tags,URL row)."""
    head = [line.strip().lower() for line in text.lstrip("\ufeff").splitlines()[:3]]
    return any(line.startswith("letterboxd list export") or line.replace(" ", "") == "date,name,tags,url,description"
               for line in head)


def parse_list(text: str, filename: str = "") -> tuple[ParsedList, list[LineReason]]:
    """The list and its films; films that cannot be read are reported with their line."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    where = filename or "the list"
    try:
        rows = [(reader.line_num, r) for r in reader]
    except csv.Error as exc:
        raise UnreadableImport(f"{where}: unreadable CSV: {exc}") from None
    rows = [(n, [v.strip() for v in r]) for n, r in rows if any(v.strip() for v in r)]
    head = next((i for i, (_, r) in enumerate(rows) if [v.lower() for v in r[:2]] == ["date", "name"]), None)
    films = next((i for i, (_, r) in enumerate(rows) if r and r[0].lower() == "position"), None)
    if head is None or len(rows) < head + 2 or (films is not None and films != head + 2):
        raise UnreadableImport(N_("{file} is not a Letterboxd list export (no Date,Name,Tags,URL row followed by "
                                  "the list and its Position,Name,Year,URL table)").format(file=where))
    cols = {c.lower(): i for i, c in enumerate(rows[head][1])}
    meta = rows[head + 1][1]

    def cell(row: list[str], index: dict[str, int], name: str) -> str:
        i = index.get(name)
        return row[i] if i is not None and i < len(row) else ""

    name = cell(meta, cols, "name")[:MAX_LIST_NAME] or filename.rsplit("/", 1)[-1].removesuffix(".csv") or "a list"
    url = cell(meta, cols, "url")
    out = ParsedList(name=name, identity=f"letterboxd:{url}" if url else f"letterboxd-list:{name}",
                     description=cell(meta, cols, "description")[:MAX_NOTE], ranked=False, items=[])
    errors: list[LineReason] = []
    if films is None:  # a list without films has no table of them
        return out, errors
    index = {c.lower(): i for i, c in enumerate(rows[films][1])}
    if len(rows) - films - 1 > MAX_ROWS:
        raise UnreadableImport(f"{where} has more than {MAX_ROWS:,} films")
    placed: list[tuple[int, ListRow]] = []
    for line, row in rows[films + 1:]:
        try:
            at = cell(row, index, "position")
            placed.append((int(at) if at.isdigit() else MAX_ROWS + line,
                           ListRow(line=line, name=check_name(cell(row, index, "name")),
                                   year=parse_year(cell(row, index, "year")),
                                   note=cell(row, index, "description")[:MAX_NOTE])))
        except ValueError as exc:
            errors.append(LineReason(line, f"{where}: {exc}"))
    out.items = [item for _, item in sorted(placed, key=lambda p: p[0])]  # by Position (stable: ties in file order)
    return out, errors
