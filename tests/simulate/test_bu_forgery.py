"""Forged BUs: each kind is caught by the chain check with the reason its description announces."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import numpy as np
import pytest

from testigo.profiles.bu.arithmetic import check_arithmetic
from testigo.profiles.bu.assemble import Collector
from testigo.profiles.bu.chain import check
from testigo.profiles.bu.model import Boletim, BuPart
from testigo.profiles.bu.text import parse_boletim, parse_part
from testigo.simulate.boletim import draw_boletim, draw_election, qr_texts
from testigo.simulate.bu_forgery import (
    MAX_MOVED,
    CannotForge,
    Caught,
    Forgery,
    ForgeryKind,
    change_count,
    drop_part,
    foreign_part,
    recompute_chain,
)
from testigo.simulate.strip import render_strip

ELECTION = draw_election(11, 60, ufs=("PE", "RS"))
KEYS = ELECTION.public_keys()
#: Sections whose BUs are forged here, each with another section's BU to take a part from.
PAIRS = [(i, (i + 17) % ELECTION.sections) for i in range(0, ELECTION.sections, 6)]


def _parts(index: int) -> tuple[str, ...]:
    return qr_texts(ELECTION, draw_boletim(ELECTION, index))


def _verify(index: int, texts: tuple[str, ...]) -> tuple[list[BuPart], str]:
    name = ELECTION.key_name(draw_boletim(ELECTION, index).section.uf)
    return [parse_part(text) for text in texts], name


def test_the_genuine_bus_verify() -> None:
    for index, _ in PAIRS:
        parts, name = _verify(index, _parts(index))
        assert check(parts, KEYS[name], name).verified


def test_a_count_changed_breaks_the_chain_at_the_part_it_changed() -> None:
    for index, _ in PAIRS:
        forgery = change_count(_parts(index), np.random.default_rng(index))
        assert forgery.kind is ForgeryKind.COUNT_CHANGED and forgery.outcome is Caught.BROKEN_CHAIN
        parts, name = _verify(index, forgery.parts)
        result = check(parts, KEYS[name], name)
        assert not result.chain_valid and not result.verified
        assert result.broken_part == forgery.description["broken_part"] == forgery.description["parts_changed"][0]


def test_a_chain_recomputed_without_the_key_fails_on_the_signature() -> None:
    for index, _ in PAIRS:
        forgery = recompute_chain(_parts(index), np.random.default_rng(index))
        assert forgery.outcome is Caught.BAD_SIGNATURE
        parts, name = _verify(index, forgery.parts)
        result = check(parts, KEYS[name], name)
        assert result.chain_valid and not result.verified
        assert result.reason == f"invalid: bad signature under key {name}"


@pytest.mark.parametrize("forge", [change_count, recompute_chain])
def test_votes_are_moved_so_that_every_sum_still_holds(
    forge: Callable[[Sequence[str], np.random.Generator], Forgery],
) -> None:
    """Only the cryptography can catch these: the figures are consistent, and differ from the truth as described."""
    for index, _ in PAIRS:
        forgery = forge(_parts(index), np.random.default_rng(index))
        description = forgery.description
        truth = parse_boletim([parse_part(text) for text in _parts(index)])
        forged = parse_boletim([parse_part(text) for text in forgery.parts])
        assert forged.header == truth.header
        for before, after in zip(truth.contests, forged.contests, strict=True):
            votes, changed = dict(before.all_candidates()), dict(after.all_candidates())
            if after.office == description["office"]:
                assert 1 <= description["votes"] <= MAX_MOVED
                votes[description["from"]] -= description["votes"]
                votes[description["to"]] += description["votes"]
            assert changed == votes
            assert [p.total for p in after.parties] == [p.total for p in before.parties]
            assert (after.nominal, after.label_votes, after.blank, after.null, after.total) == (
                before.nominal,
                before.label_votes,
                before.blank,
                before.null,
                before.total,
            )
        assert check_arithmetic(forged).invalid == ()
        moved = next(c for c in forged.contests if c.office == description["office"])
        party = description["party"]
        if party is None:
            assert moved.parties == ()
        else:  # within one party of a proportional contest
            assert {description["from"], description["to"]} <= set(
                next(p for p in moved.parties if p.number == party).candidates
            )


def test_a_dropped_part_leaves_the_bu_without_it() -> None:
    for index, _ in PAIRS:
        original = _parts(index)
        forgery = drop_part(original, np.random.default_rng(index))
        assert forgery.outcome is Caught.INCOMPLETE
        (missing,) = forgery.description["missing"]
        assert forgery.parts == tuple(text for k, text in enumerate(original, start=1) if k != missing)
        parts, name = _verify(index, forgery.parts)
        assert sorted({p.index for p in parts} | {missing}) == list(range(1, len(original) + 1))
        assert not check(parts, KEYS[name], name).chain_valid


def test_a_part_from_another_bu_breaks_the_chain() -> None:
    seen: set[tuple[bool, bool]] = set()
    for index, other in PAIRS:
        forgery = foreign_part(_parts(index), _parts(other), np.random.default_rng(index))
        description = forgery.description
        replaced = description["replaced"]
        stranger = parse_part(_parts(other)[replaced - 1])
        assert parse_part(forgery.parts[replaced - 1]).body == stranger.body
        assert description["relabelled"] == (stranger.count != len(forgery.parts))
        parts, name = _verify(index, forgery.parts)
        assert [(p.index, p.count) for p in parts] == [(k, len(parts)) for k in range(1, len(parts) + 1)]
        result = check(parts, KEYS[name], name)
        assert not result.chain_valid and result.broken_part == description["broken_part"]
        seen.add((replaced == 1, description["relabelled"]))
    assert {first for first, _ in seen} == {True, False}  # a first part (caught at part 2) and a later one
    assert {relabelled for _, relabelled in seen} == {True, False}


def _completed(texts: Sequence[str]) -> tuple[list[Boletim], Collector]:
    collector = Collector()
    completed = [bu for added in collector.add_photo(texts[::-1]) for bu in added.completed]
    return completed, collector


def test_the_assembler_completes_a_genuine_bu_once() -> None:
    for index, _ in PAIRS:
        completed, collector = _completed(_parts(index))
        assert len(completed) == 1 and collector.incomplete() == () and collector.waiting() == ()


def test_the_assembler_never_completes_a_bu_with_a_part_changed_dropped_or_foreign() -> None:
    for index, other in PAIRS:
        rng = np.random.default_rng(index)
        original = _parts(index)
        for forgery in (
            change_count(original, rng),
            drop_part(original, rng),
            foreign_part(original, _parts(other), rng),
        ):
            completed, collector = _completed(forgery.parts)
            assert completed == [], forgery.description
            first_bad = forgery.description.get("broken_part") or forgery.description["missing"][0]
            genuine = [i for i in collector.incomplete() if i.parts[0].text == original[0]]
            if first_bad > 1 and (forgery.kind is not ForgeryKind.FOREIGN_PART or forgery.description["replaced"] > 1):
                # the genuine beginning verifies, and the BU lacks everything from the first bad part on
                (incomplete,) = genuine
                assert incomplete.missing == tuple(range(first_bad, len(original) + 1))
                assert str(incomplete).endswith("lacks " + ", ".join(map(str, incomplete.missing)))
            else:
                assert genuine == []  # part 1 itself is forged or foreign: no genuine beginning at all


def test_the_assembler_completes_a_recomputed_chain_whose_signature_then_fails() -> None:
    for index, _ in PAIRS:
        forgery = recompute_chain(_parts(index), np.random.default_rng(index))
        (bu,) = _completed(forgery.parts)[0]
        name = bu.signing_key_name
        assert name is not None
        assert check(bu.parts, KEYS[name], name).reason == f"invalid: bad signature under key {name}"
        assert check_arithmetic(bu).invalid == ()  # the sums hold: only the signature tells


def test_descriptions_are_json_and_forgeries_repeat_with_the_seed() -> None:
    parts, other = _parts(0), _parts(5)
    for forge in (change_count, recompute_chain, drop_part):
        first, again = forge(parts, np.random.default_rng(3)), forge(parts, np.random.default_rng(3))
        assert first == again
        assert json.loads(json.dumps(first.description))["kind"] == first.kind.value
    assert foreign_part(parts, other, np.random.default_rng(3)) == foreign_part(parts, other, np.random.default_rng(3))


def test_a_one_part_bu_has_no_part_to_drop_or_replace() -> None:
    election = draw_election(2, 5, ufs=("CE",), turn=2)
    single = qr_texts(election, draw_boletim(election, 0))
    assert len(single) == 1
    rng = np.random.default_rng(0)
    with pytest.raises(CannotForge, match="no part to drop"):
        drop_part(single, rng)
    with pytest.raises(CannotForge, match="no part to replace"):
        foreign_part(single, qr_texts(election, draw_boletim(election, 1)), rng)
    (part,) = [parse_part(text) for text in change_count(single, rng).parts]
    assert part.index == part.count == 1


def test_a_forged_strip_prints_the_forged_codes_under_their_own_labels() -> None:
    bu = draw_boletim(ELECTION, 0)
    forgery = drop_part(qr_texts(ELECTION, bu), np.random.default_rng(1))
    image = render_strip(ELECTION, bu, forgery.parts, np.random.default_rng(1))
    (missing,) = forgery.description["missing"]
    labels = [(code.index, code.count) for code in image.info["codes"]]
    count = len(forgery.parts) + 1
    assert labels == [(k, count) for k in range(1, count + 1) if k != missing]
