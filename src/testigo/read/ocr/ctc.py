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
from collections.abc import Callable, Sequence
from functools import partial
from itertools import chain

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
    best alignment. A labelling that cannot fit in T steps (its length plus a
    blank between each repeated class is more than T) gets -inf; the empty
    labelling is the all-blank path.

    A state's forward variable depends only on the labels up to it, so
    labellings that share a prefix share its states: they are run as a trie
    (one label state and one blank state per distinct prefix), vectorised over
    its nodes, looping over time. A header's code weighed against every mesa
    of the registry (some 15,000 nine-digit centre codes, `testigo.pipeline.
    header`) runs each shared prefix once, and a figure's hundred neighbours
    are set up without a Python loop per labelling: 2.7 and 5 times faster
    than one row of states per labelling, with the same operations on each
    state in the same order, so every result is the same to the bit.
    """
    lengths = np.fromiter((len(labels) for labels in labellings), dtype=np.int64, count=len(labellings))
    flat = np.fromiter(chain.from_iterable(labellings), dtype=np.int64, count=int(lengths.sum()))
    return packed_log_likelihoods(logprobs, flat, lengths)


def packed_log_likelihoods(logprobs: LogProbs, flat: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64]) -> LogProbs:
    """`log_likelihoods` of labellings given end to end: `flat` holds them one after another, `lengths` says
    how many labels each has. For callers with thousands of strings, which they can pack without a Python
    loop per string (`testigo.read.ocr.digits`)."""
    n = len(lengths)
    if n == 0:
        return np.empty(0, dtype=np.float64)
    steps, classes = logprobs.shape
    if steps == 0:
        return np.where(lengths == 0, 0.0, _NEG_INF)
    outside = (flat <= BLANK) | (flat >= classes)
    if outside.any():
        owner = int(np.repeat(np.arange(n), lengths)[np.argmax(outside)])
        start = int(lengths[:owner].sum())
        bad = flat[start : start + int(lengths[owner])].tolist()
        raise ValueError(f"labelling {bad} has a class outside 1..{classes - 1}")
    longest = int(lengths.max())
    padded = np.zeros((n, longest), dtype=np.int64)
    padded[np.arange(longest)[None, :] < lengths[:, None]] = flat
    # The trie: node 0 is the empty prefix (its parent itself), every other node one label past its parent;
    # `ends` is each labelling's node so far, then its last.
    parents, labels, ends, count = [np.zeros(1, np.int64)], [np.zeros(1, np.int64)], np.zeros(n, np.int64), 1
    for depth in range(longest):
        going = lengths > depth
        keys, inverse = np.unique(ends[going] * classes + padded[going, depth], return_inverse=True)
        parents.append(keys // classes)
        labels.append(keys % classes)
        ends[going] = count + inverse.reshape(-1)
        count += len(keys)
    parent, label = np.concatenate(parents), np.concatenate(labels)
    # A label state may be entered from its parent's label state (skipping the blank between) only when the
    # two labels differ: "11" needs a blank between its ones, or it would collapse to "1".
    skip = label != label[parent]
    first = parent == 0
    first[0] = False
    emitted = np.full(count, _NEG_INF)  # each node's label state
    blank = np.full(count, _NEG_INF)  # each node's blank after its label
    blank[0] = logprobs[0, BLANK]
    emitted[first] = logprobs[0, label[first]]
    for t in range(1, steps):
        row = logprobs[t]
        from_skip = np.where(skip, emitted[parent], _NEG_INF)
        new = np.logaddexp(np.logaddexp(emitted, blank[parent]), from_skip) + row[label]
        blank = np.logaddexp(np.logaddexp(blank, emitted), _NEG_INF) + row[BLANK]
        new[0] = _NEG_INF  # the empty prefix has no label state
        emitted = new
    last_label = np.where(lengths > 0, emitted[ends], _NEG_INF)
    result: LogProbs = np.logaddexp(blank[ends], last_label)
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
    beam keeps the `width` best prefixes, ties broken by the prefix. Both cuts
    make the prefixes' running scores lower bounds, so callers rescore the
    survivors with `log_likelihoods`; the beam's job is only to find them.

    Each step is computed for the whole beam at once, its prefixes nodes of a
    trie (`_Trie`): a sheet's header match asks for beams of 256 and 1,024
    prefixes (`testigo.pipeline.header`), and prefix by prefix in Python the
    beams cost 80-95 ms of CPU a hardest photo without a code, 30 ms now (12
    photos, the same prefixes kept). A figure's beam of 32 over its 9 steps
    or so costs a little more so (0.48 ms against 0.37).
    """
    if width < 1:
        raise ValueError(f"beam width must be at least 1, not {width}")
    trie = _Trie()
    nodes = np.zeros(1, dtype=np.int64)  # the beam's prefixes (node 0: the empty one)
    ends_blank, ends_label = np.zeros(1), np.full(1, _NEG_INF)
    for row in np.asarray(logprobs, dtype=np.float64):
        extended = row >= float(row.max()) - prune
        blank = float(row[BLANK]) if extended[BLANK] else _NEG_INF
        extended[BLANK] = False
        classes = np.flatnonzero(extended)
        last = trie.label[nodes]  # BLANK for the empty prefix: never extended
        total = np.logaddexp(ends_blank, ends_label)
        # each prefix's candidates in a row: column 0 the prefix staying (by a blank, or by its last class again
        # without one), then the prefix grown by each class (by its last class again only after a blank)
        repeats = extended[last]
        labelled = np.empty((len(nodes), len(classes) + 1))
        labelled[:, 0] = np.where(repeats, ends_label + row[last], _NEG_INF)
        labelled[:, 1:] = np.where(last[:, None] == classes, ends_blank[:, None], total[:, None]) + row[classes]
        valid = np.ones(labelled.shape, dtype=bool)
        valid[:, 0] = repeats | (blank > _NEG_INF)
        # a prefix grown into one the beam holds adds to that one
        parent_place = trie.places(nodes)[trie.parent[nodes]]
        inside = np.flatnonzero(repeats & (parent_place >= 0))
        if len(inside):
            parents, columns = parent_place[inside], np.cumsum(extended)[last[inside]]
            labelled[inside, 0] = np.logaddexp(labelled[inside, 0], labelled[parents, columns])
            valid[parents, columns] = False
        staying = total + blank  # each prefix's alignments that stay by a blank
        scores = labelled.copy()
        scores[:, 0] = np.logaddexp(staying, labelled[:, 0])
        entries = np.flatnonzero(valid)
        places, columns = np.divmod(entries, labelled.shape[1])
        prefix = partial(_candidate_prefix, trie, nodes, places, columns, classes)
        chosen = _best(scores.flat[entries], width, prefix)
        places, columns = places[chosen], columns[chosen]
        ends_label = labelled.flat[entries[chosen]]
        ends_blank = np.where(columns == 0, staying[places], _NEG_INF)
        nodes = nodes[places]
        grew = np.flatnonzero(columns)
        nodes[grew] = trie.children(nodes[grew], classes[columns[grew] - 1])
    return [trie.prefix(int(node)) for node in nodes]


def _best(scores: np.ndarray, width: int, prefix: Callable[[int], tuple[int, ...]]) -> np.ndarray:
    """The places of the `width` highest `scores`, highest first; equal scores in the order of their `prefix`."""
    candidates = np.arange(len(scores))
    if len(scores) > width:
        candidates = np.flatnonzero(scores >= np.partition(scores, len(scores) - width)[len(scores) - width])
    order = candidates[np.argsort(-scores[candidates], kind="stable")]
    ranked = scores[order]
    if np.any(ranked[1:] == ranked[:-1]):  # ties (floored probabilities): the prefixes decide, as sorted
        order = np.array(sorted(order.tolist(), key=lambda entry: (-scores[entry], prefix(entry))), dtype=np.int64)
    return order[:width]


def _candidate_prefix(
    trie: _Trie, nodes: np.ndarray, places: np.ndarray, columns: np.ndarray, classes: np.ndarray, entry: int
) -> tuple[int, ...]:
    """The prefix of a step's candidate `entry`: the beam's prefix at its place, grown by a class where its column
    is not 0."""
    grown = (int(classes[columns[entry] - 1]),) if columns[entry] else ()
    return (*trie.prefix(int(nodes[places[entry]])), *grown)


class _Trie:
    """Prefixes as nodes: node 0 the empty prefix, every other its `parent`'s prefix with one `label` more.

    A prefix has one node whichever step grew it (`children`): a prefix
    grown into one the beam holds is found by its node.
    """

    def __init__(self) -> None:
        self.parent = np.zeros(1, dtype=np.int64)
        self.label = np.full(1, BLANK, dtype=np.int64)
        self._children: dict[tuple[int, int], int] = {}
        self._prefixes: dict[int, tuple[int, ...]] = {0: ()}

    def children(self, parents: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """The node of each parent's prefix followed by its label, made where new (the pairs are distinct).

        A pair new at place i of the call becomes node `len(parent) + i`: the nodes of the pairs known
        already leave unused places, which nothing refers to.
        """
        size = len(self.parent)
        pairs = zip(parents.tolist(), labels.tolist(), strict=True)
        nodes = np.array([self._children.setdefault(pair, size + i) for i, pair in enumerate(pairs)], dtype=np.int64)
        made = nodes >= size
        self.parent = np.concatenate([self.parent, np.where(made, parents, 0)])
        self.label = np.concatenate([self.label, np.where(made, labels, BLANK)])
        return nodes

    def places(self, nodes: np.ndarray) -> np.ndarray:
        """For every node, its place among `nodes` (-1: not among them)."""
        place = np.full(len(self.parent), -1, dtype=np.int64)
        place[nodes] = np.arange(len(nodes))
        return place

    def prefix(self, node: int) -> tuple[int, ...]:
        """The labels from the root to `node`."""
        path = []
        while node not in self._prefixes:
            path.append(node)
            node = int(self.parent[node])
        for step in reversed(path):
            self._prefixes[step] = (*self._prefixes[node], int(self.label[step]))
            node = step
        return self._prefixes[node]
