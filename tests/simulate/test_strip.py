"""The printed BU strip: its codes decode to exactly the part texts, clean, photographed, and split over photos."""

from __future__ import annotations

import io

import numpy as np
import pytest
import zxingcpp
from PIL import Image

from testigo.profiles.bu.assemble import Collector
from testigo.profiles.bu.chain import check
from testigo.profiles.bu.text import MalformedPart, parse_part
from testigo.read import read_file
from testigo.simulate.boletim import draw_boletim, draw_election, qr_texts
from testigo.simulate.strip import PrintedCode, photograph, render_strip, split_strip
from testigo.simulate.style import HIRES, PrintStyle

ELECTION = draw_election(3, 40, ufs=("SP", "AC"))


def _is_part(text: str) -> bool:
    """The reader's acceptance test: a text the BU codec parses as a part."""
    try:
        parse_part(text)
    except MalformedPart:
        return False
    return True


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _read(data: bytes) -> set[str]:
    return {text for page in read_file(data, _is_part).pages for text in page.payloads}


def _strip(index: int, limit: int | None = None) -> tuple[Image.Image, tuple[str, ...]]:
    bu = draw_boletim(ELECTION, index)
    parts = qr_texts(ELECTION, bu) if limit is None else qr_texts(ELECTION, bu, limit=limit)
    return render_strip(ELECTION, bu, parts, np.random.default_rng(index)), parts


def test_a_clean_strip_decodes_to_exactly_its_parts() -> None:
    image, parts = _strip(0)
    assert len(parts) >= 2
    assert _read(_png(image)) == set(parts)
    codes: tuple[PrintedCode, ...] = image.info["codes"]
    assert [(c.index, c.count, c.text) for c in codes] == [(k, len(parts), t) for k, t in enumerate(parts, start=1)]
    # stacked top to bottom, each under its caption, all inside the printed width
    x0, x1 = image.info["print_box"]
    for code, following in zip(codes, codes[1:], strict=False):
        assert code.top < code.box[1] < code.box[3] <= following.top
    assert all(x0 <= c.box[0] and c.box[2] <= x1 for c in codes)
    for code in codes:  # each code alone, cropped from the strip, is the part it says it is
        crop = np.asarray(image.crop(code.box).convert("L"))
        found = zxingcpp.read_barcodes(np.pad(crop, 40, constant_values=255))
        assert [b.text for b in found] == [code.text]


def test_the_printed_figures_are_the_bus_own() -> None:
    bu = draw_boletim(ELECTION, 0)
    image = render_strip(ELECTION, bu, qr_texts(ELECTION, bu), np.random.default_rng(0))
    fields = image.info["fields"]
    assert {key: fields[key].text for key in ("APTO", "COMP", "FALT")} == {
        "APTO": str(bu.eligible),
        "COMP": str(bu.turnout),
        "FALT": str(bu.absent),
    }
    for result in bu.results:
        office = result.contest.office
        assert fields[f"{office}:TOTC"].text == str(result.total)
        printed = {int(name.split(":")[1]) for name in fields if name.startswith(f"{office}:") and name[2:].isdigit()}
        assert printed == {number for number, votes in result.votes.items() if votes}
    x0, y0, x1, y1 = image.info["table_box"]
    assert all(y0 <= field.box[1] and field.box[3] <= y1 for name, field in fields.items() if ":" in name)
    assert y1 < image.info["codes"][0].top


def test_nine_codes_print_and_decode() -> None:
    bu = draw_boletim(ELECTION, 2)
    image, parts = _strip(2, limit=len(bu.content) // 8)
    assert len(parts) == 9 == len(image.info["codes"])
    assert _read(_png(image)) == set(parts)


def test_photographed_one_code_per_shot_every_part_is_read() -> None:
    for index in (0, 1, 2):
        image, parts = _strip(index)
        shots = photograph(image, "photo", np.random.default_rng(index), photos=len(parts))
        assert len(shots) == len(parts)
        seen = [_read(shot.data) for shot in shots]
        assert set().union(*seen) == set(parts)


def test_a_whole_strip_scanned_yields_every_part() -> None:
    image, parts = _strip(4)
    (scan,) = photograph(image, "scan", np.random.default_rng(4))
    assert _read(scan.data) == set(parts)


def test_a_strip_split_over_fewer_photos_than_codes_yields_all_parts_across_them() -> None:
    image, parts = _strip(1)
    assert len(parts) >= 3
    pieces = split_strip(image, 2)
    held = [tuple(code.index for code in piece.info["codes"]) for piece in pieces]
    assert sorted(i for indexes in held for i in indexes) == list(range(1, len(parts) + 1))
    for piece in pieces:
        for code in piece.info["codes"]:  # every code lies whole in its piece, where its info says
            assert 0 <= code.top and code.box[3] <= piece.height
            crop = np.asarray(piece.crop(code.box).convert("L"))
            assert [b.text for b in zxingcpp.read_barcodes(np.pad(crop, 40, constant_values=255))] == [code.text]
    shots = photograph(image, "photo", np.random.default_rng(7), photos=2)
    assert set().union(*(_read(shot.data) for shot in shots)) == set(parts)


def test_photos_read_in_any_order_assemble_into_the_bu_that_verifies() -> None:
    bu = draw_boletim(ELECTION, 3)
    parts = qr_texts(ELECTION, bu)
    image = render_strip(ELECTION, bu, parts, np.random.default_rng(3))
    collector = Collector()
    completed = [
        done
        for shot in reversed(photograph(image, "photo", np.random.default_rng(3), photos=len(parts)))
        for added in collector.add_photo(sorted(_read(shot.data)))
        for done in added.completed
    ]
    (boletim,) = completed
    name = ELECTION.key_name(bu.section.uf)
    assert boletim.header == bu.header and check(boletim.parts, ELECTION.public_keys()[name], name).verified


def test_the_same_seed_prints_the_same_strip() -> None:
    first, _ = _strip(4)
    again, _ = _strip(4)
    assert np.array_equal(np.asarray(first), np.asarray(again))


def test_a_finer_printer_prints_the_same_codes_and_a_narrow_one_is_refused() -> None:
    bu = draw_boletim(ELECTION, 5)
    parts = qr_texts(ELECTION, bu)
    image = render_strip(ELECTION, bu, parts, np.random.default_rng(5), style=HIRES)
    assert image.width == HIRES.paper_dots and image.info["module_dots"] == 6
    assert _read(_png(image)) == set(parts)
    tiny = PrintStyle(paper_mm=58.0, print_mm=48.0, columns=24)  # 384 dots: under a full part's code
    with pytest.raises(ValueError, match="wider than the 58mm"):
        render_strip(ELECTION, bu, parts, np.random.default_rng(5), style=tiny)


def test_a_bu_has_one_to_nine_codes() -> None:
    bu = draw_boletim(ELECTION, 0)
    with pytest.raises(ValueError, match="1 to 9 QR codes"):
        render_strip(ELECTION, bu, (), np.random.default_rng(0))
    image, parts = _strip(0)
    with pytest.raises(ValueError, match="splits into 1 to"):
        split_strip(image, len(parts) + 1)
