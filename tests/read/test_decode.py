"""The decoding cascade: only accepted payloads count, the rest is reported, fallbacks are named."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from functools import partial

import cv2
import numpy as np
import pytest
import zxingcpp

from testigo.read import PageReading, read_file
from testigo.read.decode import read_page
from testigo.read.images import Pixels
from testigo.read.strategies import (
    ADAPTIVE_OFFSET,
    FAST,
    Attempt,
    Strategy,
    Views,
    _local_threshold,
    adaptive,
    bands,
    contrast,
    downscaled,
    full,
    rectified,
    rotated,
    upscaled,
    zoomed,
)
from tests.read.samples import URL, accept, encode, payloads, qr, rotate, strip

[PAYLOAD, SECOND] = payloads(2)


def test_an_upright_scan_is_read_by_the_first_pass() -> None:
    reading = read_page(0, strip(PAYLOAD), accept)
    assert reading == PageReading(0, (PAYLOAD,), (), "downscaled", None)


def test_a_url_is_foreign_and_never_accepted() -> None:
    reading = read_page(0, strip(URL), accept)
    assert reading.payloads == () and reading.strategy is None
    assert reading.foreign == (URL,)
    assert reading.reason == f"QR code is not an acta: {URL!r}"


def test_a_foreign_code_does_not_stop_the_search_for_the_acta() -> None:
    reading = read_page(0, strip(URL, PAYLOAD), accept)
    assert reading.payloads == (PAYLOAD,) and reading.foreign == (URL,) and reading.reason is None


def test_a_malformed_acta_code_is_foreign_so_the_caller_can_report_its_parse_error() -> None:
    broken = PAYLOAD.rsplit("!", 1)[0]  # three fields instead of four
    reading = read_page(0, strip(broken), accept)
    assert reading.payloads == () and reading.foreign == (broken,)


def test_two_actas_on_one_page_are_both_returned() -> None:
    reading = read_page(0, strip(PAYLOAD, SECOND), accept)
    assert set(reading.payloads) == {PAYLOAD, SECOND} and len(reading.payloads) == 2


def test_two_actas_photographed_side_by_side() -> None:
    page = np.hstack([strip(PAYLOAD), np.full((2400, 200), 250, np.uint8), rotate(strip(SECOND), 180)[:2400, :630]])
    assert set(read_file(encode(page, "JPEG", quality=90), accept).pages[0].payloads) == {PAYLOAD, SECOND}


def test_a_page_without_code() -> None:
    reading = read_page(0, strip(PAYLOAD)[:1500], accept)  # the text part only
    assert reading == PageReading(0, reason="no QR code found")


def test_a_damaged_code_is_found_but_never_accepted() -> None:
    """Modules scrambled beyond what Reed-Solomon repairs: zxing reports an error, nothing is read."""
    code = qr(PAYLOAD, scale=5)
    scrambled = np.random.default_rng(0).random((code.shape[0] // 5, code.shape[1] // 5)) < 0.5
    noise = np.where(np.kron(scrambled, np.ones((5, 5))), 0, 255).astype(np.uint8)
    inner = slice(70, code.shape[0] - 70)  # keeps the three finder patterns intact
    code = code.copy()
    code[inner, inner] = noise[inner, inner]
    reading = read_page(0, code, accept)
    assert reading == PageReading(0, reason="QR code found but could not be decoded")


def _faded(gray: np.ndarray) -> np.ndarray:
    """Thermal print faded to light grey on grey paper, slightly out of focus."""
    faint = 180 + (gray.astype(np.float32) - 25) * (12 / 225)
    return cv2.GaussianBlur(faint.astype(np.uint8), (0, 0), 1.2)


@pytest.mark.parametrize(
    "case",
    {
        "faded": _faded(strip(PAYLOAD)),
        "small and blurred": cv2.GaussianBlur(strip(PAYLOAD, scale=2), (0, 0), 1.0),
        "upside down, small and blurred": cv2.GaussianBlur(rotate(strip(PAYLOAD, scale=2), 160), (0, 0), 1.0),
    }.items(),
    ids=lambda case: case[0],
)
def test_a_hard_code_is_read_by_a_fallback_and_the_fallback_is_named(case: tuple[str, np.ndarray]) -> None:
    name, page = case
    plain = read_page(0, page, accept, cascade=(downscaled, full))
    assert plain.payloads == (), f"{name}: the plain passes alone should fail"
    reading = read_page(0, page, accept)
    assert reading.payloads == (PAYLOAD,)
    assert reading.strategy not in (None, "downscaled", "full")


@pytest.mark.parametrize(
    ("degrees", "band"),  # counter-clockwise, so at 90 the bottom of the strip is on the right
    [(0, "bottom-band"), (180, "top-band"), (90, "right-band"), (270, "left-band")],
)
def test_the_band_holding_the_code_is_named(degrees: int, band: str) -> None:
    page = cv2.GaussianBlur(rotate(strip(PAYLOAD, scale=2), degrees), (0, 0), 1.0)
    assert read_page(0, page, accept, cascade=(bands,)).strategy == band


@pytest.mark.parametrize("degrees", [30, 45, 90, 180, 270])
def test_codes_are_read_at_any_rotation(degrees: int) -> None:
    assert read_page(0, rotate(strip(PAYLOAD), degrees), accept).payloads == (PAYLOAD,)


def test_the_strategy_that_succeeds_is_recorded_and_later_ones_do_not_run() -> None:
    ran: list[str] = []

    def blank(views: Views) -> Iterator[Attempt]:
        ran.append("blank")
        yield Attempt("blank", np.full_like(views.gray, 255))

    def never(views: Views) -> Iterator[Attempt]:
        ran.append("never")
        yield from ()

    reading = read_page(3, strip(PAYLOAD), accept, cascade=(blank, full, never))
    assert reading == PageReading(3, (PAYLOAD,), (), "full", None)
    assert ran == ["blank"]


def test_accept_may_be_a_partial_and_the_reading_pickles() -> None:
    """Workers receive `accept` and send the reading back: both cross a process boundary."""
    check = partial(_accept_if_prefix, PAYLOAD[:9])
    reading = read_file(encode(strip(PAYLOAD), "PNG"), pickle.loads(pickle.dumps(check)))
    assert pickle.loads(pickle.dumps(reading)) == reading
    assert reading.pages[0].payloads == (PAYLOAD,)


def _accept_if_prefix(prefix: str, text: str) -> bool:
    return text.startswith(prefix)


@pytest.mark.parametrize("strategy", [downscaled, upscaled, bands, contrast, rotated, adaptive])
def test_where_a_code_is_seen_maps_back_to_the_page(strategy: Strategy) -> None:
    """Damaged codes are looked at again where they were seen, so every view must map back exactly."""
    page = rotate(strip(PAYLOAD), 180)  # code near the top: the bottom band comes out empty
    [reference] = [b for b in zxingcpp.read_barcodes(page, **FAST) if b.valid]
    expected = Attempt("full", page).page_corners(reference.position)
    mapped = [
        attempt.page_corners(barcode.position)
        for attempt in strategy(Views(Pixels.of(page)))
        for barcode in zxingcpp.read_barcodes(attempt.image, **attempt.options)
        if barcode.valid
    ]
    assert mapped, f"{strategy.__name__} should see the code"
    for corners in mapped:
        assert np.abs(corners - expected).max() < 4  # pixels, on a code of about 200


def test_a_code_first_seen_damaged_is_read_by_looking_closer() -> None:
    """Small, upside down and blurred: the plain passes see a code they cannot decode; a closer look reads it."""
    page = cv2.GaussianBlur(rotate(strip(PAYLOAD, scale=2), 160), (0, 0), 1.0)
    first = read_page(0, page, accept, cascade=(downscaled, full, upscaled, bands))
    assert first.reason == "QR code found but could not be decoded"
    reading = read_page(0, page, accept, cascade=(downscaled, full, upscaled, bands, zoomed, rectified))
    assert reading.payloads == (PAYLOAD,) and reading.strategy in ("zoomed", "rectified")


def test_a_faded_code_is_read_by_the_adaptive_threshold_alone() -> None:
    page = _faded(strip(PAYLOAD))
    assert read_page(0, page, accept, cascade=(downscaled, full, upscaled, bands)).payloads == ()
    assert read_page(0, page, accept, cascade=(adaptive,)).payloads == (PAYLOAD,)


def test_the_adaptive_threshold_is_opencvs_to_within_a_grey_level() -> None:
    """The mean is taken on a shrunk page (`_local_threshold`): only pixels at the threshold may differ."""
    rng = np.random.default_rng(7)
    page = rotate(strip(PAYLOAD, SECOND), 30).astype(np.float32)
    height, width = page.shape
    light = np.linspace(0.45, 1.0, width, dtype=np.float32)[None, :]  # a shadow across the page
    page = np.clip(page * light + rng.normal(0, 3, page.shape), 0, 255).astype(np.uint8)
    block = max(31, (min(page.shape) // 12) | 1)
    ours = _local_threshold(page, block, ADAPTIVE_OFFSET)
    theirs = cv2.adaptiveThreshold(page, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, block, ADAPTIVE_OFFSET)
    mean = cv2.GaussianBlur(page, (block, block), 0, borderType=cv2.BORDER_REPLICATE).astype(np.int16)
    differ = ours != theirs
    assert differ.mean() < 0.01
    assert np.abs(page.astype(np.int16)[differ] - (mean[differ] - ADAPTIVE_OFFSET)).max() <= 2
