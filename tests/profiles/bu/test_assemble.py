"""Parts in any order, across photos, complete each BU exactly once; strangers and repeats complete nothing."""

from __future__ import annotations

from itertools import permutations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from testigo.profiles.bu import assemble
from testigo.profiles.bu.assemble import Added, Collector, CollectorState, Outcome
from testigo.profiles.bu.chain import chain_hashes
from testigo.profiles.bu.model import SectionKey
from testigo.profiles.bu.text import parse_boletim, parse_part, write_boletim
from tests.profiles.bu.vectors import FOUR_PARTS, lines

FOUR = lines(FOUR_PARTS)
TWO = lines("ex2018_sim_20180830.txt")
ONE = lines("ex2016_pe.txt")


def completed(results: tuple[Added, ...] | list[Added]) -> list[tuple[str, ...]]:
    return [tuple(p.text for p in b.parts) for r in results for b in r.completed]


def test_all_orders_of_a_four_part_bu_across_photos_complete_it_once() -> None:
    for order in permutations(range(4)):
        for cut in (1, 2, 3):  # the parts split over two photos, then the same photos again
            collector = Collector()
            photos = [[FOUR[k] for k in order[:cut]], [FOUR[k] for k in order[cut:]]]
            results = [r for photo in photos + photos for r in collector.add_photo(photo)]
            assert completed(results) == [FOUR], order
            assert [r.outcome for r in results[4:]] == [Outcome.DUPLICATE] * 4
            assert collector.incomplete() == () and collector.waiting() == ()
            assert sorted(collector.state().texts) == sorted(FOUR)


def test_a_bu_with_parts_missing_says_which() -> None:
    collector = Collector()
    collector.add_photo([FOUR[0], FOUR[2]])
    (waiting,) = collector.incomplete()
    assert [p.index for p in waiting.parts] == [1] and waiting.missing == (2, 3, 4)
    assert waiting.section_key == SectionKey("AC", 1392, 9, 22, 1100, 1)
    assert (
        str(waiting)
        == "AC municipality 1392 zone 9 section 22 (PLEI 1100, round 1): parts 1 of 4 received, lacks 2, 3, 4"
    )
    assert [p.index for p in collector.waiting()] == [3]
    result = collector.add(FOUR[1])  # part 2 lets part 3 in
    assert result.completed == () and [p.index for p in collector.incomplete()[0].parts] == [1, 2, 3]
    assert collector.incomplete()[0].missing == (4,) and collector.waiting() == ()
    assert completed([collector.add(FOUR[3])]) == [FOUR]


def _another_four_part_bu() -> tuple[str, ...]:
    """The 4-part vector moved to the next section and signed with a test key: other hashes in every part."""
    texts = [t.replace(" SECA:22 ", " SECA:23 ") if t is FOUR[0] else t for t in FOUR]
    return write_boletim(parse_boletim([parse_part(t) for t in texts]), Ed25519PrivateKey.generate().sign)


def test_a_part_from_another_bu_never_completes_one() -> None:
    other = _another_four_part_bu()
    assert [o[-60:] != f[-60:] for o, f in zip(other, FOUR, strict=True)] == [True] * 4
    assert other[3].split(" HASH:")[0] == FOUR[3].split(" HASH:")[0]  # the same data, another chain
    collector = Collector()
    results = collector.add_photo([FOUR[0], FOUR[1], FOUR[2], other[3], TWO[1]])
    assert completed(results) == []
    assert sorted(p.text for p in collector.waiting()) == sorted([other[3], TWO[1]])
    assert completed([collector.add(FOUR[3])]) == [FOUR]
    assert completed(collector.add_photo(other[:3])) == [other]
    assert completed([collector.add(TWO[0])]) == [TWO]
    assert collector.waiting() == () and collector.incomplete() == ()


def test_the_same_chain_with_another_signature_is_a_bu_of_its_own() -> None:
    resigned = write_boletim(parse_boletim([parse_part(t) for t in FOUR]), Ed25519PrivateKey.generate().sign)
    assert resigned[:3] == FOUR[:3] and resigned[3] != FOUR[3]
    collector = Collector()
    assert completed(collector.add_photo(resigned)) == [resigned]
    assert completed(collector.add_photo(FOUR)) == [FOUR]  # only its last part is new, and completes it


def test_two_bus_interleaved_complete_apart() -> None:
    collector = Collector()
    results = collector.add_photo([TWO[1], FOUR[3], FOUR[1], TWO[0], ONE[0], FOUR[2], FOUR[0]])
    assert sorted(completed(results)) == sorted([TWO, ONE, FOUR])


def test_a_forged_middle_part_branches_and_each_branch_stands_alone() -> None:
    parts = [parse_part(t) for t in FOUR]
    forged_body = parts[1].body.replace("92008:6", "92008:9")
    hashes = chain_hashes([parts[0].body, forged_body])
    forged = f"QRBU:2:4 VRQR:1.5 VRCH:20240507 {forged_body} HASH:{hashes[1]}"
    collector = Collector()
    collector.add_photo([FOUR[0], forged, FOUR[1], FOUR[2]])
    branches = sorted([p.index for p in i.parts] for i in collector.incomplete())
    assert branches == [[1, 2], [1, 2, 3]]  # the forgery verifies after part 1 (no key needed), nothing after it
    assert completed([collector.add(FOUR[3])]) == [FOUR]
    (left,) = collector.incomplete()
    assert left.parts[1].text == forged and left.missing == (3, 4)


def test_garbage_and_broken_first_parts_are_rejected_with_a_reason() -> None:
    collector = Collector()
    assert collector.add("https://example.org").outcome is Outcome.REJECTED
    broken = ONE[0].replace("NOMI:242", "NOMI:243")
    result = collector.add(broken)
    assert (result.outcome, result.reason) == (Outcome.REJECTED, "part 1 of 1: its HASH does not match its data")
    assert collector.state() == CollectorState()


def test_the_state_restores_a_collector_that_goes_on() -> None:
    collector = Collector()
    collector.add_photo([FOUR[0], FOUR[2], ONE[0], "QRCE:1:2 IDUE:7 MDUE:2022 CERT:AB", "not a code"])
    state = collector.state()
    # in the order they were added: a photo's codes lowest part number first
    assert state.texts == ("QRCE:1:2 IDUE:7 MDUE:2022 CERT:AB", FOUR[0], ONE[0], FOUR[2])
    again = Collector.restore(CollectorState(tuple(state.texts)))
    assert again.add(ONE[0]).outcome is Outcome.DUPLICATE  # completed before the restore: never again
    assert again.add(FOUR[3]).completed == ()
    assert completed([again.add(FOUR[1])]) == [FOUR]
    assert len(again.add("QRCE:2:2 IDUE:7 MDUE:2022 CERT:CD").certificates) == 1


def test_certificate_parts_complete_per_urna_and_a_forgery_cannot_keep_the_genuine_out() -> None:
    first, second = "QRCE:1:2 IDUE:7 MDUE:2022 CERT:AB", "QRCE:2:2 IDUE:7 MDUE:2022 CERT:CD"
    forged = "QRCE:1:2 IDUE:7 MDUE:2022 CERT:EE"
    collector = Collector()
    assert collector.add(forged).certificates == ()
    assert collector.add("QRCE:2:2 IDUE:8 MDUE:2022 CERT:CD").certificates == ()  # another urna
    (made,) = collector.add(second).certificates
    assert [p.text for p in made] == [forged, second]
    (genuine,) = collector.add(first).certificates
    assert [p.text for p in genuine] == [first, second]
    assert collector.add(first).outcome is Outcome.DUPLICATE


def test_a_photo_is_answered_in_its_order_though_added_lowest_part_first() -> None:
    results = Collector().add_photo([FOUR[3], "junk", FOUR[0]])
    assert [r.outcome for r in results] == [Outcome.ADDED, Outcome.REJECTED, Outcome.ADDED]
    assert results[0].reason == "part 4 of 4 waits for the parts before it"
    assert results[2].reason == "part 1 of 4 verified"


def test_a_late_twin_is_matched_within_the_window_of_recent_bus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(assemble, "RETIRED_WINDOW", 1)
    resigned = write_boletim(parse_boletim([parse_part(t) for t in FOUR]), Ed25519PrivateKey.generate().sign)
    collector = Collector()
    collector.add_photo(resigned)
    collector.add_photo(_another_four_part_bu())  # one more BU of its kind completes: the twin leaves the window
    assert collector.add(FOUR[3]).completed == ()
    assert collector.waiting()[0].text == FOUR[3]


def test_a_complete_chain_that_is_no_bu_is_reported_malformed() -> None:
    first, second = "ORIG:VOTA ABCD:1", "IDEL:1"
    hashes = chain_hashes([first, second])
    texts = [
        f"QRBU:1:2 VRQR:1.4 {first} HASH:{hashes[0]}",
        f"QRBU:2:2 VRQR:1.4 {second} HASH:{hashes[1]} ASSI:{'C' * 128}",
    ]
    collector = Collector()
    collector.add(texts[0])
    (begun,) = collector.incomplete()
    assert begun.section_key is None and str(begun) == "BU: parts 1 of 2 received, lacks 2"
    result = collector.add(texts[1])
    assert result.completed == () and result.malformed[0].startswith("the BU header lacks DTPL, PLEI")
    assert [tuple(p.text for p in chain) for chain in result.chains] == [tuple(texts)]  # reported all the same


def test_a_collector_that_does_not_parse_reports_the_same_chains_and_no_bu() -> None:
    """Ingest's writer gathers parts without parsing what they complete (its readers read most BUs): the
    chains it is given are those a parsing collector completes, in the same order."""
    other = _another_four_part_bu()
    photos = [[FOUR[2], other[3]], [FOUR[0], other[0], other[1]], [FOUR[1], FOUR[3], other[2]]]
    parsing, bare = Collector(), Collector.restore(CollectorState(), parse=False)
    chains = []
    for photo in photos:
        for full, light in zip(parsing.add_photo(photo), bare.add_photo(photo), strict=True):
            assert light.completed == () and light.malformed == ()
            assert [b.parts for b in full.completed] == list(full.chains) == list(light.chains)
            assert (light.outcome, light.reason) == (full.outcome, full.reason)
            chains += [tuple(p.text for p in chain) for chain in light.chains]
    assert sorted(chains) == sorted([tuple(FOUR), tuple(other)])
    assert bare.incomplete() == parsing.incomplete() == () and bare.state() == parsing.state()
