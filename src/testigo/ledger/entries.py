"""The bytes of each log entry: canonical JSON, so anyone can re-derive and re-hash them.

An entry is hashed exactly as stored; canonical JSON (sorted keys, no spaces,
UTF-8) makes the encoding of the same facts unique, so a verifier holding the
decoded facts (from a bundle's data files) can rebuild the bytes and compare.

Entries never name who submitted a file: public bundles must not expose
witnesses. They carry the file's SHA-256 (the image itself is in the bundle),
when and through which channel it arrived, and what testigo concluded. A row
of an imported table (channel ``import``) also carries how the table was read
(`TABLE_READING`: layout, ``--map`` text, encoding), so a verifier re-parses
the row exactly as the importer did; entries of other channels have no such
field, and their bytes are the same as before it existed.

Version 2 (``"v": 2``, every entry written since) publishes nothing that
helps tell who sent a file or took a decision:

- ``file`` is a neutral name made of the file's SHA-256 and its media type
  (``3fa2c1d4e5f60718.jpg``), never the name it was submitted under: real
  names look like ``IMG-20240728-WA0012.jpg`` (a phone and a day) or carry
  people's names. The name as submitted stays in the database, for admins.
- ``received_at`` and ``decided_at`` are rounded down to the workspace's
  ``published_time_seconds`` (an hour by default), and the entry says so
  (``time_granularity``, in seconds): a time to the microsecond lets an
  observer of the network match an upload to a person. The exact times stay
  in the database. Order is kept by the log's own sequence.

Version 1 entries (``"v": 1``) stay as they were logged — they are hashed —
with the submitted file's own name and microsecond times; readers take both.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from testigo.domain import Status
from testigo.domain.printed import CERTAIN, CONFIRMED

ENTRY_VERSION = 2
#: Default rounding of published times (seconds): see `Settings.published_time_seconds`.
DEFAULT_TIME_GRANULARITY = 3600
#: File name extension of each media type, for the neutral name a file is published under.
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
    "image/bmp": "bmp",
    "image/tiff": "tif",
    "image/heic": "heic",
    "image/heif": "heif",
    "application/pdf": "pdf",
    "application/zip": "zip",
    "text/csv": "csv",
    "application/vnd.apache.parquet": "parquet",
}
#: Field of an imported row's entry: ``{"layout", "map", "encoding"}`` (see `table_reading`).
TABLE_READING = "table"
#: Field of a sheet's entry whose print was read: ``{"layout", "outcome", "figures", "model"}``.
PRINT_READING = "print"
#: What can back a published mesa's figures (`Entry.evidence`).
EVIDENCE = ("image", "image+print", "print", "manual", "manual+print", "table")

#: Statuses of an item whose file a bundle publishes. ``incomplete`` is a part of a sheet spread over several
#: codes (a boletim de urna's) that waited for the others: its photo may hold the first parts of a BU counted
#: when a later upload brought the last, so a verifier needs it to gather that BU again.
PUBLISHED_STATUSES = frozenset({Status.ACCEPTED, Status.DUPLICATE, Status.CONFLICT, Status.MISMATCH, Status.INCOMPLETE})

#: How a file arrived (an entry's ``channel``): the command line, the web application, or a row of an
#: imported table (whose entry's sha256 is the table's).
CLI_CHANNEL = "cli"
WEB_CHANNEL = "web"
IMPORT_CHANNEL = "import"


def utc_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z; a naive time (as SQLite returns them) is taken as UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds") + "Z"


def coarse_time(moment: datetime, granularity: int) -> datetime:
    """`moment` rounded down to a multiple of `granularity` seconds since the epoch, in UTC (0 or 1: unchanged)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if granularity <= 1:
        return moment.astimezone(UTC)
    seconds = int(moment.timestamp()) // granularity * granularity
    return datetime.fromtimestamp(seconds, UTC)


def published_time(moment: datetime, granularity: int) -> str:
    """The time as a version-2 entry publishes it: rounded, to the second (exact, with microseconds, if 0)."""
    if granularity <= 0:
        return utc_timestamp(moment)
    return coarse_time(moment, granularity).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def neutral_name(sha256: str | None, media_type: str | None) -> str:
    """The name a file is published under: its SHA-256's first 16 digits and its type's extension."""
    if not sha256:
        return "unnamed"
    return f"{sha256[:16]}.{EXTENSIONS.get(media_type or '', 'bin')}"


def canonical(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def parse(body: bytes) -> dict[str, Any]:
    """The fields of an entry; raises ValueError unless `body` is exactly their canonical JSON."""
    data = json.loads(body.decode("utf-8"))
    if not isinstance(data, dict) or canonical(data) != body:
        raise ValueError("log entry is not canonical JSON")
    return data


@dataclass(frozen=True)
class Entry:
    """One log entry: its position, exact bytes and fields."""

    seq: int
    body: bytes
    fields: Mapping[str, Any]

    def get(self, name: str) -> Any:
        return self.fields.get(name)

    @property
    def status(self) -> str | None:
        return self.fields.get("status")

    @property
    def sha256(self) -> str | None:
        return self.fields.get("sha256")

    @property
    def payload(self) -> str | None:
        return self.fields.get("payload")

    @property
    def is_decision(self) -> bool:
        return self.fields.get("kind") == "decision"

    @property
    def is_audit(self) -> bool:
        """Whether this entry records a step of a paper audit (`audit_entry`)."""
        return self.fields.get("kind") == AUDIT_KIND

    @property
    def from_table(self) -> bool:
        """Whether this entry is a row of an imported table (its sha256 is the table's, not an image's)."""
        return self.fields.get("kind") == "item" and self.fields.get("channel") == IMPORT_CHANNEL

    @property
    def _valid_acta(self) -> bool:
        return self.payload is not None and self.sha256 is not None and self.status in PUBLISHED_STATUSES

    @property
    def shows_acta(self) -> bool:
        """Whether this entry's file is the image of a valid acta (and so is published in actas/).

        A sheet read from its code, or an unreadable sheet two reviewers typed
        (a ``manual_entry`` decision names its image); a row of a table is not an image.
        """
        return self._valid_acta and not self.from_table

    @property
    def table_row(self) -> bool:
        """Whether this entry is a valid row of an imported table (published in sources/)."""
        return self._valid_acta and self.from_table

    @property
    def evidence(self) -> str:
        """What backs this entry's figures (one of `EVIDENCE`).

        ``image``: a sheet read by its QR code (a reviewer's finding that its
        print was misread included); ``image+print``: and every printed
        figure read agrees with the code; ``print``: a sheet without a
        readable code, read from its print alone; ``manual``: typed by two
        reviewers; ``manual+print``: typed by a reviewer as the machine read
        its print; ``table``: a row of an imported table.
        """
        if self.from_table:
            return "table"
        if self.fields.get("action") == MANUAL_ENTRY:
            return "manual+print" if MACHINE_READER in (self.get("reviewers") or []) else "manual"
        if self.is_decision:
            return "image"
        printed = self.get(PRINT_READING)
        return machine_evidence(printed.get("outcome") if isinstance(printed, dict) else None)


def machine_evidence(outcome: object) -> str:
    """What backs a sheet the machine read (one of `EVIDENCE`), by its print's outcome (None: no print read):
    ``image+print`` a code its print confirms, ``print`` the print alone, ``image`` the code alone."""
    return {CONFIRMED: "image+print", CERTAIN: "print"}.get(str(outcome), "image")


def read_entries(bodies: Sequence[bytes]) -> tuple[list[Entry], list[str]]:
    """Parse entry bodies; a non-canonical one is left out with a problem naming its line."""
    entries: list[Entry] = []
    problems: list[str] = []
    for seq, body in enumerate(bodies):
        try:
            entries.append(Entry(seq, body, parse(body)))
        except (ValueError, UnicodeDecodeError) as error:
            problems.append(f"log entry {seq} cannot be read: {error}")
    return entries, problems


def item_entry(
    *,
    received_at: datetime,
    channel: str,
    sha256: str | None,
    media_type: str | None,
    page: int,
    part: int,
    status: str,
    reason: str | None,
    profile: str,
    payload: str | None,
    acta_id: str | None,
    table: dict[str, str | None] | None = None,
    printed: dict[str, Any] | None = None,
    granularity: int = DEFAULT_TIME_GRANULARITY,
) -> bytes:
    """The entry recording what became of one page/code of a submitted file (format version 2).

    The file is named by `neutral_name` (never as it was submitted) and the
    time rounded down to `granularity` seconds (see the module docstring).
    `table` (an imported table's rows only, see `table_reading`) is how the
    file was read; `printed` (sheets whose print was read, see
    `testigo.domain.printed.PrintedSheet.logged`) what the print says and
    how that was decided. Without them the entry has no such field, and its
    bytes are those of an entry written before they existed.
    """
    fields: dict[str, Any] = {
        "v": ENTRY_VERSION,
        "kind": "item",
        "received_at": published_time(received_at, granularity),
        "time_granularity": max(0, granularity),
        "channel": channel,
        "file": neutral_name(sha256, media_type),
        "sha256": sha256,
        "page": page,
        "part": part,
        "status": status,
        "reason": reason,
        "profile": profile,
        "payload": payload,
        "acta_id": acta_id,
    }
    if table is not None:
        fields[TABLE_READING] = table
    if printed is not None:
        fields[PRINT_READING] = printed
    return canonical(fields)


def table_reading(layout: str, mapping: str | None, encoding: str) -> dict[str, str | None]:
    """How `testigo import` read a table: the layout's name (``map`` for ``--map``), the ``--map`` text as
    given (None when the layout was recognised from the header), and the encoding it used (``parquet`` for
    a Parquet file), which `read_table` accepts back as the forced one."""
    return {"layout": layout, "map": mapping, "encoding": encoding}


#: The kind of the entries of a paper audit, and the steps they record (see `audit_entry`).
AUDIT_KIND = "audit"
AUDIT_PLAN = "plan"
AUDIT_FINDING = "finding"


def audit_entry(step: str, sha256: str, mesa: str | None = None) -> bytes:
    """The entry putting one step of a paper audit (`testigo.audit`) in the log: the SHA-256 of what it wrote.

    `step` is `AUDIT_PLAN` (`sha256` of the plan file's bytes) or
    `AUDIT_FINDING` (of the line findings.jsonl gained, as the next line's
    ``prev`` names it; `mesa` is the sheet's). The files stay the audit's
    record, readable with a text editor; the entries make them as
    tamper-evident as the figures: once a checkpoint covering them is signed
    (and witnessed), a plan swapped for one with a kinder seed, or a finding
    rewritten, dropped or added with the chain recomputed, no longer matches
    the log. No time and no auditor: the file has the time, and the log
    names nobody.
    """
    fields: dict[str, Any] = {"v": ENTRY_VERSION, "kind": AUDIT_KIND, "step": step, "file_sha256": sha256}
    if mesa is not None:
        fields["mesa"] = mesa
    return canonical(fields)


SIGNATURE_KIND = "signature"


def signature_entry(
    *,
    checked_at: datetime,
    key: str,
    section: str,
    parts_sha256: str,
    verdict: str,
    reason: str,
    payloads: list[str],
    granularity: int = DEFAULT_TIME_GRANULARITY,
) -> bytes:
    """The entry recording a signed sheet judged again once its key was added (`testigo keys add`).

    The sheet's records were logged "signature not verified" when it was
    counted; this says what the key made of it: `verdict` ``verified`` (its
    records stay and lose that flag) or ``invalid`` (its records, the
    contests' `payloads`, stop counting), `reason` in words. `parts_sha256`
    is the SHA-256 of its codes, one per line in part order; `checked_at` is
    rounded like an item's time.
    """
    fields: dict[str, Any] = {
        "v": ENTRY_VERSION,
        "kind": SIGNATURE_KIND,
        "checked_at": published_time(checked_at, granularity),
        "time_granularity": max(0, granularity),
        "key": key,
        "acta_id": section,
        "parts_sha256": parts_sha256,
        "verdict": verdict,
        "reason": reason,
        "payloads": sorted(payloads),
    }
    return canonical(fields)


#: The actions a decision entry records (see `decision_entry`); the database's decisions use the same names.
RESOLVE_CONFLICT = "resolve_conflict"
MANUAL_ENTRY = "manual_entry"
FLAG_REVIEWED = "flag_reviewed"
RESOLVE_MISMATCH = "resolve_mismatch"
#: What a reviewer found on a sheet whose print differs from its QR code (a ``resolve_mismatch`` decision's
#: ``finding``): the print in fact shows the code's figures and the machine misread it, so the code's payload
#: is settled like a sheet; or the print really differs (the sheet was altered), so it counts nowhere.
MISREAD = "misread"
ALTERED = "altered"
FINDINGS = (MISREAD, ALTERED)
#: How a ``manual_entry`` decision's ``reviewers`` name the machine's reading of the sheet's print when it was
#: one of the two agreeing entries. Never a pseudonym (those are ``reviewer-<16 hex digits>``).
MACHINE_READER = "print"
#: Status of a record that a reviewer's decision took out of the tally (it stays stored, never deleted).
SUPERSEDED = "superseded"


def decision_entry(
    *,
    decided_at: datetime,
    action: str,
    profile: str,
    acta_id: str | None,
    payload: str | None,
    status: str,
    reason: str | None,
    reviewers: list[str],
    set_aside: list[str] | None = None,
    sha256: str | None = None,
    finding: str | None = None,
    granularity: int = DEFAULT_TIME_GRANULARITY,
) -> bytes:
    """The entry recording a reviewer's decision, so the log alone replays every change of a mesa.

    `action` is ``resolve_conflict`` (`payload` becomes the accepted acta of
    its mesa; the records whose payload SHA-256 is in `set_aside` stop
    counting), ``manual_entry`` (two entries agreed on `payload` for the
    unreadable image `sha256`: two reviewers, or one reviewer and the
    machine's reading of the print, named `MACHINE_READER`; `status` is what
    reconciliation made of it), ``resolve_mismatch`` (a reviewer's `finding`
    on image `sha256`, whose print differs from its code `payload`: `MISREAD`,
    and `status` is what reconciliation made of the payload, or `ALTERED`,
    status ``mismatch``) or ``flag_reviewed``. `reviewers` are pseudonyms —
    stable per workspace, so one person's decisions can be followed, but
    never a name: bundles are public. `decided_at` is rounded down to
    `granularity` seconds, like an item's time, and `reason` is published as
    typed (the forms say so). Without a `finding` the entry has no such
    field, and its bytes are those of an entry written before it existed.
    """
    fields: dict[str, Any] = {
        "v": ENTRY_VERSION,
        "kind": "decision",
        "decided_at": published_time(decided_at, granularity),
        "time_granularity": max(0, granularity),
        "action": action,
        "profile": profile,
        "acta_id": acta_id,
        "payload": payload,
        "status": status,
        "reason": reason,
        "reviewers": sorted(reviewers),
        "set_aside": sorted(set_aside or []),
        "sha256": sha256,
    }
    if finding is not None:
        fields["finding"] = finding
    return canonical(fields)
