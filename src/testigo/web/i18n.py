"""Spanish by default, English on request: one JSON catalog per language in ``locales/``.

The language is chosen by the ``lang`` query parameter only (never a cookie or
Accept-Language), so that a public page's URL alone determines its bytes and a
CDN or reverse proxy can cache it without varying on headers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from testigo.errors import UserError

LANGUAGES: tuple[str, ...] = ("es", "en")
DEFAULT_LANGUAGE = "es"
_LOCALES = Path(__file__).parent / "locales"


@cache
def catalog(language: str) -> dict[str, str]:
    messages: dict[str, str] = json.loads((_LOCALES / f"{language}.json").read_text(encoding="utf-8"))
    return messages


def pick_language(requested: str | None) -> str:
    return requested if requested in LANGUAGES else DEFAULT_LANGUAGE


class Translator:
    """`t("key", name=...)` in templates and handlers; a key missing from the catalog is a bug, shown as the key."""

    def __init__(self, language: str) -> None:
        self.language = pick_language(language)
        self._messages = catalog(self.language)

    def __call__(self, key: str, **params: object) -> str:
        text = self._messages.get(key, key)
        return text.format(**params) if params else text


@dataclass(frozen=True)
class Message:
    """A text for a person, kept as catalog key and parameters until the reader's language is known.

    Errors are raised deep in the library (a decision refused, an upload
    refused), far from the request that knows the language; carrying the key
    lets the page or the API answer in Spanish by default, while ``str()``
    stays English for logs and the command line.
    """

    key: str
    params: Mapping[str, object] = field(default_factory=dict)

    def text(self, language: str) -> str:
        return Translator(language)(self.key, **self.params)

    def __str__(self) -> str:
        return self.text("en")


class CatalogError(UserError):
    """A `UserError` raised with a catalog key: `message` for the page's language, ``str()`` in English.

    `status_code` is the HTTP status that answers it: a subclass sets its
    default, and a raise site whose case differs passes its own
    (``DecisionError("decision_say_why", status_code=422)``). The web's one
    error handler (`testigo.web.app`) answers every one of them with it; the
    command line shows ``str()``, as for any `UserError`.
    """

    status_code: int = 422

    def __init__(self, key: str, /, *, status_code: int | None = None, **params: object) -> None:
        self.message = Message(key, params)
        if status_code is not None:
            self.status_code = status_code
        super().__init__(str(self.message))


def message(key: str, **params: object) -> Message:
    return Message(key, params)
