"""files.sha256: verify holds it to the files exactly, since mirrors fetch by it."""

from __future__ import annotations

from pathlib import Path

import pytest

from testigo.publish.filelist import file_sha256, parse_file_list
from testigo.publish.layout import FILE_LIST, MESAS_JSON
from testigo.verify import verify_bundle
from tests.publish.bundles import Published, copy_of, shared


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Published:
    return shared(tmp_path_factory)


def test_the_list_names_every_other_file_with_its_hash(published: Published) -> None:
    listed = parse_file_list((published.bundle / FILE_LIST).read_bytes())
    files = sorted(p.relative_to(published.bundle).as_posix() for p in published.bundle.rglob("*") if p.is_file())
    assert sorted(listed) == [name for name in files if name != FILE_LIST]
    assert all(file_sha256(published.bundle / name) == sha for name, sha in listed.items())


def _file_list_problems(bundle: Path) -> list[str]:
    report = verify_bundle(bundle, workers=1, sample=0)  # the images are hashed: decoding them adds nothing here
    [check] = [c for c in report.checks if c.check == "file list"]
    assert check.ok is (not [p for p in report.problems if FILE_LIST in p])
    return [p for p in report.problems if FILE_LIST in p]


def test_a_list_that_does_not_match_the_files_fails(published: Published, tmp_path: Path) -> None:
    bundle = copy_of(published, tmp_path)
    lines = (bundle / FILE_LIST).read_text(encoding="utf-8").splitlines(keepends=True)
    dropped = lines.pop(0).split("  ", 1)[1].strip()
    (bundle / FILE_LIST).write_text("".join(lines) + f"{'0' * 64}  data/ghost.json\n", encoding="utf-8")
    (bundle / MESAS_JSON).write_bytes((bundle / MESAS_JSON).read_bytes() + b" ")
    assert _file_list_problems(bundle) == [
        f"{FILE_LIST} lists data/ghost.json, which is not in the bundle",
        f"{dropped} is not listed in {FILE_LIST}",
        f"{MESAS_JSON} does not hash to the SHA-256 {FILE_LIST} lists",
    ]
    (bundle / FILE_LIST).write_text("not a list\n", encoding="utf-8")
    assert _file_list_problems(bundle) == [f"{FILE_LIST} line 1 is not '<sha256>  <path>' of a new path"]
