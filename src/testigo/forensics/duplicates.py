"""Test `duplicates`: the same sheet presented as several mesas.

Two signs of a copied or re-used sheet:

* identical vote vectors in different mesas — per party card when the cards are
  known (38 numbers in ve2024, so a coincidence is practically impossible),
  otherwise per candidate. Vectors with fewer than `min_votes` valid votes are
  skipped: with a handful of votes concentrated on two candidates, different
  mesas do coincide by chance (the 2024 data has a pair at 57 votes on two
  candidates only, which is why the default is not lower than 20).
* near-identical images: 64-bit perceptual hashes within `max_hamming` bits.
  Pairs are found by the pigeonhole principle (multi-index hashing, Norouzi,
  Punjani & Fleet 2012): split the hash into max_hamming + 1 blocks; two hashes
  that differ in at most max_hamming bits agree exactly on at least one block,
  so only hashes sharing a block value are compared.
* the same physical sheet behind two mesas' images: sheet prints (the ink
  above each QR code, `testigo.read.sheetprint`) registered on the common form
  and correlated (`testigo.forensics.sheetprints`); a forger who pastes another
  mesa's QR code on a genuine acta, or photographs one sheet twice with two
  codes, leaves the same signatures and figures above both codes.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable

import numpy as np

from testigo.domain.table import MesaTable
from testigo.forensics.result import Flag, TestResult
from testigo.forensics.sheetprints import SAME_SHEET, same_sheets

CAVEAT = (
    "Identical vote vectors in different mesas are very unlikely by chance once a sheet has a few dozen votes "
    "spread over several candidates, but every mesa of a group is flagged: the test cannot tell the original "
    "from the copies. Small sheets (fewer than the minimum of valid votes) are not compared. Near-identical "
    "images may also be two photos of one genuine sheet filed under two mesas by mistake."
)

#: Sheets with fewer valid votes than this are not compared (chance coincidences).
MIN_VOTES = 20
#: Perceptual hashes at most this many bits apart are "the same image".
MAX_HAMMING = 4
_SHOWN = 3


def duplicates(table: MesaTable, min_votes: int = MIN_VOTES, max_hamming: int = MAX_HAMMING) -> TestResult:
    """Flag mesas sharing a vote vector with another mesa, or a near-identical image.

    Score: for a shared vector, the number of mesas sharing it; for an image,
    the Hamming distance to the closest other image (0 = identical).
    """
    by_cards = table.cards is not None
    vectors = table.cards if table.cards is not None else table.votes
    flags, groups = _vector_flags(table.mesa_ids, vectors, table.valid >= min_votes)
    image_pairs = 0
    if table.image_hashes is not None:
        image_flags, image_pairs = _image_flags(table.mesa_ids, table.image_hashes, max_hamming)
        flags += image_flags
    sheet_pairs, sheets_compared = 0, None
    if table.sheet_prints is not None:
        sheet_flags, sheet_pairs, sheets_compared = _sheet_flags(table.mesa_ids, table.sheet_prints)
        flags += sheet_flags
    mesas = len({f.mesa for f in flags})
    estimate: dict[str, object] = {
        "compared": "cards" if by_cards else "candidates",
        "min_votes": min_votes,
        "mesas_compared": int((table.valid >= min_votes).sum()),
        "vector_groups": len(groups),
        "mesas_in_vector_groups": int(sum(len(g) for g in groups)),
        "largest_group": max((len(g) for g in groups), default=0),
        "max_hamming": max_hamming if table.image_hashes is not None else None,
        "image_pairs": image_pairs,
        "sheet_prints_compared": sheets_compared,
        "same_sheet_threshold": SAME_SHEET if table.sheet_prints is not None else None,
        "same_sheet_pairs": sheet_pairs,
        "mesas_flagged": mesas,
    }
    return TestResult("duplicates", float(mesas), None, estimate, flags, CAVEAT)


def _vector_flags(
    mesa_ids: np.ndarray, vectors: np.ndarray, eligible: np.ndarray
) -> tuple[list[Flag], list[list[int]]]:
    rows = np.flatnonzero(eligible)
    if not len(rows):
        return [], []
    _, inverse, counts = np.unique(vectors[rows], axis=0, return_inverse=True, return_counts=True)
    shared = counts[inverse] > 1
    members: dict[int, list[int]] = defaultdict(list)
    for row, group in zip(rows[shared].tolist(), inverse[shared].tolist(), strict=True):
        members[group].append(row)
    flags = []
    for group in members.values():
        for row in group:
            others = [str(mesa_ids[r]) for r in group if r != row]
            listed = ", ".join(others[:_SHOWN]) + (f" and {len(others) - _SHOWN} more" if len(others) > _SHOWN else "")
            reason = f"same votes ({int(vectors[row].sum())}) as {listed}"
            flags.append(Flag(str(mesa_ids[row]), reason, float(len(group))))
    return flags, list(members.values())


def near_pairs(hashes: np.ndarray, max_hamming: int) -> np.ndarray:
    """All pairs (i < j) of hashes at most `max_hamming` bits apart, as an (M, 2) array."""
    hashes = np.asarray(hashes, dtype=np.uint64)
    edges = np.linspace(0, 64, max_hamming + 2).astype(int)
    found = []
    for start, stop in itertools.pairwise(edges):
        mask = np.uint64((1 << int(stop - start)) - 1)
        keys = (hashes >> np.uint64(start)) & mask
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        bounds = np.flatnonzero(np.diff(sorted_keys)) + 1
        for group in np.split(order, bounds):
            if len(group) < 2:
                continue
            a, b = np.triu_indices(len(group), k=1)
            i, j = group[a], group[b]
            close = np.bitwise_count(hashes[i] ^ hashes[j]) <= max_hamming
            found.append(np.stack([np.minimum(i[close], j[close]), np.maximum(i[close], j[close])], axis=1))
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    return np.unique(np.concatenate(found), axis=0)


def _image_flags(mesa_ids: np.ndarray, hashes: np.ndarray, max_hamming: int) -> tuple[list[Flag], int]:
    pairs = near_pairs(hashes, max_hamming)
    distances = (int(np.bitwise_count(np.uint64(hashes[i]) ^ np.uint64(hashes[j]))) for i, j in pairs.tolist())
    best = _best_partners((i, j, -d) for (i, j), d in zip(pairs.tolist(), distances, strict=True))
    flags = [
        Flag(str(mesa_ids[me]), f"image nearly identical to mesa {mesa_ids[other]} ({-s} of 64 bits differ)", float(-s))
        for me, (other, s) in best.items()
    ]
    return flags, len(pairs)


def _best_partners(pairs: Iterable[tuple[int, int, float]]) -> dict[int, tuple[int, float]]:
    """For each index in any (i, j, score) pair, its partner of highest score, by index: one flag per mesa."""
    best: dict[int, tuple[int, float]] = {}
    for i, j, score in pairs:
        for me, other in ((i, j), (j, i)):
            if me not in best or score > best[me][1]:
                best[me] = (other, score)
    return dict(sorted(best.items()))


def same_sheet_reason(other_mesa: str, similarity: float) -> str:
    """The reason of a same-sheet flag (the HTML report translates this wording: see forensics.i18n)."""
    return (
        f"sheet image shows the same sheet as mesa {other_mesa} (signatures and figures correlate at {similarity:.2f})"
    )


def _sheet_flags(mesa_ids: np.ndarray, prints: np.ndarray) -> tuple[list[Flag], int, int]:
    """Flags for mesas whose sheet image shows the same sheet as another mesa's; score: the correlation."""
    matches = same_sheets(list(prints))
    flags = [
        Flag(str(mesa_ids[me]), same_sheet_reason(str(mesa_ids[other]), s), round(s, 3))
        for me, (other, s) in _best_partners(matches.pairs).items()
    ]
    return flags, len(matches.pairs), matches.usable if matches.compared else 0
