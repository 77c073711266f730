"""The files a simulation writes, and what each is expected to end as.

A `Planned` file is either bytes ready to write (a hostile or broken input) or
a sheet still to be rendered and degraded (an acta, a forgery, an image with a
foreign QR). Keeping the expectation next to the plan means the truth is
decided when the file is designed, never inferred afterwards from what the
pipeline happened to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from testigo.domain import Status
from testigo.simulate.degrade import Degraded
from testigo.simulate.sheet import ActaSheet

#: What a file is in the truth: a genuine acta of the election, a broken or
#: hostile input, another picture of an acta already in the election, or a forgery.
KINDS = ("acta", "bad", "copy", "forged")


@dataclass(frozen=True)
class Planned:
    """One file of the simulation.

    `name` has no extension when the file is rendered (the encoder decides
    between .jpg and .png). `sheet` is what the image shows; `carries_sheet`
    says whether its QR is the sheet's own payload (False for a foreign or
    garbled code, whose text is then `sheet.payload` but names no mesa).
    """

    name: str
    kind: str
    expected: Status
    note: str
    data: bytes | None = None
    sheet: ActaSheet | None = None
    quality: str | None = None
    carries_sheet: bool = True

    def truth(self, file: str, image: Degraded | None = None) -> dict[str, Any]:
        """The file's entry in truth.json (`image` for rendered files)."""
        sheet = self.sheet if self.carries_sheet else None
        return {
            "file": file,
            "kind": self.kind,
            "quality": self.quality,
            "mesa_id": sheet.mesa_id if sheet else None,
            "acta_id": sheet.acta_id if sheet else None,
            "payload": self.sheet.payload if self.sheet else None,
            "counts": list(sheet.counts) if sheet else None,
            "null_votes": sheet.null_votes if sheet else None,
            "expected": self.expected.value,
            "note": f"{self.note}; {image.note}" if image else self.note,
            "qr_quad": [list(corner) for corner in image.qr_quad] if image and image.qr_quad else None,
            "module_px": round(image.module_px, 2) if image else None,
        }
