"""Keeping a verified copy of a published bundle in step with its source, fetching only what changed.

    report = mirror("https://example.org/resultados/", Path("copia"))

The source is a bundle folder, its archive (or a part, or the parts manifest:
`testigo.publish.archive`), or an http(s) address; a mirror is itself a
valid source, so copies can be chained. What changed is read off the
source's files.sha256 (`testigo.publish.filelist`): a file whose hash the
copy already holds is linked from it, any other is fetched. Over HTTP a
transfer cut short is resumed with a Range request from the partial file,
kept aside under the staging folder, in the same run (a few attempts) or the
next one.

Nothing replaces the copy held until the new one has passed the project's
whole verifier (`testigo.verify`) with the key and checkpoint the copy held,
and even before anything large is fetched, the source's signed checkpoint
must extend the held one: a smaller log is a rollback, one of the same size
with another root, or a larger one without a valid RFC 9162 consistency proof
from the held size, a fork. Either is refused with `MirrorRefused`, and the
copy held stays as it was. The new copy is assembled in a hidden folder
beside DEST, then swapped in by two renames.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from testigo import __version__
from testigo.api.download import TIMEOUT_S, HttpRedirectsOnly, bundle_base, is_url, local_folder, safe_path
from testigo.errors import TestigoError, UserError
from testigo.ledger import Checkpoint, LedgerError, Verifier, parse_note, verify_checkpoint, verify_consistency
from testigo.publish.archive import unpack_bundle
from testigo.publish.filelist import file_sha256, list_files, parse_file_list
from testigo.publish.layout import CHECKPOINT, FILE_LIST, KEY, MANIFEST, consistency_path
from testigo.verify import verify_bundle
from testigo.verify.log import key_text

#: Tries of one HTTP file before the run gives up (the partial file stays for the next run).
ATTEMPTS = 4
_CHUNK = 1024 * 1024


class MirrorRefused(TestigoError):
    """The source is not a bundle the copy may become: its log forks or rolls back, or it fails verification."""


@dataclass(frozen=True)
class MirrorReport:
    source: str
    dest: Path
    outcome: str
    """``updated``, ``unchanged`` or ``refused``."""
    tree_size: int | None
    files_fetched: int
    files_kept: int
    """Files of the copy held (or left by an interrupted run) kept instead of fetched."""
    bytes_transferred: int
    elapsed_s: float
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "dest": str(self.dest),
            "outcome": self.outcome,
            "tree_size": self.tree_size,
            "files_fetched": self.files_fetched,
            "files_kept": self.files_kept,
            "bytes_transferred": self.bytes_transferred,
            "elapsed_s": round(self.elapsed_s, 3),
            "reason": self.reason,
        }


class _Source(Protocol):
    def read(self, relative: str) -> bytes | None:
        """The bytes of a small file of the bundle; None when the source has no such file."""

    def copy(self, relative: str, target: Path) -> int:
        """Write the file at `target`; returns the bytes transferred to do so."""


@dataclass(frozen=True)
class _Held:
    """The copy DEST holds: its files and hashes, its checkpoint and key (verified when it was mirrored)."""

    files: dict[str, str]
    checkpoint: str
    key: str


def mirror(
    source: str, dest: Path, *, key: str | None = None, workers: int | None = None, timeout: float = TIMEOUT_S
) -> MirrorReport:
    """Bring the copy at `dest` in step with `source`; raises `MirrorRefused` (copy untouched) or `UserError`.

    `key` is the log's verifier key obtained independently; without it, the
    key of the copy held, or on a first copy the source's own.
    """
    started = time.monotonic()
    held = _held(dest)
    staging = dest.parent / f".{dest.name}.incoming"
    with ExitStack() as stack:
        src = _open_source(source, dest, staging, timeout, stack)
        listing = src.read(FILE_LIST)
        if listing is None:
            raise UserError(f"{source} has no {FILE_LIST} (a bundle of an older testigo): re-publish it with this one")
        try:
            listed = parse_file_list(listing)
        except ValueError as error:
            raise MirrorRefused(f"{source}: {error}") from None
        if unsafe := [name for name in listed if not safe_path(name)]:
            raise MirrorRefused(f"{source}: {FILE_LIST} names a path outside the bundle: {unsafe[0]!r}")
        note = (src.read(CHECKPOINT) or b"").decode("utf-8", "replace")
        size = _require_extension(src, held, note, key) if held else None
        if held and held.files == listed and held.checkpoint == note:
            elapsed = time.monotonic() - started
            return MirrorReport(source, dest, "unchanged", size, 1, len(listed), len(listing), elapsed)
        fetched, kept, transferred = _assemble(src, listed, held, dest, staging)
    (staging / FILE_LIST).write_bytes(listing)
    trusted, old = (key or held.key, held.checkpoint) if held else (key, None)
    report = verify_bundle(
        staging, key=trusted, old_checkpoint=old, workers=workers, decoded_before=_decoded_before(dest, held)
    )
    if not report.ok:
        shutil.rmtree(staging)
        raise MirrorRefused(f"the new copy fails verification: {report.problems[0]}")
    _swap(staging, dest)
    _verified_mark(dest).write_text(note, encoding="utf-8")
    size = json.loads((dest / MANIFEST).read_bytes()).get("tree_size")
    elapsed = time.monotonic() - started
    return MirrorReport(source, dest, "updated", size, fetched + 1, kept, transferred + len(listing), elapsed)


def _held(dest: Path) -> _Held | None:
    """The bundle DEST holds, None when DEST is new or empty; `UserError` when it holds anything else."""
    if not dest.exists() or (dest.is_dir() and not any(dest.iterdir())):
        return None
    if not (dest / MANIFEST).is_file():
        raise UserError(f"{dest} is not empty and holds no testigo bundle; choose a new or empty folder")
    listing = dest / FILE_LIST
    try:
        files = parse_file_list(listing.read_bytes()) if listing.is_file() else list_files(dest)
        return _Held(files, (dest / CHECKPOINT).read_text(encoding="utf-8"), (dest / KEY).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UserError(f"the copy held in {dest} cannot be read ({error}); move it aside to start afresh") from None


def _require_extension(src: _Source, held: _Held, note: str, key: str | None) -> int:
    """The source's checkpoint size, once it is proved to extend the held one; `MirrorRefused` otherwise."""
    old = Checkpoint.parse(parse_note(held.checkpoint).text)
    try:
        new = verify_checkpoint(note, [Verifier.parse(key_text(key or held.key))], origin=old.origin)
    except LedgerError as error:
        raise MirrorRefused(f"the source's {CHECKPOINT} is not a checkpoint of the log held: {error}") from None
    if new.size < old.size:
        raise MirrorRefused(f"rollback: the source's log has {new.size} entries, the copy held has {old.size}")
    if new.size == old.size:
        if new.root_hash != old.root_hash:
            raise MirrorRefused(f"fork: the source's log has the {new.size} entries of the copy held, another root")
        return new.size
    try:
        document = json.loads(src.read(consistency_path(old.size)) or b"null")
        proof = [bytes.fromhex(node) for node in document["proof"]]
        verify_consistency(old.size, new.size, proof, old.root_hash, new.root_hash)
    except (LedgerError, ValueError, TypeError, KeyError) as error:
        reason = error if isinstance(error, LedgerError) else f"no valid {consistency_path(old.size)}"
        raise MirrorRefused(
            f"fork: the source's log of {new.size} entries is not proved to extend the {old.size} held: {reason}"
        ) from None
    return new.size


def _assemble(
    src: _Source, listed: dict[str, str], held: _Held | None, dest: Path, staging: Path
) -> tuple[int, int, int]:
    """Fill `staging` with the listed files: (fetched, kept, bytes transferred). Leftovers of a run are removed."""
    fetched = kept = transferred = 0
    for name in sorted(set(list_files(staging)) - set(listed)) if staging.exists() else []:
        (staging / name).unlink()
    for name, sha in sorted(listed.items()):
        target = staging / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_file() and file_sha256(target) == sha:
            kept += 1
            continue
        target.unlink(missing_ok=True)
        if held and held.files.get(name) == sha and (dest / name).is_file():
            _link_or_copy(dest / name, target)
            kept += 1
            continue
        transferred += src.copy(name, target)
        fetched += 1
        if file_sha256(target) != sha:
            target.unlink()
            raise MirrorRefused(f"{name} as fetched does not hash to the SHA-256 {FILE_LIST} lists")
    shutil.rmtree(staging / ".partial", ignore_errors=True)
    return fetched, kept, transferred


def _link_or_copy(found: Path, target: Path) -> None:
    """Share the held file's bytes (files of a bundle are replaced, never rewritten in place); copy across devices."""
    try:
        os.link(found, target)
    except OSError:
        shutil.copyfile(found, target)


def _verified_mark(dest: Path) -> Path:
    """Beside DEST (a file inside would not be part of the bundle): the checkpoint of the copy verified last."""
    return dest.parent / f".{dest.name}.verified"


def _decoded_before(dest: Path, held: _Held | None) -> int:
    """How many first entries of the log had their images decoded when this command verified the copy held.

    0 unless the mark says this command verified that very copy (a folder
    put there otherwise was never decoded here): then only the images of
    the new entries are decoded, not all of them again on every update.
    """
    mark = _verified_mark(dest)
    if held is None or not mark.is_file() or mark.read_text(encoding="utf-8") != held.checkpoint:
        return 0
    return Checkpoint.parse(parse_note(held.checkpoint).text).size


def _swap(staging: Path, dest: Path) -> None:
    """Put the verified copy in place of the held one: two renames, the old copy then removed."""
    if dest.is_dir() and not any(dest.iterdir()):
        dest.rmdir()
    if not dest.exists():
        os.replace(staging, dest)
        return
    old = dest.parent / f".{dest.name}.old"
    shutil.rmtree(old, ignore_errors=True)
    os.replace(dest, old)
    os.replace(staging, dest)
    shutil.rmtree(old)


def _open_source(source: str, dest: Path, staging: Path, timeout: float, stack: ExitStack) -> _Source:
    if is_url(source):
        return _Http(bundle_base(source), staging / ".partial", timeout)
    path = local_folder(source)
    if path.is_dir():
        return _Folder(path)
    if path.is_file():
        dest.parent.mkdir(parents=True, exist_ok=True)
        workdir = stack.enter_context(tempfile.TemporaryDirectory(dir=dest.parent, prefix=f".{dest.name}.unpack-"))
        folder, _ = unpack_bundle(path, Path(workdir))
        return _Folder(folder)
    raise UserError(f"{source}: no such folder, archive or part")


@dataclass(frozen=True)
class _Folder:
    """A bundle on this machine: a folder, or an archive unpacked into one."""

    root: Path

    def read(self, relative: str) -> bytes | None:
        path = self.root / relative
        return path.read_bytes() if path.is_file() else None

    def copy(self, relative: str, target: Path) -> int:
        try:
            shutil.copyfile(self.root / relative, target)
        except FileNotFoundError:
            raise MirrorRefused(f"{relative} is listed in {FILE_LIST} but missing from the source") from None
        return target.stat().st_size


class _Http:
    """A bundle at an http(s) address; each file fetched to a partial file, resumed with Range when cut short."""

    def __init__(self, base: str, partial: Path, timeout: float) -> None:
        self.base, self.partial, self.timeout = base, partial, timeout
        self.opener = urllib.request.build_opener(HttpRedirectsOnly())

    def _open(self, relative: str, offset: int = 0) -> http.client.HTTPResponse:
        headers = {"User-Agent": f"testigo/{__version__}"} | ({"Range": f"bytes={offset}-"} if offset else {})
        request = urllib.request.Request(self.base + quote(relative), headers=headers)
        response: http.client.HTTPResponse = self.opener.open(request, timeout=self.timeout)
        return response

    def read(self, relative: str) -> bytes | None:
        try:
            with self._open(relative) as response:
                return response.read()
        except urllib.error.HTTPError as error:
            if error.code in (404, 410):
                return None
            raise UserError(f"cannot download {self.base}{relative}: HTTP {error.code} {error.reason}") from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
            raise UserError(f"cannot download {self.base}{relative}: {error}") from None

    def copy(self, relative: str, target: Path) -> int:
        partial = self.partial / relative
        partial.parent.mkdir(parents=True, exist_ok=True)
        transferred = 0
        for _ in range(ATTEMPTS):
            offset = partial.stat().st_size if partial.exists() else 0
            try:
                with self._open(relative, offset) as response:
                    start = offset if response.status == 206 else 0
                    expected = int(response.headers.get("Content-Length", "-1"))
                    try:
                        with partial.open("r+b" if start else "wb") as out:
                            out.seek(start)
                            shutil.copyfileobj(response, out, _CHUNK)
                    finally:
                        got = partial.stat().st_size - start
                        transferred += got
                    if expected < 0 or got == expected:
                        os.replace(partial, target)
                        return transferred
            except urllib.error.HTTPError as error:
                if error.code == 416:  # the partial file is already whole, or longer than the file now is
                    partial.unlink()
                    continue
                raise UserError(f"cannot download {self.base}{relative}: HTTP {error.code} {error.reason}") from None
            except (urllib.error.URLError, OSError, http.client.HTTPException):
                continue  # cut short: what arrived is in the partial file, the next try resumes from it
        raise UserError(f"cannot download {self.base}{relative}: cut short {ATTEMPTS} times; re-run to resume")
