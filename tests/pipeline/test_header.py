"""A sheet's header codes weighed against the registry (`testigo.pipeline.header`), on stand-in readings."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path

import pytest

from testigo.domain import Mesa
from testigo.domain.printed import UNCERTAIN
from testigo.pipeline import header as header_module
from testigo.pipeline.decode import decode_blob
from testigo.pipeline.header import HEADER_SLACK, WIDER_NOMINEES, _match, match_header
from testigo.pipeline.printed import machine_reading
from testigo.profiles import get_profile
from testigo.simulate import simulate
from tests.read.stand_ins import Field, sure

PROFILE = get_profile("ve2024")
LAYOUT = next(layout for layout in PROFILE.layouts() if layout.code == "none")
REGISTRY = PROFILE.load_registry()
CENTERS = {mesa.center_id for mesa in REGISTRY.mesas.values()}


def _a_mesa_and_a_code_one_digit_off() -> tuple[Mesa, str]:
    """A registry mesa, and its center code with one digit changed into a code no center has."""
    for mesa in sorted(REGISTRY.mesas.values(), key=lambda m: m.id):
        for digit in "0123456789":
            other = mesa.center_id[:-1] + digit
            if mesa.registered is not None and other not in CENTERS:
                return mesa, other
    raise AssertionError("no such mesa")


def _header(mesa: Mesa, center: Field) -> dict[str, Field]:
    return {"center": center, "mesa": sure(mesa.number), "registered": sure(mesa.registered or 0)}


def test_a_center_code_misread_in_a_blurred_digit_names_the_registry_mesa_the_print_fits() -> None:
    mesa, misread = _a_mesa_and_a_code_one_digit_off()
    # PP-OCR prefers the misreading, 0.7 to 0.29: the true code is the only real one the print fits
    blurred = Field({misread: math.log(0.7), mesa.center_id: math.log(0.29)})
    matched = match_header(PROFILE, _header(mesa, blurred), LAYOUT)
    assert matched is not None and matched.certain and matched.mesa_id == mesa.id
    assert matched.codes == {"center": mesa.center_id, "mesa": str(mesa.number), "registered": str(mesa.registered)}
    assert matched.corrected == ["center"] and matched.read["center"] == misread


def test_a_code_too_blurred_to_rule_out_other_centers_names_no_mesa_for_certain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mesa, misread = _a_mesa_and_a_code_one_digit_off()
    # a fifth of the probability lies on codes the reader did not list: in a registry too large to weigh
    # whole, mesas printing those, though not weighed, may be as likely, so the only real mesa among those
    # listed is not certain
    monkeypatch.setattr(header_module, "EVERY_MESA", len(REGISTRY.mesas) - 1)
    blurred = Field({misread: math.log(0.5), mesa.center_id: math.log(0.3)})
    matched = match_header(PROFILE, _header(mesa, blurred), LAYOUT)
    assert matched is not None and matched.mesa_id == mesa.id and not matched.certain


def test_a_match_held_back_only_by_the_mesas_not_weighed_is_weighed_again_more_widely() -> None:
    mesa, misread = _a_mesa_and_a_code_one_digit_off()
    # both codes spread over a hundred strings no mesa prints: PP-OCR's 64 likeliest leave 15% of the center's
    # probability and 4% of the registered voters' unlisted, enough mesas for a bound of 2% on the others
    center = {misread: math.log(0.3), mesa.center_id: math.log(0.3)}
    center.update({f"99{i:07d}": math.log(0.004) for i in range(100)})
    registered = {str(mesa.registered): math.log(0.9)}
    registered.update({str(v): math.log(0.001) for v in range(2000, 2100)})
    header = {"center": Field(center), "mesa": sure(mesa.number), "registered": Field(registered)}
    matched = match_header(PROFILE, header, LAYOUT)
    assert matched is not None and matched.mesa_id == mesa.id and matched.certain


def test_a_match_the_bound_still_holds_back_when_widened_is_weighed_against_every_mesa(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mesa, misread = _a_mesa_and_a_code_one_digit_off()
    # a thousand strings no mesa prints hold 40% of the center's probability and half the registered voters':
    # PP-OCR's 256 likeliest leave 0.30 and 0.37 of them unlisted, a bound of 0.11 on the mesas not weighed
    # against 0.15 for the true one, though every real mesa weighed is far less likely than it
    center = {misread: math.log(0.3), mesa.center_id: math.log(0.3)}
    center.update({f"99{i:07d}": math.log(0.0004) for i in range(1000)})
    registered = {str(mesa.registered): math.log(0.5)}
    registered.update({f"9{i:04d}": math.log(0.0005) for i in range(1000)})
    header = {"center": Field(center), "mesa": sure(mesa.number), "registered": Field(registered)}
    widened, bounded = _match(PROFILE, header, LAYOUT, WIDER_NOMINEES)
    assert widened is not None and widened.mesa_id == mesa.id and not widened.certain and bounded
    matched = match_header(PROFILE, header, LAYOUT)
    assert matched is not None and matched.mesa_id == mesa.id and matched.certain
    # a registry too large to weigh whole keeps the bound, and the match stays uncertain
    monkeypatch.setattr(header_module, "EVERY_MESA", len(REGISTRY.mesas) - 1)
    kept = match_header(PROFILE, header, LAYOUT)
    assert kept is not None and kept.mesa_id == mesa.id and not kept.certain


def test_a_code_the_registry_lacks_printed_plainly_is_never_moved_onto_a_real_mesa() -> None:
    mesa, printed = _a_mesa_and_a_code_one_digit_off()
    plain = Field({printed: -0.01, mesa.center_id: -0.01 - HEADER_SLACK - 4.0})
    assert match_header(PROFILE, _header(mesa, plain), LAYOUT) is None


def test_a_print_that_fits_two_mesas_of_one_center_names_neither() -> None:
    by_center: dict[str, list[Mesa]] = defaultdict(list)
    for mesa in REGISTRY.mesas.values():
        if mesa.registered is not None:
            by_center[mesa.center_id].append(mesa)
    first, second = next(sorted(mesas, key=lambda m: m.number)[:2] for mesas in by_center.values() if len(mesas) > 1)
    assert first.registered is not None and second.registered is not None
    fields = {
        "center": Field({first.center_id: -0.01}),
        "mesa": Field({str(first.number): -0.7, str(second.number): -0.7}),
        "registered": Field({str(first.registered): -0.7, str(second.registered): -0.7}),
    }
    matched = match_header(PROFILE, fields, LAYOUT)
    assert matched is not None and not matched.certain and matched.confidence < 0.6


def test_a_header_without_any_reading_names_nothing() -> None:
    assert match_header(PROFILE, {}, LAYOUT) is None
    assert match_header(get_profile("generic"), {"center": sure(1)}, LAYOUT) is None


@pytest.mark.slow
def test_an_uncertain_sheet_whose_center_code_reads_as_no_mesa_gets_the_likeliest_real_mesa_as_its_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hard photos without a code whose center code PP-OCR reads as one no mesa has, a card uncertain (seeds 6
    to 8 when written): the machine's entry names the true mesa (the likeliest the print fits), and says so.

    Which simulated sheet shows this moves whenever the reader improves (seed 3 did, until its header was
    read well enough to name its mesa for certain), so the first of a few seeds that shows it is taken. The
    registry is treated as one too large to weigh whole (as a national one of Brazil's size is): weighed
    whole, seed 6's header names its mesa for certain.
    """
    monkeypatch.setattr(header_module, "EVERY_MESA", 0)
    found = 0
    for seed in (6, 7, 8):
        folder = tmp_path / str(seed)
        truth = json.loads(simulate(folder, 1, seed=seed, quality="hard", variant="sin_qr", workers=1).read_text())
        [entry] = truth["files"]
        [sheet] = decode_blob("x", str(folder / entry["file"]), "ve2024").printed
        if sheet is None or sheet.outcome != UNCERTAIN or "most likely names registry mesa" not in sheet.detail:
            continue
        assert "most likely names registry mesa " + entry["mesa_id"] in sheet.detail
        machine = machine_reading(PROFILE, sheet)
        assert machine is not None and machine.mesa_id == entry["mesa_id"]
        found += 1
        break
    assert found == 1, "none of the seeds gives an uncertain sheet whose header names no mesa: choose others"
