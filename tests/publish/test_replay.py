"""The log replay behind every bundle: decisions apply as the live system applies them, or are reported."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from testigo.ledger.entries import MACHINE_READER, decision_entry, item_entry, read_entries
from testigo.profiles import get_profile
from testigo.publish.model import Files, derive
from testigo.store.blobs import sha256_hex
from testigo.verify.report import VerifyReport
from testigo.verify.rules import check_rules
from tests.conftest import payload_for, small_mesas

PROFILE = get_profile("ve2024")
REGISTRY = PROFILE.load_registry()
WHEN = datetime(2024, 7, 29, tzinfo=UTC)
SHEET, OTHER = "a" * 64, "b" * 64


def _item(status: str, payload: str | None, sha: str = SHEET, printed: dict[str, Any] | None = None) -> bytes:
    return item_entry(
        received_at=WHEN,
        channel="cli",
        sha256=sha,
        media_type="image/png",
        page=0,
        part=0,
        status=status,
        reason=None,
        profile="ve2024",
        payload=payload,
        acta_id=None,
        printed=printed,
    )


def _decision(action: str, payload: str, reviewers: list[str], status: str = "accepted", **extra: object) -> bytes:
    return decision_entry(
        decided_at=WHEN,
        action=action,
        profile="ve2024",
        acta_id=None,
        payload=payload,
        status=status,
        reason="r",
        reviewers=reviewers,
        **extra,
    )  # type: ignore[arg-type]


def _derive(*bodies: bytes):  # type: ignore[no-untyped-def]
    entries, problems = read_entries(list(bodies))
    assert not problems
    return derive(entries, PROFILE, REGISTRY, Files())


MESA = small_mesas(1)[0]
FIRST, SECOND = payload_for(MESA, gonzalez=200), payload_for(MESA, gonzalez=150)


def test_a_resolution_counts_the_chosen_version_and_a_later_copy_of_the_old_one_changes_nothing() -> None:
    publication = _derive(
        _item("accepted", FIRST),
        _item("conflict", SECOND, OTHER),
        _decision("resolve_conflict", SECOND, ["p1"], set_aside=[sha256_hex(FIRST.encode())]),
        _item("duplicate", FIRST, "c" * 64),
    )
    assert publication.problems == ()
    result = publication.mesas[MESA]
    assert result.record.payload == SECOND and result.accepted.seq == 1 and result.decision is not None
    assert result.decision.seq == 2 and [e.seq for e in result.related] == [0, 1, 2, 3]


@pytest.mark.parametrize(
    ("bodies", "problem"),
    [
        ((_item("accepted", FIRST), _decision("resolve_conflict", SECOND, ["p1"])), "no open conflict"),
        (
            (_item("accepted", FIRST), _item("conflict", SECOND, OTHER), _decision("resolve_conflict", SECOND, ["p1"])),
            "not the mesa's other live versions",
        ),
        (
            (_item("unreadable", None), _decision("manual_entry", FIRST, ["p1", "p1"], sha256=SHEET)),
            "two different reviewers",
        ),
        ((_decision("manual_entry", FIRST, ["p1", "p2"], sha256=SHEET),), "no earlier entry logs as unreadable"),
        ((_item("accepted", FIRST), _item("accepted", SECOND, OTHER)), "both accept mesa"),
    ],
)
def test_a_log_the_live_system_cannot_write_is_a_problem(bodies: tuple[bytes, ...], problem: str) -> None:
    assert any(problem in line for line in _derive(*bodies).problems), _derive(*bodies).problems


def test_a_manual_entry_by_two_reviewers_counts_and_publishes_its_image() -> None:
    publication = _derive(_item("unreadable", None), _decision("manual_entry", FIRST, ["p1", "p2"], sha256=SHEET))
    assert publication.problems == ()
    result = publication.mesas[MESA]
    assert result.accepted.evidence == "manual" and result.image_shas() == [SHEET]


def test_verify_names_each_counted_record_that_breaks_the_registry_rules() -> None:
    registered = REGISTRY.mesas[MESA].registered
    assert registered is not None
    too_many = payload_for(MESA, maduro=registered, gonzalez=1)
    report = VerifyReport()
    check_rules(report, [_derive(_item("accepted", too_many))], lambda problems, what: problems)
    [line] = report.problems
    assert line.startswith(f"mesa {MESA} (log entry 0): ") and "exceed the mesa's" in line

    fine = VerifyReport()
    check_rules(fine, [_derive(_item("accepted", FIRST))], lambda problems, what: problems)
    assert fine.ok


def _print_of(payload: str, **changed: str) -> dict[str, Any]:
    """The print reading an unreadable sheet's entry logs when the machine read `payload`'s figures (uncertain)."""
    layout = next(layout for layout in PROFILE.layouts() if layout.code == "none")
    record = PROFILE.parse(payload)
    figures = {name: str(value) for name, value in PROFILE.printed_figures(record, layout).items()}
    center, number = record.mesa_id.split(".")
    figures.update(center=center, mesa=str(int(number)), **changed)
    return {"layout": layout.name, "outcome": "uncertain", "figures": figures, "model": "m"}


def _typed_with_machine(payload: str, reviewers: list[str], printed: dict[str, Any] | None) -> tuple[bytes, ...]:
    return (_item("unreadable", None, printed=printed), _decision("manual_entry", payload, reviewers, sha256=SHEET))


def test_one_reviewer_agreeing_with_the_logged_print_counts() -> None:
    publication = _derive(*_typed_with_machine(FIRST, ["p1", MACHINE_READER], _print_of(FIRST)))
    assert publication.problems == ()
    result = publication.mesas[MESA]
    assert result.record.payload == FIRST and result.accepted.evidence == "manual+print"


@pytest.mark.parametrize(
    ("bodies", "problem"),
    [
        # a forged decision: the machine is said to agree, but the print its sheet logged says González 150
        (_typed_with_machine(FIRST, ["p1", MACHINE_READER], _print_of(SECOND)), "whose figures give the decided"),
        (_typed_with_machine(FIRST, ["p1", MACHINE_READER], None), "whose figures give the decided"),
        # a figure the machine could not read: its reading is no entry
        (_typed_with_machine(FIRST, ["p1", MACHINE_READER], _print_of(FIRST, card_02="")), "give the decided"),
        # a certain reading the registry refused: its reason, which reviewers see, names the mesa it read
        (_typed_with_machine(FIRST, ["p1", MACHINE_READER], _print_of(FIRST) | {"outcome": "certain"}), "give the"),
        (_typed_with_machine(FIRST, [MACHINE_READER], _print_of(FIRST)), "needs a reviewer who typed"),
        (_typed_with_machine(FIRST, [MACHINE_READER, MACHINE_READER], _print_of(FIRST)), "needs a reviewer"),
        (_typed_with_machine(FIRST, ["p1"], _print_of(FIRST)), "two different reviewers"),
    ],
)
def test_a_machine_entry_the_logged_print_does_not_back_is_a_problem(bodies: tuple[bytes, ...], problem: str) -> None:
    problems = _derive(*bodies).problems
    assert any(problem in line for line in problems), problems


def _finding(finding: str, payload: str = FIRST, status: str = "accepted") -> bytes:
    return _decision("resolve_mismatch", payload, ["p1"], status=status, sha256=SHEET, finding=finding)


def test_a_misread_print_counts_the_codes_payload_and_an_altered_one_nothing() -> None:
    misread = _derive(_item("mismatch", FIRST), _finding("misread"))
    assert misread.problems == ()
    result = misread.mesas[MESA]
    assert result.record.payload == FIRST and result.decision is not None and result.decision.seq == 1
    assert result.accepted.evidence == "image" and result.image_shas() == [SHEET]
    altered = _derive(_item("mismatch", FIRST), _finding("altered", status="mismatch"))
    assert altered.problems == () and altered.mesas == {}


@pytest.mark.parametrize(
    ("bodies", "problem"),
    [
        ((_finding("misread"),), "no earlier entry logged that image as a mismatch"),
        ((_item("accepted", FIRST), _finding("misread")), "no earlier entry logged that image as a mismatch"),
        ((_item("mismatch", SECOND), _finding("misread")), "no earlier entry logged that image as a mismatch"),
        ((_item("mismatch", FIRST), _finding("altered", status="mismatch"), _finding("misread")), "resolved already"),
        ((_item("mismatch", FIRST), _finding("altered")), "stays out of the count"),
        ((_item("mismatch", FIRST), _finding("misread", status="mismatch")), "leaves it a mismatch"),
        ((_item("mismatch", FIRST), _finding("genuine")), "unknown finding"),
        (
            (_item("mismatch", FIRST), _decision("resolve_mismatch", FIRST, [], sha256=SHEET, finding="misread")),
            "no reviewer",
        ),
    ],
)
def test_a_mismatch_resolution_the_live_system_cannot_log_is_a_problem(bodies: tuple[bytes, ...], problem: str) -> None:
    publication = _derive(*bodies)
    assert any(problem in line for line in publication.problems), publication.problems
    without = _derive(*bodies[:-1])  # a resolution that does not hold changes nothing
    assert {m: r.record.payload for m, r in publication.mesas.items()} == {
        m: r.record.payload for m, r in without.mesas.items()
    }
