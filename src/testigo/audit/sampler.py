"""The draws of an audit: mesas sampled with replacement, with probability proportional to their error bound.

The generator is `cryptorandom`'s SHA-256 PRNG (the one SHANGRLA and Stark's
audit tools use): the k-th number is the SHA-256 of the seed text, a comma
and k zero bytes, read as a 256-bit fraction. Its seed text joins the public
digits with the size and root hash of the committed checkpoint, so the
published figures are fixed before anyone can know the sample, and anyone
can redraw it from the plan alone. Draw k picks the first mesa whose
cumulative share of the error bounds exceeds that number
(`cryptorandom.sample.elimination_sample`, with replacement): PPEB sampling
(Aslam, Popa and Rivest 2008), so large mesas, which could hide more error,
are drawn more often. Each draw uses one number, so the first k draws never
depend on how many are asked for.
"""

from __future__ import annotations

import numpy as np
from cryptorandom.cryptorandom import SHA256
from cryptorandom.sample import random_sample


def seed_text(digits: str, size: int, root_hash: str) -> str:
    """The generator's seed: ``<digits>,<checkpoint size>,<checkpoint root hash hex>``."""
    return f"{digits},{size},{root_hash}"


def draws(seed: str, weights: np.ndarray, count: int) -> list[int]:
    """The first `count` draws (indices into `weights`), with replacement, with probability ∝ `weights`."""
    if count <= 0:
        return []
    drawn = random_sample(len(weights), count, replace=True, p=weights, method="Elimination", prng=SHA256(seed))
    return [int(i) for i in drawn]
