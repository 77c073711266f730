"""Decoding the simulator's scans, phone photos and hard photos: everything read, nothing read wrong."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from testigo.read import read_file
from testigo.simulate import simulate
from tests.read.samples import accept


@pytest.mark.slow
def test_simulated_uploads_are_read_without_a_wrong_read(tmp_path: Path) -> None:
    truth = json.loads(simulate(tmp_path, 60, seed=31, quality="mixed", workers=2).read_text(encoding="utf-8"))
    decoded: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for entry in truth["files"]:
        [page] = read_file((tmp_path / entry["file"]).read_bytes(), accept).pages
        assert set(page.payloads) <= {entry["payload"]}, f"wrong read in {entry['file']}"
        total[entry["quality"]] += 1
        decoded[entry["quality"]] += page.payloads == (entry["payload"],)
    assert decoded["scan"] == total["scan"] and decoded["photo"] == total["photo"]
    assert decoded["hard"] >= total["hard"] - 1  # the benchmark measures the rate on thousands
