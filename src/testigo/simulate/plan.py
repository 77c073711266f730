"""The files a simulation writes, and what each is expected to end as.

A `Planned` file is either bytes ready to write (a hostile or broken input) or
a sheet still to be rendered and degraded (an acta, a forgery, an image with a
foreign QR). Keeping the expectation next to the plan means the truth is
decided when the file is designed, never inferred afterwards from what the
pipeline happened to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from testigo.domain import Status
from testigo.simulate.degrade import Degraded
from testigo.simulate.sheet import ActaSheet
from testigo.simulate.style import STANDARD, PrintStyle

if TYPE_CHECKING:
    from testigo.simulate.alterations import Alteration

#: What a file is in the truth: a genuine acta of the election, a broken or
#: hostile input, another picture of an acta already in the election, or a forgery.
KINDS = ("acta", "bad", "copy", "forged")


@dataclass(frozen=True)
class Planned:
    """One file of the simulation.

    `name` has no extension when the file is rendered (the encoder decides
    between .jpg and .png). `sheet` is what the image shows; `carries_sheet`
    says whether the file counts as the sheet (False for a garbled code,
    whose text is then `sheet.payload` but names no mesa); `foreign_code`
    that its QR carries something else than the sheet's figures (a web
    address), so only its print tells them.
    `variant` is ``qr`` or ``sin_qr`` (printed without a code), `style` the
    printer, and `alteration` what a forger changed on one medium of the sheet.
    """

    name: str
    kind: str
    expected: Status
    note: str
    data: bytes | None = None
    sheet: ActaSheet | None = None
    quality: str | None = None
    carries_sheet: bool = True
    foreign_code: bool = False
    variant: str = "qr"
    style: PrintStyle = STANDARD
    alteration: Alteration | None = None

    def truth(self, file: str, image: Degraded | None = None) -> dict[str, Any]:
        """The file's entry in truth.json (`image` for rendered files).

        Beyond what the QR carries (`payload`, `counts`), a rendered file
        says what is printed (`printed`), what its QR's figures are (`qr`,
        null without a code or with a foreign one) and where each printed
        figure lies in the image (`fields`: name -> four [x, y] corners,
        top-left first, as printed).
        """
        sheet = self.sheet if self.carries_sheet else None
        rendered = self.sheet if self.data is None else None
        with_qr = self.variant == "qr"
        return {
            "file": file,
            "kind": self.kind,
            "quality": self.quality,
            "variant": self.variant if rendered else None,
            "printer": self.style.describe() if rendered else None,
            "mesa_id": sheet.mesa_id if sheet else None,
            "acta_id": sheet.acta_id if sheet else None,
            "payload": self.sheet.payload if self.sheet and with_qr else None,
            "counts": list(sheet.counts) if sheet else None,
            "null_votes": sheet.null_votes if sheet else None,
            "printed": printed_fields(rendered) if rendered else None,
            "qr": sheet.qr.to_json() if sheet and with_qr and not self.foreign_code else None,
            "alteration": self.alteration.to_json() if self.alteration else None,
            "expected": self.expected.value,
            "note": f"{self.note}; {image.note}" if image else self.note,
            "qr_quad": [list(corner) for corner in image.qr_quad] if image and image.qr_quad else None,
            "module_px": round(image.module_px, 2) if image else None,
            "fields": {name: [[round(x, 1), round(y, 1)] for x, y in quad] for name, quad in image.fields.items()}
            if image and image.fields
            else None,
        }


def printed_fields(sheet: ActaSheet) -> dict[str, Any]:
    """The figures printed on the sheet, header codes included."""
    return {
        **sheet.printed.to_json(),
        "center": sheet.center_code,
        "mesa": sheet.mesa_number,
        "registered": sheet.registered,
    }
