"""Keeping the catalogs current (docs/translating.md):

    python -m cinematch.i18n.catalogs update    # extract every marked message; add new ones, drop gone ones
    python -m cinematch.i18n.catalogs compile   # .po -> .mo (what the app reads)
    python -m cinematch.i18n.catalogs check     # the test command's check: exit 1 with one line per problem

`check` fails when a template shows text not marked for translation, when a marked message has no
translation (or a fuzzy one) in a language, when a catalog keeps a message the code no longer has,
or when a compiled catalog is not its `.po`."""

from __future__ import annotations

import html.parser
import io
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from ..domain.messages import DEFAULT_LANGUAGE, LANGUAGES
from . import DOMAIN, LOCALES_DIR

PACKAGE = Path(__file__).resolve().parent.parent  # src/cinematch
TEMPLATES = PACKAGE / "entrypoints/web/templates"
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}
# Text a template may show as it is in every language: the name of the product, symbols, acronyms.
AS_IS = {"CineMatch", "RMSE / MAE", "MB"}
SHOWN_ATTRIBUTES = {"aria-label", "title", "placeholder", "alt", "content", "aria-description"}
_TAG_CHOSEN = re.compile(r"<(/?)\{\{.*?\}\}")  # <{{ "ol" if ranked else "ul" }}>: a tag all the same


def extract() -> Catalog:
    """Every marked message of the code and the templates."""
    found = Catalog(project="CineMatch", domain=DOMAIN)
    for filename, lineno, message, comments, context in extract_from_dir(
            str(PACKAGE), METHODS, OPTIONS, strip_comment_tags=True):
        if filename.startswith("i18n/catalogs"):
            continue
        found.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return found


def po_path(language: str) -> Path:
    return LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(language: str) -> Catalog:
    path = po_path(language)
    if not path.exists():
        return Catalog(locale=language, domain=DOMAIN, project="CineMatch")
    with path.open("rb") as f:
        return read_po(f, locale=language, domain=DOMAIN)


def update() -> None:
    template = extract()
    for language in translated_languages():
        catalog = read(language)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()  # a message the code dropped goes (the history keeps it)
        catalog.fuzzy = False
        catalog.msgid_bugs_address = ""
        catalog.last_translator = "CineMatch <https://github.com/>"
        catalog.language_team = LANGUAGES[language]
        path = po_path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as f:
            write_po(f, catalog, width=110, no_location=True, include_previous=False)


def compile_all() -> None:
    for language in translated_languages():
        with po_path(language).with_suffix(".mo").open("wb") as f:
            write_mo(f, read(language))


def translated_languages() -> list[str]:
    return [code for code in LANGUAGES if code != DEFAULT_LANGUAGE]


def problems() -> Iterator[str]:
    yield from unmarked_text()
    wanted = {m.id for m in extract() if m.id}
    for language in translated_languages():
        catalog = read(language)
        have = {m.id for m in catalog if m.id}
        for message in sorted(wanted - have, key=str):
            yield f"{language}: not in the catalog (run `python -m cinematch.i18n.catalogs update`): {_name(message)}"
        for message in sorted(have - wanted, key=str):
            yield f"{language}: the code no longer has (run update): {_name(message)}"
        for m in catalog:
            if not m.id:
                continue
            strings = m.string if isinstance(m.string, (list, tuple)) else [m.string]
            if not all(strings):
                yield f"{language}: no translation: {_name(m.id)}"
            elif m.fuzzy:
                yield f"{language}: fuzzy translation: {_name(m.id)}"
        mo = po_path(language).with_suffix(".mo")
        if not mo.exists():
            yield f"{language}: {mo.name} is missing (run `python -m cinematch.i18n.catalogs compile`)"
            continue
        compiled = io.BytesIO()
        write_mo(compiled, catalog)
        if compiled.getvalue() != mo.read_bytes():  # (compiling is deterministic: same .po, same bytes)
            yield f"{language}: {mo.name} is not its .po (run `python -m cinematch.i18n.catalogs compile`)"


def _name(message_id: object) -> str:
    return repr(message_id[0] if isinstance(message_id, tuple) else message_id)[:100]


class _Shown(html.parser.HTMLParser):
    """The text and the named attributes a page shows, once the template's own code is taken out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._quiet = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._quiet += 1
        shown = SHOWN_ATTRIBUTES if tag != "meta" or ("name", "description") in attrs else set()
        self.found += [v for k, v in attrs if k in shown and v]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._quiet = max(0, self._quiet - 1)

    def handle_data(self, data: str) -> None:
        if not self._quiet:
            self.found.append(data)


_CODE = re.compile(r"\{#.*?#\}|\{%-?\s*trans\b.*?\{%-?\s*endtrans\s*-?%\}|\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)


def unmarked_text(templates: Path = TEMPLATES) -> Iterator[str]:
    """Words a template shows outside `_()` and `{% trans %}`: they would stay English."""
    for path in sorted(templates.glob("*.html")):
        parser = _Shown()
        parser.feed(_CODE.sub("", _TAG_CHOSEN.sub(r"<\1x", path.read_text("utf-8"))))
        for text in parser.found:
            words = " ".join(text.split())
            if re.search(r"[A-Za-z]{2,}", re.sub("|".join(map(re.escape, AS_IS)), "", words)):
                yield f"{path.name}: not marked for translation: {words[:80]!r}"


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "update":
        update()
    elif command == "compile":
        compile_all()
    elif command == "check":
        found = list(problems())
        for line in found:
            print(line, file=sys.stderr)
        if found:
            print(f"translations: {len(found)} problem(s); see docs/translating.md", file=sys.stderr)
            return 1
    else:
        print(f"unknown command {command!r}: update, compile or check", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
