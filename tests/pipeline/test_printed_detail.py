"""What a sheet read from its print alone tells the reviewer who must confirm it (`pipeline.printed.examine`)."""

from __future__ import annotations

from testigo.domain.printed import UNCERTAIN
from testigo.pipeline.printed import examine
from testigo.profiles import get_profile
from testigo.read import PageReading
from testigo.read.printed.reading import PrintReading
from tests.read.stand_ins import Field, sure

PROFILE = get_profile("ve2024")
LAYOUT = next(layout for layout in PROFILE.layouts() if layout.code == "none")


def test_a_doubtful_figure_at_the_photos_edge_is_named_as_such() -> None:
    mesa = min(PROFILE.load_registry().mesas.values(), key=lambda m: m.id)
    fields = {name: sure(0) for name in LAYOUT.table.fields()}
    fields |= {"card_01": sure(7), "null_votes": sure(0)}
    # the totals are blurred too, so the sums leave each doubtful figure two values
    fields |= {name: Field({"7": -0.2, "13": -1.0}) for name in ("valid_votes", "total_votes")}
    fields |= {"center": Field({mesa.center_id: -0.01}), "mesa": sure(mesa.number), "registered": sure(mesa.registered)}
    fields["card_02"] = Field({"0": -0.2, "6": -1.0}, whole=False)  # half a zero, or a 6
    fields["card_03"] = Field({"0": -0.2, "6": -1.0})  # blurred, well inside the photo
    sheet = examine(PROFILE, PageReading(0, printed=PrintReading(LAYOUT.name, fields, upside_down=False)))
    assert sheet is not None and sheet.outcome == UNCERTAIN
    assert "at the photo's edge, a digit may be cut off: card_02; not certain: card_03" in sheet.detail
