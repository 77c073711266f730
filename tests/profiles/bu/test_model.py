"""The BU model: what its accessors read from the verbatim header, and that it stays frozen."""

from __future__ import annotations

import dataclasses

import pytest

from testigo.profiles.bu.model import Boletim, BuPart, SectionKey
from testigo.profiles.bu.text import parse_boletim, parse_part
from tests.profiles.bu.vectors import FOUR_PARTS, MANUAL_2026, lines


def part(version: str = "1.5", key_version: str | None = "20240507") -> BuPart:
    return BuPart(1, 1, version, key_version, "", "A" * 128, "B" * 128, "")


def test_the_key_a_bu_names_follows_its_kind_phase_and_state() -> None:
    header = (("ORIG", "VOTA"), ("ORLC", "COM"), ("FASE", "T"), ("UNFE", "ZZ"), ("DTPL", "20241006"))
    assert Boletim(header, (), (part(),)).signing_key_name == "20240507/COMUNITARIA/tzzqrcode.pub"
    assert Boletim(header[2:], (), (part("1.4", None),)).signing_key_name == "2024/LEGAL/tzzqrcode.pub"
    assert Boletim(header, (), (part("6.0", None),)).signing_key_name is None


def test_accessors_read_the_verbatim_header() -> None:
    boletim = parse_boletim([parse_part(t) for t in MANUAL_2026.read_text().splitlines()])
    assert boletim.section_key == SectionKey("AC", 1392, 9, 16, 2100, 1)
    assert str(boletim.section_key) == "AC municipality 1392 zone 9 section 16 (PLEI 2100, round 1)"
    assert boletim.field("HICA") == "1:802779536993017420567657" and boletim.field("JUNT") is None
    assert (boletim.eligible, boletim.came, boletim.absent, boletim.round, boletim.phase) == (50, 4, 46, 1, "S")
    assert [p.is_last for p in boletim.parts] == [False, True]
    without = Boletim((("ORIG", "SA"),), (), boletim.parts)
    assert without.came is None and without.aggregated == ()
    with pytest.raises(KeyError, match="no UNFE field"):
        _ = without.uf


def test_the_model_is_frozen_and_hashable() -> None:
    boletim = parse_boletim([parse_part(t) for t in lines(FOUR_PARTS)])
    again = parse_boletim([parse_part(t) for t in lines(FOUR_PARTS)])
    assert boletim == again and hash(boletim) == hash(again) and len({boletim, again}) == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        boletim.contests[0].office = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        boletim.contests[1].candidates[91] = 0  # type: ignore[index]
