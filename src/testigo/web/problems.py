"""How a request is refused: every refusal of ours is a `UserError`, and one handler of the app answers them all.

Spanish is the default everywhere (the witnesses and reviewers of the
reference case read Spanish); English only with ``?lang=en``. A refusal
carries a catalog message, and the app's error handler (`testigo.web.app`)
turns it into text for the request's language: a short page for the HTML
routes, the JSON ``detail`` of the API under ``/api/``.

The decision, in one place: the library raises its own errors
(`DecisionError`, `UploadRefused`, `AccountError`, each a `CatalogError` that
carries its HTTP status) and the routes let them go, so no route picks a
status for a library error. A route that refuses a request itself — a bad
parameter, something that is not there, a missing role, a CSRF token that
does not match, a rate limit — raises `Problem`: the same kind of error, with
the status (and headers) the route gives. So the handler answers

- a `CatalogError`, a `Problem` included, with its own status, its message in
  the request's language and a `Problem`'s headers (``Retry-After``,
  ``WWW-Authenticate``);
- `LoginRequired`, a `Problem` of 401, the same way for the API, and for a
  page with a redirect to the login form that comes back to it;
- any other `UserError` with 422 and its text as it is (English).

One route catches a library error: the invitation form shows an
`AccountError` in the form again while the invitation can still be used; once
it cannot, there is no form to show, and it answers 404 with the same reason.

Any other `TestigoError` is not the user's to fix: reaching a request, it
surfaces as a server error, like any bug. The framework's own refusals (a
malformed JSON body, a route that does not exist) keep their answers.
"""

from __future__ import annotations

from collections.abc import Mapping

from testigo.web.i18n import CatalogError


class Problem(CatalogError):
    """A route refusing a request itself: ``Problem(404, "err_no_mesa", mesa=mesa_id)``, with optional headers."""

    def __init__(
        self, status_code: int, key: str, *, headers: Mapping[str, str] | None = None, **params: object
    ) -> None:
        super().__init__(key, status_code=status_code, **params)
        self.headers: dict[str, str] | None = dict(headers) if headers else None
