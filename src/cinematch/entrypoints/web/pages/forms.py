"""What every page shares: the session of a signed-in person, forms read and answered, the admin check."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response
from litestar.exceptions import PermissionDeniedException
from litestar.response import Redirect

from .... import i18n
from ....domain.messages import N_
from ....domain.ports import UserStore
from ....domain.ratings import Rating, normalize, rating_problem
from ....services.accounts import session_mark, session_user
from ....services.diary import DiaryError

PAGE_SIZE = 20


SESSION_COOKIE = "cinematch_session"


SSE_POLL = 0.2  # seconds between the stats page's looks at the statistics' mark


async def _session_user(request: Request[Any, Any, Any], jwt_auth: Any, users: UserStore) -> Any:
    """The user of the session cookie on a public page (the auth middleware skips those)."""
    user = await _token_user(request.cookies.get(SESSION_COOKIE, "").split(" ")[-1], jwt_auth, users)
    if user is not None and user.language:  # a public page speaks the account's language too
        i18n.use(user.language)
    return user


async def caller(request: Request[Any, Any, Any], jwt_auth: Any, users: UserStore) -> Any:
    """Who calls a public endpoint: the bearer token's user, else the session cookie's, else None."""
    bearer = request.headers.get("authorization", "")
    if bearer.lower().startswith("bearer "):
        return await _token_user(bearer[7:].strip(), jwt_auth, users)
    return await _session_user(request, jwt_auth, users)


async def _token_user(raw: str, jwt_auth: Any, users: UserStore) -> Any:
    """The user a token (a session cookie's or a bearer's) stands for while its session is open, else None."""
    if not raw:
        return None
    try:
        token = jwt_auth.token_cls.decode(raw, secret=jwt_auth.token_secret, algorithm=jwt_auth.algorithm)
    except Exception:  # noqa: BLE001 - an expired or foreign token: an anonymous caller
        return None
    return session_user(await users.by_id(token.sub), token.extras)


def _form_error(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


async def _form(request: Request[Any, Any, Any]) -> dict[str, str]:
    data = await request.form()
    return {k: (v if isinstance(v, str) else "") for k, v in data.items()}


def _local(path: str) -> str:
    """`path` when it is a page of this site (never another host), else the diary."""
    return path if path.startswith("/") and not path.startswith("//") and "\\" not in path else "/diary"


def _signed_in(request: Request[Any, Any, Any], jwt_auth: Any, ttl: int, user: Any,
               to: str = "/diary") -> Response[Any]:
    token = jwt_auth.create_token(identifier=user.id, token_expiration=dt.timedelta(seconds=ttl),
                                  token_extras={"pw": session_mark(user)})
    response = Redirect(to, status_code=303)
    response.set_cookie(SESSION_COOKIE, f"Bearer {token}", max_age=ttl, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")
    return response


def _query(**params: str) -> str:
    return urlencode(params)


def _rating(raw: str) -> Rating | None:
    """The rating a form chose: half stars, or "" for not rated."""
    if not raw.strip():
        return None
    try:
        value = float(raw)
    except ValueError:
        value = -1
    if rating_problem(value):
        raise DiaryError(N_("choose a rating from 0.5 to 5 stars, or Not rated"))
    return normalize(value)


def _tags(raw: str) -> list[str]:
    return [t for t in (part.strip() for part in raw.split(",")) if t]


def require_admin(request: Request[Any, Any, Any]) -> None:
    if not request.user.is_admin:
        raise PermissionDeniedException("admin only")
