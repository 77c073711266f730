"""Why a ledger artefact was rejected, in one line a user can act on.

Every failure to verify a proof, a note or a checkpoint raises a subclass of
`LedgerError`. They derive from `UserError` because the people who see them
are verifying a published bundle, not debugging testigo: the command line
prints `str(error)` on one line, so each message names the index, size, key or
hash involved and, for hashes, what was expected and what was found.

Misuse of the API by a programmer (asking for a proof of a leaf that is not in
the log yet) is not a verification failure and raises `ValueError` instead.
"""

from __future__ import annotations

from testigo.errors import UserError


class LedgerError(UserError):
    """Base of every verification failure of the ledger."""


class ProofError(LedgerError):
    """An inclusion or consistency proof does not match the tree head it is checked against."""


class MalformedNoteError(LedgerError):
    """A signed note does not follow the signed-note syntax (c2sp.org/signed-note)."""


class MalformedKeyError(LedgerError):
    """A signer or verifier key text is not a well-formed Ed25519 note key."""


class UnknownKeyError(LedgerError):
    """A note carries no signature from any of the keys the verifier trusts."""


class InvalidSignatureError(LedgerError):
    """A signature from a trusted key does not verify: the note text was altered or the signature forged."""


class CheckpointError(LedgerError):
    """A checkpoint body is malformed or belongs to another log than the one expected."""
