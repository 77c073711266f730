"""The CTC arithmetic of the OCR engine equals brute force: every alignment summed by hand."""

from __future__ import annotations

import itertools
import math
from collections import defaultdict

import numpy as np
import pytest

from testigo.read.ocr import ctc

# --- CTC arithmetic against brute force --------------------------------------------------------------


def _random_logprobs(rng: np.random.Generator, steps: int, classes: int, peak: float) -> ctc.LogProbs:
    logits = rng.standard_normal((steps, classes)) * peak
    result: ctc.LogProbs = logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)
    return result


def _brute_force(logprobs: ctc.LogProbs) -> dict[tuple[int, ...], float]:
    """P(labelling) for every labelling, by summing every one of the C^T alignments."""
    totals: dict[tuple[int, ...], float] = defaultdict(float)
    steps, classes = logprobs.shape
    for path in itertools.product(range(classes), repeat=steps):
        labels = tuple(c for i, c in enumerate(path) if c != ctc.BLANK and (i == 0 or c != path[i - 1]))
        totals[labels] += math.exp(sum(logprobs[t, c] for t, c in enumerate(path)))
    return totals


@pytest.mark.parametrize(("steps", "classes"), [(1, 4), (2, 5), (3, 4), (5, 3), (6, 3), (4, 6)])
def test_ctc_likelihood_equals_the_sum_over_every_alignment(steps: int, classes: int) -> None:
    rng = np.random.default_rng(steps * 100 + classes)
    logprobs = _random_logprobs(rng, steps, classes, peak=1.5)
    truth = _brute_force(logprobs)
    assert math.isclose(sum(truth.values()), 1.0, rel_tol=1e-9)
    labellings = sorted(truth) + [(1,) * (steps + 1), (1, 1) * steps]  # the last two cannot fit
    got = ctc.log_likelihoods(logprobs, labellings)
    for labels, value in zip(labellings, got, strict=True):
        if labels in truth:
            assert math.isclose(value, math.log(truth[labels]), rel_tol=1e-9, abs_tol=1e-12), labels
        else:
            assert value == -math.inf, labels
