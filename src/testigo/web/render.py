"""Server-rendered pages: Jinja2 with autoescaping, and the caching rules of public and private pages.

Public pages are the same for everyone — no account, no CSRF token, no cookie
— so they carry an ETag (the data version, the language and the build) and a
short public max-age: a CDN or reverse proxy can absorb a flood, and a phone
revalidating gets a 304 without the page being rendered. Private pages are
``no-store``. Autoescaping is on for every template, so whatever a user typed
(a reason, a username, a file name) is always rendered as text.

Rendering knows nothing of who is asking: a private page is handed its
account and CSRF token by `testigo.web.auth.private_page`, which is what the
routes call. So this module imports neither the app's state nor `auth`, and
the state can hold a `Pages`.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.responses import HTMLResponse, Response

from testigo.store.workspace import Store
from testigo.web.accounts import Account
from testigo.web.flags import flag_text
from testigo.web.i18n import DEFAULT_LANGUAGE, Translator, pick_language

_HERE = Path(__file__).parent
TEMPLATES = _HERE / "templates"
STATIC = _HERE / "static"


def build_id() -> str:
    """A short hash of the templates, catalogs and static files: part of every ETag and static URL."""
    digest = hashlib.sha256()
    for folder in (TEMPLATES, STATIC / "app", _HERE / "locales"):
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def language(request: Request) -> str:
    return pick_language(request.query_params.get("lang"))


def link(lang: str, path: str, **params: object) -> str:
    """A site URL in the given language (Spanish URLs carry no parameter).

    `path` may carry a query of its own (``/review?x=1``, a login's ``next``):
    its parameters are kept, with `params` and the language merged into the
    one query string (never ``?x=1?lang=en``); a ``lang`` it carried is
    replaced by `lang`.
    """
    parts = urlsplit(path)
    query: dict[str, object] = {k: v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"}
    query.update({k: v for k, v in params.items() if v is not None})
    if lang != DEFAULT_LANGUAGE:
        query["lang"] = lang
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    return parts.path + ("?" + urlencode(query) if query else "") + fragment


def megabytes(size: int) -> str:
    """A byte count as people read a limit: 20000000 → "20 MB", 1048576 → "1 MB" (decimal megabytes, at most
    one decimal, so every message says what the README says)."""
    return f"{round(size / 1e6, 1):g} MB"


def number(lang: str, value: float | int | None) -> str:
    if value is None:
        return "—"
    text = f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"
    return text.translate(str.maketrans(",.", ".,")) if lang == "es" else text


def percent(lang: str, share: float | None) -> str:
    if share is None:
        return "—"
    text = f"{share * 100:.2f}"
    return (text.replace(".", ",") + " %") if lang == "es" else text + "%"


class BodyCache:
    """The latest public bodies built, by (ETag, path, query); least recently used ones are dropped."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._bodies: OrderedDict[tuple[str, str, str], tuple[bytes, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str], build: Callable[[], tuple[bytes, str]]) -> tuple[bytes, str]:
        with self._lock:
            found = self._bodies.get(key)
            if found is not None:
                self._bodies.move_to_end(key)
                return found
        built = build()  # outside the lock: two threads may build the same body once each, never wait on each other
        with self._lock:
            self._bodies[key] = built
            while len(self._bodies) > self._size:
                self._bodies.popitem(last=False)
        return built


class Pages:
    """Renders templates into responses with the right language, links and caching headers."""

    #: Public bodies kept in memory (about 10 KB each).
    CACHED_BODIES = 2048

    def __init__(self, build: str, max_age: int, store: Store) -> None:
        self.build = build
        self.max_age = max_age
        self._store = store  # its profile's ballot names the candidates on every page
        self.bodies = BodyCache(self.CACHED_BODIES)
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals["static"] = lambda path: f"/static/{path}?v={build}"

    def _candidate_name(self, key: str) -> str:
        names = {c.key: c.name for c in self._store.profile.election.candidates}
        return names.get(key, key)

    def _context(self, request: Request, lang: str, context: dict[str, Any]) -> dict[str, Any]:
        other = "en" if lang == "es" else "es"
        params = {k: v for k, v in request.query_params.items() if k != "lang"}
        return {
            "t": Translator(lang),
            "lang": lang,
            "other_lang": other,
            "switch_url": link(other, request.url.path, **params),
            "link": lambda path, **kw: link(lang, path, **kw),
            "num": lambda value: number(lang, value),
            "pct": lambda share: percent(lang, share),
            "flag_label": lambda flag: flag_text(flag, lang),
            "election": self._store.profile.election,
            # a card names its candidate by key (``gonzalez``); pages show the name (``Edmundo González``)
            "candidate_name": self._candidate_name,
            **context,
        }

    def public(
        self, request: Request, version: int | str, build: Callable[[str], tuple[str, dict[str, Any]]]
    ) -> Response:
        """A public page: `build(lang)` gives (template, context), rendered unless cached (see `answer`)."""
        lang = language(request)

        def render() -> tuple[bytes, str]:
            template, context = build(lang)
            context = self._context(request, lang, {"account": None, "csrf": "", **context})
            return self.env.get_template(template).render(context).encode("utf-8"), "text/html; charset=utf-8"

        return self.answer(request, version, render)

    def answer(
        self, request: Request, version: int | str, build: Callable[[], tuple[bytes, str]], download: str = ""
    ) -> Response:
        """A public answer (page or API): 304 if the client holds this version, else the body, built at most once
        per URL and data version — so a flood of the same pages costs one rendering."""
        etag = f'W/"{version}-{language(request)}-{self.build}"'
        headers = {"ETag": etag, "Cache-Control": public_cache_control(self.max_age), "Vary": "Accept-Encoding"}
        if download:
            headers["Content-Disposition"] = f'attachment; filename="{download}"'
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        body, media_type = self.bodies.get((etag, request.url.path, request.url.query), build)
        return Response(body, media_type=media_type, headers=headers)

    def private(
        self,
        request: Request,
        template: str,
        context: dict[str, Any],
        status_code: int = 200,
        *,
        account: Account | None,
        csrf: str,
    ) -> Response:
        """A page for one visitor, with their account and the CSRF token of its forms; never cached."""
        full = self._context(request, language(request), {"account": account, "csrf": csrf, **context})
        return HTMLResponse(
            self.env.get_template(template).render(full),
            status_code=status_code,
            headers={"Cache-Control": "no-store"},
        )


def public_cache_control(max_age: int) -> str:
    """Cacheable for `max_age` seconds, then revalidated (a 304 costs nothing). No stale-while-revalidate: a
    browser would show the older figures first after new uploads, and the page would be older than it says."""
    return f"public, max-age={max_age}"
