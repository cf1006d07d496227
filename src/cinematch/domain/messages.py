"""The languages CineMatch speaks, and the mark on a message that a page shows translated.

The API, the logs and the stores keep every message in English; a page translates what it shows
(cinematch.i18n). `N_` only marks a message for extraction into the catalogs (docs/translating.md):
a message with values is written as a `str.format` pattern, `N_("{n} rows").format(n=3)`, and the
pages find its translation from the English text it became."""

from __future__ import annotations

LANGUAGES = {"en": "English", "it": "Italiano"}  # the code, and the language's own name for itself
DEFAULT_LANGUAGE = "en"


def N_(message: str) -> str:  # noqa: N802 - gettext's own name for a deferred translation
    return message
