"""Accounts: sign up and sign in (public), the password and the account itself (signed in)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, post
from litestar.exceptions import NotAuthorizedException
from litestar.openapi.spec import Example
from litestar.params import Body
from litestar.security.jwt import Token
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from ....domain.ports import User
from ....services.accounts import Accounts, session_mark
from ....services.purge import AccountPurge
from ....services.queries import StatsQueries
from ..hardening import strict_body
from ..openapi import SIGNED_IN, errors
from ..schemas import AccountDeletion, Credentials, PasswordChange, Registered, TokenOut


class SignInController(Controller):
    """Public: an account and its bearer token."""

    path = "/"

    @post("/api/auth/register", status_code=HTTP_201_CREATED, tags=["auth"], before_request=strict_body(Credentials),
          description="Create an account: a username of 3-32 letters, digits, `_`, `.` or `-` (unique ignoring case), "
                      "a password of at least 10 characters that is not a common one.",
          responses=errors(400, 503, e409="the username is taken"))
    async def register(self, data: Annotated[Credentials, Body(examples=[Example(
            summary="a new account", value={"username": "ada_l", "password": "a long passphrase 42"})])],
            accounts: Accounts) -> Registered:
        user = await accounts.register(data.username, data.password)
        return Registered(user_id=user.id, username=user.username)

    @post("/api/auth/token", status_code=200, tags=["auth"], before_request=strict_body(Credentials),
          description="Sign in: a bearer token for `Authorization: Bearer …` on the other operations.",
          responses=errors(400, 503, e401="wrong username or password",
                           e429="too many failed sign-ins for this account or address; the Retry-After header says "
                                "when to try again"))
    async def token(self, data: Credentials, request: Request[Any, Any, Any], accounts: Accounts, jwt_auth: Any,
                    ttl: int) -> Response[TokenOut]:
        client = request.client.host if request.client else ""
        user = await accounts.authenticate(data.username, data.password, client)
        if user is None:
            raise NotAuthorizedException("wrong username or password")
        encoded = jwt_auth.create_token(identifier=user.id, token_expiration=dt.timedelta(seconds=ttl),
                                        token_extras={"pw": session_mark(user)})
        return Response(TokenOut(access_token=encoded, expires_in=ttl), headers={"Cache-Control": "no-store"})



class AccountController(Controller):
    """The caller's password and account."""

    path = "/"

    @post("/api/me/password", status_code=HTTP_204_NO_CONTENT, tags=["auth"],
          before_request=strict_body(PasswordChange),
          description="With `new_password`, change the password; without, hash the same one anew. Either way every "
                      "token made before stops working (sign out everywhere); sign in again for a new one.",
          responses=errors(*SIGNED_IN, e429="too many wrong current passwords; see Retry-After"))
    async def change_password(self, data: PasswordChange, request: Request[User, Token, Any],
                              accounts: Accounts) -> None:
        client = request.client.host if request.client else ""
        await accounts.change_password(request.user, data.password, data.new_password, client)

    @delete("/api/me", status_code=HTTP_204_NO_CONTENT, tags=["auth"], before_request=strict_body(AccountDeletion),
            description="Delete the account and everything it owns (diary, statistics, affinities, trend facts, "
                        "imports, watchlist), on every backend. The body repeats the password.",
            responses=errors(*SIGNED_IN, e429="too many wrong passwords; see Retry-After"))
    async def delete_account(self, data: AccountDeletion, request: Request[User, Token, Any], accounts: Accounts,
                             purge: AccountPurge, queries: StatsQueries) -> None:
        client = request.client.host if request.client else ""
        await accounts.check_password(request.user, data.password, client)
        await purge.purge(request.user.id)
        queries.forget(request.user.id)
