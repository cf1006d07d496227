"""What the API document says of errors, uploads and the bearer token, shared by every controller."""

from __future__ import annotations

import dataclasses

from litestar.config.app import AppConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Components, OpenAPIMediaType, Operation, RequestBody, Schema, SecurityScheme

from .schemas import ErrorOut

ERRORS = {
    400: "the request is not valid; `detail` says why",
    401: "no valid bearer token (sign in at POST /api/auth/token), or it was made before a password change",
    403: "only an administrator may do this",
    404: "no such item among the caller's",
    409: "the state does not allow it now; `detail` says why",
    413: "the body is larger than this operation takes",
    429: "too many attempts; the Retry-After header says when to try again",
    503: "a dependency (the store, the broker) does not answer; Retry-After says when to try again",
}


SIGNED_IN = (400, 401, 503)  # what any operation behind the bearer token may answer besides its own


def errors(*codes: int, **why: str) -> dict[int, ResponseSpec]:
    """The error answers of an operation, each an `ErrorOut`: the `codes`, and those `why` names
    with this operation's own description (e409="…")."""
    every = set(codes) | {int(k[1:]) for k in why}
    return {c: ResponseSpec(ErrorOut, description=why.get(f"e{c}", ERRORS[c])) for c in sorted(every)}


@dataclasses.dataclass
class UploadOperation(Operation):
    """The import's body, which the handler reads itself (any of these media types)."""

    def __post_init__(self) -> None:
        # (the type: ignores below) litestar types `Schema.type` as its OpenAPIType enum; the plain
        # strings are what the document carries either way.
        binary = Schema(type="string", format="binary")  # type: ignore[arg-type]
        self.request_body = RequestBody(required=True, description="the export file, as the body or as the "
                                        "multipart field `file`", content={
            "text/csv": OpenAPIMediaType(schema=Schema(type="string")),  # type: ignore[arg-type]
            "application/zip": OpenAPIMediaType(schema=binary),
            "application/json": OpenAPIMediaType(schema=Schema(type="object", description="a CineMatch backup")),  # type: ignore[arg-type]
            "multipart/form-data": OpenAPIMediaType(schema=Schema(
                type="object", properties={"file": binary}, required=["file"])),  # type: ignore[arg-type]
        })


BEARER = SecurityScheme(type="http", scheme="bearer", bearer_format="JWT", description=(
    "`Authorization: Bearer <access_token>` from POST /api/auth/token (the pages carry the same token in their "
    "session cookie)."))


def _bearer_only_where_needed(app_config: AppConfig) -> AppConfig:
    """The JWT plugin puts its requirement on every operation and describes a cookie; the API
    document instead names the bearer header, and only on the operations that need it (the
    protected router says so)."""
    if app_config.openapi_config is not None:
        app_config.openapi_config.security = None
        app_config.openapi_config.components = Components(security_schemes={"BearerToken": BEARER})
    return app_config
