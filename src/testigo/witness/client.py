"""Asking a witness to cosign a checkpoint (the client side of c2sp.org/tlog-witness).

A log does not know which of its sizes a witness cosigned last, so it asks
with ``old 0`` first; a witness that has seen the log answers 409 with its
size, and the request is sent again with the consistency proof from that
size. The answer's lines are kept only if they verify with the witness key
the publisher configured.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from testigo.errors import TestigoError
from testigo.ledger import CosignatureVerifier, LedgerError, Note, Signature, parse_note, verify_note
from testigo.witness.core import SIZE_MEDIA_TYPE, request_body

TIMEOUT_SECONDS = 10.0
"""How long one request to a witness may take before the witness counts as unreachable."""


class WitnessFailed(TestigoError):
    """A witness did not cosign: it refused, could not be reached, or answered something unusable."""


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes
    content_type: str


def _post(url: str, body: bytes, timeout: float) -> _Answer:
    request = urllib.request.Request(f"{url.rstrip('/')}/add-checkpoint", data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - the URL is the user's
            return _Answer(response.status, response.read(), response.headers.get("Content-Type", ""))
    except urllib.error.HTTPError as error:
        with error:
            return _Answer(error.code, error.read(), error.headers.get("Content-Type", ""))
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise WitnessFailed(f"{url} cannot be reached: {reason}") from None


def request_cosignature(
    url: str,
    witness: CosignatureVerifier,
    note: str,
    size: int,
    proof_from: Callable[[int, int], list[bytes]],
    *,
    timeout: float = TIMEOUT_SECONDS,
) -> Signature:
    """The cosignature by `witness` of the signed checkpoint `note` (of tree size `size`); raises `WitnessFailed`.

    `proof_from(old, size)` gives the consistency proof from size `old` to `size`
    (`MerkleLog.consistency_proof`).
    """
    old = 0
    answer = _post(url, request_body(old, [], note), timeout)
    if answer.status == 409 and answer.content_type.split(";")[0].strip() == SIZE_MEDIA_TYPE:
        old = _size(url, answer.body)
        if old > size:
            raise WitnessFailed(
                f"{url} has cosigned this log at size {old}, larger than its {size} entries now: "
                "it saw a log this one does not extend"
            )
        if old != 0:
            answer = _post(url, request_body(old, proof_from(old, size), note), timeout)
    if answer.status != 200:
        reason = answer.body.decode("utf-8", "replace").strip().splitlines()[:1] or ["no reason given"]
        raise WitnessFailed(f"{url} refused the checkpoint from size {old} (HTTP {answer.status}): {reason[0]}")
    try:
        verified = verify_note(note + answer.body.decode("utf-8"), [witness])
    except (LedgerError, UnicodeDecodeError) as error:
        raise WitnessFailed(f"{url} answered no valid cosignature by {witness.name}: {error}") from None
    mine = {(witness.name, witness.key_id)}
    return next(s for s in reversed(verified.note.signatures) if (s.name, s.key_id) in mine)


def _size(url: str, body: bytes) -> int:
    text = body.decode("ascii", "replace").strip()
    if not text.isdigit():
        raise WitnessFailed(f"{url} answered 409 without a tree size")
    return int(text)


def cosigned(note: str, cosignatures: list[Signature]) -> str:
    """The signed note `note` with these cosignature lines, each replacing an older line by the same key.

    Lines by other keys stay: a witness that does not answer this time keeps
    the cosignature it gave the same checkpoint before.
    """
    parsed = parse_note(note)
    fresh = {(s.name, s.key_id) for s in cosignatures}
    kept = tuple(s for s in parsed.signatures if (s.name, s.key_id) not in fresh)
    return str(Note(parsed.text, kept + tuple(cosignatures)))
