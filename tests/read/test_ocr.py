"""The OCR engine: clean printed digits read exactly, CTC arithmetic equal to brute force, the model pinned.

Fields are rendered here with Pillow, in its built-in font and in DejaVu Sans
Mono (a real monospace font, closer to a receipt printer's), at a few sizes,
sharp and mildly blurred. They are easy on purpose: these tests pin the engine's
plumbing and arithmetic; the accuracy on degraded photos is what
benchmarks/ocr.py measures.
"""

from __future__ import annotations

import itertools
import math
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

import testigo
from testigo.errors import TestigoError
from testigo.read.ocr import (
    OcrModelError,
    Reading,
    candidates,
    crop_field,
    ctc,
    log_likelihood,
    log_likelihoods,
    margin,
    model,
    neighbours,
    prepare,
    read_text,
    recognise,
    text_log_likelihood,
)
from testigo.read.printed import reading as reading_module
from testigo.read.printed.reading import FieldReading

DEJAVU_MONO = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
FONTS = ("builtin", "dejavu-mono")
SIZES = (16, 24, 36)
BLURS = (0.0, 0.7)
FIGURES = ("0", "7", "11", "42", "305", "1999", "2024", "58613", "070904094")
LABELS = ("VOTOS NULOS", "ACTA DE ESCRUTINIO", "TOTAL VOTOS ESCRUTADOS")
PAPER, INK = 235, 30


def _font(name: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if name == "builtin":
        return ImageFont.load_default(size=size)
    if not DEJAVU_MONO.is_file():
        pytest.skip(f"{DEJAVU_MONO} is not installed (Debian: apt-get install fonts-dejavu-core)")
    return ImageFont.truetype(str(DEJAVU_MONO), size)


@cache
def _field(text: str, font_name: str, size: int, blur: float) -> npt.NDArray[np.uint8]:
    """`text` printed dark on light paper, cropped as a caller crops a registered field."""
    font = _font(font_name, size)
    left, top, right, bottom = (float(v) for v in font.getbbox(text))
    x, y = 3 * size, 2 * size
    page = Image.new("L", (int(right) + 6 * size, int(bottom) + 4 * size), PAPER)
    ImageDraw.Draw(page).text((x, y), text, font=font, fill=INK)
    if blur:
        page = page.filter(ImageFilter.GaussianBlur(blur))
    return crop_field(np.asarray(page), (x + left, y + top, x + right, y + bottom))


@cache
def _readings(font_name: str) -> dict[tuple[str, int, float], Reading]:
    """Every figure of `FIGURES` in `font_name` at every size and blur, read once."""
    keys = list(itertools.product(FIGURES, SIZES, BLURS))
    fields = [_field(text, font_name, size, blur) for text, size, blur in keys]
    return dict(zip(keys, recognise(fields), strict=True))


# --- reading rendered figures ---------------------------------------------------------------------


@pytest.mark.parametrize("font_name", FONTS)
def test_clean_figures_are_read_exactly(font_name: str) -> None:
    wrong = {key: reading.text for key, reading in _readings(font_name).items() if reading.text != key[0]}
    assert wrong == {}


@pytest.mark.parametrize("font_name", FONTS)
def test_the_printed_figure_scores_above_every_one_digit_alteration(font_name: str) -> None:
    for (text, size, blur), reading in _readings(font_name).items():
        truth = log_likelihood(reading, text)
        for i, digit in itertools.product(range(len(text)), "0123456789"):
            altered = text[:i] + digit + text[i + 1 :]
            if altered != text:
                assert log_likelihood(reading, altered) < truth, (text, altered, size, blur)
        # and above every insertion and deletion too, with room to spare
        assert margin(reading, text) > 3, (text, size, blur)


def test_a_reading_holds_normalised_log_probabilities_over_blank_digits_and_other() -> None:
    reading = _readings("builtin")[("305", 24, 0.0)]
    assert reading.logprobs.dtype == np.float32 and reading.logprobs.shape[1] == 12
    assert np.allclose(np.logaddexp.reduce(reading.logprobs.astype(np.float64), axis=1), 0.0, atol=1e-5)
    assert not reading.logprobs.flags.writeable
    assert 0.0 < reading.confidence <= 1.0
    assert candidates(reading, 1)[0][0] == "305"


def test_an_empty_field_reads_as_no_figure() -> None:
    [reading] = recognise([np.full((20, 60), PAPER, dtype=np.uint8)])
    assert reading.text == ""
    assert candidates(reading, 3)[0][0] == ""
    assert margin(reading, "") > 0 > margin(reading, "0")


def test_nothing_to_read_loads_nothing() -> None:
    assert recognise([]) == []


# --- preprocessing ----------------------------------------------------------------------------------


def test_prepare_gives_48_rows_in_unit_range_and_trims_blank_paper() -> None:
    digit = _field("7", "builtin", 24, 0.0)
    wide = np.full((digit.shape[0], digit.shape[1] * 6), PAPER, dtype=np.uint8)
    wide[:, -digit.shape[1] :] = digit  # a lone right-aligned digit in a six-column field
    prepared, trimmed = prepare(digit), prepare(wide)
    assert prepared.dtype == np.float32 and prepared.shape[0] == 48
    assert prepared.min() >= -1.0 and prepared.max() <= 1.0 and prepared.min() < -0.9
    assert trimmed.shape[1] <= prepared.shape[1] + 48  # the blank five columns are gone
    with pytest.raises(ValueError, match="2-D"):
        prepare(np.zeros((20, 20, 3), dtype=np.uint8))


def test_crop_field_adds_margins_and_repeats_the_border_beyond_the_page() -> None:
    page = np.arange(100, dtype=np.uint8).reshape(10, 10)
    crop = crop_field(page, (5, 0, 9, 10))  # 10 px high: 1 px above and below, 5 px each side
    assert crop.shape == (12, 14)
    assert crop[0, 0] == page[0, 0] and crop[-1, -1] == page[-1, -1]
    assert (crop[1:-1, 5:-5] == page[:, 5:9]).all()


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


def test_a_labellings_likelihood_is_the_same_to_the_bit_whatever_is_asked_with_it() -> None:
    """Labellings sharing prefixes share the trie's states: a figure's margin must not depend on its rivals."""
    rng = np.random.default_rng(11)
    logprobs = _random_logprobs(rng, 14, 8, peak=2.0)
    stems = [tuple(int(c) for c in rng.integers(1, 8, 6)) for _ in range(20)]
    labellings = [stem[:k] for stem in stems for k in range(7)] + [(3, 3, 3), (3, 3), (2, 5, 2, 5)]
    together = ctc.log_likelihoods(logprobs, labellings)
    alone = [float(ctc.log_likelihoods(logprobs, [labels])[0]) for labels in labellings]
    assert together.tolist() == alone
    assert ctc.log_likelihoods(logprobs, labellings[::-1]).tolist() == alone[::-1]
    with pytest.raises(ValueError, match="outside"):
        ctc.log_likelihoods(logprobs, [(1, 2), (0, 1)])


def test_digit_likelihoods_renormalise_without_the_other_class_and_the_beam_finds_the_k_best() -> None:
    rng = np.random.default_rng(7)
    for _ in range(3):
        logprobs = _random_logprobs(rng, 4, 12, peak=2.5).astype(np.float32)  # blank, 0-9, other
        reading = Reading("", 0.0, logprobs)
        digits_only = logprobs[:, :11].astype(np.float64)
        digits_only -= np.logaddexp.reduce(digits_only, axis=1, keepdims=True)
        truth = _brute_force(digits_only)
        as_text = {"".join(str(c - 1) for c in labels): p for labels, p in truth.items()}
        best = sorted(as_text.items(), key=lambda item: -item[1])[:5]
        found = candidates(reading, 5)
        assert [text for text, _ in found] == [text for text, _ in best]
        for (text, score), (_, p) in zip(found, best, strict=True):
            assert math.isclose(score, math.log(p), rel_tol=1e-7)
            assert math.isclose(log_likelihood(reading, text), math.log(p), rel_tol=1e-7)
        text = best[1][0]
        rivals = (neighbours(text) | {t for t, _ in candidates(reading, 8)}) - {text}
        expected = math.log(as_text[text]) - max(math.log(as_text[r]) for r in rivals if r in as_text)
        assert math.isclose(margin(reading, text), expected, rel_tol=1e-7, abs_tol=1e-9)


def _plain_beam(logprobs: ctc.LogProbs, width: int, prune: float = 12.0) -> list[tuple[int, ...]]:
    """The prefix beam search written prefix by prefix, as it is usually stated: what `prefix_beam_search` does
    for the whole beam at once."""
    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (0.0, -math.inf)}
    for row in logprobs:
        floor = float(row.max()) - prune
        classes = [c for c in range(1, len(row)) if row[c] >= floor]
        grown: dict[tuple[int, ...], list[float]] = {}
        for prefix, (ends_blank, ends_label) in beams.items():
            total = float(np.logaddexp(ends_blank, ends_label))
            if row[ctc.BLANK] >= floor:
                slot = grown.setdefault(prefix, [-math.inf, -math.inf])
                slot[0] = float(np.logaddexp(slot[0], total + row[ctc.BLANK]))
            for c in classes:
                slot = grown.setdefault((*prefix, c), [-math.inf, -math.inf])
                if prefix and prefix[-1] == c:
                    slot[1] = float(np.logaddexp(slot[1], ends_blank + row[c]))
                    same = grown.setdefault(prefix, [-math.inf, -math.inf])
                    same[1] = float(np.logaddexp(same[1], ends_label + row[c]))
                else:
                    slot[1] = float(np.logaddexp(slot[1], total + row[c]))
        ranked = sorted(grown.items(), key=lambda item: (-float(np.logaddexp(*item[1])), item[0]))[:width]
        beams = {prefix: (scores[0], scores[1]) for prefix, scores in ranked}
    return list(beams)


def test_the_beam_keeps_the_prefixes_a_plain_prefix_by_prefix_search_keeps() -> None:
    """Merging a grown prefix into one the beam holds, the pruning and the ties (broken by the prefix) are those
    of the textbook search, on sharp and flat steps, with probabilities rounded so that scores tie."""
    rng = np.random.default_rng(11)
    for trial in range(120):
        steps, classes = int(rng.integers(1, 30)), int(rng.integers(2, 12))
        logprobs = _random_logprobs(rng, steps, classes, peak=float(rng.choice([0.5, 1.5, 4.0])))
        if trial % 4 == 0:
            logprobs = np.round(logprobs, 1)
        for width in (1, 3, 16, 64):
            assert ctc.prefix_beam_search(logprobs, width) == _plain_beam(logprobs, width), (trial, width)
    flat = np.full((6, 4), -math.log(4))  # every score ties with others at every step
    assert ctc.prefix_beam_search(flat, 5) == _plain_beam(flat, 5)


def test_figures_are_digit_strings() -> None:
    reading = _readings("builtin")[("42", 24, 0.0)]
    for text in ("4a", "4²", "٤2", " 42"):  # superscripts and Arabic-Indic digits are digits to str.isdigit
        with pytest.raises(ValueError, match="digits"):
            log_likelihood(reading, text)
    with pytest.raises(ValueError, match="'4-'"):
        log_likelihoods(reading, ["42", "", "4-"])
    assert log_likelihoods(reading, ["42", "", "7"]) == [log_likelihood(reading, t) for t in ("42", "", "7")]
    # 18 substitutions, 2 deletions, 30 insertions less the two that repeat a digit ("442", "422")
    assert len(neighbours("42")) == 18 + 2 + 28 and "42" not in neighbours("42")


def test_a_fields_candidates_reach_the_string_its_font_reads_two_edits_from_ppocrs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PP-OCR reads "17" (then "77") where the sheet's font reads 427, two edits from either: the strings one
    edit from PP-OCR's two best hold 417 and 127, not 427; one more edit from the most likely of them reaches
    it."""
    crop = _field("17", "builtin", 24, 0.0)

    def font(texts: Sequence[str]) -> dict[str, float]:  # 25 nats a digit unlike 427's, 90 for another length
        return {t: -25.0 * sum(a != b for a, b in zip(t, "427", strict=True)) if len(t) == 3 else -90.0 for t in texts}

    def field() -> FieldReading:
        return FieldReading("total_votes", ((0, 0), (1, 0), (1, 1), (0, 1)), lambda: crop, (1, 3), font)

    assert field().text == "427" and field().margin("427") > 0
    monkeypatch.setattr(reading_module, "CLIMBS", 0)
    assert field().text != "427"


# --- labels over the full character set ---------------------------------------------------------------


@pytest.mark.parametrize("font_name", FONTS)
def test_a_label_is_read_and_scores_above_other_labels_and_upside_down(font_name: str) -> None:
    for label in LABELS:
        crop = _field(label, font_name, 24, 0.7)
        assert read_text(crop) == label
        own = text_log_likelihood(crop, label)
        assert own > -0.1
        assert all(own > text_log_likelihood(crop, other) + 3 for other in LABELS if other != label)
        assert own > text_log_likelihood(np.ascontiguousarray(crop[::-1, ::-1]), label) + 0.5
    with pytest.raises(ValueError, match="no class"):
        text_log_likelihood(crop, "VOTOS \u237c")  # APL functional symbol: not in the model


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


# --- determinism ---------------------------------------------------------------------------------------


def test_readings_are_bit_identical_across_runs_sessions_and_processes(tmp_path: Path) -> None:
    fields = [_field(text, "builtin", 16, 0.7) for text in FIGURES]
    first = [r.logprobs for r in recognise(fields)]
    again = [r.logprobs for r in recognise(fields)]
    other_session = [r.logprobs for r in recognise(fields, model.load_model())]
    np.savez(tmp_path / "fields.npz", *fields)
    code = (
        "import sys, numpy as np; from testigo.read.ocr import recognise;"
        "f = np.load(sys.argv[1]); fields = [f[k] for k in f.files];"
        "np.savez(sys.argv[2], *[r.logprobs for r in recognise(fields)])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "fields.npz"), str(tmp_path / "out.npz")],
        capture_output=True,
        text=True,
        env=_subprocess_env(),
    )
    assert done.returncode == 0, done.stderr
    with np.load(tmp_path / "out.npz") as stored:
        fresh = [stored[k] for k in stored.files]
    for runs in (again, other_session, fresh):
        assert len(runs) == len(first)
        assert all(a.tobytes() == b.tobytes() for a, b in zip(first, runs, strict=True))
