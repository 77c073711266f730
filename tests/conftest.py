"""Shared fixtures: a fresh workspace per test and payload builders from the real registry."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from testigo.profiles import get_profile
from testigo.profiles.ve2024 import acta_id_for
from testigo.store.workspace import Store, init_workspace


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = init_workspace(str(tmp_path / "ws"), "ve2024")
    yield opened
    opened.close()


def small_mesas(count: int, *, min_registered: int = 300) -> list[str]:
    """Registry mesas (sorted, one per center) with a known registered figure."""
    registry = get_profile("ve2024").load_registry()
    chosen: list[str] = []
    centers: set[str] = set()
    for mesa in sorted(registry.mesas.values(), key=lambda m: m.id):
        if mesa.registered and mesa.registered >= min_registered and mesa.center_id not in centers:
            chosen.append(mesa.id)
            centers.add(mesa.center_id)
            if len(chosen) == count:
                break
    return chosen


def payload_for(mesa_id: str, *, maduro: int = 100, gonzalez: int = 200, nulls: int = 1) -> str:
    """A well-formed ve2024 payload for `mesa_id` with votes on PSUV (card 1) and MUD (card 36)."""
    counts = [0] * 38
    counts[0], counts[35] = maduro, gonzalez
    return get_profile("ve2024").encode(acta_id_for(mesa_id), counts, nulls)
