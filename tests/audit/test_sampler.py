"""The sample: the same for anyone with the seed and the checkpoint, different for any other, and PPEB."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np
from cryptorandom.cryptorandom import SHA256

from testigo.audit import sampler
from testigo.audit.plan import Committed
from tests.audit.elections import simulate


def test_the_draws_are_redrawn_from_the_seed_and_checkpoint_alone() -> None:
    plan = simulate(np.random.default_rng(4)).plan
    first = plan.draws(300)
    assert first == simulate(np.random.default_rng(4)).plan.draws(300)  # a second reader, from scratch
    assert plan.draws(40) == first[:40]  # asking for more never changes the first draws
    assert plan.seed_text == f"{plan.seed},1234,{'ab' * 32}"
    other_digits = replace(plan, seed=plan.seed[:-1] + "7")
    other_root = replace(plan, checkpoint=Committed(plan.checkpoint.origin, 1234, "ac" + "ab" * 31))
    assert other_digits.draws(300) != first and other_root.draws(300) != first


def test_the_generator_is_sha256_of_the_seed_and_a_counter() -> None:
    """Draw k reads SHA-256(seed ',' k zero bytes) as a fraction of 2^256: checkable with hashlib alone."""
    seed = "12345678901234567890,7,00ff"
    weights = np.array([1.0, 3.0])
    for k, drawn in enumerate(sampler.draws(seed, weights, 8)):
        fraction = int.from_bytes(hashlib.sha256(seed.encode() + b"," + b"\0" * k).digest(), "big") / 2**256
        assert drawn == (0 if fraction < 0.25 else 1)
    assert SHA256(seed).random() == int.from_bytes(hashlib.sha256(seed.encode() + b",").digest(), "big") / 2**256


def test_mesas_are_drawn_in_proportion_to_their_error_bound() -> None:
    weights = np.array([1.0, 2.0, 7.0, 0.0])
    counts = np.bincount(sampler.draws("98765432109876543210", weights, 20_000), minlength=4)
    expected = 20_000 * weights / weights.sum()
    assert counts[3] == 0
    assert (np.abs(counts - expected) < 4 * np.sqrt(expected + 1)).all(), counts
