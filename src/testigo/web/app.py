"""The FastAPI application: wiring of state, middleware, routers, static files and error pages.

Refusals are answered in one place: `_user_error` answers every `UserError`
(those of the library and those of the routes, see `testigo.web.problems`),
`_http_error` the framework's own (Starlette's `HTTPException`, which
FastAPI's extends: an unknown URL, a method not allowed) and `_invalid` a
request FastAPI could not validate; each gives a short page in the visitor's
language to browsers and a JSON ``detail`` to the API. Every answer — a 413
refused before the app runs, and a 500 of a bug too — carries the security
headers (`SecurityHeaders` is the outermost layer and answers a crash itself).
"""

from __future__ import annotations

import asyncio
import gc
import html
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from urllib.parse import parse_qs

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import testigo
from testigo.config import WebSettings
from testigo.errors import UserError
from testigo.store.workspace import Store
from testigo.web.auth import LoginRequired, private_page, without_credentials
from testigo.web.i18n import CatalogError, Translator, pick_language
from testigo.web.keys import load_or_create_secret
from testigo.web.openapi import describe
from testigo.web.previews import Previews
from testigo.web.problems import Problem
from testigo.web.ratelimit import RateLimiter
from testigo.web.render import STATIC, Pages, build_id, language, link, megabytes
from testigo.web.results import PublicResults
from testigo.web.routes import account, admin, api, public, review, upload
from testigo.web.state import WebState
from testigo.web.uploads import Uploads

#: Scripts only from this site ('wasm-unsafe-eval' lets the QR reader compile its WebAssembly), nothing inline.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
#: Request bodies above this are refused outright, except uploads (which get their own limit).
MAX_FORM_BYTES = 1024 * 1024
#: Room for the multipart envelope and the small fields that travel with an upload.
MULTIPART_OVERHEAD = 64 * 1024
UPLOAD_PATHS = ("/api/v1/uploads", "/upload")
#: JSON answers for one account (review queue, admin activity): no proxy or browser cache may keep them.
PRIVATE_API_PREFIXES = ("/api/v1/review/", "/api/v1/admin/", "/api/v1/uploads")
#: Browsers that once reached the site over https refuse plain http for a year (no downgrade on a hostile network).
STRICT_TRANSPORT_SECURITY = b"max-age=31536000"


def _freeze_long_lived() -> None:
    """At start-up: move every object alive now out of the garbage collector's sight (`gc.freeze`).

    The registry and the geography of 30,000 mesas are a quarter of a million
    objects that live as long as the server. Left in sight, every full
    collection walked them all: 75 to 110 ms in which no request was answered,
    for nothing collected. Measured at 30,026 mesas: public API p99 215-290 ms
    before, 12-31 ms after (README, measured table). Only
    at start-up, when nothing else is alive: freezing later would also catch
    requests in flight, whose cyclic garbage would then never be freed. A
    snapshot needs no freezing: it is nearly all arrays and tuples of numbers,
    which the collector does not track.
    """
    gc.freeze()


def create_app(store: Store, settings: WebSettings | None = None) -> FastAPI:
    """The web application over an open workspace (`testigo serve` runs it under uvicorn)."""
    settings = settings or WebSettings()
    assert store.profile is not None  # loaded now: decisions use it inside write transactions
    state = WebState(
        store=store,
        settings=settings,
        secret=load_or_create_secret(store.workspace),
        results=PublicResults(store, settings.results_refresh_seconds),
        uploads=Uploads(store, settings.decoders, settings.checkpoint_seconds),
        limiter=RateLimiter(),
        pages=Pages(build_id(), settings.public_max_age, store),
        previews=Previews(store.blobs, settings.max_upload_pixels),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        state.uploads.start()
        state.results.current()  # the first snapshot now, not in the first visitor's request
        state.results.start()  # then kept current whether or not anyone visits
        _freeze_long_lived()
        try:
            yield
        finally:
            state.results.close()
            state.uploads.close()

    app = FastAPI(
        title="testigo",
        version=testigo.__version__,
        description="Verified, tamper-evident per-mesa election results. Public reads need no account.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # Swagger UI would load from a CDN; the OpenAPI document itself is served
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.web = state
    describe(app)
    for module in (public, api, account, upload, review, admin):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_exception_handler(UserError, _user_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid)
    # a results page shrinks about fivefold: what matters on a throttled phone connection
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)
    app.add_middleware(LimitBody, upload_limit=settings.max_upload_bytes, idle_seconds=settings.body_idle_seconds)
    app.add_middleware(SecurityHeaders)  # added last: the outermost, so even a 413 or a 500 carries the headers
    return app


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def _user_error(request: Request, exc: Exception) -> Response:
    """The one answer to a refusal: a `CatalogError` with its status and its message in the request's language,
    any other `UserError` with 422 and its text; a page that needs an account redirects to the login form."""
    assert isinstance(exc, UserError)
    if isinstance(exc, LoginRequired) and not _is_api(request):
        # the login form in the visitor's language, coming back to the page (whose query keeps its own lang)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(link(language(request), "/login", next=target), status_code=303)
    if isinstance(exc, CatalogError):
        status_code, detail = exc.status_code, exc.message.text(language(request))
    else:
        status_code, detail = 422, str(exc)
    return await _error(request, status_code, detail, exc.headers if isinstance(exc, Problem) else None)


async def _http_error(request: Request, exc: Exception) -> Response:
    """The framework's own refusals (an unknown URL, a method not allowed), answered like ours: a page says what
    happened in the visitor's language, never Starlette's English ``Not Found``."""
    assert isinstance(exc, StarletteHTTPException)
    detail: object = exc.detail
    if not _is_api(request) and exc.status_code in (404, 405):
        detail = Translator(language(request))(f"err_http_{exc.status_code}")
    return await _error(request, exc.status_code, detail, exc.headers)


async def _invalid(request: Request, exc: Exception) -> Response:
    """A request FastAPI could not validate (a path id that is not a number, or beyond any id): the API keeps
    FastAPI's detailed JSON; a page answers 404, since no such thing can exist."""
    assert isinstance(exc, RequestValidationError)
    if _is_api(request):
        return await request_validation_exception_handler(request, exc)
    return await _error(request, 404, Translator(language(request))("err_http_404"), None)


async def _error(request: Request, status_code: int, detail: object, headers: Mapping[str, str] | None) -> Response:
    """JSON for the API; a short page in the visitor's language for browsers.

    The page is rendered for an anonymous visitor if the request's own
    credentials are what was refused (``Authorization: Bearer junk`` on a
    page): checking them again here would raise inside the error handler.
    """
    if _is_api(request):
        return await http_exception_handler(request, HTTPException(status_code, detail, dict(headers or {}) or None))
    without_credentials(request)
    response = private_page(request, "error.html", {"status": status_code, "detail": detail}, status_code)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


class SecurityHeaders:
    """Security headers on every response; static assets are cacheable for a day (their URLs carry the build).

    Answers of the private API (review, admin, one's uploads) are ``no-store``
    whatever the handler set, so a shared proxy never hands one reviewer's
    queue or the admin's list of accounts to someone else; over https, HSTS.

    The outermost layer of the app: a request refused by `LimitBody` (413,
    408) gets the headers too, and so does a crash, which this layer answers
    itself (a short 500 without details) before letting the error go on to be
    logged — Starlette's own 500 is sent from outside every middleware.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")
        private = scope["path"].startswith(PRIVATE_API_PREFIXES)
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                present = {name.lower() for name, _ in headers}
                extra: list[tuple[bytes, bytes]] = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"x-frame-options", b"DENY"),
                ]
                if b"content-security-policy" not in present:
                    extra.append((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()))
                if static and b"cache-control" not in present:
                    extra.append((b"cache-control", b"public, max-age=86400"))
                if private:
                    headers[:] = [(name, value) for name, value in headers if name.lower() != b"cache-control"]
                    extra.append((b"cache-control", b"no-store"))
                if https:
                    extra.append((b"strict-transport-security", STRICT_TRANSPORT_SECURITY))
                headers.extend(extra)
                started.append(True)
            await send(message)

        started: list[bool] = []
        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            if not started:
                await _crashed(scope, send_with_headers)
            raise


async def _crashed(scope: Scope, send: Send) -> None:
    """A short 500 in the request's language (no traceback: it could reveal paths or data)."""
    lang = pick_language(parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang", [""])[0])
    text = Translator(lang)("error_other")
    if scope["path"].startswith("/api/"):
        body, kind = json.dumps({"detail": text}, ensure_ascii=False).encode(), b"application/json"
    else:
        body, kind = _html_page(lang, text), b"text/html; charset=utf-8"
    await _send_whole(send, 500, body, kind)


def _html_page(lang: str, text: str) -> bytes:
    """A minimal page for answers sent outside the templates (a crash, a body refused before the app ran)."""
    back = Translator(lang)("back_home")
    home = link(lang, "/")
    return (
        f'<!doctype html><html lang="{lang}"><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>testigo</title><main><h1>{html.escape(text)}</h1>"
        f'<p><a href="{html.escape(home)}">{html.escape(back)}</a></p></main></html>'
    ).encode()


async def _send_whole(send: Send, status: int, body: bytes, kind: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", kind),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class LimitBody:
    """Refuse request bodies above the limit (413) before they are parsed or spooled to disk, and bodies that stall.

    Checked on the declared Content-Length and again while the body streams, so
    a chunked request cannot get around it. An upload may take `upload_limit`
    bytes (plus room for the multipart envelope), anything else 1 MB. A client
    that sends nothing for `idle_seconds` while its body is awaited is cut off
    with 408: a slow-body attack would otherwise hold a connection and a
    worker for as long as it likes (headers that never end are the reverse
    proxy's to time out: see docs/threat-model.md).
    """

    def __init__(self, app: ASGIApp, upload_limit: int, idle_seconds: float = 30.0) -> None:
        self.app = app
        self.upload_limit = upload_limit
        self.idle_seconds = idle_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = scope["path"] in UPLOAD_PATHS
        shown = self.upload_limit if upload else MAX_FORM_BYTES
        limit = self.upload_limit + MULTIPART_OVERHEAD if upload else MAX_FORM_BYTES
        declared = dict(scope["headers"]).get(b"content-length")
        lang = pick_language(parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang", [""])[0])
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _refuse(scope, send, 413, Translator(lang)("err_body_too_large", limit=megabytes(shown)), lang)
            return
        seen = 0
        started = False
        answered = False

        async def refuse_now(status: int, text: str) -> Message:
            """Answer at once, and tell the app the client left: whatever parses the body (a form, FastAPI's
            body reader) would otherwise turn the refusal into its own 400."""
            nonlocal answered
            if not started and not answered:
                answered = True
                await _refuse(scope, send, status, text, lang)
            return {"type": "http.disconnect"}

        async def counting_receive() -> Message:
            nonlocal seen
            if answered:
                return {"type": "http.disconnect"}
            try:
                message = await asyncio.wait_for(receive(), self.idle_seconds)
            except TimeoutError:
                return await refuse_now(408, Translator(lang)("err_body_too_slow"))
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    return await refuse_now(413, Translator(lang)("err_body_too_large", limit=megabytes(shown)))
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if answered:  # the refusal was sent; the app's own answer to a vanished client goes nowhere
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except Exception:
            if not answered:
                raise
            # the app stopped on the disconnect it was told of (ClientDisconnect): the refusal is the answer


async def _refuse(scope: Scope, send: Send, status: int, text: str, lang: str) -> None:
    if scope["path"].startswith("/api/"):
        body, kind = json.dumps({"detail": text}, ensure_ascii=False).encode(), b"application/json"
    else:
        body, kind = _html_page(lang, text), b"text/html; charset=utf-8"
    await _send_whole(send, status, body, kind)
