"""What every answer gets, whatever the route: a request id, security headers, and errors
that are a 4xx with a reason (or, for a defect of ours, a 500 that names its request id
and leaves a traceback in the log, never the details in the answer)."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import msgspec
import pymongo.errors
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.exceptions.responses import create_exception_response
from litestar.enums import ScopeType
from litestar.types import Message, Scope

log = logging.getLogger("cinematch.web")

# MongoDB that cannot be reached (the kafka and spark profiles' store): a 503, not a 500.
_UNREACHABLE = (pymongo.errors.ConnectionFailure, pymongo.errors.ServerSelectionTimeoutError)

REQUEST_ID = "x-request-id"
_CLIENT_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

# The pages and the API docs are served from this origin only (docs/contract.md §6: no other host).
_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
# The API docs UI (Swagger, served from static/vendor) starts with an inline script.
_DOCS_CSP = _CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


def request_id(scope: Scope) -> str:
    """This request's id: the client's `X-Request-ID` when it is a plain token, else a new one
    (made once, kept in the scope's state)."""
    state = scope.setdefault("state", {})
    rid = state.get("request_id")
    if rid is None:
        given = dict(scope.get("headers", ())).get(REQUEST_ID.encode(), b"").decode("latin-1")
        rid = state["request_id"] = given if _CLIENT_ID.fullmatch(given) else secrets.token_hex(8)
    return rid


async def add_headers(message: Message, scope: Scope) -> None:
    """Litestar's `before_send` hook: it sees every answer, a router's 404 included."""
    if message["type"] != "http.response.start":
        return
    headers = list(message.get("headers", ()))
    present = {k.lower() for k, _ in headers}
    csp = _DOCS_CSP if scope.get("path", "").startswith("/schema") else _CSP
    extra = [(REQUEST_ID.encode(), request_id(scope).encode()), (b"content-security-policy", csp.encode()),
             *SECURITY_HEADERS]
    message["headers"] = headers + [(k, v) for k, v in extra if k not in present]


def error_response(status: int, detail: str, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response({"status_code": status, "detail": detail}, status_code=status, headers=headers)


def body_problem(exc: BaseException) -> str | None:
    """Why a body could not be decoded, or None when `exc` is not about decoding."""
    if isinstance(exc, RecursionError):  # a body nested deeper than the decoder follows
        return "the JSON body is nested too deeply"
    if isinstance(exc, msgspec.ValidationError):
        return f"invalid body: {exc}"
    if isinstance(exc, (msgspec.DecodeError, UnicodeDecodeError)):
        return f"the body is not valid JSON: {exc}"
    return None


def any_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The last word on an exception no other handler took."""
    problem = body_problem(exc)
    if problem is not None:
        return error_response(400, problem)
    if isinstance(exc, HTTPException):
        if exc.status_code < 500:
            return create_exception_response(request, exc)
    elif isinstance(exc, _UNREACHABLE):
        log.error("request %s: the database does not answer: %s", request_id(request.scope), exc)
        return error_response(503, "the database does not answer; try again shortly", headers={"Retry-After": "5"})
    rid = request_id(request.scope)
    log.error("request %s %s %s failed", rid, request.method, request.url.path, exc_info=exc)
    return error_response(500, f"internal error; the server log has the details under request id {rid}")


def strict_body(struct: Any) -> Callable[[Request[Any, Any, Any]], Awaitable[None]]:
    """A `before_request` hook that decodes the JSON body as `struct` with no coercion
    ("5" is not 5), before Litestar's own lenient conversion runs."""
    decoder = msgspec.json.Decoder(struct)

    async def check(request: Request[Any, Any, Any]) -> None:
        raw = await request.body()
        try:
            decoder.decode(raw)
        except (msgspec.DecodeError, RecursionError) as exc:  # ValidationError is a DecodeError
            raise ValidationException(body_problem(exc)) from None

    return check


_WHOLE = re.compile(r"-?[0-9]{1,18}")


def _integer_queries(handler: Any) -> dict[str, str]:
    """The query parameters a handler reads as integers: their names in the URL, by field."""
    names = {}
    for name, field in handler.parsed_fn_signature.parameters.items():
        inner = field.inner_types[0] if field.is_optional and field.inner_types else field
        if inner.is_subclass_of(int) and not inner.is_subclass_of(bool):
            query = getattr(field.kwarg_definition, "query", None)
            names[name] = query or name
    return names


def strict_query_integers(app: Any) -> Any:
    """Middleware: an integer in the query is digits only. Litestar's own conversion reads
    `?limit=1e3` as 1000 while it refuses 2.5; here both are a 400 with the reason."""
    async def middleware(scope: Scope, receive: Any, send: Any) -> None:
        handler = scope.get("route_handler")
        if scope["type"] == ScopeType.HTTP and handler is not None and scope.get("query_string"):
            given = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
            wanted = set(_integer_queries(handler).values())
            for key, value in given:
                if key in wanted and not _WHOLE.fullmatch(value):
                    raise ValidationException(f"{key} must be a whole number, not {value[:40]!r}")
        await app(scope, receive, send)
    return middleware
