"""Printed figures: read each field as a digit string, and score the strings a caller already expects.

The recogniser knows 18,708 characters; a figure holds only digits. Every
reading here is *digit-restricted*: at each step the classes other than the
blank and "0"-"9" are dropped and the rest renormalised (the same as masking
them out of the softmax). That gained 3-5 points of exact reads in every
resolution band of the evaluation ("l" and "O" stop competing with 1 and 0),
and it makes `log_likelihood` a proper distribution over digit strings: summed
over every digit string, "" included, it gives 1.

For a figure already known from the QR code, the question is not "what does
this say?" but "does the print support this value over every close
alternative?": `margin`. In the evaluation, at 0.8 px per printer dot and
above, margin > 5 confirmed 62-70 % of genuine figures and accepted none of
2,154 altered ones, and margin < -5 flagged 95-97 % of one-digit alterations;
below 0.6 px per dot it cannot tell either way (benchmarks/ocr.py measures
the same on its own fields). A free reading (`Reading.text`) is only an
explanation for a reviewer: confidently wrong reads exist at every confidence
the model gives.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from testigo.read.ocr import ctc
from testigo.read.ocr.model import DIGITS, Model, default_model
from testigo.read.ocr.prepare import prepare

#: Columns of `Reading.logprobs`: the blank, "0"-"9", and every other character of the model together.
BLANK, OTHER = 0, 11
#: Probabilities are floored here before the log, so that a class the model rules out is finite.
FLOOR = 1e-30
#: Competitors taken from the k-best list when `margin` looks for the best other string.
MARGIN_K = 8


@dataclass(frozen=True, eq=False)
class Reading:
    """What the recogniser saw in one field.

    `logprobs` is all any later question needs: a (T, 12) float32 array of
    natural-log probabilities per step over [blank, "0", ..., "9", other],
    where *other* is the summed probability of every non-digit character
    (letters, punctuation, space, ...). It is 1,500 times smaller than the
    model's full output, and read-only.
    """

    #: The digit-restricted best-path reading ("" when the field shows no digit).
    text: str
    #: The smallest probability the model gave any digit of `text` at the step that emitted it; for
    #: an empty reading, the smallest per-step probability of "no digit". Not calibrated:
    #: decide on `margin`.
    confidence: float
    logprobs: npt.NDArray[np.float32]


def recognise(fields: Sequence[npt.NDArray[np.generic]], model: Model | None = None) -> list[Reading]:
    """Read each grayscale field crop (see `prepare`); one model run per field, in order.

    `model` defaults to the process's shared session (`default_model`), loaded
    on the first call. Fields are never batched: padding to a common width
    changes readings.
    """
    if len(fields) == 0:
        return []
    model = default_model() if model is None else model
    return [_reading(model.probabilities(prepare(field)), model) for field in fields]


def _reading(probs: npt.NDArray[np.float32], model: Model) -> Reading:
    """Fold the model's full softmax into [blank, digits, other] and decode it."""
    full = probs.astype(np.float64)
    total = full.sum(axis=1)  # 1 up to float32 rounding; dividing makes the 12 columns sum to 1
    kept = full[:, [0, *model.digit_classes]]
    other = np.maximum(total - kept.sum(axis=1), 0.0)
    compact = np.concatenate([kept, other[:, None]], axis=1) / total[:, None]
    logprobs = np.log(np.maximum(compact, FLOOR)).astype(np.float32)
    logprobs.setflags(write=False)
    # the digit-restricted best path, taken from the stored array so that it can be recomputed from it
    best = logprobs[:, :OTHER].argmax(axis=1)
    starts = (best != BLANK) & np.r_[True, best[1:] != best[:-1]]
    if starts.any():
        confidence = float(compact[starts, best[starts]].min())
    else:
        confidence = float((1.0 - compact[:, 1:OTHER].sum(axis=1)).min())
    labels = [int(c) for c in best[starts]]
    return Reading(_text(labels), confidence, logprobs)


def _digit_logprobs(logprobs: npt.NDArray[np.float32]) -> ctc.LogProbs:
    """(T, 12) -> (T, 11) float64: drop *other* and renormalise over the blank and the digits."""
    kept = logprobs[:, :OTHER].astype(np.float64)
    top = kept.max(axis=1, keepdims=True)
    result: ctc.LogProbs = kept - (top + np.log(np.exp(kept - top).sum(axis=1, keepdims=True)))
    return result


def _packed(texts: Sequence[str]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The labels of `texts` end to end ("0" is class 1, ..., "9" class 10) and each one's length
    (`ctc.packed_log_likelihoods`).

    Packed without a Python loop per character: a header's code is weighed
    against some 15,000 codes of the registry, and converting them digit by
    digit cost a hard photo's rescue 32 ms.
    """
    joined = "".join(texts)
    if joined and not (joined.isascii() and joined.isdigit()):
        bad = next(text for text in texts if text and not (text.isascii() and text.isdigit()))
        raise ValueError(f"a figure is a string of ASCII digits, not {bad!r}")
    labels = np.frombuffer(joined.encode("ascii"), dtype=np.uint8).astype(np.int64) - (ord("0") - 1)
    return labels, np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))


def _text(labels: Sequence[int]) -> str:
    return "".join(DIGITS[c - 1] for c in labels)


def log_likelihoods(reading: Reading, texts: Sequence[str]) -> list[float]:
    """`log_likelihood` of each of `texts`, in one pass of the forward algorithm over all of them."""
    if not texts:
        return []
    scores: list[float] = ctc.packed_log_likelihoods(_digit_logprobs(reading.logprobs), *_packed(texts)).tolist()
    return scores


def log_likelihood(reading: Reading, text: str) -> float:
    """log P(`text` | field): the digit-restricted CTC probability of the digit string, over all alignments.

    "" is the empty field. -inf when the string cannot fit in the reading's
    steps (a field too narrow for that many digits).
    """
    return log_likelihoods(reading, [text])[0]


def candidates(reading: Reading, k: int = 5, *, beam: int | None = None) -> list[tuple[str, float]]:
    """The `k` most likely digit strings ("" among them) with their exact log-likelihoods, best first.

    Found by a CTC prefix beam search over the digits (width `beam`, default
    max(4k, 32)), then every survivor, the best-path reading and "" are
    rescored exactly with `log_likelihood`'s forward algorithm. The scores are
    exact; the list is the beam's (finding the true k best is intractable in
    general). On 540 benchmark fields a beam of 1,024 found the same best
    string every time, and the same five best in all but two. Ties are broken
    by the string, so the order is reproducible.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    logprobs = _digit_logprobs(reading.logprobs)
    width = max(4 * k, 32) if beam is None else beam
    pool = {*ctc.prefix_beam_search(logprobs, width), tuple(ctc.best_path(logprobs)), ()}
    ordered = sorted(pool)
    scores = ctc.log_likelihoods(logprobs, ordered)
    ranked = sorted(
        zip(scores.tolist(), (_text(labels) for labels in ordered), strict=True), key=lambda p: (-p[0], p[1])
    )
    return [(text, score) for score, text in ranked[:k] if score > -math.inf]


def neighbours(text: str) -> set[str]:
    """Every digit string one substitution, insertion or deletion away from `text` (not `text` itself)."""
    _packed([text])  # raises for a string that is not a figure
    found: set[str] = set()
    for i in range(len(text) + 1):
        for d in DIGITS:
            found.add(text[:i] + d + text[i:])
            if i < len(text):
                found.add(text[:i] + d + text[i + 1 :])
        if i < len(text):
            found.add(text[:i] + text[i + 1 :])
    found.discard(text)
    return found


def margin(reading: Reading, text: str, k: int = MARGIN_K) -> float:
    """log P(`text`) - log P(the best other digit string): how much the print prefers `text`.

    "Other" ranges over the `k` best strings and every one-edit neighbour of
    `text`, which is where a misread or an altered figure lives. Positive: the
    field supports `text` over any close alternative; strongly negative: it
    prints something else. Invariant to the digit restriction (every digit
    string is divided by the same per-step factor). -inf when `text` cannot
    fit in the field.
    """
    rivals = (neighbours(text) | {other for other, _ in candidates(reading, k)}) - {text}
    ordered = [text, *sorted(rivals)]
    scores = ctc.packed_log_likelihoods(_digit_logprobs(reading.logprobs), *_packed(ordered))
    return float(scores[0] - scores[1:].max())
