"""The OCR engine: CTC arithmetic equal to brute force, the model pinned and loaded only when needed."""

from __future__ import annotations

import itertools
import math
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

import testigo
from testigo.errors import TestigoError
from testigo.read.ocr import OcrModelError, ctc, model

# --- CTC arithmetic against brute force --------------------------------------------------------------


def _random_logprobs(rng: np.random.Generator, steps: int, classes: int, peak: float) -> ctc.LogProbs:
    logits = rng.standard_normal((steps, classes)) * peak
    result: ctc.LogProbs = logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)
    return result


def _brute_force(logprobs: ctc.LogProbs) -> dict[tuple[int, ...], float]:
    """P(labelling) for every labelling, by summing every one of the C^T alignments."""
    totals: dict[tuple[int, ...], float] = defaultdict(float)
    steps, classes = logprobs.shape
    for path in itertools.product(range(classes), repeat=steps):
        labels = tuple(c for i, c in enumerate(path) if c != ctc.BLANK and (i == 0 or c != path[i - 1]))
        totals[labels] += math.exp(sum(logprobs[t, c] for t, c in enumerate(path)))
    return totals


@pytest.mark.parametrize(("steps", "classes"), [(1, 4), (2, 5), (3, 4), (5, 3), (6, 3), (4, 6)])
def test_ctc_likelihood_equals_the_sum_over_every_alignment(steps: int, classes: int) -> None:
    rng = np.random.default_rng(steps * 100 + classes)
    logprobs = _random_logprobs(rng, steps, classes, peak=1.5)
    truth = _brute_force(logprobs)
    assert math.isclose(sum(truth.values()), 1.0, rel_tol=1e-9)
    labellings = sorted(truth) + [(1,) * (steps + 1), (1, 1) * steps]  # the last two cannot fit
    got = ctc.log_likelihoods(logprobs, labellings)
    for labels, value in zip(labellings, got, strict=True):
        if labels in truth:
            assert math.isclose(value, math.log(truth[labels]), rel_tol=1e-9, abs_tol=1e-12), labels
        else:
            assert value == -math.inf, labels


# --- the model: pinned, and loaded only when needed --------------------------------------------------


def test_a_corrupted_model_file_is_refused_before_onnxruntime_sees_it(tmp_path: Path) -> None:
    altered = tmp_path / "rec.onnx"
    shutil.copyfile(model.model_path(), altered)
    with altered.open("r+b") as f:
        f.seek(4096)
        byte = f.read(1)
        f.seek(4096)
        f.write(bytes([byte[0] ^ 1]))
    with pytest.raises(OcrModelError, match="not the pinned one"):
        model.load_model(altered)


def test_a_missing_model_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(OcrModelError, match="cannot be read"):
        model.load_model(tmp_path / "absent.onnx")
    monkeypatch.setattr(model, "MODEL_FILE", "rapidocr/models/absent.onnx")
    with pytest.raises(OcrModelError, match="cannot be read"):
        model.load_model()
    monkeypatch.setattr(model, "MODEL_DISTRIBUTION", "testigo-no-such-distribution")
    with pytest.raises(OcrModelError, match="not installed") as caught:
        model.load_model()
    assert isinstance(caught.value, TestigoError)


def test_the_installed_model_is_the_pinned_one() -> None:
    loaded = model.default_model()
    assert loaded.sha256 == model.MODEL_SHA256
    assert len(loaded.classes) == 18_710 and loaded.classes[0] == "" and loaded.classes[-1] == " "
    assert model.default_model() is loaded


def _subprocess_env() -> dict[str, str]:
    """This interpreter's environment, with the testigo under test first on the path."""
    paths = [str(Path(testigo.__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}


def test_importing_the_engine_loads_neither_onnxruntime_nor_the_model() -> None:
    code = "import sys, testigo.read.ocr; print('onnxruntime' in sys.modules, 'rapidocr' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_subprocess_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]
