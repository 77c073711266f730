"""Copying a published bundle from a web address into a folder, to be verified there like a local one.

A bundle is static files (docs/bundle-format.md) and nothing in it lists them
all, so the copy follows what the bundle itself names, with the file names of
`testigo.publish.layout`:

1. the files every bundle has: bundle.json, the log (entries, checkpoint,
   key), the data files, the index and log pages, the stylesheet, and
   data/registry.json, files.sha256 and the in-page verifier's scripts and
   witness keys where there are (`testigo mirror`
   fetches by that list instead, only what changed);
2. the page of every area in data/totals.json and of every mesa in data/mesas.json;
3. every file those pages link to inside the bundle (acta images, previews,
   imported tables, checkpoints) and every image and table data/mesas.json
   lists; then the consistency proof of each earlier checkpoint.

Nothing fetched is trusted: `testigo.verify` judges the copy. A file the
bundle names that the server does not have (HTTP 404 or 410) is left out of
the copy, for verification to report; any other failure stops the copy with
a `UserError`. Only http and https are followed, redirects included, and
files are written only inside the target folder, at paths made of plain names
(no ``..``, no hidden files, nothing outside it). A file that lies on the server but that no page
or data file names is not copied, so verification cannot see it.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from http.client import HTTPMessage
from pathlib import Path
from typing import IO, Any, TypeVar
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from testigo import __version__
from testigo.errors import UserError
from testigo.publish.layout import (
    CHECKPOINT,
    CHECKPOINTS_DIR,
    ENTRIES,
    FILE_LIST,
    INDEX_PAGE,
    KEY,
    LOG_PAGE,
    LOG_SCRIPT,
    MANIFEST,
    MESAS_CSV,
    MESAS_JSON,
    MESAS_PARQUET,
    NIST_JSON,
    REGISTRY_JSON,
    STYLESHEET,
    TOTALS_JSON,
    VERIFY_SCRIPT,
    WITNESSES,
    checkpoint_path,
    consistency_path,
    page_path,
)

#: URL schemes a bundle is downloaded from (a redirect to any other is refused).
SCHEMES = frozenset({"http", "https"})
#: Downloads at a time.
THREADS = 8
#: Seconds to wait for a server before giving up on a file.
TIMEOUT_S = 60.0

#: Files of every bundle read here to find the others; then those only copied (data/registry.json: generic only).
_READ = (MANIFEST, TOTALS_JSON, MESAS_JSON, INDEX_PAGE, LOG_PAGE)
_COPIED = (
    *(ENTRIES, CHECKPOINT, KEY, MESAS_CSV, MESAS_PARQUET, NIST_JSON, STYLESHEET, REGISTRY_JSON, FILE_LIST),
    *(VERIFY_SCRIPT, LOG_SCRIPT, WITNESSES),  # the in-page verifier's: absent from bundles of older testigo
)
_CHECKPOINT_LINK = re.compile(re.escape(CHECKPOINTS_DIR) + r"/(\d+)")
_AREA_LEVELS = ("state", "municipality", "parish", "center")
T = TypeVar("T")


def is_url(source: str | os.PathLike[str]) -> bool:
    """Whether `source` is an http(s) address (anything else is read as a local folder)."""
    return isinstance(source, str) and urlsplit(source).scheme in SCHEMES


def local_folder(source: str | os.PathLike[str]) -> Path:
    """The folder a local `source` names: a path, or a ``file://`` URL; `UserError` for any other scheme."""
    if not isinstance(source, str):
        return Path(source)
    parts = urlsplit(source)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise UserError(f"cannot read {source}: a file:// URL must name a folder on this machine")
        return Path(urllib.request.url2pathname(parts.path))
    if len(parts.scheme) > 1:  # a one-letter "scheme" is a Windows drive
        raise UserError(f"cannot read {source}: a bundle is an http(s) URL, a file:// URL or a local folder")
    return Path(source)


def download(url: str, into: Path, *, threads: int = THREADS, timeout: float = TIMEOUT_S) -> Path:
    """Copy the bundle at `url` (its folder, or its bundle.json) into the folder `into`; returns `into`."""
    copy = _Copy(bundle_base(url), into, timeout)
    fetched = copy.fetch_all(_READ, threads, read=_keep)
    if fetched[MANIFEST] is None:
        raise UserError(f"no bundle at {url}: {copy.base}{MANIFEST} is not there")
    copy.fetch_all(_COPIED, threads)
    manifest, totals, mesas = (_json(fetched[name]) for name in (MANIFEST, TOTALS_JSON, MESAS_JSON))
    linked = copy.fetch_all(_pages(totals, mesas), threads, read=_links)  # links only: pages are many
    for page in (INDEX_PAGE, LOG_PAGE):
        data = fetched[page]
        linked[page] = _links(page, data) if data is not None else None
    files = {link for links in linked.values() if links for link in links if not link.endswith(".html")}
    files.update(_listed_files(mesas))
    size = manifest.get("tree_size") if isinstance(manifest, dict) else None
    if isinstance(size, int):
        files.add(checkpoint_path(size))
    copy.fetch_all(files, threads)
    earlier = {int(m.group(1)) for link in files if (m := _CHECKPOINT_LINK.fullmatch(link))}
    copy.fetch_all([consistency_path(old) for old in earlier if isinstance(size, int) and old < size], threads)
    return into


class _Copy:
    """Files of one bundle fetched from `base` into the folder `into`, each at most once."""

    def __init__(self, base: str, into: Path, timeout: float) -> None:
        self.base, self.into, self.timeout = base, into, timeout
        self.opener = urllib.request.build_opener(HttpRedirectsOnly())
        self.done: set[str] = set()

    def fetch_all(
        self, paths: Iterable[str], threads: int, read: Callable[[str, bytes], T] | None = None
    ) -> dict[str, T | None]:
        """Fetch every path not fetched yet; by path, what `read` makes of its bytes (None: not on the server).

        Without `read` each file goes straight to disk, and nothing is kept in memory.
        """
        todo = sorted({p for p in paths if safe_path(p)} - self.done)
        self.done.update(todo)
        with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
            got = list(pool.map(lambda relative: self.fetch(relative, read), todo))
        return dict(zip(todo, got, strict=True))

    def fetch(self, relative: str, read: Callable[[str, bytes], T] | None) -> T | None:
        """Write one file into the copy; what `read` makes of it, or None if the server has no such file."""
        url = self.base + quote(relative)
        request = urllib.request.Request(url, headers={"User-Agent": f"testigo/{__version__}"})
        target = self.into / relative
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                target.parent.mkdir(parents=True, exist_ok=True)
                if read is None:
                    with target.open("wb") as out:
                        shutil.copyfileobj(response, out)
                    return None
                data: bytes = response.read()
                target.write_bytes(data)
                return read(relative, data)
        except urllib.error.HTTPError as error:
            if error.code in (404, 410):
                return None
            raise UserError(f"cannot download {url}: HTTP {error.code} {error.reason}") from None
        except (urllib.error.URLError, OSError) as error:
            reason = error.reason if isinstance(error, urllib.error.URLError) else error
            raise UserError(f"cannot download {url}: {reason}") from None


class HttpRedirectsOnly(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to another http(s) address (urllib would also follow one to ftp://)."""

    def redirect_request(
        self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str, headers: HTTPMessage, newurl: str
    ) -> urllib.request.Request | None:
        if urlsplit(newurl).scheme not in SCHEMES:
            raise urllib.error.HTTPError(newurl, code, f"redirect to {newurl} refused: not http(s)", headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class _Links(HTMLParser):
    """The href and src values of a page, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.extend(value for name, value in attrs if name in ("href", "src") and value)


def _keep(relative: str, data: bytes) -> bytes:
    return data


def _links(page: str, data: bytes) -> list[str]:
    """The bundle paths a page links to (links out of the bundle, or to anywhere else, are left out)."""
    parser = _Links()
    parser.feed(data.decode("utf-8", errors="replace"))
    found = []
    for link in parser.found:
        parts = urlsplit(link)
        if parts.scheme or parts.netloc or not parts.path:
            continue
        path = posixpath.normpath(posixpath.join(posixpath.dirname(page), unquote(parts.path)))
        if safe_path(path):
            found.append(path)
    return found


def _pages(totals: Any, mesas: Any) -> list[str]:
    """The page of every area in data/totals.json and of every mesa in data/mesas.json."""
    pages = []
    if isinstance(totals, dict):
        for level in _AREA_LEVELS:
            rows = totals.get(level, {}).get("rows", []) if isinstance(totals.get(level), dict) else []
            pages += [page_path(level, str(row["id"])) for row in rows if isinstance(row, dict) and "id" in row]
    pages += [page_path("mesa", str(row["mesa_id"])) for row in _mesa_rows(mesas) if "mesa_id" in row]
    return pages


def _listed_files(mesas: Any) -> set[str]:
    """The images and tables data/mesas.json lists."""
    found: set[str] = set()
    for row in _mesa_rows(mesas):
        for name in ("images", "tables"):
            if isinstance(row.get(name), list):
                found.update(str(path) for path in row[name])
    return found


def _mesa_rows(mesas: Any) -> list[dict[str, Any]]:
    rows = mesas.get("mesas") if isinstance(mesas, dict) else None
    return [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []


def safe_path(path: str) -> bool:
    """Whether `path` is a plain relative path inside the bundle: printable names, no ``..``, nothing hidden.

    Names are otherwise free: a generic profile's area ids (and so its page
    names) may hold spaces, colons or letters of any script.
    """
    return all(part and part[0] != "." and "\\" not in part and part.isprintable() for part in path.split("/"))


def _json(data: bytes | None) -> Any:
    try:
        return json.loads(data) if data is not None else None
    except ValueError:
        return None  # verification will say what is wrong with it


def bundle_base(url: str) -> str:
    """The bundle's folder URL, ending in ``/``, from the folder's URL or its bundle.json's."""
    parts = urlsplit(url)
    path = parts.path
    if posixpath.basename(path) == MANIFEST:
        path = posixpath.dirname(path)
    if not path.endswith("/"):
        path += "/"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))
