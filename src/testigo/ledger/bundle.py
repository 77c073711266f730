"""The published bundle: its layout, and reading it back for `testigo verify`.

`testigo publish --out DIR` writes a static, self-verifying bundle that works
from ``file://`` or any static host (no server, no JavaScript). Everything in
it is derived from the signed log, so anyone holding the bundle (and, ideally,
the log's public key obtained elsewhere) can recompute every figure.

Layout (paths relative to DIR)::

    bundle.json                   manifest: format, testigo version, profile, log origin, tree size, root
    index.html                    national result; links down the geography
    estado/<id>.html              one page per state with actas,
    municipio/<id>.html           municipality,
    parroquia/<id>.html           parish
    centro/<id>.html              and voting center
    mesa/<mesa id>.html           one page per mesa: what backs its figures (an image read by its code, a row
                                  of an imported table, or a sheet two reviewers typed), the reviewer decision
                                  that made them count if any (when, reviewer pseudonyms as logged, which
                                  sheet, why), acta image(s), per-card counts, validation status, every log
                                  entry about it (sheets, rows, decisions) with its inclusion proof (see below)
    registro.html                 the log: checkpoint, key, outcomes, every entry not accepted
    static/testigo.css            the only stylesheet (vendored; no CDN)
    actas/<sha256>.<ext>          the original image of every valid acta (accepted, duplicate, conflict), and
                                  of every unreadable sheet two reviewers typed, named by the SHA-256 of its bytes
    previews/<sha256>.jpg         a JPEG preview (pixels only, no metadata) of each original a browser cannot
                                  show (HEIC, TIFF, PDF...), named by the original's hash; pages show it and
                                  link the original, which stays the verified artifact
    sources/<sha256>.csv|parquet  every imported table (`testigo import --source citizen`) with a valid row,
                                  byte for byte: the evidence of its rows, which no image backs
    data/mesas.json               one row per mesa with an accepted acta (ids of its areas, registered
    data/mesas.csv                voters, log entry, images, tables, evidence: image | table | manual, the
    data/mesas.parquet            log entry of the decision that made it count, per-candidate and per-card
                                  votes); the same rows in three formats
    data/registry.json            only for a profile whose registry comes from imported data (generic): the
                                  areas, stations with their registered voters, and the ballot, as the
                                  workspace's database holds them (see "Trust" below)
    data/totals.json              totals and coverage at country, state, municipality, parish, center
                                  level (the rows of `testigo tally --json`)
    data/nist-1500-100.json       NIST SP 1500-100 v2 ElectionReport: geography as GpUnits, the contest,
                                  candidates, per-mesa VoteCounts
    log/entries.jsonl             entry i of the log on line i, the exact bytes that were hashed
                                  (canonical JSON has no raw newline)
    log/checkpoint                the latest signed checkpoint (C2SP signed note) covering every entry
    log/checkpoints/<size>        every checkpoint the log signed, the latest included
    log/consistency/<size>.json   RFC 9162 consistency proof from each earlier checkpoint to the latest
    log/key.pub                   the verifier key of the log (note verifier format); never a private key

What the bundle never holds: the signing key, who submitted a file, or the
local folders files came from (log entries keep only a file's own name).

Figures are derived by replaying the log in order exactly as the live system
applies it (`testigo.publish.replay`): sheets and rows as reconciled, then
each reviewer decision (a resolved conflict makes the chosen version count and
sets the others aside; two matching manual entries settle an unreadable
sheet), so every total equals `testigo tally` after any decision.

What `testigo verify DIR` checks, from the bundle alone (the registry comes
from the installed profile, not from the bundle, except for a generic
workspace: see "Trust" below). Each check below is one
``{"check", "ok", "detail"}`` of ``verify --json``; each failure adds one line
to ``problems`` naming the file, entry or number::

    key              --key when given (and log/key.pub must be that key), else log/key.pub, which only
                     proves the bundle is self-consistent: the detail says which was used
    checkpoint       log/checkpoint carries a valid signature by that key, for the log the key names;
                     bundle.json agrees with it
    merkle root      log/entries.jsonl holds as many entries as the checkpoint's tree size, and their
                     RFC 9162 root is the signed root
    checkpoints      every file in log/checkpoints/ is signed by the same key, its root is the root of
                     that prefix of the entries, and log/consistency/<size>.json proves it consistent
                     with the latest
    old checkpoint   (--checkpoint OLD) OLD is signed by the key, not larger than the log, and the first
                     OLD.size entries hash to its root (and a shipped proof from that size verifies):
                     the log was only appended to since OLD
    registry         (generic only) data/registry.json is there and well-formed
    records          every entry is canonical JSON; replaying items and decisions gives one accepted acta
                     per mesa, accepted payloads parse, accepted mesas are in the registry; every decision
                     is one the live system could log (a resolution chooses among the mesa's live versions
                     and sets aside exactly the others; a manual entry names two different reviewers and a
                     sheet logged as unreadable before it)
    images           every file in actas/ hashes to its name and is of the type its extension says;
                     every image the log publishes is there, and no other
    decoding         every image is decoded again (the profile's reader, a process pool over all cores)
                     and yields, on the logged page, the payload each of its entries logged. An image
                     typed by hand is hashed, not decoded (it is unreadable): the log keeps the figures two
                     different reviewers agreed on and their pseudonyms, not each one's typing, so that is
                     all that can be proved of it
    tables           every file in sources/ hashes to its name; each logged row is found at its line and
                     parsed again as its entry logs the table was read (layout, --map text, encoding):
                     station, per-candidate, per-card and invalid votes and declared ballots, and the
                     payload itself, must be the entry's. Entries of an older log, which does not keep
                     that: a layout the profile recognises from the header is parsed again (station,
                     per-candidate, per-card and null votes), a --map table is compared by candidate
                     column only; the detail says how many rows were checked which way
    previews         every file in previews/ is the preview of a published original that needs one, a
                     JPEG without metadata; not proved: that its pixels are the original's (compare by eye)
    rules            every counted record passes the profile's validation again (votes within the mesa's
                     registered voters, not all zero, center totals of the final result within the
                     center's registered voters); each failure names the mesa
    data/...         each data file carries exactly the values the entries give: per-mesa rows,
                     totals recomputed at every level, the NIST report (values, not bytes, are compared)
    pages            every page and the stylesheet, rendered again from the verified data, is
                     byte-identical (not checked, and said so, for a bundle of another testigo version)
    files            no file lies in the bundle that the log does not account for (hidden files aside)

Trust: a generic workspace builds its registry and ballot from the tables it
imports; they are not in the log, so its bundle carries data/registry.json and
verify uses it. That proves the figures follow from the log *given* that
registry: the registered voters the rules check against, and the areas totals
are grouped by, are the publisher's word (the tables in sources/ hold them, and
each row's entry logs the --map that read them, but verify does not yet check
data/registry.json against them). A shipped profile's registry comes from the
verifier's own installation instead.

Mesa pages prove each entry against the first checkpoint that covers it, not
the latest: that proof never changes as the log grows, so re-publishing
rewrites only the pages whose figures changed, and the consistency proofs in
log/consistency/ link that checkpoint to the latest.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMAT = "testigo-bundle/1"

MANIFEST = "bundle.json"
INDEX_PAGE = "index.html"
LOG_PAGE = "registro.html"
STYLESHEET = "static/testigo.css"
IMAGES_DIR = "actas"
SOURCES_DIR = "sources"
PREVIEWS_DIR = "previews"
REGISTRY_JSON = "data/registry.json"
MESAS_JSON = "data/mesas.json"
MESAS_CSV = "data/mesas.csv"
MESAS_PARQUET = "data/mesas.parquet"
TOTALS_JSON = "data/totals.json"
NIST_JSON = "data/nist-1500-100.json"
ENTRIES = "log/entries.jsonl"
CHECKPOINT = "log/checkpoint"
CHECKPOINTS_DIR = "log/checkpoints"
CONSISTENCY_DIR = "log/consistency"
KEY = "log/key.pub"

#: Folder of the pages of each level of the geography (Spanish, as the pages).
PAGE_DIRS: dict[str, str] = {
    "state": "estado",
    "municipality": "municipio",
    "parish": "parroquia",
    "center": "centro",
    "mesa": "mesa",
}

#: File extension of each media type a stored original can have (from `testigo.read.sniff`).
EXTENSIONS: dict[str, str] = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/tiff": "tif",
    "image/bmp": "bmp",
    "image/webp": "webp",
    "image/heic": "heic",
    "image/heic-sequence": "heics",
    "image/heif": "heif",
    "image/heif-sequence": "heifs",
    "image/avif": "avif",
    "application/pdf": "pdf",
}

#: File extension of each media type an imported table can have (`testigo import`).
TABLE_EXTENSIONS: dict[str, str] = {"text/csv": "csv", "application/vnd.apache.parquet": "parquet"}

#: Extensions of the originals every browser shows in an <img>; the others get a JPEG preview.
BROWSER_EXTENSIONS = frozenset({"jpg", "png", "gif", "webp"})

_SHA256_NAME = re.compile(r"([0-9a-f]{64})(\.[a-z0-9]+)?")


class BundleError(Exception):
    """A file of the bundle is missing or unreadable; str() names it."""


def image_path(sha256: str, media_type: str | None) -> str:
    """Where the original with this hash lies in a bundle (an unknown type gets ``.bin``)."""
    return f"{IMAGES_DIR}/{sha256}.{EXTENSIONS.get(media_type or '', 'bin')}"


def source_path(sha256: str, media_type: str | None) -> str:
    """Where an imported table with this hash lies in a bundle."""
    return f"{SOURCES_DIR}/{sha256}.{TABLE_EXTENSIONS.get(media_type or '', 'bin')}"


def preview_path(sha256: str) -> str:
    """Where the JPEG preview of the original with this hash lies in a bundle."""
    return f"{PREVIEWS_DIR}/{sha256}.jpg"


def needs_preview(path: str) -> bool:
    """Whether the original at bundle path `path` needs a preview to be seen in a browser (HEIC, TIFF, PDF...)."""
    return path.rsplit(".", 1)[-1] not in BROWSER_EXTENSIONS


def page_path(level: str, area_id: str) -> str:
    """The page of an area or mesa; the country's is the index."""
    return INDEX_PAGE if level == "country" else f"{PAGE_DIRS[level]}/{area_id}.html"


def checkpoint_path(size: int) -> str:
    return f"{CHECKPOINTS_DIR}/{size}"


def consistency_path(old_size: int) -> str:
    return f"{CONSISTENCY_DIR}/{old_size}.json"


@dataclass
class Bundle:
    """The log part of a bundle as found on disk, read without trusting any of it."""

    root: Path
    manifest: dict[str, Any]
    key_text: str
    checkpoint: str
    entries: list[bytes]
    checkpoints: dict[int, str] = field(default_factory=dict)
    """Signed notes in log/checkpoints/ (the latest included), by the size in their file name."""
    consistency: dict[int, Any] = field(default_factory=dict)
    """Parsed log/consistency/ files, by the old size in their file name."""
    images: dict[str, str] = field(default_factory=dict)
    """sha256 -> bundle-relative path of every file in actas/ named by a hash."""
    tables: dict[str, str] = field(default_factory=dict)
    """sha256 -> bundle-relative path of every file in sources/ named by a hash."""
    previews: dict[str, str] = field(default_factory=dict)
    """sha256 of the original -> bundle-relative path of every file in previews/ named by a hash."""
    stray_images: list[str] = field(default_factory=list)
    """Files in actas/, sources/ or previews/ not named ``<sha256>.<ext>``."""

    def read_bytes(self, relative: str) -> bytes:
        return read_bytes(self.root, relative)

    def read_json(self, relative: str) -> Any:
        return read_json(self.root, relative)

    def files(self) -> list[str]:
        """Every non-hidden file of the bundle, relative and sorted."""
        return sorted(
            path.relative_to(self.root).as_posix()
            for path in self.root.rglob("*")
            if path.is_file() and not any(part.startswith(".") for part in path.relative_to(self.root).parts)
        )


def read_bytes(root: Path, relative: str) -> bytes:
    try:
        return (root / relative).read_bytes()
    except FileNotFoundError:
        raise BundleError(f"{relative} is missing") from None
    except OSError as error:
        raise BundleError(f"{relative} cannot be read: {error.strerror or error}") from None


def read_text(root: Path, relative: str) -> str:
    try:
        return read_bytes(root, relative).decode("utf-8")
    except UnicodeDecodeError as error:
        raise BundleError(f"{relative} is not UTF-8 text (byte {error.start})") from None


def read_json(root: Path, relative: str) -> Any:
    try:
        return json.loads(read_text(root, relative))
    except json.JSONDecodeError as error:
        raise BundleError(f"{relative} is not valid JSON (line {error.lineno}: {error.msg})") from None


def read_bundle(root: Path) -> Bundle:
    """Read the manifest, key, checkpoints, entries and image names; raises `BundleError` if one is missing.

    Entries are split on newlines only (an entry is canonical JSON, which
    never contains one), so a changed byte stays in its own entry.
    """
    if not root.is_dir():
        raise BundleError(f"{root} is not a folder")
    manifest = read_json(root, MANIFEST)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError(f"{MANIFEST} does not describe a {FORMAT} bundle")
    raw = read_bytes(root, ENTRIES)
    entries = raw.split(b"\n")
    if entries[-1] == b"":
        entries.pop()
    bundle = Bundle(root, manifest, read_text(root, KEY).strip(), read_text(root, CHECKPOINT), entries)
    for path in sorted((root / CHECKPOINTS_DIR).glob("*")):
        if path.name.isdigit():
            bundle.checkpoints[int(path.name)] = read_text(root, checkpoint_path(int(path.name)))
    for path in sorted((root / CONSISTENCY_DIR).glob("*.json")):
        if path.stem.isdigit():
            bundle.consistency[int(path.stem)] = read_json(root, consistency_path(int(path.stem)))
    for folder, found in ((IMAGES_DIR, bundle.images), (SOURCES_DIR, bundle.tables), (PREVIEWS_DIR, bundle.previews)):
        bundle.stray_images += _hash_named(root, folder, found)
    return bundle


def _hash_named(root: Path, folder: str, found: dict[str, str]) -> list[str]:
    """Fill `found` with the files of `folder` named by a SHA-256; return the others (hidden files aside)."""
    stray = []
    for path in sorted((root / folder).glob("*")):
        match = _SHA256_NAME.fullmatch(path.name)
        if match and path.is_file() and match.group(1) not in found:
            found[match.group(1)] = f"{folder}/{path.name}"
        elif not path.name.startswith("."):
            stray.append(f"{folder}/{path.name}")
    return stray
