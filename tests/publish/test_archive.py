"""`publish --archive`: one deterministic file (and its parts) for any channel, read back safely by `verify`."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from testigo.cli import app
from testigo.errors import UserError
from testigo.publish.archive import ArchiveError, parse_size, unpack_bundle, write_archive
from testigo.publish.filelist import bundle_files
from testigo.verify import verify_bundle
from tests.publish.bundles import Published, copy_of, shared
from tests.verify.test_bundle_verify import add_vote_in_json

runner = CliRunner()


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Published:
    return shared(tmp_path_factory)


def tree(root: Path) -> dict[str, bytes]:
    return {name: (root / name).read_bytes() for name in bundle_files(root)}


def test_one_bundle_gives_the_same_bytes_and_unpacks_to_the_same_tree(published: Published, tmp_path: Path) -> None:
    first = write_archive(published.bundle, tmp_path / "a" / "bundle.tar")
    again = write_archive(copy_of(published, tmp_path / "copy"), tmp_path / "b" / "bundle.tar")
    assert first.archive.read_bytes() == again.archive.read_bytes()
    assert first.sha256 == again.sha256 and first.files == len(bundle_files(published.bundle))
    with tarfile.open(first.archive) as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == sorted(m.name for m in members)
    assert {(m.mtime, m.uid, m.gid, m.uname, m.gname, m.mode) for m in members} == {(0, 0, 0, "", "", 0o644)}
    folder, detail = unpack_bundle(first.archive, tmp_path / "unpacked")
    assert tree(folder) == tree(published.bundle)
    assert f"{first.files} files unpacked" in detail


def test_publish_twice_writes_byte_identical_archives(published: Published, tmp_path: Path) -> None:
    workspace = Path(shutil.copytree(published.workspace, tmp_path / "ws"))
    bundle = copy_of(published, tmp_path)
    outputs = []
    for name in ("one.tar", "two.tar"):
        result = runner.invoke(
            app, ["publish", "--out", str(bundle), "--archive", str(tmp_path / name), "-w", str(workspace), "--json"]
        )
        assert result.exit_code == 0, result.output
        outputs.append(json.loads(result.stdout)["archive"])
    assert (tmp_path / "one.tar").read_bytes() == (tmp_path / "two.tar").read_bytes()
    assert outputs[0]["sha256"] == outputs[1]["sha256"] and outputs[0]["parts"] == []
    reference = write_archive(published.bundle, tmp_path / "ref.tar").archive
    assert (tmp_path / "one.tar").read_bytes() == reference.read_bytes()


def test_split_parts_join_to_the_archive_and_verify_from_the_first_part(published: Published, tmp_path: Path) -> None:
    whole = write_archive(published.bundle, tmp_path / "bundle.tar")
    split = write_archive(published.bundle, tmp_path / "parts" / "bundle.tar", split_size=parse_size("64K"))
    assert split.manifest is not None and len(split.parts) == -(-whole.size // 65536) > 1
    assert [part.name for part in split.parts][:2] == ["bundle.tar.001", "bundle.tar.002"]
    joined = b"".join((tmp_path / "parts" / part.name).read_bytes() for part in split.parts)
    assert joined == whole.archive.read_bytes()
    manifest = json.loads(split.manifest.read_text(encoding="utf-8"))
    assert manifest["archive"] == {"name": "bundle.tar", "size": whole.size, "sha256": whole.sha256}
    assert [p["size"] for p in manifest["parts"]] == [part.size for part in split.parts]
    folder, detail = unpack_bundle(split.manifest, tmp_path / "from-manifest")
    assert tree(folder) == tree(published.bundle)
    assert f"{len(split.parts)} parts of bundle.tar checked against bundle.tar.parts.json" in detail
    result = runner.invoke(
        app, ["verify", str(tmp_path / "parts" / "bundle.tar.001"), "--workers", "1", "--sample", "0", "--json"]
    )
    assert result.exit_code == 0, result.output
    checks = json.loads(result.stdout)["checks"]
    assert checks[0]["check"] == "archive" and checks[0]["ok"] and "parts of bundle.tar" in checks[0]["detail"]


def test_a_damaged_or_missing_part_is_refused_by_name(published: Published, tmp_path: Path) -> None:
    split = write_archive(published.bundle, tmp_path / "bundle.tar", split_size=65536)
    second = tmp_path / "bundle.tar.002"
    data = bytearray(second.read_bytes())
    data[100] ^= 0x01
    second.write_bytes(bytes(data))
    with pytest.raises(ArchiveError, match=r"^part bundle.tar.002 is damaged: 65,536 bytes, SHA-256"):
        unpack_bundle(tmp_path / "bundle.tar.001", tmp_path / "work")
    report = verify_bundle(tmp_path / "bundle.tar.parts.json", workers=1, sample=0)
    assert not report.ok and report.problems[0].startswith("part bundle.tar.002 is damaged")
    second.unlink()
    with pytest.raises(ArchiveError, match=r"^part bundle.tar.002 is missing$"):
        unpack_bundle(split.manifest or second, tmp_path / "work2")


def test_stale_parts_of_a_longer_archive_are_removed(published: Published, tmp_path: Path) -> None:
    many = write_archive(published.bundle, tmp_path / "bundle.tar", split_size=65536)
    few = write_archive(published.bundle, tmp_path / "bundle.tar", split_size=4 * 65536)
    left = sorted(p.name for p in tmp_path.glob("bundle.tar.0*"))
    assert left == [part.name for part in few.parts] and len(many.parts) > len(few.parts)


def _tar(path: Path, *members: tuple[tarfile.TarInfo, bytes]) -> Path:
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as tar:
        for info, data in members:
            info.size = len(data) if info.isreg() else 0
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return path


def _link(name: str, kind: bytes, target: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


@pytest.mark.parametrize(
    ("members", "reason"),
    [
        ([(tarfile.TarInfo("../evil.html"), b"x")], "unsafe archive entry: path escapes the archive '../evil.html'"),
        ([(tarfile.TarInfo("/etc/evil"), b"x")], "unsafe archive entry: absolute path '/etc/evil'"),
        (
            [(_link("log/key.pub", tarfile.SYMTYPE, "/etc/passwd"), b"")],
            "archive member 'log/key.pub' is a link: a bundle holds only files",
        ),
        (
            [(tarfile.TarInfo("a"), b"x"), (_link("b", tarfile.LNKTYPE, "a"), b"")],
            "archive member 'b' is a link: a bundle holds only files",
        ),
        ([(tarfile.TarInfo("big.jpg"), b"x" * 2000)], "archive member 'big.jpg' too large: 2,000 bytes (limit 1,000)"),
        ([(tarfile.TarInfo("a"), b"x"), (tarfile.TarInfo("a"), b"y")], "archive member 'a' appears twice"),
        ([(_link("fifo", tarfile.FIFOTYPE, ""), b"")], "archive member 'fifo' is not a plain file or folder"),
    ],
)
def test_a_malicious_archive_is_refused_with_a_one_line_reason(
    tmp_path: Path, members: list[tuple[tarfile.TarInfo, bytes]], reason: str
) -> None:
    archive = _tar(tmp_path / "evil.tar", *members)
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(ArchiveError) as refused:
        unpack_bundle(archive, work, max_file_bytes=1000)
    assert str(refused.value) == reason
    assert not (tmp_path / "evil.html").exists() and not any(p.is_symlink() for p in work.rglob("*"))


def test_verify_refuses_a_malicious_or_unreadable_archive_in_one_line(tmp_path: Path) -> None:
    _tar(tmp_path / "evil.tar", (tarfile.TarInfo("../evil.html"), b"x"))
    (tmp_path / "junk.tar").write_bytes(b"not a tar at all" * 100)
    for name, reason in (("evil.tar", "path escapes"), ("junk.tar", "junk.tar is not a readable tar archive")):
        result = runner.invoke(app, ["verify", str(tmp_path / name)])
        assert result.exit_code == 1 and reason in result.stdout, result.output
        assert "Traceback" not in result.output


def test_verify_passes_the_archive_and_fails_one_with_a_changed_figure(published: Published, tmp_path: Path) -> None:
    good = write_archive(published.bundle, tmp_path / "good.tar")
    result = runner.invoke(
        app, ["verify", str(good.archive), "--key", published.key, "--workers", "1", "--sample", "0", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["ok"] is True
    changed = copy_of(published, tmp_path)
    reason = add_vote_in_json(changed)
    bad = write_archive(changed, tmp_path / "bad.tar")
    result = runner.invoke(app, ["verify", str(bad.archive), "--key", published.key, "--workers", "1", "--sample", "0"])
    assert result.exit_code == 1
    assert any(line.startswith(reason) for line in result.stdout.splitlines()), result.stdout


def test_sizes_and_misuse_are_user_errors(published: Published, tmp_path: Path) -> None:
    assert [parse_size(text) for text in ("15M", "64k", "1G", "1000")] == [15 * 2**20, 65536, 2**30, 1000]
    for bad in ("0", "15X", "-1M", "M"):
        with pytest.raises(UserError, match="not a size"):
            parse_size(bad)
    result = runner.invoke(app, ["publish", "--out", str(tmp_path / "b"), "--split-size", "15M"])
    assert result.exit_code != 0 and "give --archive FILE too" in str(result.exception)
    with pytest.raises(ArchiveError, match="lies inside the bundle"):
        write_archive(published.bundle, published.bundle / "bundle.tar")
    assert not (published.bundle / "bundle.tar").exists()
