"""HTTP errors whose text is a catalog message, so a visitor reads it in the language of the page.

Spanish is the default everywhere (the witnesses and reviewers of the
reference case read Spanish); English only with ``?lang=en``. The app's error
handler turns the `Message` detail into text for the request's language, on
HTML pages and in the JSON ``detail`` of the API alike.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import HTTPException

from testigo.errors import UserError
from testigo.web.i18n import Message


class Problem(HTTPException):
    """`HTTPException(status, Message(key, params))`: raise with a catalog key instead of an English sentence."""

    def __init__(
        self, status_code: int, key: str, *, headers: Mapping[str, str] | None = None, **params: object
    ) -> None:
        super().__init__(status_code, Message(key, params), dict(headers) if headers else None)


def refuse(status_code: int, text: Message, headers: Mapping[str, str] | None = None) -> HTTPException:
    """The HTTP answer for a library error that already carries its `Message` (a decision, an upload refused)."""
    return HTTPException(status_code, text, dict(headers) if headers else None)


def detail_text(detail: object, language: str) -> object:
    """What to show for an exception's detail: a `Message` in `language`, anything else as it is."""
    return detail.text(language) if isinstance(detail, Message) else detail


def message_of(error: UserError) -> Message:
    """The catalog message of a library error; an error raised without one is shown as it is (English)."""
    found = getattr(error, "message", None)
    return found if isinstance(found, Message) else Message("plain", {"text": str(error)})


def user_error(error: UserError, status_code: int = 422) -> HTTPException:
    """The HTTP answer for a `UserError` of the account functions (which the command line shows in English)."""
    return refuse(status_code, message_of(error))
