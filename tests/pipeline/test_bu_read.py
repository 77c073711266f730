"""BUs read where their file is read: the same outcomes as the writer reading them, and the writer no longer
parses the ones it is given."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from testigo.pipeline import bu_ingest
from testigo.pipeline.bu_ingest import settle_boletins
from testigo.pipeline.bu_read import read_ahead, read_boletim
from testigo.pipeline.decode import Decoded, decode_blob
from testigo.profiles.br import contest_sheets, section_places
from testigo.profiles.bu.text import parse_boletim, parse_part
from testigo.simulate.boletim import draw_boletim, qr_texts
from testigo.simulate.bu_forgery import change_count, recompute_chain
from testigo.simulate.strip import photograph, render_strip
from testigo.store.submissions import ItemOutcome
from testigo.store.workspace import Store, init_workspace
from tests.pipeline.test_boletins import ELECTION, _keys, _multi_part, _write_texts


def _brazil(root: Path) -> Store:
    store = init_workspace(str(root), "br")
    _keys(store.workspace.trusted_keys_dir)
    return store


def _files(folder: Path) -> list[Path]:
    """Uploads of every kind, in order: whole BUs, a second copy, forgeries, parts split over two uploads (the
    later ones first), a photo of a whole strip, a BU signed with sums no urna prints."""
    rng = np.random.default_rng(5)
    folder.mkdir()
    honest = draw_boletim(ELECTION, 56)
    result = honest.results[0]
    first_candidate = next(iter(result.votes))
    votes = {**result.votes, first_candidate: result.votes[first_candidate] + 10_000}
    inflated = replace(honest, results=(replace(result, votes=votes), *honest.results[1:]))
    later, first = _multi_part(53)[1][1:], _multi_part(53)[1][:1]
    bu = draw_boletim(ELECTION, 54)
    [shot] = photograph(render_strip(ELECTION, bu, qr_texts(ELECTION, bu), np.random.default_rng(54)), "scan", rng)
    (folder / "6-strip.png").write_bytes(shot.data)
    return [
        _write_texts(folder / "0-two.txt", [*qr_texts(ELECTION, draw_boletim(ELECTION, 50)), *_multi_part(51)[1]]),
        _write_texts(folder / "1-again.txt", qr_texts(ELECTION, draw_boletim(ELECTION, 50))),
        _write_texts(folder / "2-recomputed.txt", recompute_chain(_multi_part(52)[1], rng).parts),
        _write_texts(folder / "3-changed.txt", change_count(_multi_part(55)[1], rng).parts),
        _write_texts(folder / "4-later.txt", later),
        _write_texts(folder / "5-first.txt", first),
        folder / "6-strip.png",
        _write_texts(folder / "7-inflated.txt", qr_texts(ELECTION, inflated)),
    ]


def _settle(store: Store, decoded: list[Decoded], *, ahead: bool) -> list[list[ItemOutcome]]:
    """Each file settled in its own transaction, with the BUs its reader read or without them."""
    outcomes = []
    for item in decoded:
        assert item.reading is not None
        with store.sessions() as session:
            outcomes.append(settle_boletins(store, session, item.reading, item.boletins if ahead else ()))
            session.commit()
    return outcomes


def test_a_file_settles_alike_whether_its_reader_read_its_boletins_or_not(tmp_path: Path) -> None:
    files = _files(tmp_path / "in")
    decoded = [decode_blob(f"{k:064x}", str(path), "br", for_ingest=True) for k, path in enumerate(files)]
    read = [[b.parts for b in item.boletins] for item in decoded]
    # the reader completes what lies whole in a file: two BUs, one, a forgery (its signature is the writer's to
    # judge), not a BU whose changed count breaks its chain, nor parts split over uploads; the strip in a photo
    assert [len(parts) for parts in read] == [2, 1, 1, 0, 0, 0, 1, 1]
    whole = parse_boletim([parse_part(text) for text in qr_texts(ELECTION, draw_boletim(ELECTION, 50))])
    assert decoded[1].boletins == (read_boletim(whole),)
    with_reading = _settle(_brazil(tmp_path / "read"), decoded, ahead=True)
    without = _settle(_brazil(tmp_path / "parsed"), decoded, ahead=False)
    assert with_reading == without
    statuses = [sorted({o.status.value for o in file}) for file in with_reading]
    assert statuses == [
        ["accepted"],
        ["duplicate"],
        ["invalid"],
        ["incomplete"],
        ["incomplete"],
        ["accepted"],
        ["accepted"],
        ["invalid"],
    ]
    assert (with_reading[-1][0].reason or "").startswith("sums that no urna prints: ")


def test_the_writer_parses_no_boletim_its_reader_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write_texts(tmp_path / "whole.txt", qr_texts(ELECTION, draw_boletim(ELECTION, 60)))
    decoded = decode_blob("0" * 64, str(path), "br", for_ingest=True)
    assert decode_blob("0" * 64, str(path), "br").boletins == ()  # a verifier's reading has no use for them

    def refuse(*_: object) -> None:
        raise AssertionError("the writer parsed a BU")

    monkeypatch.setattr(bu_ingest, "parse_boletim", refuse)
    [outcomes] = _settle(_brazil(tmp_path / "read"), [decoded], ahead=True)
    assert {o.status.value for o in outcomes} == {"accepted"}
    with pytest.raises(AssertionError, match="parsed a BU"):
        _settle(_brazil(tmp_path / "parsed"), [decoded], ahead=False)


def test_read_ahead_leaves_out_what_does_not_complete_in_the_file() -> None:
    bu, parts = _multi_part(70)
    boletim = parse_boletim([parse_part(text) for text in parts])
    areas, mesa = section_places(boletim)
    [read] = read_ahead([[*parts[1:], "QRBU:1:1 broken"], parts[:1]], listed=True)  # across pages of one file
    assert read.parts == parts and read.mesa == mesa and read.areas == tuple(areas)
    assert read.sheets == contest_sheets(boletim) and read.facts.section == boletim.section_key
    assert read_ahead([parts[1:]], listed=False) == ()
