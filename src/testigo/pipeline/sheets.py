"""What testigo reads on each sheet of a batch of files, stored nowhere: `testigo read`.

A journalist with one photo, or a volunteer checking a folder before
uploading it, asks what testigo makes of it without a workspace: the QR
code, the print (each figure with the number its outcome rests on), and
which of them names the sheet's figures with certainty. Each page is read
exactly as an ingest worker reads it (`testigo.pipeline.decode`), then
judged as ingest would judge it alone, against the registry shipped with
the profile:

* a valid QR code whose print does not differ: ``image+print`` where the
  print confirms every figure, ``image`` otherwise (a print that differs
  holds the sheet for a person, as in ingest);
* no code read, a print read with certainty that the registry bears out
  (`testigo.pipeline.printed.accepted_alone`): ``print``;
* anything else: no source, and the reason a person must read it.

The sources are the evidence the tally and the published bundle name
(`testigo.ledger.entries.EVIDENCE`).

What only a workspace knows is not judged: other sheets of the same mesa
or center (duplicates, conflicts, a center's ceiling over several mesas)
and a registry other than the shipped one.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from testigo.capture.sources import Incoming, iter_inputs
from testigo.domain import Record, Registry
from testigo.domain.printed import MISMATCH, PrintedSheet
from testigo.errors import UserError
from testigo.ledger.entries import machine_evidence
from testigo.pipeline.decode import decode_data
from testigo.pipeline.executors import map_in_order
from testigo.pipeline.printed import accepted_alone
from testigo.profiles import PayloadError, Profile, get_profile
from testigo.profiles.base import CheckContext
from testigo.progress import Progress, Silent
from testigo.read import PageReading

#: The sources a sheet judged alone may have (`testigo.ledger.entries.machine_evidence`).
SOURCES = ("image+print", "image", "print")


@dataclass(frozen=True)
class SheetReport:
    """One sheet of a page (one per code read, as ingest files them; one for a page without a code): which of
    its code and its print names its figures with certainty (`source`), and what each said."""

    page: int
    code: str | None
    """The sheet's code as read (its QR code's text), if one was."""
    source: str | None
    """``image+print``, ``image``, ``print`` (`machine_evidence`), or None: a person must read the sheet (`reason`
    says why)."""
    record: Record | None
    """The sheet's figures as its code, or its print alone, give them (None when neither gives them)."""
    printed: PrintedSheet | None
    """What the print says: compared with the code when there is one, else read alone."""
    reason: str | None = None
    print_problem: str | None = None
    """Why the print was not read, when it was not."""

    def to_json(self) -> dict[str, Any]:
        record = self.record
        return {
            "page": self.page,
            "code": self.code,
            "source": self.source,
            "acta": record.acta_id if record else None,
            "mesa": record.mesa_id if record else None,
            "counts": list(record.counts) if record else None,
            "null_votes": record.null_votes if record else None,
            "reason": self.reason,
            "print": self.printed.to_json() if self.printed else None,
            "print_problem": self.print_problem,
        }


@dataclass(frozen=True)
class FileReport:
    """One input file: its pages, or why it could not be read at all."""

    path: str
    sheets: tuple[SheetReport, ...] = ()
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "reason": self.reason, "sheets": [sheet.to_json() for sheet in self.sheets]}


@dataclass(frozen=True)
class ReadReport:
    """Every file read (`read_sheets`), in the order given."""

    profile: str
    files: tuple[FileReport, ...]

    def summary(self) -> dict[str, int]:
        """Files, sheets, sheets by source (each of `SOURCES`, and ``person``), mismatches, unusable files."""
        sheets = [sheet for file in self.files for sheet in file.sheets]
        sources = Counter(sheet.source or "person" for sheet in sheets)
        return {
            "files": len(self.files),
            "sheets": len(sheets),
            **{source: sources[source] for source in SOURCES},
            "person": sources["person"],
            "mismatch": sum(1 for sheet in sheets if sheet.printed and sheet.printed.outcome == MISMATCH),
            "unusable": sum(1 for file in self.files if file.reason),
        }

    def to_json(self) -> dict[str, Any]:
        return {"profile": self.profile, "summary": self.summary(), "files": [file.to_json() for file in self.files]}


def read_sheets(
    paths: Iterable[str | Path], profile_name: str, *, workers: int = 1, progress: Progress | None = None
) -> ReadReport:
    """Read every file under `paths` (folders walked, zip archives opened, as ingest does) in `workers`
    processes, and judge each page alone; raises `UserError` for a profile whose sheets span files."""
    profile = get_profile(profile_name)
    if profile.codes_span_uploads:
        raise UserError(f"profile {profile_name}'s sheets span several codes and files: use `testigo bu check`")
    progress = progress or Silent()
    progress.phase("reading", None)
    registry = profile.load_registry()
    files = []
    for path, pages in map_in_order(functools.partial(_decoded, profile_name), iter_inputs(paths), workers):
        files.append(_judged(profile, registry, path, pages))
        progress.advance()
    return ReadReport(profile_name, tuple(files))


def _decoded(
    profile_name: str, incoming: Incoming
) -> tuple[str, tuple[tuple[PageReading, PrintedSheet | None], ...] | str]:
    """A file's pages with their prints, or why it cannot be read (module-level: workers import it by name)."""
    if incoming.data is None or incoming.reject:
        return incoming.display, incoming.reject or "could not be read"
    decoded = decode_data(incoming.data, profile_name)
    if decoded.reading is None:
        return incoming.display, decoded.reject or "could not be read"
    printed = decoded.printed or (None,) * len(decoded.reading.pages)
    return incoming.display, tuple(zip(decoded.reading.pages, printed, strict=True))


def _judged(
    profile: Profile,
    registry: Registry,
    path: str,
    pages: tuple[tuple[PageReading, PrintedSheet | None], ...] | str,
) -> FileReport:
    if isinstance(pages, str):
        return FileReport(path, reason=pages)
    return FileReport(
        path, tuple(sheet for page, printed in pages for sheet in _sheets(profile, registry, page, printed))
    )


def _sheets(
    profile: Profile, registry: Registry, page: PageReading, printed: PrintedSheet | None
) -> Iterator[SheetReport]:
    """The page's sheets, each judged alone as ingest files it (`testigo.pipeline.ingest`): one per code, the
    print with the first; a page without a code is its print's, or an unparsable acta code's."""
    bare = SheetReport(page.page, None, None, None, None, print_problem=page.print_problem)
    for part, payload in enumerate(page.payloads):
        yield _coded(profile, registry, bare, payload, printed if part == 0 else None)
    if page.payloads:
        return
    meant = [text for text in page.foreign if profile.recognises(text)]
    if meant:
        yield _coded(profile, registry, bare, meant[0], None)
    elif printed is not None:
        found = accepted_alone(profile, registry, printed)
        sheet = replace(bare, printed=printed)
        if isinstance(found, str):
            yield replace(sheet, reason=f"no QR code read; {found}")
        else:
            yield _checked(profile, registry, sheet, found, machine_evidence(printed.outcome))
    else:
        reason = page.reason or "no acta QR code found"
        yield replace(bare, reason=reason + (f"; print not read: {page.print_problem}" if page.print_problem else ""))


def _coded(
    profile: Profile, registry: Registry, bare: SheetReport, code: str, printed: PrintedSheet | None
) -> SheetReport:
    """A sheet with a code, as ingest settles it: an invalid code first, then a print that differs (held for a
    person, its figures not counted), else the code's figures."""
    sheet = replace(bare, code=code, printed=printed)
    try:
        record = profile.parse(code)
    except PayloadError as error:
        return replace(sheet, reason=str(error))
    if printed is not None and printed.outcome == MISMATCH:  # held for a person, unless the code is invalid
        return _checked(profile, registry, replace(sheet, reason=printed.detail), record, None)
    return _checked(profile, registry, sheet, record, machine_evidence(printed.outcome if printed else None))


def _checked(
    profile: Profile, registry: Registry, sheet: SheetReport, record: Record, source: str | None
) -> SheetReport:
    """The sheet with `record` from `source`, or with the reason instead when the record fails the profile's
    checks against the registry (a sheet alone: no other sheet of its center counted)."""
    problems = profile.check(record, CheckContext(registry))
    if problems:
        return replace(sheet, record=record, reason="; ".join(problems))
    return replace(sheet, source=source, record=record)
