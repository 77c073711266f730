"""The log replay behind every bundle: decisions apply as the live system applies them, or are reported."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from testigo.ledger.entries import decision_entry, item_entry, read_entries
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


def _item(status: str, payload: str | None, sha: str = SHEET) -> bytes:
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
    )


def _decision(action: str, payload: str, reviewers: list[str], **extra: object) -> bytes:
    return decision_entry(
        decided_at=WHEN,
        action=action,
        profile="ve2024",
        acta_id=None,
        payload=payload,
        status="accepted",
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
    check_rules(report, _derive(_item("accepted", too_many)), lambda problems, what: problems)
    [line] = report.problems
    assert line.startswith(f"mesa {MESA} (log entry 0): ") and "exceed the mesa's" in line

    fine = VerifyReport()
    check_rules(fine, _derive(_item("accepted", FIRST)), lambda problems, what: problems)
    assert fine.ok
