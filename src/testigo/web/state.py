"""What every request handler shares: `WebState`, held on ``app.state.web``, and `web_state(request)` to reach it.

This module sits below everything that handles a request: it imports the
services the state holds (the store, the results, the uploads, the rate
limiter, the page renderer, the previews) and nothing that imports it back — no route, no
`testigo.web.auth`, not the app — so any module of the package may import it
at its top, and ``import testigo.web`` never meets a module half-initialised.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from testigo.config import WebSettings
from testigo.store.workspace import Store
from testigo.web.previews import Previews
from testigo.web.ratelimit import RateLimiter
from testigo.web.render import Pages
from testigo.web.results import PublicResults
from testigo.web.uploads import Uploads


@dataclass
class WebState:
    """Everything the request handlers share, held on ``app.state.web``."""

    store: Store
    settings: WebSettings
    secret: bytes
    results: PublicResults
    uploads: Uploads
    limiter: RateLimiter
    pages: Pages
    previews: Previews


def web_state(request: Request) -> WebState:
    """The state of the app serving `request` (set by `create_app`)."""
    state = request.app.state.web
    assert isinstance(state, WebState)
    return state
