"""CTC arithmetic on per-timestep log-probabilities: exact likelihoods, best path, k-best search.

A CTC recogniser does not say "this cell reads 140"; it gives, for each of T
horizontal steps, a distribution over classes (class 0 is the *blank*, "no
character here"). A string's probability is the sum over every *alignment*,
every length-T path that collapses to it once repeats are merged and blanks
dropped (``1-14-00`` -> "140" with - the blank). This module does that
arithmetic on a (T, C) array of natural-log probabilities, with no model and no
knowledge of what the classes mean; `digits` and `text` give them meaning.

Everything is in float64 log space: the probabilities of long alignments
underflow any linear representation, and the margins testigo decides on are
differences of a few nats between numbers of a few tens.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

LogProbs = npt.NDArray[np.float64]

#: The class every PP-OCR recogniser reserves for "no character at this step".
BLANK = 0

_NEG_INF = -math.inf


def log_likelihoods(logprobs: LogProbs, labellings: Sequence[Sequence[int]]) -> LogProbs:
    """log P(labelling) for each labelling (class indices, never `BLANK`), by the CTC forward algorithm.

    Exact: the forward recursion sums over every alignment (Graves et al.,
    2006), so the result is the model's probability of the string, not of its
    best alignment. Vectorised over the labellings (margins score a hundred
    neighbours of a figure at once), looping over time. A labelling that cannot
    fit in T steps (its length plus a blank between each repeated class is more
    than T) gets -inf; the empty labelling is the all-blank path.
    """
    n = len(labellings)
    if n == 0:
        return np.empty(0, dtype=np.float64)
    steps = logprobs.shape[0]
    lengths = np.array([len(labels) for labels in labellings], dtype=np.int64)
    if steps == 0:
        return np.where(lengths == 0, 0.0, _NEG_INF)
    states = 2 * int(lengths.max()) + 1
    # The extended labelling: blank, l1, blank, l2, ..., blank (state s is a blank when s is even).
    extended = np.zeros((n, states), dtype=np.int64)
    valid = np.zeros((n, states), dtype=bool)
    # A label state may be entered from two states back (skipping the blank between) only when
    # the two labels differ: "11" needs a blank between its ones, or it would collapse to "1".
    skip = np.zeros((n, states), dtype=bool)
    for k, labels in enumerate(labellings):
        size = len(labels)
        if size:
            row = np.asarray(labels, dtype=np.int64)
            if int(row.min()) <= BLANK or int(row.max()) >= logprobs.shape[1]:
                raise ValueError(f"labelling {list(labels)} has a class outside 1..{logprobs.shape[1] - 1}")
            extended[k, 1 : 2 * size : 2] = row
            skip[k, 3 : 2 * size : 2] = row[1:] != row[:-1]
        valid[k, : 2 * size + 1] = True
    emit = logprobs[:, extended]  # (T, n, states)
    alpha = np.full((n, states), _NEG_INF)
    alpha[:, 0] = emit[0, :, 0]
    if states > 1:
        alpha[:, 1] = np.where(valid[:, 1], emit[0, :, 1], _NEG_INF)
    pad1 = np.full((n, 1), _NEG_INF)
    pad2 = np.full((n, 2), _NEG_INF)
    for t in range(1, steps):
        from_previous = np.concatenate([pad1, alpha[:, :-1]], axis=1)
        from_skip = np.where(skip, np.concatenate([pad2, alpha[:, :-2]], axis=1), _NEG_INF)
        alpha = np.logaddexp(np.logaddexp(alpha, from_previous), from_skip) + emit[t]
        alpha = np.where(valid, alpha, _NEG_INF)
    rows = np.arange(n)
    last_blank = alpha[rows, 2 * lengths]
    last_label = np.where(lengths > 0, alpha[rows, np.maximum(2 * lengths - 1, 0)], _NEG_INF)
    result: LogProbs = np.logaddexp(last_blank, last_label)
    return result


def best_path(logprobs: LogProbs) -> list[int]:
    """The labelling of the single most likely alignment (greedy decoding): argmax per step, collapsed.

    Cheap and what PaddleOCR itself reports, but not the most likely string:
    a string with many good alignments can beat the one best alignment.
    """
    best = logprobs.argmax(axis=1)
    keep = (best != BLANK) & np.r_[True, best[1:] != best[:-1]]
    return [int(c) for c in best[keep]]


def prefix_beam_search(logprobs: LogProbs, width: int, prune: float = 12.0) -> list[tuple[int, ...]]:
    """The labellings left in a CTC prefix beam of `width` after the last step, most likely first.

    Each prefix carries the log-probability of all alignments of it so far,
    split by whether they end in a blank (so a repeated class can be told from
    a new one). Classes more than `prune` nats below a step's best are not
    extended (they cannot matter at the precision anyone decides on) and the
    beam keeps the `width` best prefixes. Both cuts make the prefixes' running
    scores lower bounds, so callers rescore the survivors with
    `log_likelihoods`; the beam's job is only to find them.
    """
    if width < 1:
        raise ValueError(f"beam width must be at least 1, not {width}")
    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (0.0, _NEG_INF)}  # prefix -> (ends blank, ends label)
    for row in logprobs:
        step = [float(v) for v in row]
        floor = max(step) - prune
        classes = [c for c in range(1, len(step)) if step[c] >= floor]
        blank = step[BLANK]
        grown: dict[tuple[int, ...], list[float]] = {}
        for prefix, (ends_blank, ends_label) in beams.items():
            total = _logaddexp(ends_blank, ends_label)
            if blank >= floor:
                slot = grown.setdefault(prefix, [_NEG_INF, _NEG_INF])
                slot[0] = _logaddexp(slot[0], total + blank)
            for c in classes:
                extended = (*prefix, c)
                slot = grown.setdefault(extended, [_NEG_INF, _NEG_INF])
                if prefix and prefix[-1] == c:
                    # the same class again: it extends the prefix only after a blank ...
                    slot[1] = _logaddexp(slot[1], ends_blank + step[c])
                    # ... and otherwise merges into the character already there
                    same = grown.setdefault(prefix, [_NEG_INF, _NEG_INF])
                    same[1] = _logaddexp(same[1], ends_label + step[c])
                else:
                    slot[1] = _logaddexp(slot[1], total + step[c])
        ranked = sorted(grown.items(), key=lambda item: (-_logaddexp(*item[1]), item[0]))[:width]
        beams = {prefix: (scores[0], scores[1]) for prefix, scores in ranked}
    return list(beams)


def _logaddexp(a: float, b: float) -> float:
    """log(exp(a) + exp(b)) for Python floats, -inf-safe (numpy's scalar call costs ten times more)."""
    if a == _NEG_INF:
        return b
    if b == _NEG_INF:
        return a
    high, low = (a, b) if a >= b else (b, a)
    return high + math.log1p(math.exp(low - high))
