"""Where everything lies in a published bundle: the file names `publish` writes and `verify` reads.

The format itself (every file, what `testigo verify` checks of it, and what it
cannot prove) is specified in ``docs/bundle-format.md``; this module is its one
source of file names, so the writer and the reader can never disagree.
"""

from __future__ import annotations

import re

FORMAT = "testigo-bundle/1"

MANIFEST = "bundle.json"
FILE_LIST = "files.sha256"
MIRRORS = "mirrors.txt"
INDEX_PAGE = "index.html"
LOG_PAGE = "registro.html"
STYLESHEET = "static/testigo.css"
#: The in-page verifier (plain JavaScript, vendored) and the log data it reads, loaded by <script src> so
#: that both work from file://, where a browser refuses fetch.
VERIFY_SCRIPT = "static/verify.js"
LOG_SCRIPT = "log/checkpoints.js"
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
#: The verifier keys of the witnesses the log asks to cosign, one a line (empty when it asks none).
WITNESSES = "log/witnesses.pub"

#: Folder of each contest's pages and data files, in a bundle of several contests (`contest_prefix`).
CONTESTS_DIR = "contests"

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


def contest_prefix(contest: str) -> str:
    """Where a contest's pages and data files lie: the bundle's root for the one contest ``""`` of a
    one-contest format, else ``contests/<folder>/`` (`contest_folder`)."""
    return f"{CONTESTS_DIR}/{contest_folder(contest)}/" if contest else ""


def contest_folder(contest: str) -> str:
    """A contest key as a file name: the key with ``:`` written ``_`` (``406:1:544:1:BR`` ->
    ``406_1_544_1_BR``), stable as contests are added; a key with any other character than letters,
    digits, ``-`` and ``:`` is written in hexadecimal after ``x~`` (a character no other folder has), so no
    key reaches outside its folder or shares one."""
    if re.fullmatch(r"[A-Za-z0-9:-]+", contest):
        return contest.replace(":", "_")
    return "x~" + contest.encode().hex()


def checkpoint_path(size: int) -> str:
    return f"{CHECKPOINTS_DIR}/{size}"


def consistency_path(old_size: int) -> str:
    return f"{CONSISTENCY_DIR}/{old_size}.json"
