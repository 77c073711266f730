"""The OpenAPI document's parts FastAPI cannot infer: how to authenticate, and the multipart upload body.

The upload handler reads its multipart form itself (to stream and limit it),
so FastAPI sees no body to describe; and authentication happens in
`testigo.web.auth`, not in declared dependencies. Without these additions a
client generated from the document would not know how to send a photo or
which credentials each operation takes.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from testigo.web.auth import CSRF_HEADER, SESSION_COOKIE

BEARER = "apiToken"
COOKIE = "session"
#: Operations under these tags need an account; every other one is public.
PRIVATE_TAGS = frozenset({"uploads", "review", "admin"})

SECURITY_SCHEMES: dict[str, Any] = {
    BEARER: {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token made on /account (scripts, bulk uploaders); no CSRF token needed.",
    },
    COOKIE: {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": f"The browser's login session; requests that change anything also send the "
        f"`{CSRF_HEADER}` header (or a `csrf_token` form field) of the session.",
    },
}

#: The body of POST /api/v1/uploads, as its handler reads it.
UPLOAD_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "the photo or scan of one acta: JPEG, PNG, WebP, HEIC, TIFF or PDF",
                    },
                    "upload_id": {
                        "type": "string",
                        "pattern": "^[A-Za-z0-9_-]{1,64}$",
                        "description": "the client's id of this upload; a retry with the same id is the same "
                        "arrival (default: the SHA-256)",
                    },
                    "sha256": {
                        "type": "string",
                        "pattern": "^[0-9a-f]{64}$",
                        "description": "the SHA-256 the client computed; a mismatch means a damaged transfer (400)",
                    },
                    "csrf_token": {"type": "string", "description": "with a session cookie, unless sent as a header"},
                },
            }
        }
    },
}


def describe(app: FastAPI) -> None:
    """Make `app.openapi()` add the security schemes and each private operation's requirement."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            spec.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
            for operations in spec["paths"].values():
                for operation in operations.values():
                    if PRIVATE_TAGS.intersection(operation.get("tags", ())):
                        operation["security"] = [{BEARER: []}, {COOKIE: []}]
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
