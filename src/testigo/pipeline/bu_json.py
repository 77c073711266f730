"""The JSON of a boletim check (`testigo bu check --json`, `BoletimReport.to_json`), documented in docs/json.md.

Each BU is read again from its code texts as it is written out
(`CheckedBoletim.boletim`): the report keeps no parsed BU.
"""

from __future__ import annotations

from typing import Any

from testigo.pipeline.boletins import BoletimReport, CheckedBoletim
from testigo.profiles.bu.model import Boletim, ContestResult, SectionKey
from testigo.profiles.bu.offices import constituency, office_name


def report_json(report: BoletimReport) -> dict[str, Any]:
    """The report as `testigo bu check --json` prints it (docs/json.md)."""
    return {
        "summary": report.summary(),
        "boletins": [_boletim_json(item) for item in report.boletins],
        "incomplete": [
            {
                "section": _section_json(missing.section_key) if missing.section_key else None,
                "parts": missing.parts[0].count,
                "received": [part.index for part in missing.parts],
                "lacks": list(missing.missing),
            }
            for missing in report.incomplete
        ],
        "files": [
            {"path": f.path, "codes": f.codes, "reason": f.reason, "refused": list(f.refused)} for f in report.files
        ],
        "totals": [
            {
                "election_day": t.election_day,
                "round": t.round,
                "election": t.election,
                "office": t.office,
                "name": t.name,
                "area": t.area,
                "sections": t.sections,
                "eligible": t.eligible,
                "candidates": {str(number): votes for number, votes in sorted(t.candidates.items())},
                "label_votes": t.label_votes,
                "blank": t.blank,
                "null": t.null,
                "total": t.total,
            }
            for t in report.totals
        ],
    }


def _section_json(key: SectionKey) -> dict[str, Any]:
    return {
        "uf": key.uf,
        "municipality": key.municipality,
        "zone": key.zone,
        "section": key.section,
        "election_day": key.election_day,
        "round": key.round,
    }


def _boletim_json(item: CheckedBoletim) -> dict[str, Any]:
    bu = item.boletim
    return {
        "section": _section_json(item.section),
        "status": item.status.value,
        "reason": item.reason,
        "format": bu.format_version,
        "parts": len(bu.parts),
        "key": bu.signing_key_name,
        "eligible": bu.eligible,
        "came": bu.came,
        "files": list(item.files),
        "invalid": list(item.invalid),
        "flags": list(item.flags),
        "contests": [_contest_json(bu, contest) for contest in bu.contests],
    }


def _contest_json(bu: Boletim, contest: ContestResult) -> dict[str, Any]:
    return {
        "election": contest.election,
        "office": contest.office,
        "name": office_name(contest.office),
        "area": constituency(bu, contest.office),
        "candidates": {str(number): votes for number, votes in sorted(contest.all_candidates().items())},
        "label_votes": contest.label_votes,
        "blank": contest.blank,
        "null": contest.null,
        "total": contest.total,
    }
