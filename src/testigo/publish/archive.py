"""A bundle as one file: a deterministic tar, and its numbered parts for channels that cap file sizes.

A folder of thousands of files cannot be sent through a messaging app, a USB
stick passed hand to hand or an e-mail; one file can. The archive is an
uncompressed POSIX ustar tar (the format and why are in
``docs/bundle-format.md``): its files in sorted order, every header fixed
(mtime 0, uid/gid 0, no owner names, mode 0644), so the same bundle always
gives byte-identical archives and anyone can compare two by their SHA-256.

`split_archive` cuts it into parts ``NAME.001``, ``NAME.002``... with a
manifest ``NAME.parts.json`` naming each part with its size and SHA-256 and
those of the whole, so a reader can tell which part arrived damaged.

The reading side (`unpack_bundle`) trusts nothing: parts are checked against
the manifest before they are joined, and every tar member must be a regular
file or folder, named inside the bundle (`testigo.capture.unsafe_name`, the
rule zip uploads follow), unique, and under the size limit; links, devices and
sparse files are refused, each with a one-line reason.
"""

from __future__ import annotations

import glob
import hashlib
import json
import re
import shutil
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, BinaryIO

from testigo.capture import MAX_FILE_BYTES, unsafe_name
from testigo.errors import UserError
from testigo.publish.filelist import bundle_files, file_sha256
from testigo.publish.writer import replace_atomically

PARTS_FORMAT = "testigo-archive-parts/1"
PARTS_SUFFIX = ".parts.json"
_PART_NAME = re.compile(r"(.+)\.(\d{3,})")
_SIZE = re.compile(r"(\d+)([KMG]?)", re.IGNORECASE)
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}
_CHUNK = 1024 * 1024


class ArchiveError(UserError):
    """A bundle archive, or one of its parts, cannot be written or read safely; str() says why in one line."""


@dataclass(frozen=True)
class Part:
    """One file of an archive as written or as expected: its name (no folder), size and SHA-256."""

    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class ArchiveReport:
    """What `write_archive` wrote: the archive itself and, when split, its parts and their manifest."""

    archive: Path
    files: int
    size: int
    sha256: str
    parts: tuple[Part, ...] = ()
    manifest: Path | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.archive),
            "files": self.files,
            "size": self.size,
            "sha256": self.sha256,
            "parts": [asdict(part) for part in self.parts],
            "manifest": str(self.manifest) if self.manifest else None,
        }


def parse_size(text: str) -> int:
    """Bytes in a size such as ``15M``: K, M and G are powers of 1024, as for `split -b`."""
    match = _SIZE.fullmatch(text.strip())
    if not match or int(match.group(1)) == 0:
        raise UserError(f"not a size: {text!r} (a positive number of bytes, or with K, M or G: 15M)")
    return int(match.group(1)) * _UNITS[match.group(2).upper()]


def write_archive(root: Path, target: Path, split_size: int | None = None) -> ArchiveReport:
    """Write the bundle folder `root` as the archive `target` (atomically), then its parts if `split_size`."""
    if target.resolve().is_relative_to(root.resolve()):
        raise ArchiveError(f"{target} lies inside the bundle {root}: write the archive elsewhere")
    names = bundle_files(root)
    if not names:
        raise ArchiveError(f"{root} holds no bundle to archive")
    replace_atomically(target, lambda handle: _write_tar(root, names, handle))
    whole = Part(target.name, target.stat().st_size, file_sha256(target))
    report = ArchiveReport(target, len(names), whole.size, whole.sha256)
    if split_size is None:
        return report
    parts = _split(target, split_size)
    manifest = target.with_name(target.name + PARTS_SUFFIX)
    document = {"format": PARTS_FORMAT, "archive": asdict(whole), "parts": [asdict(part) for part in parts]}
    text = json.dumps(document, indent=1, sort_keys=True) + "\n"
    replace_atomically(manifest, _writing(text.encode()))
    return ArchiveReport(target, len(names), whole.size, whole.sha256, tuple(parts), manifest)


def _write_tar(root: Path, names: list[str], handle: BinaryIO) -> None:
    """The files `names` of `root` as a ustar stream whose every header field is fixed."""
    with tarfile.open(fileobj=handle, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name in names:
            path = root / name
            if path.is_symlink() or not path.is_file():
                raise ArchiveError(f"{name} is a link or not a regular file: a bundle holds only files")
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = path.stat().st_size, 0, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            with path.open("rb") as source:
                try:
                    tar.addfile(info, source)
                except ValueError as error:  # a name ustar cannot hold
                    raise ArchiveError(f"{name} cannot be archived: {error}") from None


def _split(archive: Path, split_size: int) -> list[Part]:
    """Cut `archive` into ``NAME.001``... of `split_size` bytes (the last shorter); remove older extra parts."""
    parts: list[Part] = []
    with archive.open("rb") as source:
        while chunk := source.read(split_size):
            part = archive.with_name(f"{archive.name}.{len(parts) + 1:03d}")
            replace_atomically(part, _writing(chunk))
            parts.append(Part(part.name, len(chunk), hashlib.sha256(chunk).hexdigest()))
    for stale in archive.parent.glob(f"{glob.escape(archive.name)}.[0-9][0-9][0-9]*"):
        match = _PART_NAME.fullmatch(stale.name)
        if match and match.group(1) == archive.name and int(match.group(2)) > len(parts):
            stale.unlink()
    return parts


def _writing(data: bytes) -> Callable[[BinaryIO], int]:
    return lambda handle: handle.write(data)


# --- Reading


def unpack_bundle(path: Path, workdir: Path, max_file_bytes: int = MAX_FILE_BYTES) -> tuple[Path, str]:
    """Unpack the archive at `path` (the archive, its manifest or its first part) into a folder under `workdir`.

    Returns the bundle folder and a one-line account of what was checked;
    raises `ArchiveError` with the reason on any damaged part or unsafe member.
    """
    if not path.is_file():
        raise ArchiveError(f"{path} is not a file")
    workdir.mkdir(parents=True, exist_ok=True)
    archive, detail = _whole_archive(path, workdir)
    folder = workdir / "bundle"
    folder.mkdir()
    count = _extract(archive, folder, max_file_bytes)
    return folder, f"{detail}, {count} files unpacked"


def is_parts(path: Path) -> bool:
    """Whether `path` names a parts manifest or a numbered part rather than an archive."""
    return path.name.endswith(PARTS_SUFFIX) or _PART_NAME.fullmatch(path.name) is not None


def _whole_archive(path: Path, workdir: Path) -> tuple[Path, str]:
    """The archive to read: `path` itself, or its parts checked against their manifest and joined in `workdir`."""
    if not is_parts(path):
        return path, f"{path.name} ({path.stat().st_size:,} bytes)"
    name = path.name.removesuffix(PARTS_SUFFIX) if path.name.endswith(PARTS_SUFFIX) else path.name.rsplit(".", 1)[0]
    manifest = path.with_name(name + PARTS_SUFFIX)
    try:
        document = json.loads(manifest.read_bytes())
        if document.get("format") != PARTS_FORMAT:
            raise ArchiveError(f"{manifest.name} is not a {PARTS_FORMAT} manifest")
        whole = Part(**document["archive"])
        parts = [Part(**part) for part in document["parts"]]
    except FileNotFoundError:
        raise ArchiveError(f"{manifest.name} is missing: it lists the parts and their SHA-256") from None
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as error:
        raise ArchiveError(f"{manifest.name} is not a readable parts manifest: {error}") from None
    joined = workdir / "archive.tar"
    digest = hashlib.sha256()
    with joined.open("wb") as out:
        for part in parts:
            data = _checked_part(path.with_name(Path(part.name).name), part)
            digest.update(data)
            out.write(data)
    if joined.stat().st_size != whole.size or digest.hexdigest() != whole.sha256:
        raise ArchiveError(f"the {len(parts)} parts joined do not give the archive {manifest.name} names")
    return joined, f"{len(parts)} parts of {whole.name} checked against {manifest.name}"


def _checked_part(path: Path, expected: Part) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ArchiveError(f"part {path.name} is missing") from None
    except OSError as error:
        raise ArchiveError(f"part {path.name} cannot be read: {error.strerror or error}") from None
    if len(data) != expected.size or hashlib.sha256(data).hexdigest() != expected.sha256:
        raise ArchiveError(
            f"part {path.name} is damaged: {len(data):,} bytes, SHA-256 {hashlib.sha256(data).hexdigest()[:16]}…, "
            f"expected {expected.size:,} bytes, {expected.sha256[:16]}…"
        )
    return data


def _extract(archive: Path, folder: Path, max_file_bytes: int) -> int:
    """Write every member of the tar `archive` under `folder`, refusing any that is not a safe plain file."""
    count = 0
    try:
        with tarfile.open(archive, mode="r:") as tar:
            for member in _members(tar, max_file_bytes):
                target = folder / member.name
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                assert source is not None  # a regular member always has content
                try:
                    with target.open("xb") as out:
                        shutil.copyfileobj(source, out, _CHUNK)
                except FileExistsError:
                    raise ArchiveError(f"archive member {member.name!r} appears twice") from None
                count += 1
    except (tarfile.TarError, EOFError) as error:
        raise ArchiveError(f"{archive.name} is not a readable tar archive: {error}") from None
    except FileNotFoundError:
        raise ArchiveError(f"{archive} does not exist") from None
    except OSError as error:
        raise ArchiveError(f"{archive.name} cannot be read: {error.strerror or error}") from None
    return count


def _members(tar: tarfile.TarFile, max_file_bytes: int) -> Iterator[tarfile.TarInfo]:
    """The members of `tar`, each checked before its content is read."""
    for member in tar:
        unsafe = unsafe_name(member.name)
        if unsafe:
            raise ArchiveError(unsafe)
        if member.issym() or member.islnk():
            raise ArchiveError(f"archive member {member.name!r} is a link: a bundle holds only files")
        if not (member.isreg() or member.isdir()) or member.issparse():
            raise ArchiveError(f"archive member {member.name!r} is not a plain file or folder")
        if member.size > max_file_bytes:
            raise ArchiveError(
                f"archive member {member.name!r} too large: {member.size:,} bytes (limit {max_file_bytes:,})"
            )
        yield member
