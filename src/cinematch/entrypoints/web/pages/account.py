"""The front page, signing up, in and out, and the settings (password, the account deleted)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Redirect, Template

from ....domain.messages import N_
from ....domain.ports import Conflict, User, UserStore
from ....services.accounts import AccountError, Accounts
from ....services.limits import RateLimited
from ....services.purge import AccountPurge
from ....services.queries import StatsQueries
from ..language import LANGUAGE_COOKIE, chosen_language, remember_language
from .forms import SESSION_COOKIE, _form, _form_error, _local, _query, _session_user, _signed_in


async def _keep_chosen_language(request: Request[Any, Any, Any], accounts: Accounts, user: User) -> None:
    """The language a visitor chose before signing in or up becomes the account's, unless the
    account has one already (docs/contract.md §6: the choice survives sign-in)."""
    chosen = chosen_language(request)
    if chosen and not user.language:
        await accounts.set_language(user, chosen)


class AccountPages(Controller):
    """Signing up, in and out; the settings."""

    path = "/"

    @get("/", include_in_schema=False)
    async def home(self, request: Request[Any, Any, Any], queries: StatsQueries, jwt_auth: Any, users: UserStore,
                   error: str = "",
                   next: str = Parameter(default="", max_length=200)) -> Template:  # noqa: A002 - the page to return to
        me = await _session_user(request, jwt_auth, users)
        return Template("index.html", context={"me": me, "trends": await queries.global_trends(), "error": error[:200],
                                               "page": "home", "next": _local(next)})

    @post("/signup", include_in_schema=False, status_code=303)
    async def signup(self, request: Request[Any, Any, Any], accounts: Accounts, jwt_auth: Any,
                     ttl: int) -> Response[Any]:
        form = await _form(request)
        try:
            user = await accounts.register(form.get("username", ""), form.get("password", ""))
        except (AccountError, Conflict) as exc:
            return Redirect(f"/?{_query(error=_form_error(exc))}#signup", status_code=303)
        await _keep_chosen_language(request, accounts, user)
        return _signed_in(request, jwt_auth, ttl, user)

    @post("/signin", include_in_schema=False, status_code=303)
    async def signin(self, request: Request[Any, Any, Any], accounts: Accounts, jwt_auth: Any,
                     ttl: int) -> Response[Any]:
        form = await _form(request)
        client = request.client.host if request.client else ""
        try:
            user = await accounts.authenticate(form.get("username", ""), form.get("password", ""), client)
        except RateLimited as exc:
            return Redirect(f"/?{_query(error=str(exc))}#signin", status_code=303)
        if user is None:
            wrong = N_("wrong username or password")
            return Redirect(f"/?{_query(error=wrong)}#signin", status_code=303)
        await _keep_chosen_language(request, accounts, user)
        return _signed_in(request, jwt_auth, ttl, user, to=_local(form.get("next", "")))

    @post("/signout", include_in_schema=False, status_code=303)
    async def signout(self) -> Response[Any]:
        response = Redirect("/", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @get("/settings", include_in_schema=False)
    async def settings_page(self, request: Request[Any, Any, Any], done: str = Parameter(default="", max_length=40),
                            error: str = "") -> Template:
        return Template("settings.html", context={"me": request.user, "page": "settings", "done": done,
                                                  "error": error[:300]})

    @post("/settings/password", include_in_schema=False, status_code=303)
    async def change_password(self, request: Request[Any, Any, Any], accounts: Accounts, jwt_auth: Any, ttl: int,
                              users: UserStore) -> Response[Any]:
        form = await _form(request)
        everywhere = form.get("action") == "everywhere"
        client = request.client.host if request.client else ""
        try:
            await accounts.change_password(request.user, form.get("current", ""),
                                           None if everywhere else form.get("new", ""), client)
        except (AccountError, RateLimited) as exc:
            return Redirect(f"/settings?{_query(error=_form_error(exc))}", status_code=303)
        # Every other session ended with the old hash; this browser stays signed in with a new one.
        user = await users.by_id(request.user.id)
        done = "everywhere" if everywhere else "password"
        return _signed_in(request, jwt_auth, ttl, user, to=f"/settings?done={done}")

    @post("/settings/language", include_in_schema=False, status_code=303)
    async def save_language(self, request: Request[Any, Any, Any], accounts: Accounts) -> Response[Any]:
        form = await _form(request)
        language = form.get("language", "")
        try:
            await accounts.set_language(request.user, language)
        except AccountError as exc:
            return Redirect(f"/settings?{_query(error=_form_error(exc))}", status_code=303)
        response = Redirect("/settings?done=language", status_code=303)
        if language:  # the pages signed out (after sign-out, on this browser) speak it too
            remember_language(response, language, request.url.scheme == "https")
        else:
            response.delete_cookie(LANGUAGE_COOKIE, path="/")
        return response

    @post("/settings/delete", include_in_schema=False, status_code=303)
    async def delete_account_page(self, request: Request[Any, Any, Any], accounts: Accounts, purge: AccountPurge,
                                  queries: StatsQueries) -> Response[Any]:
        form = await _form(request)
        client = request.client.host if request.client else ""
        try:
            if form.get("confirm") != "delete":
                raise AccountError(N_("tick the box to confirm that everything will be deleted"))
            await accounts.check_password(request.user, form.get("current", ""), client)
        except (AccountError, RateLimited) as exc:
            return Redirect(f"/settings?{_query(error=_form_error(exc))}", status_code=303)
        await purge.purge(request.user.id)
        queries.forget(request.user.id)
        gone = N_("Your account and everything in it were deleted.")
        response = Redirect(f"/?{_query(error=gone)}", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response
