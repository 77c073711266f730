"""What the print of one sheet said: kept beside the sheet's outcome, logged, published and shown to reviewers.

A sheet whose QR code was read has its printed figures compared with the
code's (`CONFIRMED`, `PARTIAL` or `MISMATCH`); a sheet without a readable code
has them read on their own (`CERTAIN` enough to count without a person, or
`UNCERTAIN`, a transcription task in which the machine's reading is one of
the entries).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Every printed figure agrees with the QR code.
CONFIRMED = "confirmed"
#: No figure differs from the QR code, but some could not be read.
PARTIAL = "partial"
#: At least one printed figure differs from the QR code.
MISMATCH = "mismatch"
#: Read from the print alone, every figure certain and the sheet's arithmetic holding.
CERTAIN = "certain"
#: Read from the print alone, but not certain enough to count without a person.
UNCERTAIN = "uncertain"
OUTCOMES = (CONFIRMED, PARTIAL, MISMATCH, CERTAIN, UNCERTAIN)

Quad = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class PrintedSheet:
    """The print of one sheet as read: its layout, the outcome, each figure read, and where each lies.

    `figures` maps every field of the layout that was found to the digits
    read there ("" when nothing legible); `scores` to the number the outcome
    rested on (the margin in nats against the QR's value for a cross-check,
    the posterior probability for a sheet read alone); `quads` to the field's
    corners on the page, so a reviewer can be shown it; `model` is the OCR
    model's SHA-256, so a verifier knows which model read it.
    """

    layout: str
    outcome: str
    detail: str
    figures: dict[str, str]
    scores: dict[str, float] = field(default_factory=dict)
    quads: dict[str, Quad] = field(default_factory=dict)
    model: str = ""
    differing: tuple[str, ...] = ()
    """The fields whose print differs from the QR code (a mismatch names at least one)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "layout": self.layout,
            "outcome": self.outcome,
            "detail": self.detail,
            "figures": self.figures,
            "scores": self.scores,
            "quads": {k: [list(p) for p in q] for k, q in self.quads.items()},
            "model": self.model,
            "differing": list(self.differing),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PrintedSheet:
        return cls(
            layout=str(data["layout"]),
            outcome=str(data["outcome"]),
            detail=str(data["detail"]),
            figures={str(k): str(v) for k, v in data["figures"].items()},
            scores={str(k): float(v) for k, v in data.get("scores", {}).items()},
            quads={str(k): tuple((float(x), float(y)) for x, y in q) for k, q in data.get("quads", {}).items()},
            model=str(data.get("model", "")),
            differing=tuple(str(name) for name in data.get("differing", [])),
        )

    def logged(self) -> dict[str, Any]:
        """What the tamper-evident log keeps of it: what the print says, and how that was decided."""
        return {"layout": self.layout, "outcome": self.outcome, "figures": self.figures, "model": self.model}
