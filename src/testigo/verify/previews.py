"""Checking the JPEG previews a bundle publishes (previews/) next to the originals browsers cannot show.

A preview is only for looking: the original (actas/) is the verified
artifact, hashed and decoded again. What `verify` proves of a preview: it is
named by the hash of a published original that needs one (HEIC, TIFF, PDF...),
it is a JPEG, and it carries no metadata (no EXIF, ICC profile or comment
that could reveal a device, place or time). What it does not prove: that its
pixels are the original's — JPEG encoders differ by version, so a preview
cannot be redrawn byte for byte; compare it by eye with the original, which
every page links.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping

from PIL import Image

from testigo.publish.layout import PREVIEWS_DIR, needs_preview, preview_path
from testigo.publish.model import Publication
from testigo.read.sniff import sniff
from testigo.verify.bundle import Bundle
from testigo.verify.report import VerifyReport

#: Keys Pillow reports for metadata a JPEG may carry beyond its pixels.
_METADATA = ("exif", "icc_profile", "comment", "xmp", "photoshop")


def previews_in(bundle: Bundle, images: Mapping[str, str]) -> dict[str, str]:
    """The previews of the bundle that belong where a page may show them: one per original needing one."""
    return {
        sha: path
        for sha, path in bundle.previews.items()
        if sha in images and needs_preview(images[sha]) and path == preview_path(sha)
    }


def check_previews(
    report: VerifyReport, bundle: Bundle, publication: Publication, cap: Callable[[list[str], str], list[str]]
) -> None:
    """Add the ``previews`` check (see the module docstring)."""
    images, kept = publication.files.images, publication.files.previews
    problems = []
    for sha, path in bundle.previews.items():
        if sha not in kept:
            original = images.get(sha)
            problems.append(
                f"{path} is not the preview of a published original that needs one"
                if original is None or not needs_preview(original)
                else f"{path} is not named {preview_path(sha)}"
            )
            continue
        problems += _preview_problems(path, bundle.read_bytes(path))
    without = sum(1 for sha, path in images.items() if needs_preview(path) and sha not in kept)
    detail = (
        f"{len(kept)} previews in {PREVIEWS_DIR}/, each of a published original that browsers cannot show, "
        "a JPEG without metadata (not proved: that its pixels are the original's; compare by eye)"
        + (f"; {without} such originals have no preview and are linked for download only" if without else "")
    )
    report.add("previews", detail, cap(problems, "preview problems"))


def _preview_problems(path: str, data: bytes) -> list[str]:
    if sniff(data) != "image/jpeg":
        return [f"{path} is not a JPEG"]
    try:
        with Image.open(io.BytesIO(data)) as image:
            carried = [key for key in _METADATA if image.info.get(key)]
    except OSError as error:
        return [f"{path} cannot be opened: {error}"]
    return [f"{path} carries metadata ({', '.join(carried)})"] if carried else []
