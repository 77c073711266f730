"""Publishing, verifying and reading bundles through the API, from a folder or from a web address."""

from __future__ import annotations

import functools
import json
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

import testigo
from testigo.publish.layout import TOTALS_JSON
from tests.api.sample import ACTAS, RESULTADOS, ROWS

AREA_LEVELS = ("country", "state", "municipality", "parish", "center")


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _RedirectToFtp(_Quiet):
    def do_GET(self) -> None:
        self.send_response(302)
        self.send_header("Location", "ftp://127.0.0.1/bundle.json")
        self.end_headers()


@contextmanager
def serving(folder: Path, handler: type[SimpleHTTPRequestHandler] = _Quiet) -> Iterator[str]:
    """`folder` served over http on loopback; yields its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_publish_and_verify(ws: testigo.Workspace, tmp_path: Path) -> None:
    report = testigo.publish(ws, tmp_path / "out")
    assert isinstance(report, testigo.PublishReport) and report.mesas == ROWS
    verified = testigo.verify(tmp_path / "out", key=ws.key)
    assert isinstance(verified, testigo.VerifyReport) and verified.ok, verified.problems
    assert testigo.verify(str(tmp_path / "out"), checkpoint=tmp_path / "out" / "log" / "checkpoint").ok
    with testigo.init(tmp_path / "other", "ve2024") as other:
        wrong = testigo.verify(tmp_path / "out", key=other.key)
    assert not wrong.ok and any("key" in line for line in wrong.problems)


def test_read_bundle_gives_the_workspace_results_once_verified(ws: testigo.Workspace, bundle: Path) -> None:
    with testigo.read_bundle(bundle, key=ws.key) as published:
        assert published.verified and published.report is not None and published.report.ok
        assert repr(published).endswith("verified>")
        for level in AREA_LEVELS:
            assert published.results(level).equals(ws.results(level), check_metadata=True), level
        assert published.coverage == ws.coverage()
        assert published.candidates == ws.candidates
        assert published.manifest["tree_size"] == ROWS and published.manifest["profile"] == "ve2024"
        records, mesas = ws.records(), published.mesas()
        assert mesas.select(records.column_names).cast(records.schema).equals(records)
        with pytest.raises(testigo.UserError, match=r"per-mesa figures are in \.mesas\(\)"):
            published.results("mesa")


def test_a_tampered_bundle_raises_not_verified_unless_told_not_to_verify(ws: testigo.Workspace, bundle: Path) -> None:
    totals = json.loads((bundle / TOTALS_JSON).read_text(encoding="utf-8"))
    totals["country"]["rows"][0]["candidates"]["maduro"] += 1000
    (bundle / TOTALS_JSON).write_text(json.dumps(totals), encoding="utf-8")
    with pytest.raises(testigo.NotVerified, match="did not verify.*data/totals.json") as raised:
        testigo.read_bundle(bundle, key=ws.key)
    assert not raised.value.report.ok
    unsafe = testigo.read_bundle(bundle, verify=False)
    assert unsafe.report is None and not unsafe.verified and repr(unsafe).endswith("not verified>")
    assert unsafe.results().column("maduro")[0].as_py() == ws.results().column("maduro")[0].as_py() + 1000


@pytest.mark.slow
def test_read_bundle_from_a_web_address_copies_every_file(built: Path, tmp_path: Path) -> None:
    """Acta images, a preview and an imported table come along: the copy is the whole bundle.

    A small bundle of its own (20 imported rows, the two actas and a TIFF copy of one, which gets a preview),
    since every file is a request; one decoding process, which starts faster than a pool for three images.
    """
    rows = (built / RESULTADOS).read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "rows.csv").write_text("".join(rows[:21]), encoding="utf-8")
    actas = Path(shutil.copytree(built / ACTAS, tmp_path / ACTAS))
    Image.open(next(actas.glob("*.png"))).save(actas / "again.tif")
    with testigo.init(tmp_path / "ws", "ve2024") as ws:
        ws.import_table(tmp_path / "rows.csv")
        ws.ingest([actas], workers=1)
        ws.publish(tmp_path / "site")
        key, expected = ws.key, ws.results("state")
    assert any(name.startswith("previews/") for name in _files(tmp_path / "site"))
    with serving(tmp_path / "site") as url:
        published = testigo.read_bundle(url, key=key, into=tmp_path / "copy", workers=1)
        assert published.verified and published.path == tmp_path / "copy"
        assert published.results("state").equals(expected, check_metadata=True)
        assert _files(tmp_path / "copy") == _files(tmp_path / "site")
        with testigo.read_bundle(url + "bundle.json", workers=1) as temporary:  # its bundle.json's address names it too
            folder = temporary.path
            assert temporary.verified and folder.is_dir()
        assert not folder.exists()  # close removed the downloaded copy
        with pytest.raises(testigo.UserError, match="not a new or empty folder"):
            testigo.read_bundle(url, into=tmp_path / "copy")
        assert testigo.verify(url, key=key, workers=1).ok
    assert testigo.read_bundle((tmp_path / "site").as_uri(), key=key, workers=1).verified  # file:// URL


def test_addresses_that_are_not_bundles_are_refused(bundle: Path, tmp_path: Path) -> None:
    with pytest.raises(testigo.UserError, match="http\\(s\\) URL, a file:// URL or a local folder"):
        testigo.read_bundle("ftp://127.0.0.1/bundle/")
    (tmp_path / "empty").mkdir()
    with serving(tmp_path / "empty") as url:
        with pytest.raises(testigo.UserError, match="no bundle at"):
            testigo.read_bundle(url)
    with serving(bundle, _RedirectToFtp) as url:
        with pytest.raises(testigo.UserError, match="refused: not http"):
            testigo.read_bundle(url)
