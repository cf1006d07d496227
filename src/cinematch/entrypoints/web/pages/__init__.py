"""The pages for people (docs/contract.md §6): server-rendered HTML (Jinja) with htmx for the parts
that change in place. Every page calls the same services as the JSON API; templates only
show what they are given. Forms post here and redirect (they work without JavaScript);
a signed-in session is the API's token in an HttpOnly, SameSite cookie."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.exceptions import NotAuthorizedException
from litestar.response import Redirect

from ....domain.ratings import display
from ..hardening import error_response
from .account import AccountPages
from .admin import AdminPages
from .admin_catalog import AdminCatalogPages
from .admin_experiments import AdminExperimentPages
from .diary import DiaryPages
from .films import FilmPages
from .people import PersonPages
from .forms import SESSION_COOKIE, _query, require_admin
from .library import ImportPages, WatchlistPages
from .lists import ListPages
from .recommendations import RecommendationPages
from .share import SharePages
from .stats import StatsPages, TrendsPages, trend_genre_rows

PAGES = [AccountPages, DiaryPages, StatsPages, TrendsPages, ImportPages, WatchlistPages, ListPages, RecommendationPages,
         AdminPages, AdminCatalogPages, AdminExperimentPages, FilmPages, PersonPages, SharePages]
PUBLIC_PAGES = ["^/$", "^/trends$", "^/signup$", "^/signin$", "^/signout$", "^/static/", "^/films/", "^/people/",
                "^/share/"]

TEMPLATE_GLOBALS = {"trend_genre_rows": trend_genre_rows}
TEMPLATE_FILTERS = {"stars": display}


def page_not_signed_in(request: Request[Any, Any, Any], exc: NotAuthorizedException) -> Response[Any]:
    """A page asked for without a session: the sign-in page; the API keeps its 401."""
    if request.url.path.startswith("/api/"):
        return error_response(401, exc.detail or "sign in first")
    if "text/event-stream" in request.headers.get("accept", ""):
        # An open statistics page whose session ended: 204 tells its EventSource to stop
        # reconnecting (a redirect to the sign-in page would be retried for ever).
        return Response(b"", status_code=204)
    return Redirect(f"/?{_query(next=request.url.path)}#signin", status_code=303)


__all__ = ["PAGES", "PUBLIC_PAGES", "SESSION_COOKIE", "TEMPLATE_FILTERS", "TEMPLATE_GLOBALS", "page_not_signed_in",
           "require_admin"]
