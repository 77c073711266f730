"""Imported tables, S3 originals and HEIC/TIFF previews in a published bundle, each verified for what it is."""

from __future__ import annotations

import codecs
import csv
import io
import json
from pathlib import Path

import pytest
from PIL import Image

from testigo.capture import Incoming
from testigo.ledger.entries import TABLE_READING
from testigo.pipeline import importer
from testigo.pipeline.importer import import_table
from testigo.pipeline.ingest import ingest_files
from testigo.pipeline.logbook import finish_logged
from testigo.pipeline.table_file import read_table
from testigo.publish import publish
from testigo.publish.layout import MESAS_CSV, MESAS_JSON, REGISTRY_JSON, page_path
from testigo.store.workspace import Store, init_workspace
from testigo.tally import tally
from testigo.verify import verify_bundle
from testigo.verify.report import VerifyReport
from tests.analysis.test_generic import MAP, _rows, _table, _write
from tests.conftest import payload_for, small_mesas
from tests.store.test_s3blobs import BUCKET, endpoint  # noqa: F401 - the moto S3 server fixture
from tests.web.conftest import qr_png


def _check(report: VerifyReport, name: str) -> str:
    return next(c.detail for c in report.checks if c.check == name)


def _cards_table(path: Path, mesas: list[str]) -> None:
    """A citizen table in testigo's own per-card layout."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["mesa_id", *(f"card_{i}" for i in range(1, 39)), "null_votes"])
        for n, mesa in enumerate(mesas):
            cards = [0] * 38
            cards[0], cards[35] = 100 + n, 200
            writer.writerow([mesa, *cards, 2])


def _published(store: Store, bundle: Path) -> str:
    publish(store, bundle)
    key = str(store.signer.verifier)
    store.close()
    return key


def test_citizen_rows_are_published_as_a_table_and_each_row_is_parsed_again(tmp_path: Path) -> None:
    store = init_workspace(str(tmp_path / "ws"))
    mesas = small_mesas(2)
    table = tmp_path / "citizen.csv"
    _cards_table(table, mesas)
    report = import_table(store, table, "citizen")
    assert [r.status for r in report.rows] == ["accepted", "accepted"]
    bundle = tmp_path / "bundle"
    key = _published(store, bundle)

    source = bundle / "sources" / f"{report.sha256}.csv"
    assert source.read_bytes() == table.read_bytes()
    assert not (bundle / "actas").exists()
    rows = json.loads((bundle / MESAS_JSON).read_text(encoding="utf-8"))["mesas"]
    assert {r["evidence"] for r in rows} == {"table"} and all(r["images"] == [] for r in rows)
    assert all(r["tables"] == [f"sources/{report.sha256}.csv"] for r in rows)
    assert "no image of the sheet backs it" in (bundle / page_path("mesa", mesas[0])).read_text(encoding="utf-8")
    verified = verify_bundle(bundle, key=key, workers=1)
    assert verified.ok, verified.problems
    assert "2 parsed again with the layout, --map and encoding their entries log" in _check(verified, "tables")

    source.write_bytes(source.read_bytes().replace(b",200,", b",201,", 1))
    tampered = verify_bundle(bundle, key=key, workers=1)
    assert any("the table was altered" in line for line in tampered.problems), tampered.problems


def test_a_generic_workspace_publishes_the_registry_it_relies_on_and_verifies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An older log, whose entries do not say how their table was read: rows are compared by candidate column."""
    monkeypatch.setattr(importer, "finish_logged", lambda *args, **_: finish_logged(*args[:4]))
    store = init_workspace(str(tmp_path / "ws"), "generic")
    table = tmp_path / "итоги.csv"
    _table(table, stations=30)
    assert import_table(store, table, "citizen", MAP).rows
    live = tally(store, "country").rows[0].candidates
    bundle = tmp_path / "bundle"
    key = _published(store, bundle)

    registry = json.loads((bundle / REGISTRY_JSON).read_text(encoding="utf-8"))
    assert len(registry["mesas"]) == 30 and registry["candidates"] == list(live)
    verified = verify_bundle(bundle, key=key, workers=1)
    assert verified.ok, verified.problems
    assert "taken from the bundle itself" in _check(verified, "registry")
    assert "30 compared by candidate column only" in _check(verified, "tables")

    (bundle / REGISTRY_JSON).unlink()
    assert not verify_bundle(bundle, key=key, workers=1).ok


def _entries(bundle: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (bundle / "log" / "entries.jsonl").read_text(encoding="utf-8").splitlines()]


def _mapped_import(
    tmp_path: Path, encoding: str, edit: tuple[str, str] | None = None, *, forced: bool = True
) -> tuple[Path, str, int]:
    """A generic workspace importing a table in `encoding` with --map (and --encoding), published: (bundle, key,
    log entry of the table's 3rd row). With `edit`, the rows logged are those of the table with that text
    replaced while the table stored and published is the original: a log that does not match its table."""
    store = init_workspace(str(tmp_path / "ws"), "generic")
    table = tmp_path / "итоги.csv"
    _write(table, _rows(stations=12), encoding)
    if edit is not None:
        old, new = (text.encode(encoding) for text in edit)
        edited = table.read_bytes().replace(old, new, 1)
        assert edited != table.read_bytes()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(importer, "read_table", lambda path, data, forced: read_table(path, edited, forced))
            report = import_table(store, table, "citizen", MAP, encoding)
    else:
        report = import_table(store, table, "citizen", MAP, encoding if forced else None)
    assert codecs.lookup(report.encoding).name == codecs.lookup(encoding).name
    assert [r.status for r in report.rows] == ["accepted"] * 12
    bundle = tmp_path / "bundle"
    key = _published(store, bundle)
    [third] = [seq for seq, e in enumerate(_entries(bundle)) if e["part"] == 4]  # line 1 is the header
    return bundle, key, third


@pytest.mark.parametrize(
    ("encoding", "forced", "logged"),
    [("cp1251", True, "cp1251"), ("koi8-r", True, "koi8-r"), ("koi8-r", False, "koi8_r")],
)
def test_a_mapped_table_is_parsed_again_exactly_as_imported(
    tmp_path: Path, encoding: str, forced: bool, logged: str
) -> None:
    """Each row's entry logs the --map as given and the encoding used (forced, or detected: the detector's
    name for it); verify reads the table in it."""
    bundle, key, _ = _mapped_import(tmp_path, encoding, forced=forced)
    entries = _entries(bundle)
    assert {json.dumps(e[TABLE_READING], sort_keys=True) for e in entries} == {
        json.dumps({"layout": "map", "map": MAP, "encoding": logged}, sort_keys=True)
    }
    verified = verify_bundle(bundle, key=key, workers=1)
    assert verified.ok, verified.problems
    detail = _check(verified, "tables")
    assert "12 parsed again with the layout, --map and encoding their entries log" in detail
    assert "0 parsed again with the layout recognised" in detail and "0 compared by candidate column" in detail


def test_image_entries_do_not_log_a_table_reading(tmp_path: Path) -> None:
    store = init_workspace(str(tmp_path / "ws"))
    ingest_files(store, [Incoming("test:a.png", "a.png", qr_png(payload_for(small_mesas(1)[0])))], workers=1)
    bundle = tmp_path / "bundle"
    _published(store, bundle)
    [entry] = _entries(bundle)
    assert TABLE_READING not in entry and entry["channel"] != "import"


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        ((",1002,", ",1092,"), "the table gives station ТИК 2-1002, the entry logs ТИК 2-1092"),
        ((",5,1174", ",6,1174"), "the table gives invalid votes 5, the entry logs 6"),
        ((",5,1174", ",5,1175"), "the table gives declared ballots 1174, the entry logs 1175"),
    ],
    ids=["station id", "invalid votes", "ballots"],
)
def test_a_row_that_differs_from_its_entry_fails_verify_naming_the_entry(
    tmp_path: Path, edit: tuple[str, str], named: str
) -> None:
    """The 3rd row of the published table is ТИК 2,1002,...,5,1174; its entry logged the edited row."""
    bundle, key, third = _mapped_import(tmp_path, "cp1251", edit)
    verified = verify_bundle(bundle, key=key, workers=1)
    assert [c.check for c in verified.checks if not c.ok] == ["tables"], verified.problems
    [problem] = verified.problems
    assert problem.startswith(f"log entry {third}: sources/") and problem.endswith(named), problem


def test_publish_copies_originals_from_an_s3_blob_store(tmp_path: Path, endpoint: str) -> None:  # noqa: F811
    store = init_workspace(str(tmp_path / "ws"), blobs_url=f"s3://{BUCKET}/ws?endpoint={endpoint}")
    mesa = small_mesas(1)[0]
    data = qr_png(payload_for(mesa))
    ingest_files(store, [Incoming("test:a.png", "a.png", data)], workers=1)
    bundle = tmp_path / "bundle"
    key = _published(store, bundle)
    [image] = (bundle / "actas").iterdir()
    assert image.read_bytes() == data
    assert verify_bundle(bundle, key=key, workers=1).ok


def _tiff_acta(payload: str) -> bytes:
    with Image.open(io.BytesIO(qr_png(payload))) as png:
        out = io.BytesIO()
        png.convert("L").save(out, "TIFF", tiffinfo={270: "taken by a witness at home"})
        return out.getvalue()


@pytest.mark.parametrize("kind", ["tiff"])
def test_a_tiff_original_is_shown_by_a_clean_jpeg_preview_and_linked_for_download(tmp_path: Path, kind: str) -> None:
    store = init_workspace(str(tmp_path / "ws"))
    mesa = small_mesas(1)[0]
    ingest_files(store, [Incoming("test:a.tif", "a.tif", _tiff_acta(payload_for(mesa)))], workers=1)
    bundle = tmp_path / "bundle"
    key = _published(store, bundle)

    [original] = (bundle / "actas").iterdir()
    assert original.suffix == ".tif"
    preview = bundle / "previews" / f"{original.stem}.jpg"
    with Image.open(preview) as image:
        assert image.format == "JPEG" and "exif" not in image.info and "icc_profile" not in image.info
    page = (bundle / page_path("mesa", mesa)).read_text(encoding="utf-8")
    assert f'<img src="../previews/{original.stem}.jpg"' in page and f'href="../actas/{original.name}"' in page
    assert "witness" not in preview.read_bytes().decode("latin-1")
    verified = verify_bundle(bundle, key=key, workers=1)
    assert verified.ok, verified.problems
    assert _check(verified, "previews").startswith("1 previews")

    stray = bundle / "previews" / f"{'0' * 64}.jpg"
    stray.write_bytes(preview.read_bytes())
    problems = verify_bundle(bundle, key=key, workers=1).problems
    assert any("not the preview of a published original" in line for line in problems), problems
    assert (bundle / MESAS_CSV).is_file()
