"""The part of ingest that runs in worker processes: bytes in, readings out.

Workers only read blobs and decode images; every database write stays in the
parent process, so a crashed or killed worker can never leave partial state.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from testigo.domain.printed import PrintedSheet
from testigo.pipeline.bu_read import BoletimRead, read_ahead
from testigo.pipeline.printed import examine
from testigo.profiles import get_profile
from testigo.read import FileReading, PageReading, UnusableInput, read_file
from testigo.store.blobs import open_blobs


@dataclass(frozen=True)
class Decoded:
    """A worker's answer for one blob: its reading, or why the file is unusable.

    `printed` holds, page by page, what the page's print said
    (`testigo.pipeline.printed.examine`); the raw print readings are left in
    the worker, as they are large and nothing after this step needs them.
    `boletins` are the BUs whose parts all lie in the file, read in the
    worker for ingest (`testigo.pipeline.bu_read`, profile br only).
    """

    sha256: str
    reading: FileReading | None
    reject: str | None = None
    printed: tuple[PrintedSheet | None, ...] = ()
    boletins: tuple[BoletimRead, ...] = ()


#: The strategy of a page that is a file of decoded texts, in the order they were read (`Profile.listed_codes`).
LISTED = "listed"


def accepts(profile_name: str, text: str) -> bool:
    """Whether `text` is a well-formed code of the profile (what counts as 'read': `Profile.is_code`)."""
    return get_profile(profile_name).is_code(text)


def decode_blob(sha256: str, path: str, profile_name: str, *, for_ingest: bool = False) -> Decoded:
    """Read every page of the file at `path`. Never raises for a bad file: its failure becomes a reason.

    `for_ingest` also reads the file's whole BUs for ingest's writer, as a job does (`decode_stored`); a
    verifier reading a bundle again has no use for them.
    """
    return _decode(sha256, lambda: Path(path).read_bytes(), profile_name, for_ingest=for_ingest)


def decode_data(data: bytes, profile_name: str) -> Decoded:
    """`decode_blob` of bytes in hand (a file read without a workspace: `testigo.pipeline.sheets`)."""
    return _decode(hashlib.sha256(data).hexdigest(), lambda: data, profile_name, for_ingest=False)


def decode_stored(sha256: str, blobs_url: str, profile_name: str) -> Decoded:
    """Read the blob from the store at `blobs_url` (a shared folder or S3): what a job names.

    Jobs carry the store's URL, not a local path, so a worker on any machine
    that can reach the store can decode them. The reading is for ingest: a
    file's whole BUs are read too (`Decoded.boletins`).
    """
    return _decode(sha256, lambda: open_blobs(blobs_url).get(sha256), profile_name, for_ingest=True)


def _decode(sha256: str, load: Callable[[], bytes], profile_name: str, *, for_ingest: bool) -> Decoded:
    # a blob that cannot be fetched (store unreachable) is not a bad file: raise, so
    # the job is retried or its submission stays pending, never settled as rejected
    data = load()
    profile = get_profile(profile_name)
    ahead = for_ingest and profile.codes_span_uploads
    listed = profile.listed_codes(data)
    if listed is not None:
        boletins = read_ahead([listed], listed=True) if ahead else ()
        reading = FileReading("text/plain", (PageReading(0, tuple(listed), strategy=LISTED),))
        return Decoded(sha256, reading, boletins=boletins)
    try:
        reading = read_file(data, functools.partial(accepts, profile_name), layouts=profile.layouts())
        printed = tuple(examine(profile, page) for page in reading.pages)
        pages = tuple(replace(page, printed=None) for page in reading.pages)
        codes = [page.payloads for page in pages]
        boletins = read_ahead(codes, listed=False) if ahead else ()
        return Decoded(sha256, replace(reading, pages=pages), printed=printed, boletins=boletins)
    except UnusableInput as error:
        return Decoded(sha256, None, str(error))
    except MemoryError:
        return Decoded(sha256, None, "image too large to decode in memory")
    except Exception as error:  # noqa: BLE001 - one bad file must not stop a batch
        return Decoded(sha256, None, f"could not decode file ({type(error).__name__}: {error})")
