"""Finding a label among crops (`reading._Labels`): the best reading, each crop read once, and when to stop.

PP-OCR is replaced by readings with chosen log-likelihoods, so the search
rule is tested on its own; tests/read/test_printed_sheets.py finds real
labels on rendered sheets.
"""

from __future__ import annotations

import numpy as np
import pytest

from testigo.read import ocr
from testigo.read.printed.reading import LABEL_FLOOR, LABEL_SURE, _Labels


class Reading:
    """A crop's reading that gives each label the log-likelihood per character it is told (else -20)."""

    def __init__(self, scores: dict[str, float]) -> None:
        self.scores = scores

    def log_likelihood(self, label: str) -> float:
        return self.scores.get(label, -20.0)


def labels(monkeypatch: pytest.MonkeyPatch, crops: list[dict[str, float]], read: list[int]) -> _Labels:
    """A `_Labels` over `crops` (each crop is its index, its reading the scores given); `read` logs what is read."""

    def read_line(crop: np.ndarray) -> Reading:
        read.append(int(crop[0, 0]))
        return Reading(crops[int(crop[0, 0])])

    monkeypatch.setattr(ocr, "read_line", read_line)
    return _Labels(lambda k: np.full((2, 2), k))


def test_the_search_stops_at_a_plain_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[int] = []
    found = labels(monkeypatch, [{"MESA:": -3.0}, {"MESA:": LABEL_SURE + 0.5}, {"MESA:": 0.0}], read)
    assert found.best("MESA:", [0, 1, 2]) == 1
    assert read == [0, 1]


def test_without_a_plain_reading_the_best_is_taken_after_reading_all(monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[int] = []
    below_sure = (LABEL_SURE + LABEL_FLOOR) / 2
    found = labels(monkeypatch, [{"MESA:": LABEL_FLOOR + 0.1}, {"MESA:": below_sure}, {"MESA:": -4.0}], read)
    assert found.best("MESA:", [2, 0, 1]) == 1
    assert sorted(read) == [0, 1, 2]


def test_no_crop_reading_as_the_label_is_none(monkeypatch: pytest.MonkeyPatch) -> None:
    found = labels(monkeypatch, [{"MESA:": LABEL_FLOOR - 0.1}, {"CENTRO:": 0.0}], [])
    assert found.best("MESA:", [0, 1]) is None
    assert found.best("MESA:", []) is None


def test_each_crop_is_read_once_whatever_labels_are_scored_on_it(monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[int] = []
    found = labels(monkeypatch, [{"CENTRO:": -2.0, "MESA:": 0.0}, {"CENTRO:": 0.0}], read)
    assert found.best("MESA:", [0, 1]) == 0
    assert found.best("CENTRO:", [0, 1]) == 1
    assert read == [0, 1]
