"""Printed words: score a known label in a line crop, or read the line, over the model's whole character set.

Figures are read digits-only (`digits`); the labels around them ("VOTOS
NULOS", "ACTA DE ESCRUTINIO") are how a caller checks that it is looking at the
right line, and the right way up, before trusting a figure. A label is known
in advance, so the useful number is again a likelihood: how well this crop
supports that text, per character so that labels of different lengths
compare. Spaces do not count: the recogniser sets them unreliably (a narrow
gap is often no space at all), so the space class is merged into the blank and
spaces are dropped from the text; "VOTOS NULOS" is scored as "VOTOSNULOS"
whatever the spacing printed.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from testigo.read.ocr import ctc
from testigo.read.ocr.digits import FLOOR
from testigo.read.ocr.model import Model, default_model
from testigo.read.ocr.prepare import prepare


def read_text(gray_line_crop: npt.NDArray[np.generic], model: Model | None = None) -> str:
    """The line's greedy (best-path) reading over all 18,708 characters, outer spaces stripped.

    For showing a person what the model saw; to decide, score the expected
    text with `text_log_likelihood`.
    """
    model = default_model() if model is None else model
    probs = model.probabilities(prepare(gray_line_crop)).astype(np.float64)
    # the best path is an argmax per step, the same on probabilities as on their logs
    return "".join(model.classes[c] for c in ctc.best_path(probs)).strip()


def text_log_likelihood(gray_line_crop: npt.NDArray[np.generic], text: str, model: Model | None = None) -> float:
    """log P(`text` | line crop) per character (spaces ignored), exact CTC over the full character set.

    Near 0 when the crop plainly shows `text`; a few nats per character lower
    for another text or the crop upside down. Raises ValueError for a text
    with no character, or one the model does not know.
    """
    return read_line(gray_line_crop, model).log_likelihood(text)


class LineReading:
    """The recogniser's output for one crop, to score several texts against it with one run of the model."""

    def __init__(self, probs: npt.NDArray[np.float64], model: Model) -> None:
        self._probs = probs
        self._model = model

    def log_likelihood(self, text: str) -> float:
        """As `text_log_likelihood`, without running the model again."""
        model, probs = self._model, self._probs
        chars = [c for c in text if not c.isspace()]
        if not chars:
            raise ValueError("text_log_likelihood needs a text with at least one character")
        unknown = sorted({c for c in chars if c not in model.class_of})
        if unknown:
            raise ValueError(f"the OCR model has no class for {''.join(unknown)!r}")
        return _score(probs, chars, model)


def read_line(gray_line_crop: npt.NDArray[np.generic], model: Model | None = None) -> LineReading:
    """Run the model once on a crop of printed words; score texts against the result with `log_likelihood`."""
    model = default_model() if model is None else model
    return LineReading(model.probabilities(prepare(gray_line_crop)).astype(np.float64), model)


def _score(probs: npt.NDArray[np.float64], chars: list[str], model: Model) -> float:
    # Only the classes of `text` matter to its likelihood: column 0 is blank-or-space, then one per character.
    alphabet = sorted(set(chars))
    columns = np.stack([probs[:, 0] + probs[:, model.space_class], *(probs[:, model.class_of[c]] for c in alphabet)])
    logprobs = np.log(np.maximum(columns.T / probs.sum(axis=1, keepdims=True), FLOOR))
    labels = [alphabet.index(c) + 1 for c in chars]
    return float(ctc.log_likelihoods(logprobs, [labels])[0]) / len(chars)
