"""`testigo publish`: a workspace's signed log, its acta images and every result derived from them, as a static bundle.

The bundle shows the log as of a checkpoint signed at publish time; every
result is derived from the entries that checkpoint covers (see `model`), so
an ingest running meanwhile cannot make the bundle incoherent. Re-publishing
into the same folder only writes what changed.

When the workspace lists witnesses (``witnesses.txt``, `testigo witness add`),
each is asked to cosign that checkpoint (c2sp.org/tlog-witness) and the
cosignature lines are added to it, in the bundle and in the database (so
the bundles published after the log grew still carry them on that older
checkpoint). A witness that refuses or cannot be reached does not stop the
publication: the report says which witnesses cosigned and why the others
did not.

The workspace's mirrors (``mirrors.txt``, `testigo mirrors add`) are written
into the bundle as a list signed with the log's key for that checkpoint
(`testigo.publish.mirrors`), and shown in every page's footer.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from testigo.audit.report import published_files as audit_files
from testigo.audit.state import FOLDER as AUDIT_FOLDER
from testigo.errors import UserError
from testigo.ledger import Checkpoint, MerkleLog
from testigo.ledger.entries import read_entries
from testigo.pipeline.logbook import SignedCheckpoint
from testigo.pipeline.logbook import checkpoint as sign_head
from testigo.publish.filelist import file_list_bytes, list_files
from testigo.publish.files import derived_files, manifest, tree_of
from testigo.publish.layout import (
    CHECKPOINT,
    ENTRIES,
    FILE_LIST,
    KEY,
    MANIFEST,
    MIRRORS,
    REGISTRY_JSON,
    WITNESSES,
    checkpoint_path,
    consistency_path,
    image_path,
    needs_preview,
    preview_path,
    source_path,
)
from testigo.publish.mirrors import Mirror, read_mirrors, sign_mirror_list
from testigo.publish.model import Files, derive_contests, published_images, published_tables
from testigo.publish.pages import LogView
from testigo.publish.registry_file import registry_document
from testigo.publish.tables import json_bytes
from testigo.publish.writer import BundleWriter
from testigo.read.metadata import carries_location
from testigo.read.previews import jpeg_preview
from testigo.store import ledger as log_table
from testigo.store import publication as publication_table
from testigo.store.blobs import Blobs
from testigo.store.workspace import Store
from testigo.witness import RosterEntry, WitnessFailed, cosigned, read_roster, request_cosignature


@dataclass(frozen=True)
class WitnessOutcome:
    """What one witness of the workspace answered: its cosignature, or why there is none."""

    url: str
    name: str
    cosigned: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"url": self.url, "name": self.name, "cosigned": self.cosigned, "detail": self.detail}


@dataclass(frozen=True)
class PublishReport:
    out: Path
    tree_size: int
    root_hash: str
    mesas: int
    files: dict[str, dict[str, int]]
    """Per kind of file (images, pages, data, log, ...): how many were written and how many were already there."""
    located: list[str] = field(default_factory=list)
    """Originals written this time whose metadata holds a GPS position (their SHA-256)."""
    witnesses: list[WitnessOutcome] = field(default_factory=list)
    """Each witness of the workspace asked to cosign the checkpoint, and what came of it."""
    mirrors: list[Mirror] = field(default_factory=list)
    """The mirrors of the signed list written in mirrors.txt (the workspace's, `testigo mirrors add`)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "out": str(self.out),
            "tree_size": self.tree_size,
            "root_hash": self.root_hash,
            "mesas": self.mesas,
            "files": self.files,
            "written": sum(f["written"] for f in self.files.values()),
            "unchanged": sum(f["unchanged"] for f in self.files.values()),
            "originals_with_location": self.located,
            "witnesses": [w.to_json() for w in self.witnesses],
            "mirrors": [m.to_json() for m in self.mirrors],
        }


def publish(store: Store, out: Path) -> PublishReport:
    """Write (or update) the bundle of `store` in folder `out`; raises `UserError` when it must not.

    A workspace whose sheets carry several contests (profile ``br``) gets one
    page set and set of data files per contest (`derive_contests`), and its
    registry file carries every contest's ballot.
    """
    signed = sign_head(store)
    store.catch_up()  # the contests and sections of every signed entry, some maybe counted by another process
    with store.sessions() as session:
        bodies = [row.body for row in log_table.entries(session, 0, signed.size)]
        notes = {row.size: row.note for row in log_table.checkpoints(session) if row.size <= signed.size}
        folders = publication_table.local_folders(session)
        _refuse_local_folders(bodies, folders)
        entries, problems = read_entries(bodies)
        shas = published_images(entries)
        table_shas = published_tables(entries)
        media = publication_table.media_types(session, [*shas, *table_shas])
    tree = tree_of(bodies)
    if len(bodies) != signed.size or tree.root() != signed.root_hash:
        raise UserError(f"the log in the database does not match its checkpoint of size {signed.size}; not publishing")
    images = {sha: image_path(sha, media.get(sha)) for sha in shas}
    tables = {sha: source_path(sha, media.get(sha)) for sha in table_shas}
    with_registry = store.profile.registry_from_data
    publications = derive_contests(
        entries, store.profile, store.registry, Files(images, tables), registry_published=with_registry
    )
    if problems or publications[0].problems:
        raise UserError(f"the log cannot be published: {[*problems, *publications[0].problems][0]}")
    origin = store.signer.name
    _require_bundle_folder(out, origin)
    roster = read_roster(store.workspace)
    mirrors = read_mirrors(store.workspace)  # a bad line stops before any file of the bundle is written
    signed, witnesses = _witnessed(signed, tree, roster)
    if any(w.cosigned for w in witnesses):  # kept with the checkpoint, so later bundles still carry them
        with store.sessions.begin() as session:
            log_table.record_cosignatures(session, signed.size, signed.note)
    notes[signed.size] = signed.note
    writer = BundleWriter(out)
    located = _copy_originals(writer, store.blobs, images, "images", find_location=True)
    _copy_originals(writer, store.blobs, tables, "sources")
    previews = _write_previews(writer, store.blobs, images)
    publications = [replace(p, files=Files(images, tables, previews)) for p in publications]
    if with_registry:
        writer.write(REGISTRY_JSON, json_bytes(registry_document(store.profile, store.registry), indent=1), "data")
    key = str(store.signer.verifier)
    named = tuple(str(entry.verifier) for entry in roster)
    _write_log(writer, signed, bodies, notes, tree, key, named)
    held = out / MIRRORS
    listed = sign_mirror_list(mirrors, store.signer, signed.size, held.read_bytes() if held.is_file() else None)
    writer.write(MIRRORS, listed, "mirrors")
    view = LogView(tree, signed.note, key, tuple(sorted(notes)), notes, named, tuple(mirrors))
    for derived in derived_files(publications, view, origin):
        writer.write(derived.path, derived.data, derived.kind)
    for relative, data in audit_files(store.workspace.root / AUDIT_FOLDER, entries):  # the paper check, as logged
        writer.write(relative, data, "audit")
    head = Checkpoint(origin, signed.size, signed.root_hash)
    writer.write(MANIFEST, json_bytes(manifest(store.profile.name, head), indent=1), "manifest")
    writer.write(FILE_LIST, file_list_bytes(list_files(out)), "manifest")  # last: lists the complete bundle
    mesas = len({mesa for publication in publications for mesa in publication.mesas})
    return PublishReport(out, signed.size, signed.root_hash.hex(), mesas, writer.report(), located, witnesses, mirrors)


def _witnessed(
    signed: SignedCheckpoint, tree: MerkleLog, roster: list[RosterEntry]
) -> tuple[SignedCheckpoint, list[WitnessOutcome]]:
    """The checkpoint with the cosignature of every witness that gave one, and what each witness answered."""
    cosignatures, outcomes = [], []
    for entry in roster:
        name = entry.verifier.name
        try:
            cosignatures.append(
                request_cosignature(entry.url, entry.verifier, signed.note, signed.size, tree.consistency_proof)
            )
        except WitnessFailed as error:
            outcomes.append(WitnessOutcome(entry.url, name, False, str(error)))
        else:
            outcomes.append(WitnessOutcome(entry.url, name, True, f"cosigned the checkpoint of size {signed.size}"))
    return replace(signed, note=cosigned(signed.note, cosignatures)), outcomes


def _copy_originals(
    writer: BundleWriter, blobs: Blobs, paths: dict[str, str], kind: str, *, find_location: bool = False
) -> list[str]:
    """Copy each published original through the `Blobs` interface (a folder or S3), unless already there.

    With `find_location` (photos, not tables), returns the originals written
    now that carry a GPS position in their metadata: published byte for byte,
    they tell where the photo was taken.
    """
    located: list[str] = []

    def fetch(sha: str) -> bytes:
        data = blobs.get(sha)
        if find_location and carries_location(data):
            located.append(sha)
        return data

    for sha, relative in paths.items():
        writer.write_once(relative, partial(fetch, sha), kind)
    return located


def _write_previews(writer: BundleWriter, blobs: Blobs, images: dict[str, str]) -> dict[str, str]:
    """A JPEG preview of every image a browser cannot show, drawn once (its name is the original's hash).

    An original that cannot be drawn gets none: its page links it for download only.
    """
    previews: dict[str, str] = {}
    for sha, relative in images.items():
        if needs_preview(relative) and writer.write_once(preview_path(sha), partial(_draw, blobs, sha), "previews"):
            previews[sha] = preview_path(sha)
    return previews


def _draw(blobs: Blobs, sha: str) -> bytes | None:
    return jpeg_preview(blobs.get(sha))


def _write_log(
    writer: BundleWriter,
    signed: SignedCheckpoint,
    bodies: list[bytes],
    notes: dict[int, str],
    tree: MerkleLog,
    key: str,
    witnesses: tuple[str, ...],
) -> None:
    """The entries, every checkpoint with a consistency proof to the latest, the public key and the witnesses' keys."""
    writer.write(ENTRIES, b"".join(body + b"\n" for body in bodies), "log")
    writer.write(CHECKPOINT, signed.note.encode(), "log")
    writer.write(KEY, (key + "\n").encode(), "log")
    writer.write(WITNESSES, "".join(f"{w}\n" for w in witnesses).encode(), "log")  # empty: the log asks none
    for size, note in notes.items():
        writer.write(checkpoint_path(size), note.encode(), "log")
        if size < signed.size:
            proof = [h.hex() for h in tree.consistency_proof(size)]
            document = {"old_size": size, "new_size": signed.size, "proof": proof}
            writer.write(consistency_path(size), json_bytes(document, indent=1), "log")


def _refuse_local_folders(bodies: list[bytes], folders: set[str]) -> None:
    """Stop before publishing an entry that names a folder a file came from.

    Entries are hashed as written, so such an entry cannot be redacted: the
    log itself has to be fixed, which is why this is an error, not a warning.
    """
    if not folders:
        return
    longest_first = sorted(folders, key=len, reverse=True)
    pattern = re.compile(b"|".join(re.escape(folder.encode()) for folder in longest_first))
    for seq, body in enumerate(bodies):
        found = pattern.search(body)
        if found:
            raise UserError(
                f"log entry {seq} names the local folder {found.group().decode()!r}; publishing it would reveal where "
                "the file came from (and perhaps who took it), and a logged entry cannot be redacted"
            )


def _require_bundle_folder(out: Path, origin: str) -> None:
    """`out` must be new, empty, or a bundle of this same log: publish never writes into anything else."""
    if out.exists() and not out.is_dir():
        raise UserError(f"{out} is not a folder")
    if not out.exists() or not any(out.iterdir()):
        return
    try:
        existing = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise UserError(f"{out} is not empty and holds no testigo bundle; choose a new or empty folder") from None
    found = existing.get("origin") if isinstance(existing, dict) else None
    if found != origin:
        raise UserError(f"{out} holds the bundle of another log ({found!r}); choose another folder")
