"""Fixtures of the API tests: one sample election per test session, copied for each test that needs it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import testigo
from tests.api.sample import BUNDLE, WORKSPACE, build


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample folder (see `tests.api.sample.build`), made once: never write into it."""
    return build(tmp_path_factory.mktemp("sample"))


@pytest.fixture
def sample(built: Path, tmp_path: Path) -> Path:
    """A copy of the sample folder of this test's own."""
    return Path(shutil.copytree(built, tmp_path / "sample"))


@pytest.fixture
def ws(sample: Path) -> Iterator[testigo.Workspace]:
    """The sample workspace (300 real 2024 results imported), open."""
    with testigo.open(sample / WORKSPACE) as opened:
        yield opened


@pytest.fixture
def bundle(sample: Path) -> Path:
    """The sample workspace's published bundle."""
    return sample / BUNDLE
