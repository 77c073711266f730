"""Ingest: files in, one outcome per page/code out, every step resumable.

Two phases. *Register*: each input's bytes go to the blob store and a
submission row is committed (pending) — from then on the file is never lost.
*Decode*: pending submissions are read by an executor (a local process pool, or
a Dask cluster: `testigo.pipeline.executors`) and their outcomes
written, with the submission marked done, in one transaction per file. A run
killed at any point leaves only committed whole steps; the next run finds the
pending submissions (its own inputs again, or leftovers) and finishes them, and
files already done are reported from the database, not processed twice.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy.orm import Session

from testigo.capture import Incoming, iter_inputs
from testigo.domain import Status
from testigo.domain.printed import MISMATCH, PrintedSheet
from testigo.ledger.entries import CLI_CHANNEL, neutral_name
from testigo.pipeline.bu_ingest import settle_boletins
from testigo.pipeline.decode import Decoded
from testigo.pipeline.executors import DecodeJob, Executor, LocalExecutor
from testigo.pipeline.logbook import checkpoint, finish_logged
from testigo.pipeline.printed import settle_mismatch, settle_printed
from testigo.pipeline.reconcile import settle_payload
from testigo.progress import Progress, Silent
from testigo.read import FileReading, sniff
from testigo.store import submissions as subs
from testigo.store.db import run_in_transaction
from testigo.store.schema import ItemRow, SubmissionRow
from testigo.store.workspace import Store


@dataclass(frozen=True)
class FileResult:
    """One line of the ingest report: a file (or one page/code of it)."""

    path: str
    sha256: str | None
    status: str
    reason: str | None
    mesa: str | None
    page: int = 0
    strategy: str | None = None
    from_earlier_run: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "sha256": self.sha256,
            "status": self.status,
            "reason": self.reason,
            "mesa": self.mesa,
            "page": self.page,
            "strategy": self.strategy,
            "from_earlier_run": self.from_earlier_run,
        }


@dataclass
class IngestReport:
    files: list[FileResult] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        counts = Counter(f.status for f in self.files)
        summary = {"files": len(self.files)}
        summary.update({status.value: counts.get(status.value, 0) for status in Status})
        return summary

    def to_json(self) -> dict[str, object]:
        return {"summary": self.summary(), "files": [f.to_json() for f in self.files]}


def ingest(
    store: Store,
    paths: Iterable[str | Path],
    *,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
    channel: str = CLI_CHANNEL,
    submitted_by: str | None = None,
) -> IngestReport:
    """Ingest every file under `paths` (files, folders, zip archives)."""
    incoming = iter_inputs(paths, skip_folder=store.workspace.root)
    return ingest_files(
        store,
        incoming,
        workers=workers,
        executor=executor,
        progress=progress,
        channel=channel,
        submitted_by=submitted_by,
    )


def ingest_files(
    store: Store,
    incoming: Iterable[Incoming],
    *,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
    channel: str = CLI_CHANNEL,
    submitted_by: str | None = None,
) -> IngestReport:
    """Register, then read and settle, the given files; sign a checkpoint of the log.

    Decoding runs on `executor`, by default a local pool of `workers` processes.

    Only this call's own arrivals are read: work another process has pending is
    left to it. Arrivals a killed run left pending are this call's again when
    the same files are given, which is how a re-run finishes them.
    """
    progress = progress or Silent()
    with store.sessions() as session:
        progress.phase("storing", None)
        arrivals: dict[int, bool] = {}  # submission id -> finished in an earlier run
        for item in incoming:
            # one transaction per file: concurrent ingests then never hold two files' locks
            row, earlier = run_in_transaction(
                session, functools.partial(register_incoming, store, session, item, channel, submitted_by)
            )
            arrivals[row] = earlier
            progress.advance()
        pending = subs.pending_among(session, [sid for sid, earlier in arrivals.items() if not earlier])
        session.commit()  # hold no lock while the workers decode
        _decode_all(store, session, pending, executor or LocalExecutor(workers), progress)
        report = IngestReport(_results(session, arrivals))
    checkpoint(store)
    return report


def register_incoming(
    store: Store,
    session: Session,
    incoming: Incoming,
    channel: str,
    submitted_by: str | None,
    *,
    sha256: str | None = None,
    media_type: str | None = None,
) -> tuple[int, bool]:
    """Store the file's bytes and add its submission if it is a new arrival.

    Returns the submission id and whether it was finished by an earlier run.
    Refused inputs and byte-identical copies are finished here and then; the
    rest stays pending for the decoders. `sha256` and `media_type`, if given,
    are the caller's own digest and sniffed type of these very bytes (a web
    upload has both from its checks), so they are not worked out again.
    """
    sha = store.blobs.put(incoming.data, sha256) if incoming.data is not None else None
    kind: str | None = None
    if incoming.data is not None and sha is not None:
        kind = media_type if media_type is not None else sniff(incoming.data)
        subs.ensure_blob(session, sha, len(incoming.data), kind)
    same_bytes = subs.first_submission_of_blob(session, sha) if sha and not incoming.reject else None
    row, new = subs.register_arrival(
        session,
        origin=incoming.origin,
        display_path=incoming.display,
        sha256=sha,
        channel=channel,
        submitted_by=submitted_by,
    )
    if not new:
        return row.id, row.state == subs.DONE
    if incoming.reject is not None:
        finish_logged(session, store, row, [subs.ItemOutcome(status=Status.REJECTED, reason=incoming.reject)])
    elif same_bytes is not None:
        # named by content: a reason is published, and the earlier file's submitted name may identify a witness
        reason = f"identical file already submitted as {neutral_name(sha, kind)}"
        finish_logged(session, store, row, [subs.ItemOutcome(status=Status.DUPLICATE, reason=reason)])
    return row.id, False


def _decode_all(
    store: Store, session: Session, pending: list[SubmissionRow], executor: Executor, progress: Progress
) -> None:
    progress.phase("reading", len(pending))
    by_sha: dict[str, list[SubmissionRow]] = {}
    for row in pending:
        if row.blob_sha256 is not None:
            by_sha.setdefault(row.blob_sha256, []).append(row)
    jobs = [DecodeJob(sha, store.blobs.url, store.profile.name) for sha in by_sha]
    for decoded in executor.run(jobs):
        for row in by_sha[decoded.sha256]:
            try:
                run_in_transaction(session, functools.partial(settle_decoded, store, session, row, decoded))
            except subs.AlreadyFinished:
                session.rollback()  # another process settled it first: its outcome stands
            progress.advance()


def settle_decoded(store: Store, session: Session, row: SubmissionRow, decoded: Decoded) -> None:
    """Turn a worker's reading into outcomes and finish the submission (one transaction)."""
    if decoded.reading is None:
        outcomes = [subs.ItemOutcome(status=Status.REJECTED, reason=decoded.reject)]
    elif store.profile.codes_span_uploads:
        outcomes = settle_boletins(store, session, decoded.reading, decoded.boletins)
    else:
        outcomes = list(_page_outcomes(store, session, decoded.reading, decoded.printed))
    finish_logged(session, store, row, outcomes)


def _page_outcomes(
    store: Store, session: Session, reading: FileReading, printed: tuple[PrintedSheet | None, ...]
) -> Iterator[subs.ItemOutcome]:
    """One outcome per code of each page, or per page without a code; a page's print goes with its first code."""
    profile, registry = store.profile, store.registry
    sheets = printed + (None,) * (len(reading.pages) - len(printed))
    for page, sheet in zip(reading.pages, sheets, strict=True):
        if page.payloads:
            for part, payload in enumerate(page.payloads):
                examined = sheet if part == 0 else None
                if examined is not None and examined.outcome == MISMATCH:
                    outcome = settle_mismatch(
                        session, profile, registry, payload, examined, page=page.page, strategy=page.strategy
                    )
                else:
                    outcome = settle_payload(
                        session,
                        profile,
                        registry,
                        payload,
                        source="image",
                        page=page.page,
                        part=part,
                        strategy=page.strategy,
                    )
                shown = page.prints[part] if part < len(page.prints) else None
                yield replace(outcome, sheet_print=shown, printed=examined)
            continue
        meant = [text for text in page.foreign if profile.recognises(text)]
        if meant:
            # an acta code was read but does not parse: invalid, with the parse error
            yield settle_payload(session, profile, registry, meant[0], source="image", page=page.page)
        elif sheet is not None:
            yield replace(settle_printed(session, profile, registry, sheet, page=page.page), printed=sheet)
        else:
            reason = page.reason or "no acta QR code found"
            if page.print_problem:
                reason += f"; print not read: {page.print_problem}"
            yield subs.ItemOutcome(status=Status.UNREADABLE, reason=reason, page=page.page)


def _results(session: Session, arrivals: dict[int, bool]) -> list[FileResult]:
    results: list[FileResult] = []
    for sid, earlier in arrivals.items():
        row = session.get(SubmissionRow, sid)
        assert row is not None
        results.extend(_file_result(row, item, earlier) for item in subs.items_of(session, sid))
    return results


def _file_result(row: SubmissionRow, item: ItemRow, earlier: bool) -> FileResult:
    return FileResult(
        path=row.display_path,
        sha256=row.blob_sha256,
        status=item.status,
        reason=item.reason,
        mesa=item.mesa_id,
        page=item.page,
        strategy=item.strategy,
        from_earlier_run=earlier,
    )
