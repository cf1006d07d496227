"""Which language a page speaks (docs/contract.md §6): the account's setting, else the language a
signed-out visitor chose (a cookie), else the browser's `Accept-Language`, else English. The API
keeps English whatever the request says."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment
from litestar import Request, Response, get
from litestar.params import Parameter
from litestar.response import Redirect

from ... import i18n
from ...domain.messages import LANGUAGES
from .hardening import error_response

LANGUAGE_COOKIE = "cinematch_lang"
YEAR = 365 * 24 * 3600


def chosen_language(request: Request[Any, Any, Any]) -> str:
    """The language a visitor picked with the switch ("" when none)."""
    picked = request.cookies.get(LANGUAGE_COOKIE, "")
    return picked if picked in LANGUAGES else ""


def language_of(request: Request[Any, Any, Any], user: Any = None) -> str:
    own = getattr(user, "language", "")
    if own in LANGUAGES:
        return str(own)
    return chosen_language(request) or i18n.negotiate(request.headers.get("accept-language", "")) or "en"


async def speak_the_visitors_language(request: Request[Any, Any, Any]) -> None:
    """`before_request`: every page speaks its visitor's language; the API speaks English."""
    if request.url.path.startswith("/api/"):
        return
    # The pages behind the session have their user by now; the public ones look theirs up
    # (forms._session_user) and say it again.
    i18n.use(language_of(request, request.scope.get("user")))


def remember_language(response: Response[Any], language: str, secure: bool) -> Response[Any]:
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=YEAR, httponly=True, samesite="lax", secure=secure,
                        path="/")
    return response


@get("/language", include_in_schema=False)
async def switch_language(request: Request[Any, Any, Any], to: str = Parameter(default="", max_length=10),
                          next: str = Parameter(default="/", max_length=200)) -> Response[Any]:  # noqa: A002
    """The switch for signed-out visitors: remembers the language and goes back to the page."""
    if to not in LANGUAGES:
        return error_response(400, f"unknown language {to[:10]!r}: one of {', '.join(LANGUAGES)}")
    back = next if next.startswith("/") and not next.startswith("//") and "\\" not in next else "/"
    return remember_language(Redirect(back, status_code=303), to, request.url.scheme == "https")


def install(env: Environment) -> None:
    """The templates' `_()`, `ngettext()`, `{% trans %}` and filters, in the request's language."""
    env.add_extension("jinja2.ext.i18n")
    env.policies["ext.i18n.trimmed"] = True  # a message's line breaks and indents are not part of it
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(lang=i18n.current, languages=LANGUAGES)
    env.filters.update(tr=i18n.translate, date=i18n.format_date, moment=i18n.format_moment, number=i18n.format_number,
                       month=i18n.month_name, month_of=i18n.month_of, country=i18n.country_name,
                       language=i18n.language_name)
