"""Stand-ins for `testigo.read.printed.reading.FieldReading`: fields whose readers' log-likelihoods are chosen.

They let each rule that decides on readings (figures, header codes) be
tested on its own; the whole reader is tested on rendered sheets.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from testigo.read.printed.reading import BOTH, FONT, OCR, PrintReading

_PLACES = itertools.count()


class Field:
    """A field whose readers' log-likelihood of each string is given (any other string: `floor`).

    `ocr` are PP-OCR's; `font`, when given, the sheet's font's (a string it
    does not list: `floor`).
    """

    def __init__(
        self,
        ocr: dict[str, float],
        floor: float = -40.0,
        font: dict[str, float] | None = None,
        *,
        placed: bool = True,
        whole: bool = True,
    ) -> None:
        self.ocr, self.floor, self.font, self.placed, self.whole = ocr, floor, font, placed, whole
        place = float(next(_PLACES))  # each stand-in on a place of its own, as no two fields of a page share one
        self.quad = ((place, 0.0), (place + 1, 0.0), (place + 1, 1.0), (place, 1.0))
        self.has_font = font is not None
        pool = set(ocr) | set(font or {})
        ranked = sorted(((text, self._score(text, BOTH)) for text in pool), key=lambda item: -item[1])
        self.candidates = tuple(ranked)
        self.text = ranked[0][0]

    def _score(self, text: str, reader: str) -> float:
        ocr = self.ocr.get(text, self.floor) if reader != FONT else 0.0
        font = self.font.get(text, self.floor) if self.font is not None and reader != OCR else 0.0
        return ocr + font

    def log_likelihood(self, text: str) -> float:
        return self._score(text, BOTH)

    def log_likelihoods(self, texts: Any) -> dict[str, float]:
        return {text: self._score(text, BOTH) for text in texts}

    def likely(self, k: int) -> tuple[tuple[str, float], ...]:
        ranked = sorted(((text, self._score(text, OCR)) for text in self.ocr), key=lambda item: -item[1])
        return tuple(ranked[:k])

    def best(self, reader: str = BOTH) -> str:
        return max(sorted({*self.ocr, *(self.font or {})}), key=lambda text: self._score(text, reader))

    def margin(self, text: str, reader: str = BOTH) -> float:
        if reader == FONT and self.font is None:
            return math.inf
        rivals = [self._score(other, reader) for other in {*self.ocr, *(self.font or {})} if other != text]
        floor = self._score("no such string", reader)
        return self._score(text, reader) - max([*rivals, floor])


def reading(**fields: Any) -> PrintReading:
    return PrintReading("t", dict(fields), upside_down=False)


def sure(value: int) -> Field:
    return Field({str(value): -0.01})
