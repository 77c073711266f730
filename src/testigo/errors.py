"""Every error testigo raises on purpose hangs from one root, `TestigoError`.

A caller that turns failures into one-line reasons (the command line, the web
application, a batch that must go on) catches the branch it can answer and
lets anything else surface as a bug. The tree::

    TestigoError                 raised on purpose by testigo; str() is one line for a person
    ├── UserError                the user can fix it (an option, a workspace, a file they named):
    │   │                        the command line prints it and exits 2; the web answers 422
    │   ├── LedgerError          a proof, note, key or checkpoint does not verify (testigo.ledger.errors)
    │   │   ├── ProofError, CheckpointError
    │   │   └── MalformedNoteError, MalformedKeyError, UnknownKeyError, InvalidSignatureError
    │   ├── CatalogError         carries a translatable message and the HTTP status that answers it
    │   │   │                    (testigo.web.i18n); the web's one handler answers all of them
    │   │   ├── DecisionError    a review decision that cannot be taken as asked (testigo.web.decisions)
    │   │   ├── UploadRefused    an upload refused before anything was stored (testigo.web.uploads)
    │   │   ├── AccountError     an account operation refused (testigo.web.accounts)
    │   │   └── Problem          a request a route refuses itself: a bad parameter, nothing there,
    │   │       │            a missing role, a rate limit (testigo.web.problems)
    │   │       └── LoginRequired  no account: 401 for the API, a redirect to log in for a page
    │   │                        (testigo.web.auth)
    │   ├── ArchiveError     a bundle archive or one of its parts is damaged or unsafe to unpack
    │   │                    (testigo.publish.archive)
    │   ├── AuditError       a paper-audit step refused (no checkpoint, a plan already made, a mesa recorded
    │   │                    again without a reason), or audit files that do not hold together (testigo.audit.state)
    │   └── NotVerified          a published bundle read through the Python API failed verification;
    │                            .report holds every check (testigo.api.bundles, raised by read_bundle)
    ├── UnusableInput            a submitted file cannot be read as an image or PDF at all (testigo.read)
    ├── OcrModelError            the OCR model is missing, unreadable or not the pinned one (testigo.read.ocr)
    ├── PayloadError             a decoded text is not a well-formed sheet of the profile (testigo.profiles)
    ├── BundleError              a file of a published bundle is missing or unreadable (testigo.verify)
    ├── Refused                  a witness will not cosign a checkpoint; .status is the HTTP status
    │                            c2sp.org/tlog-witness gives the reason (testigo.witness.core)
    ├── WitnessFailed            a witness asked by publish did not cosign: refused, unreachable, or its
    │                            answer did not verify (testigo.witness.client)
    ├── MirrorRefused            a source a mirror must not become: its log forks or rolls back the copy
    │                            held, or it fails verification (testigo.api.mirror); the CLI exits 1
    └── AlreadyFinished          another process settled the submission first; its outcome stands
                                 (testigo.store.submissions)

The leaves live beside the code that raises them; this module holds only the
root and `UserError`, so that every layer may import it.
"""


class TestigoError(Exception):
    """The root of every error testigo raises on purpose; str() is a one-line reason."""

    __test__ = False  # not a pytest test class, whatever its name


class UserError(TestigoError):
    """Something the user can fix (a bad option, a missing workspace); str() is the message."""
