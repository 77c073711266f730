"""Sheet layouts as data: the shipped ones parse, malformed ones are refused with the reason."""

from __future__ import annotations

import json

import pytest

from testigo.domain.layout import LayoutError, SheetLayout
from testigo.profiles import get_profile


def test_the_ve2024_layouts_have_38_cards_three_totals_and_the_mesa_codes() -> None:
    with_qr, without = get_profile("ve2024").layouts()
    assert (with_qr.code, without.code) == ("qr", "none")
    for layout in (with_qr, without):
        assert layout.table.keys()[:2] == ["01", "02"] and layout.table.keys()[-1] == "38"
        assert layout.figure_fields()[-3:] == ["valid_votes", "null_votes", "total_votes"]
        assert [f.field for f in layout.header] == ["center", "mesa", "registered"]
        [cards, totals] = layout.checks
        assert cards.total == "valid_votes" and len(cards.part_fields(layout.figure_fields())) == 38
        assert totals.part_fields(layout.figure_fields()) == ["valid_votes", "null_votes"]


def _layout(**changes: object) -> str:
    data = {
        "format": "testigo-layout/1",
        "name": "t",
        "code": "qr",
        "table": {"rows": 2, "key": "{n}", "field": "c{n}"},
        "totals": [{"field": "sum", "label": "SUM"}],
        "checks": [{"total": "sum", "parts": ["c*"]}],
    }
    data.update(changes)
    return json.dumps(data)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"format": "other/1"}, "not a testigo-layout/1 file"),
        ({"code": "barcode"}, "code is 'barcode'"),
        ({"checks": [{"total": "nothing", "parts": ["c*"]}]}, "check of nothing names fields the layout lacks"),
        ({"totals": [{"field": "c1", "label": "X"}]}, "a field name is used twice"),
        ({"table": {"rows": 2, "key": "{n}", "field": "c{n}", "digits": [3, 1]}}, "are not 1 <= low <= high"),
        ({"totals": [{"field": "sum", "label": "SUM", "value": "middle"}]}, "value is 'middle'"),
        ({"table": {"rows": 2}}, "malformed layout"),
        (
            {"checks": [{"total": "sum", "parts": ["c*"]}, {"total": "sum", "parts": ["c1"]}]},
            "the total of two checks, or a part of two",
        ),
        (
            {"checks": [{"total": "sum", "parts": ["c*"]}, {"total": "c1", "parts": ["sum"]}]},
            "the checks through .* form a cycle",
        ),
    ],
)
def test_a_malformed_layout_is_refused_with_its_reason(changes: dict[str, object], message: str) -> None:
    with pytest.raises(LayoutError, match=message):
        SheetLayout.from_json(_layout(**changes))
