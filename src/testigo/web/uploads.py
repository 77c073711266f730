"""Web uploads: checked, stored and committed at once, read in the background.

An upload is *confirmed* — its SHA-256 returned — only once its bytes are in
the blob store and its arrival is committed, so a confirmed photo survives a
crash of the server. Reading it (QR decoding, a few tens of milliseconds of CPU
per photo) happens afterwards in a pool of decoding processes, and its outcome
is settled by the same pipeline code as ``testigo ingest``. The request waits a
few seconds for that outcome and otherwise answers "pending": a flood of
uploads is absorbed at the speed of the disk, not of the decoder, and the
phone asks again later. Arrivals left pending by a stopped server are read
when it starts again.

The origin of a web arrival is ``web:<account id>:<upload id>``: a phone
retrying the same photo under the same upload id maps onto the same arrival,
so a retry never counts twice.
"""

from __future__ import annotations

import asyncio
import functools
import io
import os
import re
import threading
import warnings
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

from PIL import Image
from sqlalchemy.orm import Session

from testigo.capture import Incoming
from testigo.ledger.entries import WEB_CHANNEL
from testigo.pipeline.decode import Decoded, accepts, decode_stored

# Ingest's own steps, so a web upload is registered and settled exactly as a CLI file is (see the report:
# the lead is asked to make these two public).
from testigo.pipeline.ingest import register_incoming, settle_decoded
from testigo.pipeline.logbook import checkpoint
from testigo.read import sniff
from testigo.read.sniff import describe_unsupported
from testigo.store import submissions as subs
from testigo.store import users
from testigo.store.blobs import sha256_hex
from testigo.store.db import run_in_transaction
from testigo.store.schema import SubmissionRow
from testigo.store.workspace import Store
from testigo.web.accounts import Account
from testigo.web.i18n import CatalogError

#: An image whose header Pillow refuses as a decompression bomb without saying its size.
_BOMB = -1
_UPLOAD_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
#: File name extension of each accepted type, for the (non-identifying) name an upload is logged under.
_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf", "image/webp": "webp"}


class UploadRefused(CatalogError):
    """An upload refused before anything was stored; its status (422 unless said) answers it over HTTP."""


def checked_upload(data: bytes, max_pixels: int, claimed_sha256: str | None) -> tuple[str, str]:
    """The SHA-256 and sniffed media type of an acceptable upload; raises `UploadRefused` otherwise.

    Nothing refused here is stored: the bytes are not an image or PDF (415),
    declare more pixels than any phone takes (413), or arrived damaged — the
    client's own SHA-256 differs (400, and the phone sends again). The media
    type is returned so that storing the upload need not sniff it again.
    """
    if not data:
        raise UploadRefused("upload_empty")
    media_type = sniff(data)
    if media_type is None:
        raise UploadRefused("upload_unsupported", status_code=415, what=describe_unsupported(data))
    pixels = _pixels(data) if media_type.startswith("image/") else None
    if pixels == _BOMB:
        raise UploadRefused("upload_pixel_bomb", status_code=413, limit=round(max_pixels / 1e6))
    if pixels is not None and pixels > max_pixels:
        raise UploadRefused(
            "upload_too_many_pixels", status_code=413, megapixels=round(pixels / 1e6), limit=round(max_pixels / 1e6)
        )
    sha256 = sha256_hex(data)
    if claimed_sha256 and claimed_sha256.lower() != sha256:
        raise UploadRefused("upload_damaged", status_code=400)
    return sha256, media_type


def _pixels(data: bytes) -> int | None:
    """Width × height from the header alone (no pixel decoded); None if Pillow cannot tell (the reader decides)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                return int(image.width) * int(image.height)
    except Image.DecompressionBombError as bomb:
        # Pillow refuses to open it, but says how many pixels it declares ("Image size (N pixels) exceeds ...")
        declared = re.search(r"\((\d+) pixels\)", str(bomb))
        return int(declared.group(1)) if declared else _BOMB
    except Exception:  # noqa: BLE001 - unreadable headers are the reader's to explain
        return None


def clean_upload_id(upload_id: str | None, sha256: str) -> str:
    """The client's upload id if well formed, else the file's SHA-256 (a retry without an id still dedupes)."""
    return upload_id if upload_id and _UPLOAD_ID.fullmatch(upload_id) else sha256


@dataclass(frozen=True)
class UploadResult:
    """What the server knows about one upload: confirmed bytes and, once read, the outcome of each page."""

    upload_id: str
    sha256: str | None
    state: str
    items: tuple[dict[str, Any], ...]
    repeat: bool = False

    @property
    def status(self) -> str:
        return self.items[0]["status"] if self.items else "pending"

    def to_json(self) -> dict[str, Any]:
        first = self.items[0] if self.items else {}
        return {
            "upload_id": self.upload_id,
            "sha256": self.sha256,
            "state": self.state,
            "status": self.status,
            "mesa": first.get("mesa"),
            "reason": first.get("reason"),
            "items": list(self.items),
            "repeat": self.repeat,
        }


class Uploads:
    """Registers uploads, reads them in decoding processes and settles them in one writer thread.

    One writer thread: SQLite allows one writer at a time anyway, and settling
    in arrival order keeps "the first valid acta of a mesa is accepted" true
    for web uploads as it is for a CLI run.
    """

    def __init__(self, store: Store, decode_workers: int, checkpoint_seconds: float) -> None:
        self._store = store
        self._decode_workers = decode_workers
        self._decoder = self._new_decoder()
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="testigo-settle")
        self._in_flight: dict[int, Future[None]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._checkpointer = threading.Thread(
            target=self._checkpoint_every,
            args=(checkpoint_seconds,),
            name="testigo-checkpoint",
            daemon=True,
        )

    def _new_decoder(self) -> Executor:
        """Decoding processes at a lower CPU priority (nice 10): when the cores are busy, answering requests and
        committing arrivals go first, and decoding, which can wait, takes what is left."""
        if self._decode_workers > 0:
            return ProcessPoolExecutor(
                self._decode_workers, mp_context=get_context("spawn"), initializer=os.nice, initargs=(10,)
            )
        return ThreadPoolExecutor(1, thread_name_prefix="testigo-decode")

    def start(self) -> None:
        """Start the decoders, read what a stopped server left pending, and start signing checkpoints.

        Each decoding process spends a couple of seconds importing the reader;
        a trivial job each makes them do it now, not while the first photos wait.
        """
        for _ in range(self._decode_workers):
            self._decoder.submit(accepts, self._store.profile.name, "")
        with self._store.sessions() as session:
            pending = [(row.id, row.blob_sha256) for row in users.pending_web_uploads(session)]
        for submission_id, sha in pending:
            self._schedule(submission_id, sha)
        self._checkpointer.start()

    def close(self) -> None:
        """Stop reading; whatever is still pending is read at the next start.

        Waits for the photos being decoded right now (a second at most), so no
        decoding process outlives the server.
        """
        self._stop.set()
        self._decoder.shutdown(wait=True, cancel_futures=True)
        self._writer.shutdown(wait=True, cancel_futures=True)
        if self._checkpointer.is_alive():
            self._checkpointer.join()
        checkpoint(self._store)

    def check_and_receive(
        self,
        account: Account,
        data: bytes,
        max_pixels: int,
        claimed_sha256: str | None,
        upload_id: str | None,
    ) -> tuple[str, int, bool]:
        """`checked_upload`, then `receive` (blocking: one trip to a thread for both).

        Returns the upload id (the client's, or the SHA-256), the submission id and whether this was a retry.
        """
        sha, media_type = checked_upload(data, max_pixels, claimed_sha256)
        upload_id = clean_upload_id(upload_id, sha)
        return (upload_id, *self.receive(account, upload_id, data, sha, media_type))

    def receive(
        self, account: Account, upload_id: str, data: bytes, sha: str, media_type: str | None = None
    ) -> tuple[int, bool]:
        """Store, register and queue for reading one checked upload (blocking: run it in a thread).

        Returns the submission id and whether this was a retry of an upload already received.
        `sha` (and `media_type`, if given) are the upload's from `checked_upload`.
        """
        submission_id, repeat, pending = self.register(account, upload_id, data, sha, media_type)
        if pending:
            self._schedule(submission_id, sha)
        return submission_id, repeat

    def register(
        self, account: Account, upload_id: str, data: bytes, sha: str, media_type: str | None = None
    ) -> tuple[int, bool, bool]:
        """Store the bytes and commit the arrival: (submission id, repeat, still to be read).

        The bytes are written (and synced) before the transaction begins, so
        the database's single writer lock is not held while the disk syncs a
        photo; `register_incoming` then finds them stored. A crash between the
        two leaves an unreferenced blob, never a row without its bytes.
        """
        media_type = media_type if media_type is not None else sniff(data)
        name = f"{sha[:16]}.{_EXTENSIONS.get(media_type or '', 'img')}"
        incoming = Incoming(users.web_origin(account.id, upload_id), name, data)
        self._store.blobs.put(data, sha)
        with self._store.sessions() as session:
            known = users.upload_of(session, account.id, upload_id)
            repeat = known is not None and known.blob_sha256 == sha

            def arrive() -> tuple[int, bool]:
                submission_id, _done = register_incoming(
                    self._store,
                    session,
                    incoming,
                    WEB_CHANNEL,
                    account.username,
                    sha256=sha,
                    media_type=media_type,
                )
                # read in the transaction, from the session's own copy of the row: no query after the commit
                row = session.get(SubmissionRow, submission_id)
                return submission_id, row is not None and row.state == subs.PENDING

            submission_id, pending = run_in_transaction(session, arrive)
            return submission_id, repeat, pending

    async def wait(self, submission_id: int, seconds: float) -> None:
        """Wait until the upload is read, or `seconds` pass (then it stays pending, and is read later)."""
        with self._lock:
            future = self._in_flight.get(submission_id)
        if future is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), seconds)
        except TimeoutError:
            pass

    def result(self, account: Account, upload_id: str) -> UploadResult | None:
        """This account's upload under this id, as it stands now."""
        with self._store.sessions() as session:
            row = users.upload_of(session, account.id, upload_id)
            return _result_of(session, row, upload_id) if row is not None else None

    def result_of(self, submission_id: int, upload_id: str, repeat: bool) -> UploadResult:
        with self._store.reads() as session:
            row = session.get(SubmissionRow, submission_id)
            assert row is not None
            return _result_of(session, row, upload_id, repeat)

    def _schedule(self, submission_id: int, sha: str | None) -> None:
        with self._lock:
            if submission_id in self._in_flight or sha is None:
                return
            settled: Future[None] = Future()
            self._in_flight[submission_id] = settled
        job = functools.partial(decode_stored, sha, self._store.blobs.url, self._store.profile.name)
        try:
            decoding = self._decoder.submit(job)
        except BrokenProcessPool:  # a decoder died (out of memory on a hostile file): start a fresh pool
            self._decoder = self._new_decoder()
            decoding = self._decoder.submit(job)
        decoding.add_done_callback(lambda done: self._after_decode(submission_id, done, settled))

    def _after_decode(self, submission_id: int, decoding: Future[Decoded], settled: Future[None]) -> None:
        if decoding.cancelled() or decoding.exception() is not None or self._stop.is_set():
            # not read (store unreachable, decoder killed, shutting down): it stays pending, read at the next start
            self._forget(submission_id, settled)
            return
        try:
            self._writer.submit(self._settle, submission_id, decoding.result(), settled)
        except RuntimeError:  # the writer is shut down: the arrival stays pending for the next start
            self._forget(submission_id, settled)

    def _settle(self, submission_id: int, decoded: Decoded, settled: Future[None]) -> None:
        try:
            with self._store.sessions() as session:
                row = session.get(SubmissionRow, submission_id)
                if row is not None and row.state == subs.PENDING:
                    settle = functools.partial(settle_decoded, self._store, session, row, decoded)
                    try:
                        run_in_transaction(session, settle)
                    except subs.AlreadyFinished:
                        session.rollback()  # another server process settled it: its outcome stands
        finally:
            self._forget(submission_id, settled)

    def _forget(self, submission_id: int, settled: Future[None]) -> None:
        with self._lock:
            self._in_flight.pop(submission_id, None)
        if not settled.done():
            settled.set_result(None)

    def _checkpoint_every(self, seconds: float) -> None:
        while not self._stop.wait(seconds):
            checkpoint(self._store)


def _result_of(session: Session, row: SubmissionRow, upload_id: str, repeat: bool = False) -> UploadResult:
    items = tuple(
        {"page": item.page, "status": item.status, "mesa": item.mesa_id, "reason": item.reason}
        for item in subs.items_of(session, row.id)
    )
    return UploadResult(upload_id, row.blob_sha256, row.state, items, repeat)
