"""Sheets whose printed figures differ from their QR code: listed for the forensic report.

Not a statistic: each entry is one sheet where the reader found the print
saying something else than the code the same machine printed beside it, in
the figures it names. That is what an altered or re-printed sheet looks like
(a figure changed on the paper, or a code made up to go with other figures);
it can also be a photo that misled the reader, which is why such a sheet
counts nowhere until a reviewer has compared the paper with the code.
"""

from __future__ import annotations

from collections.abc import Sequence

from testigo.forensics.i18n import coded_flag
from testigo.forensics.result import TestResult

CAVEAT = (
    "A sheet whose printed figures differ from its QR code was altered or re-printed after the voting machine "
    "printed it, or its photo misled the reader: a reviewer must compare the paper with the code. A figure the "
    "reader could not make out is never called different, so a sheet that is not listed may still be altered "
    "where its print was illegible."
)

#: One sheet: its mesa (acta id) and each differing figure as (field, printed value, QR value).
Mismatch = tuple[str, Sequence[tuple[str, str, str]]]


def printed_mismatches(sheets: Sequence[Mismatch]) -> TestResult:
    """One flag per sheet, scored by how many figures differ, listing each with both values."""
    flags = [
        coded_flag(mesa, "print_mismatch", float(len(figures)), figures=[list(f) for f in figures])
        for mesa, figures in sheets
    ]
    return TestResult(
        "print_mismatch", float(len(flags)), None, {"sheets": len(flags)}, sorted(flags, key=lambda f: f.mesa), CAVEAT
    )
