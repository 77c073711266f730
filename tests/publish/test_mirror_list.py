"""The signed list of mirrors: kept by `testigo mirrors`, signed by `publish`, shown on every page, checked by
`verify` and `mirror`, carried in files.sha256 and the archive."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import tarfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from testigo.api.mirror import MirrorRefused, mirror
from testigo.capture import Incoming
from testigo.cli import app
from testigo.errors import UserError
from testigo.ledger import Signer, Verifier, sign_note
from testigo.pipeline.ingest import ingest_files
from testigo.publish.archive import write_archive
from testigo.publish.filelist import file_list_bytes, list_files, parse_file_list
from testigo.publish.layout import FILE_LIST, KEY, MIRRORS
from testigo.publish.mirrors import MirrorList, parse_mirror, verify_mirror_list
from testigo.store.workspace import Store, init_workspace
from tests.conftest import payload_for, small_mesas
from tests.test_cli import invoke
from tests.web.conftest import qr_png

runner = CliRunner()


def _onion(seed: int, *, version: int = 3) -> str:
    """A v3 onion address, built as Tor's rend-spec-v3 says, for an arbitrary public key."""
    key, ver = bytes([seed]) * 32, bytes([version])
    checksum = hashlib.sha3_256(b".onion checksum" + key + ver).digest()[:2]
    return base64.b32encode(key + checksum + ver).decode().lower() + ".onion"


ONION = _onion(7)
WEB = "https://resultados.example.org/2026/"


def _refused(args: list[str], reason: str) -> None:
    """The command stops with a `UserError` (exit 2 from `testigo`, one line) naming `reason`."""
    result = runner.invoke(app, args)
    assert isinstance(result.exception, UserError), result.output
    assert reason in str(result.exception)


def _check(report: dict[str, Any], name: str) -> dict[str, Any]:
    [check] = [c for c in report["checks"] if c["check"] == name]
    return dict(check)


def _verify(bundle: Path, key: str) -> tuple[int, Any]:
    return invoke("verify", bundle, "--key", key, "--workers", "1", "--sample", "0", "--json")


def _ingest(store: Store, mesa: str) -> None:
    ingest_files(store, [Incoming(f"test:{mesa}.png", f"{mesa}.png", qr_png(payload_for(mesa)))], workers=1)


def test_mirrors_add_list_remove_keep_the_workspace_file(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    _refused(["mirrors", "add", WEB, "-w", str(ws)], "create it first with `testigo init`")
    init_workspace(str(ws), "ve2024").close()
    code, listed = invoke("mirrors", "add", WEB, "--note", "sitio  oficial", "-w", ws, "--json")
    assert code == 0, listed
    code, listed = invoke("mirrors", "add", ONION.upper(), "-w", ws, "--json")  # bare, any case: http://, lower case
    assert code == 0, listed
    code, listed = invoke("mirrors", "add", "resultados-2026.tar", "--note", "canal @resultados", "-w", ws, "--json")
    assert listed == {
        "mirrors": [
            {"kind": "web", "address": WEB, "note": "sitio oficial"},
            {"kind": "onion", "address": f"http://{ONION}", "note": ""},
            {"kind": "archive", "address": "resultados-2026.tar", "note": "canal @resultados"},
        ]
    }
    code, listed = invoke("mirrors", "add", WEB, "--note", "bloqueado en CANTV", "-w", ws, "--json")  # same: new note
    assert [m["note"] for m in listed["mirrors"]] == ["bloqueado en CANTV", "", "canal @resultados"]
    code, listed = invoke("mirrors", "remove", f"HTTP://{ONION}", "-w", ws, "--json")
    assert code == 0 and [m["kind"] for m in listed["mirrors"]] == ["web", "archive"]
    assert (ws / "mirrors.txt").read_text() == (
        f"web {WEB} bloqueado en CANTV\narchive resultados-2026.tar canal @resultados\n"
    )
    assert invoke("mirrors", "list", "-w", ws, "--json") == (0, listed)
    assert "resultados-2026.tar" in runner.invoke(app, ["mirrors", "list", "-w", str(ws)]).stdout
    _refused(["mirrors", "remove", "otro.tar", "-w", str(ws)], "otro.tar is not in the workspace's list of mirrors")
    (ws / "mirrors.txt").write_text("web ftp://old.example.org/\n")  # a hand edit that publish must not sign
    _refused(["mirrors", "list", "-w", str(ws)], "mirrors.txt line 1: mirror 'ftp://old.example.org/' is not an http")


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("ftp://example.org/r/", "is not an http:// or https:// address"),
        ("https://user:secret@example.org/", "holds a user name or password"),
        ("http://[::1", "is not a valid address"),
        ("example.org/resultados", "an archive name has no folder"),
        ("www.example.org", "looks like a web address: give it with https://"),
        ("resultados 2026.tar", "holds spaces or control characters"),
        (".resultados.tar", "is not an archive file name"),
        ("expyuzz4wqqyqhjn.onion", "a v2 onion address (16 characters)"),
        ("xyz.onion", "not a v3 onion address (56 characters"),
        (_onion(7, version=4), "onion address version 04, not 03"),
        (ONION[:10] + ("b" if ONION[10] != "b" else "c") + ONION[11:], "checksum does not match"),
    ],
)
def test_bad_mirrors_are_refused_in_one_line(address: str, reason: str) -> None:
    with pytest.raises(UserError, match=None) as refused:
        parse_mirror(address)
    assert reason in str(refused.value) and "\n" not in str(refused.value)


def test_a_long_note_is_refused() -> None:
    with pytest.raises(UserError, match="at most 200 characters"):
        parse_mirror(WEB, "x" * 201)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Path]:
    """A bundle of one mesa published with three mirrors listed: (bundle, log key, workspace)."""
    root = tmp_path_factory.mktemp("mirrorlist")
    ws, out = root / "ws", root / "bundle"
    store = init_workspace(str(ws), "ve2024")
    try:
        _ingest(store, small_mesas(1)[0])
        key = str(store.signer.verifier)
    finally:
        store.close()
    for address in (WEB, ONION, "resultados-2026.tar"):
        assert invoke("mirrors", "add", address, "--note", f"nota <{address[:5]}>", "-w", ws)[0] == 0
    code, report = invoke("publish", "--out", out, "-w", ws, "--json")
    assert code == 0, report
    assert [m["kind"] for m in report["mirrors"]] == ["web", "onion", "archive"]
    return out, key, ws


def test_publish_signs_the_list_with_the_log_key_for_its_checkpoint(bundle: tuple[Path, str, Path]) -> None:
    out, key, _ = bundle
    signed = (out / MIRRORS).read_bytes()
    found = verify_mirror_list(signed, Verifier.parse(key))
    manifest = json.loads((out / "bundle.json").read_text())
    assert (found.origin, found.size) == (manifest["origin"], manifest["tree_size"])
    assert [m.line() for m in found.mirrors] == [
        f"web {WEB} nota <https>\n",
        f"onion http://{ONION} nota <{ONION[:5]}>\n",
        "archive resultados-2026.tar nota <resul>\n",
    ]
    assert parse_file_list((out / FILE_LIST).read_bytes())[MIRRORS] == hashlib.sha256(signed).hexdigest()
    code, verified = _verify(out, key)
    assert code == 0, verified["problems"]
    detail = _check(verified, "mirrors")["detail"]
    assert detail.startswith(f"{MIRRORS}: 3 mirrors signed by {Verifier.parse(key).name}+")
    assert f"for the checkpoint of size {found.size}, on {found.published:%Y-%m-%d %H:%M} UTC" in detail


def test_every_page_shows_the_mirrors_and_the_key_fingerprint(bundle: tuple[Path, str, Path]) -> None:
    out, _, _ = bundle
    digest = hashlib.sha256((out / KEY).read_bytes()).hexdigest()  # what `sha256sum log/key.pub` prints
    fingerprint = " ".join(digest[i : i + 4] for i in range(0, 64, 4))
    pages = sorted(out.rglob("*.html"))
    assert len(pages) >= 6  # national, state, municipality, parish, center, mesa, log
    for page in pages:
        html = page.read_text(encoding="utf-8")
        footer = html[html.index('<footer class="site">') :]
        root = "../" * (len(page.relative_to(out).parts) - 1)
        assert f'<a href="{root}mirrors.txt">' in footer, page
        assert f'<a href="{WEB}">{WEB}</a> · nota &lt;https&gt;' in footer, page
        assert f'<a href="http://{ONION}">http://{ONION}</a> (Tor)' in footer, page
        assert "archivo / archive <code>resultados-2026.tar</code> · nota &lt;resul&gt;" in footer, page
        assert f'<code class="fingerprint">{fingerprint}</code>' in footer, page


def test_republishing_keeps_the_list_until_it_or_the_log_changes(
    bundle: tuple[Path, str, Path], tmp_path: Path
) -> None:
    source, key, ws_source = bundle
    out, ws = tmp_path / "bundle", tmp_path / "ws"
    shutil.copytree(source, out)
    shutil.copytree(ws_source, ws)
    before = (out / MIRRORS).read_bytes()
    code, report = invoke("publish", "--out", out, "-w", ws, "--json")
    assert code == 0 and report["files"]["mirrors"] == {"written": 0, "unchanged": 1}
    assert report["written"] == 0  # same list, same checkpoint: the signed list and its time are kept
    assert invoke("mirrors", "remove", WEB, "-w", ws)[0] == 0
    code, report = invoke("publish", "--out", out, "-w", ws, "--json")
    assert code == 0 and report["files"]["mirrors"] == {"written": 1, "unchanged": 0}
    assert report["files"]["pages"]["unchanged"] == 0  # every page shows the list
    listed = verify_mirror_list((out / MIRRORS).read_bytes(), Verifier.parse(key))
    assert [m.kind for m in listed.mirrors] == ["onion", "archive"] and (out / MIRRORS).read_bytes() != before
    assert WEB not in (out / "index.html").read_text(encoding="utf-8")
    assert _verify(out, key)[0] == 0


def _tampered(source: Path, folder: Path, signed: bytes) -> Path:
    """A copy of `source` whose mirrors.txt is `signed`, with files.sha256 made to match, as a clone would."""
    shutil.copytree(source, folder)
    (folder / MIRRORS).write_bytes(signed)
    (folder / FILE_LIST).write_bytes(file_list_bytes(list_files(folder)))
    return folder


def _forgeries(out: Path, key: str) -> dict[str, tuple[bytes, str]]:
    """Lists a clone could ship, and the reason `verify` must give for each."""
    text = (out / MIRRORS).read_text(encoding="utf-8")
    listed = verify_mirror_list(text, Verifier.parse(key))
    own = Signer.generate(listed.origin)  # a clone's key under the log's very name
    clone = MirrorList(listed.origin, listed.size, listed.published, (parse_mirror("https://clone.example/"),))
    older = MirrorList(listed.origin, listed.size - 1, listed.published, listed.mirrors)
    return {
        "edited": (text.replace(WEB, "https://clone.example/").encode(), "invalid signature by key"),
        "signed by another key": (sign_note(clone.text(), own).encode(), "not signed by a trusted key"),
        "truncated": (b"testigo-mirrors/v1\n", "no blank line separates the text from the signatures"),
        "another checkpoint": (_signed_by_log(out, older), f"was signed for the checkpoint of size {older.size}"),
    }


def _signed_by_log(out: Path, listed: MirrorList) -> bytes:
    """A list the log's own key signed (for another checkpoint): the key lives in the workspace beside the bundle."""
    signer = Signer.parse((out.parent / "ws" / "keys" / "log-signer.key").read_text().strip())
    return sign_note(listed.text(), signer).encode()


def test_verify_refuses_an_edited_or_forged_list(bundle: tuple[Path, str, Path], tmp_path: Path) -> None:
    out, key, _ = bundle
    for name, (signed, reason) in _forgeries(out, key).items():
        copy = _tampered(out, tmp_path / name.replace(" ", "-"), signed)
        code, verified = _verify(copy, key)
        assert code == 1, name
        assert not _check(verified, "mirrors")["ok"], name
        [problem] = [p for p in verified["problems"] if p.startswith(MIRRORS)]
        assert reason in problem, (name, problem)


def test_mirror_carries_the_list_and_refuses_a_forged_one(bundle: tuple[Path, str, Path], tmp_path: Path) -> None:
    out, key, _ = bundle
    copy = tmp_path / "copy"
    assert mirror(str(out), copy, key=key, workers=1).outcome == "updated"
    assert (copy / MIRRORS).read_bytes() == (out / MIRRORS).read_bytes()
    signed, _ = _forgeries(out, key)["signed by another key"]
    clone = _tampered(out, tmp_path / "clone", signed)
    with pytest.raises(MirrorRefused, match=f"fails verification: {MIRRORS}: the note is not signed by a trusted"):
        mirror(str(clone), copy, workers=1)
    assert (copy / MIRRORS).read_bytes() == (out / MIRRORS).read_bytes()  # the copy held is untouched
    with pytest.raises(MirrorRefused, match=f"{MIRRORS}: the note is not signed by a trusted"):
        mirror(str(clone), tmp_path / "fresh", key=key, workers=1)


def test_the_archive_carries_the_list(bundle: tuple[Path, str, Path], tmp_path: Path) -> None:
    out, _, _ = bundle
    written = write_archive(out, tmp_path / "resultados-2026.tar", None)
    with tarfile.open(written.archive) as tar:
        member = tar.extractfile(MIRRORS)
        assert member is not None and member.read() == (out / MIRRORS).read_bytes()
