"""The pages in English and Italian: gettext catalogs, the language of the request, dates and numbers.

The catalogs are gettext's (`locales/<code>/LC_MESSAGES/messages.po`, compiled to `.mo` and shipped
in the wheel); Babel extracts, compiles and checks them (scripts/translations, docs/translating.md)
and formats dates and numbers by locale. The language of a request lives in a context variable,
set once per request by the web layer (entrypoints/web/language.py) and read by the templates'
`_()`, `{% trans %}` and filters; anything that runs outside a page speaks English.

Messages that come from below the pages (a service's refusal, an import's reason, a
recommendation's "because …") stay English in the API. They are marked with `domain.messages.N_`
as `str.format` patterns; `translate` finds the pattern an English text was made from and fills
its translation with the same values."""

from __future__ import annotations

import datetime as dt
import gettext as _gettext
import re
import string
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Literal

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.dates import format_time, get_day_names, get_month_names
from babel.numbers import format_decimal

from ..domain.messages import DEFAULT_LANGUAGE, LANGUAGES

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"
SEPARATOR = " · "  # joins a message and its addenda ("because you rated … · on your watchlist")

_language: ContextVar[str] = ContextVar("cinematch_language", default=DEFAULT_LANGUAGE)
_FORMAT = string.Formatter()
_ENGLISH_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+")


def use(language: str) -> None:
    """Speak `language` for the rest of this request (an unknown code means the default)."""
    _language.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


def current() -> str:
    return _language.get()


def negotiate(accept_language: str) -> str | None:
    """The first language of an `Accept-Language` header that CineMatch speaks, by its q-values."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(accept_language[:500].split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        code = tag.strip().split("-")[0].lower()
        if code in LANGUAGES and q > 0:
            ranked.append((-q, i, code))
    return min(ranked)[2] if ranked else None


class Catalog:
    """One language's translations, and the patterns of the messages that carry values."""

    def __init__(self, language: str, translations: _gettext.NullTranslations) -> None:
        self.language = language
        self.translations = translations
        messages: dict[object, str] = getattr(translations, "_catalog", {})
        self.exact = {k: v for k, v in messages.items() if isinstance(k, str) and k and v}
        # The longest fixed text first: "rating {raw} is not a number" before "{what} is not a number".
        marked = sorted((k for k in self.exact if "{" in k), key=lambda k: -sum(len(p[0]) for p in _FORMAT.parse(k)))
        self.patterns = [(_pattern(k), self.exact[k]) for k in marked]

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def translate(self, text: str) -> str:
        """`text` (English, maybe made from a marked pattern) in this language; itself if unknown."""
        if self.language == DEFAULT_LANGUAGE or not text:
            return text
        found = self.exact.get(text)
        if found is not None:
            return found
        if SEPARATOR in text:  # a message and its addenda, each translated
            return SEPARATOR.join(self.translate(part) for part in text.split(SEPARATOR))
        for regex, translated in self.patterns:
            match = regex.fullmatch(text)
            if match:
                return _fill(translated, {k: self._value(v) for k, v in match.groupdict().items()})
        where, colon, reason = text.partition(": ")  # "diary.csv: <reason>", an import's file and why
        if colon and " " not in where:
            return f"{where}: {self.translate(reason)}"
        return text

    def _value(self, value: str) -> str:
        """A value inside a message: a number written the language's way, a marked word translated
        ("signing in"); anything else (a title, a name) as it is."""
        if _ENGLISH_NUMBER.fullmatch(value):
            return format_decimal(float(value.replace(",", "")), locale=self.language)
        return self.exact.get(value, value)


def _pattern(msgid: str) -> re.Pattern[str]:
    out: list[str] = []
    seen: set[str] = set()
    for literal, field, _spec, _conversion in _FORMAT.parse(msgid):
        out.append(re.escape(literal))
        if field is not None:
            out.append(f"(?P={field})" if field in seen else f"(?P<{field}>.+?)")
            seen.add(field)
    return re.compile("".join(out), re.DOTALL)


def _fill(translated: str, values: dict[str, str]) -> str:
    """A translated pattern with the values as they were written (no `!r` or spec applied twice)."""
    return "".join(literal + (values.get(field, "") if field is not None else "")
                   for literal, field, _spec, _conversion in _FORMAT.parse(translated))


@cache
def catalog(language: str) -> Catalog:
    if language == DEFAULT_LANGUAGE:
        return Catalog(language, _gettext.NullTranslations())
    return Catalog(language, _gettext.translation(DOMAIN, LOCALES_DIR, [language], fallback=True))


def gettext(message: str) -> str:
    return catalog(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return catalog(current()).ngettext(singular, plural, n)


def translate(text: object) -> str:
    """A message from below the pages, in the request's language (see the module's docstring)."""
    return catalog(current()).translate(str(text)) if text is not None else ""


def format_date(value: str | dt.date | None, form: str = "medium") -> str:
    """"2026-12-07" as "Dec 7, 2026" or "7 dic 2026"; what is not a date is shown as it is."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            day = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
        return _babel_date(day, form, locale=current())
    return _babel_date(value, form, locale=current())


def format_moment(value: str) -> str:
    """An ISO instant ("2026-12-07T13:56:55+00:00") as "Dec 7, 2026, 1:56 PM" or "7 dic 2026, 13:56"
    (in the zone it was written in); what is not an instant is shown as it is."""
    try:
        moment = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return str(value or "")
    language = current()
    day = _babel_date(moment.date(), "medium", locale=language)
    return f"{day}, {format_time(moment.time(), 'short', locale=language)}"


def month_of(value: str) -> str:
    """"2026-12" as "December 2026" or "dicembre 2026"."""
    try:
        day = dt.date.fromisoformat(f"{value[:7]}-01")
    except ValueError:
        return value
    return _babel_date(day, "LLLL y", locale=current())


def country_name(code: str) -> str:
    """"KR" as "South Korea" or "Corea del Sud"."""
    return str(Locale.parse(current()).territories.get(code.upper(), code))


def language_name(code: str) -> str:
    """"ko" as "Korean" or "coreano"."""
    return str(Locale.parse(current()).languages.get(code.lower(), code))


def format_number(value: float | int | None, digits: int | None = None) -> str:
    """4.5 as "4.5" or "4,5"; `digits` fixes the decimals ("3.70")."""
    if value is None:
        return "—"
    pattern = "#,##0." + "0" * digits if digits else ("#,##0" if digits == 0 else None)
    return format_decimal(value, format=pattern, locale=current())


def month_name(month: int, width: Literal["abbreviated", "narrow", "wide"] = "abbreviated") -> str:
    return str(get_month_names(width, locale=current())[month])


def weekday_name(iso: int, width: Literal["abbreviated", "narrow", "wide"] = "abbreviated") -> str:
    """ISO weekday 1 (Monday) … 7 as "Mon" or "lun"."""
    return str(get_day_names(width, locale=current())[(iso - 1) % 7])  # Babel counts from Monday = 0


__all__ = ["catalog", "Catalog", "country_name", "current", "format_date", "format_moment", "format_number",
           "gettext", "language_name", "LANGUAGES", "month_name", "month_of", "negotiate", "ngettext", "translate",
           "use", "weekday_name"]
