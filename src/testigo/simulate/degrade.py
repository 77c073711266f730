"""Turn a rendered acta strip into the file a volunteer would upload.

Four qualities, modelled on how the 2024 acta images really failed:

* ``scan``: a flatbed scan (150-300 dpi) on a white or grey lid, slightly
  skewed, sometimes grayscale, JPEG or PNG. Nearly always easy.
* ``photo``: a phone photo of the strip on a table: perspective, any rotation,
  uneven light, mild blur and sensor noise, a textured background, JPEG.
* ``hard``: the bad tail of real uploads. Each image combines several of: QR
  modules down to ~2 px, strong perspective, defocus or motion blur, a shadow
  edge across the code, faded thermal print, glare, and always heavy JPEG.
* ``hardest``: the worst tail, where the code is often lost but a person can
  still read the printed figures: small QR modules (2.0-2.3 px) always, and
  two to four of faded thermal paper, glare on the code, a hand's shadow and
  motion blur.

"Hard" is meant to defeat a plain decoder on a sizeable share of images while
staying readable *in principle*: optical blur of at most 0.28 module on top of
resampling and JPEG (well under the ~0.6 module where codes become
unreadable), modules of at least 2 px and never faded as well, nothing
covering the finder patterns, and shadow or glare that leave at least 85 grey
levels between ink and paper (110 on small codes).

"Hardest" drops the promise about the code and keeps one about the print:
every printed figure stays legible to a person. Its bounds: modules of
2.0-2.3 px at the code and never under 2.0 px where the figures are (a Font
A digit is then 7.5 px tall or more), defocus or motion of at most 0.1
module, JPEG quality 60-85, fading that leaves 110 grey levels between ink
and paper, and a hand's shadow that leaves 60 and never covers more than half
of the results table (it enters from the frame's edge and reaches for the
code). Only the glare, aimed at the code, is free to wash it out: 0.95-1.65
times the room between ink and white at its peak. The floor of 2 px comes
from looking at crops of the figures and from an ideal observer (in the
tests) that tells each printed digit from the nine others through the
image's own geometry: it tells 99.4 % of them apart at 2.0-2.3 px, as on
ordinary photos (99.5 %), but 96.5 % at 1.8-1.9 px and 88 % at 1.5-1.6 px,
where 0, 8 and 9 merge. Calibrated on 300 images: testigo's QR reader reads
39 % of them, plain zxing-cpp 30 %; every image without glare is read.

A photo may also leave part of one side margin of the paper out of the frame
(cut on the blank paper, never through a figure). To hold all these bounds
the geometry is computed, not guessed: the renderer says where the QR and
every figure are, and every transform is a known homography, so
`degrade_image` also reports where the code and each figure ended up in the
output, and the homography itself. A strip printed without a QR code is
treated like its twin with one: effects aim at its results table instead, and
its scale is set by the module the printer would have used (4 dots).
"""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from testigo.simulate import geometry
from testigo.simulate.lighting import Light, interleaved, light, to_uint8
from testigo.simulate.render import DOTS_PER_MM, QR_MODULE_DOTS, PrintedField
from testigo.simulate.surfaces import surface

QUALITIES = ("scan", "photo", "hard", "hardest")
_MM_PER_INCH = 25.4
#: Page sizes a flatbed offers, in inches (A4, letter, legal).
_PAGES = ((8.27, 11.69), (8.5, 11.0), (8.5, 14.0))

Quad = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Degraded:
    """An encoded image, where its QR symbol and printed figures lie in it, and how it was made.

    `qr_quad` holds the symbol's corners (top-left, top-right, bottom-right,
    bottom-left of the code itself) in output pixels, None for a strip without
    a code; `module_px` is the shortest module edge there (of the module the
    printer uses, where no code is printed). `matrix` is the homography from
    strip pixels to output pixels, and `fields` every printed figure's box
    (named as in `render_acta`'s ``fields``) mapped by it, corners in the
    same order. They let tests check "decodable in principle" and crop any
    figure independently of any detector.
    """

    data: bytes
    format: str  # "jpeg" or "png"
    qr_quad: Quad | None
    module_px: float
    note: str  # how the image was made, for whoever investigates a failed read
    matrix: tuple[tuple[float, float, float], ...] = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))
    fields: dict[str, Quad] | None = None

    def quad(self, box: tuple[float, float, float, float]) -> Quad:
        """Where the strip's box (x0, y0, x1, y1) lies in the output: its four corners, TL, TR, BR, BL."""
        return _quad(geometry.apply(np.array(self.matrix), geometry.box_corners(box)))


@dataclass(frozen=True)
class _Look:
    """How strongly each camera effect applies; one draw per image."""

    module_px: float  # shortest QR module edge wanted in the output
    tilt_deg: float  # camera tilt away from straight above the strip
    blur_modules: float  # blur sigma, as a fraction of a module
    motion: bool  # motion blur instead of defocus
    ink: float  # thermal print grey level (fading raises it)
    paper: float
    light: Light  # shadow edge, glare and hand's shadow
    noise: float  # sensor noise sigma, in grey levels
    jpeg: int
    long_side: tuple[int, int]  # allowed range of the photo's long side
    cut: float  # share of one side margin left out of the frame (0: none; negative: the left one)
    factors: tuple[str, ...]  # the effects applied at full strength, for the note
    glare_floor: float = 0.0  # grey levels glare must leave on the printed figures when they are its target
    figures_module_px: float = 0.0  # smallest module (as printed there) wanted where the figures are


def degrade(image: Image.Image, quality: str, rng: np.random.Generator) -> bytes:
    """The uploaded file's bytes (JPEG, or PNG for some scans) for a rendered acta."""
    return degrade_image(image, quality, rng).data


def degrade_image(image: Image.Image, quality: str, rng: np.random.Generator) -> Degraded:
    """Like `degrade`, also saying where the QR code and the printed figures landed in the output.

    `image` is what `render_acta` returns; its info locates the code and the
    figures (without any, the whole image is taken as the region to keep
    readable).
    """
    strip = np.asarray(image.convert("RGB"))
    marks = _Landmarks.of(image)
    if quality == "scan":
        return _scan(strip, marks, rng)
    if quality == "photo":
        return _photograph(strip, marks, _photo_look(rng), rng)
    if quality == "hard":
        return _photograph(strip, marks, _hard_look(rng), rng)
    if quality == "hardest":
        return _photograph(strip, marks, _hardest_look(rng), rng)
    raise ValueError(f"unknown quality {quality!r}; one of {', '.join(QUALITIES)}")


@dataclass(frozen=True)
class _Landmarks:
    """What the renderer said about the strip: the region to aim at and scale by, the table, figures, margins.

    `target` is the QR symbol's corners (TL, TR, BR, BL), or the results
    table's when no code is printed; `module_dots` the QR module's edge in
    strip pixels (the one the printer would use, without a code).
    """

    target: np.ndarray
    module_dots: float
    has_qr: bool
    table: np.ndarray
    figures: np.ndarray  # the box around every printed figure (the table's without any)
    fields: dict[str, PrintedField]
    margins: tuple[float, float]  # blank paper left and right of the print, in strip pixels
    dots_per_mm: float

    @classmethod
    def of(cls, image: Image.Image) -> _Landmarks:
        info = image.info
        whole = (0, 0, image.width, image.height)
        table = geometry.box_corners(info.get("table_box", whole))
        print_x0, print_x1 = info.get("print_box", (0, image.width))
        if "qr_box" in info:
            x0, _, x1, _ = info["qr_box"]
            target, module, has_qr = geometry.box_corners(info["qr_box"]), (x1 - x0) / info["qr_modules"], True
        elif "table_box" in info:
            target, module, has_qr = table, info.get("module_dots", QR_MODULE_DOTS), False
        else:  # not a rendered acta: keep the whole image readable
            target, module, has_qr = table, min(image.width, image.height), False
        fields: dict[str, PrintedField] = dict(info.get("fields", {}))
        figures = table
        if fields:
            boxes = np.array([field.box for field in fields.values()], dtype=np.float64)
            figures = geometry.box_corners((*boxes[:, :2].min(axis=0), *boxes[:, 2:].max(axis=0)))
        return cls(
            target,
            float(module),
            has_qr,
            table,
            figures,
            fields,
            (float(print_x0), float(image.width - print_x1)),
            float(info.get("dots_per_mm", DOTS_PER_MM)),
        )

    def module_edge(self, matrix: np.ndarray) -> float:
        """The shortest module edge after `matrix`: the target's most shrunk edge, scaled to one module."""
        before = np.linalg.norm(self.target - np.roll(self.target, -1, axis=0), axis=1)
        quad = geometry.apply(matrix, self.target)
        after = np.linalg.norm(quad - np.roll(quad, -1, axis=0), axis=1)
        return float((after / before).min() * self.module_dots)

    def figures_edge(self, matrix: np.ndarray) -> float:
        """The module's edge, as printed where the figures are, at the figures' most shrunk corner."""
        return float(geometry.local_scale(matrix, self.figures).min() * self.module_dots)


# --- looks ------------------------------------------------------------------------------------


def _photo_look(rng: np.random.Generator) -> _Look:
    """An ordinary phone photo: a decoder should cope, but nothing is handed to it."""
    motion, shadow, glare = rng.random() < 0.15, rng.random() < 0.2, rng.random() < 0.1
    return _Look(
        module_px=rng.uniform(2.6, 7.0),
        tilt_deg=rng.uniform(0, 22),
        blur_modules=rng.uniform(0.05, 0.25),
        motion=motion,
        ink=rng.uniform(20, 70),
        paper=rng.uniform(215, 250),
        light=Light(
            shadow=rng.uniform(0.15, 0.35) if shadow else 0.0, glare=rng.uniform(20, 60) if glare else 0.0, hand=0.0
        ),
        noise=rng.uniform(2, 6),
        jpeg=int(rng.integers(60, 91)),
        long_side=(1600, 4000),
        cut=_cut(rng, 0.1),
        factors=tuple(name for name, on in (("motion", motion), ("shadow", shadow), ("glare", glare)) if on),
    )


_HARD_FACTORS = ("small", "blur", "perspective", "shadow", "faded", "glare")
#: Grey levels between ink and paper that shadow and glare leave on a hard image's code,
_MIN_CONTRAST = 85
#: ... and on a small code, where JPEG blocks already smear a third of a module.
_MIN_SMALL_CONTRAST = 110
#: Small codes (a low-resolution or distant shot) are the commonest real failure.
_HARD_WEIGHTS = (0.4, 0.12, 0.12, 0.12, 0.12, 0.12)
#: Faded print on 2-px modules loses the code even with its position known (checked on 900 images).
_UNREADABLE_TOGETHER = {"small", "faded"}


def _hard_look(rng: np.random.Generator) -> _Look:
    """Two or three hard factors at full strength, the rest at photo strength, heavy JPEG always.

    The strengths were calibrated so that decoding with the code's true position
    (rectify, flat-field, threshold) still succeeds on every image; a faded print
    is never also a small code, and shadow and glare stop at a contrast floor.
    """
    chosen: set[str] = set()
    while not chosen or _UNREADABLE_TOGETHER <= chosen:
        chosen = set(rng.choice(_HARD_FACTORS, size=int(rng.integers(2, 4)), replace=False, p=_HARD_WEIGHTS).tolist())
    faded, small = "faded" in chosen, "small" in chosen
    paper = rng.uniform(200, 230) if faded else rng.uniform(215, 250)
    ink = rng.uniform(85, 115) if faded else rng.uniform(20, 70)
    floor = _MIN_SMALL_CONTRAST if small else _MIN_CONTRAST
    blur = rng.uniform(0.2, 0.28) * (0.75 if small else 1.0)
    return _Look(
        module_px=rng.uniform(2.0, 2.4) if small else rng.uniform(2.4, 3.6),
        tilt_deg=rng.uniform(30, 45) if "perspective" in chosen else rng.uniform(0, 20),
        blur_modules=blur if "blur" in chosen else rng.uniform(0.05, 0.2),
        motion="blur" in chosen and not small and rng.random() < 0.4,  # smears 2-px modules into each other
        ink=ink,
        paper=paper,
        light=Light(
            # a shadow scales paper and ink alike: it may only take the contrast down to the floor
            shadow=min(rng.uniform(0.3, 0.45), 1 - floor / (paper - ink)) if "shadow" in chosen else 0.0,
            # glare lifts the ink while the paper saturates at 255: same floor
            glare=min(rng.uniform(0.3, 0.55) * (paper - ink), 255 - ink - floor) if "glare" in chosen else 0.0,
            hand=0.0,
        ),
        noise=rng.uniform(3, 8),
        jpeg=int(rng.integers(25, 51)),
        long_side=(1000, 4000),
        cut=_cut(rng, 0.15),
        factors=tuple(f for f in _HARD_FACTORS if f in chosen),
    )


_HARDEST_FACTORS = ("faded", "glare", "hand", "motion")
#: Grey levels between ink and paper that every effect together leaves on the printed figures.
MIN_TEXT_CONTRAST = 60
#: Smallest and largest QR module of a hardest image, in output pixels. Below 2 px (a Font A digit
#: under 7.5 px tall) faded or streaked digits were no longer legible by eye: 0, 6, 8 and 9 merge.
HARDEST_MODULE_PX = (2.0, 2.3)


def _hardest_look(rng: np.random.Generator) -> _Look:
    """Small modules always; two to four of faded paper, glare, a hand's shadow and motion blur.

    Blur and fading stop where the printed figures would stop being legible
    to a person, and a hand's shadow leaves `MIN_TEXT_CONTRAST` on them; only
    the glare, aimed at the code, may wash it out (it is capped like the rest
    when the sheet has no code and the figures are its target). Losing the
    code is the point; the glare's strength sets how often (calibrated to 4 in 10
    read by testigo's reader).
    """
    count = int(rng.integers(2, 5))
    chosen = set(rng.choice(_HARDEST_FACTORS, size=count, replace=False).tolist())
    faded, motion = "faded" in chosen, "motion" in chosen
    paper = rng.uniform(205, 225) if faded else rng.uniform(210, 245)
    ink = rng.uniform(75, 95) if faded else rng.uniform(25, 70)
    contrast = paper - ink
    return _Look(
        module_px=rng.uniform(*HARDEST_MODULE_PX),
        tilt_deg=rng.uniform(0, 25),
        blur_modules=rng.uniform(0.06, 0.1) if motion else rng.uniform(0.05, 0.1),
        motion=motion,
        ink=ink,
        paper=paper,
        light=Light(
            shadow=0.0,
            glare=rng.uniform(0.95, 1.65) * (255 - ink) if "glare" in chosen else 0.0,
            hand=min(rng.uniform(0.35, 0.6), 1 - MIN_TEXT_CONTRAST / contrast) if "hand" in chosen else 0.0,
        ),
        noise=rng.uniform(2, 5),
        jpeg=int(rng.integers(60, 86)),
        long_side=(1000, 4000),
        cut=_cut(rng, 0.3),
        factors=tuple(f for f in _HARDEST_FACTORS if f in chosen),
        glare_floor=MIN_TEXT_CONTRAST,
        figures_module_px=HARDEST_MODULE_PX[0],
    )


def _cut(rng: np.random.Generator, chance: float) -> float:
    """With `chance`, the share (0.3-0.9) of one side margin to leave out; negative for the left one."""
    if rng.random() >= chance:
        return 0.0
    return float(rng.uniform(0.3, 0.9) * rng.choice([-1.0, 1.0]))


# --- scan -------------------------------------------------------------------------------------


def _scan(strip: np.ndarray, marks: _Landmarks, rng: np.random.Generator) -> Degraded:
    """A flatbed scan: the strip on the glass near a corner, or auto-cropped around it."""
    dpi = float(rng.choice([150, 200, 240, 300]))
    scale = dpi / (marks.dots_per_mm * _MM_PER_INCH)
    angle = rng.uniform(-3, 3) + (180 if rng.random() < 0.15 else 0)
    matrix = geometry.similarity(strip.shape, scale, angle)
    corners = geometry.apply(matrix, geometry.strip_corners(strip.shape))
    lo, hi = corners.min(axis=0), corners.max(axis=0)
    if rng.random() < 0.35:  # the scanner software cropped to the content
        margin = rng.uniform(0.1, 0.4, size=2) * dpi
        size = np.ceil(hi - lo + 2 * margin).astype(int)
        offset = margin - lo
    else:
        page = next((p for p in _PAGES if p[1] * dpi >= hi[1] - lo[1] + dpi * 0.2), _PAGES[-1])
        size = np.ceil(np.maximum(np.array(page) * dpi, hi - lo + 20)).astype(int)
        offset = rng.uniform(0.05, 0.6, size=2) * dpi - lo
    matrix = geometry.translation(offset) @ matrix
    lid = rng.uniform(238, 255) if rng.random() < 0.7 else rng.uniform(120, 200)
    page_pixels = np.full((size[1], size[0], 3), lid, dtype=np.uint8)
    faded = _fade(strip, rng.uniform(20, 70), rng.uniform(225, 252))
    pixels = _place(faded, matrix, page_pixels)
    pixels = cv2.GaussianBlur(pixels, (0, 0), rng.uniform(0.3, 0.7))
    pixels = _add_noise(pixels, rng.uniform(1.0, 3.0), rng)
    gray = rng.random() < 0.4
    if gray:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)
    png = rng.random() < 0.3
    fmt, jpeg = ("png" if png else "jpeg"), int(rng.integers(70, 96))
    note = f"scan {dpi:.0f} dpi, {angle:+.1f} deg, {'gray' if gray else 'colour'} " + (fmt if png else f"jpeg q{jpeg}")
    return _result(_encode(pixels, fmt, jpeg), fmt, matrix, marks, note)


# --- camera -----------------------------------------------------------------------------------


def _photograph(strip: np.ndarray, marks: _Landmarks, look: _Look, rng: np.random.Generator) -> Degraded:
    """A phone photo of the strip lying on a surface, with the given look."""
    posed = geometry.pose(strip.shape, look.tilt_deg, rng)
    posed = geometry.scaling(look.module_px / marks.module_edge(posed)) @ posed
    if look.figures_module_px:  # perspective may shrink the figures more than the code: not below the floor
        posed = geometry.scaling(max(look.figures_module_px / marks.figures_edge(posed), 1.0)) @ posed
    cut_x = _cut_line(look.cut, marks.margins, strip.shape[1])
    matrix, size, cut = geometry.frame(posed, strip.shape, look.long_side, rng, cut_x)
    module = marks.module_edge(matrix)  # below the wish when the strip had to shrink to fit the frame
    background = surface(size, rng)
    pixels = _place(_fade(strip, look.ink, look.paper), matrix, background)
    on_output = {
        name: geometry.apply(matrix, corners)
        for name, corners in (
            ("target", marks.target),
            ("table", marks.table),
            ("strip", geometry.strip_corners(strip.shape)),
        )
    }
    lighting = look.light
    if not marks.has_qr and look.glare_floor:  # the glare aims at the figures: it must leave them legible
        lighting = dataclasses.replace(lighting, glare=min(lighting.glare, look.paper - look.ink - look.glare_floor))
    pixels = light(pixels, on_output["target"], on_output["table"], on_output["strip"], lighting, rng)
    pixels = _blur(pixels, look.blur_modules * module, look.motion, rng)
    pixels = _add_noise(pixels, look.noise, rng)
    factors = look.factors + ((f"{'left' if look.cut < 0 else 'right'} margin cut",) if cut else ())
    note = (
        f"camera {size[0]}x{size[1]}, module {module:.1f} px, tilt {look.tilt_deg:.0f} deg, "
        f"blur {look.blur_modules:.2f} module, jpeg q{look.jpeg}" + (f", {'+'.join(factors)}" if factors else "")
    )
    return _result(_encode(pixels, "jpeg", look.jpeg), "jpeg", matrix, marks, note)


def _cut_line(cut: float, margins: tuple[float, float], width: int) -> float | None:
    """The strip x beyond which paper is left out of the photo, or None (no cut, or no margin to cut)."""
    if cut < 0 and margins[0] >= 2:
        return -cut * margins[0]
    if cut > 0 and margins[1] >= 2:
        return width - cut * margins[1]
    return None


def _blur(pixels: np.ndarray, sigma: float, motion: bool, rng: np.random.Generator) -> np.ndarray:
    """Defocus (Gaussian) or a straight motion streak of the same strength (box length sigma*sqrt(12))."""
    if not motion:
        return cv2.GaussianBlur(pixels, (0, 0), max(sigma, 0.1))
    length = max(sigma * np.sqrt(12), 1.0)
    size = int(np.ceil(length)) | 1
    kernel: np.ndarray = np.zeros((size, size), dtype=np.float32)
    half = (size - 1) / 2
    cv2.line(kernel, (0, round(half)), (size - 1, round(half)), 1.0, 1, cv2.LINE_AA)
    rotation = cv2.getRotationMatrix2D((half, half), rng.uniform(0, 180), 1.0)
    kernel = cv2.warpAffine(kernel, rotation, (size, size))
    return cv2.filter2D(pixels, -1, kernel / kernel.sum())


# --- shared steps ----------------------------------------------------------------------------


def _fade(strip: np.ndarray, ink: float, paper: float) -> np.ndarray:
    """Remap the print's tones so ink sits at `ink` and paper at `paper` (thermal fading, exposure)."""
    levels = np.arange(256, dtype=np.float32)
    lut = np.clip(ink + (levels - 30) * (paper - ink) / (245 - 30), 0, 255).astype(np.uint8)
    return cv2.LUT(strip, lut)


def _place(strip: np.ndarray, matrix: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Warp the strip onto the background.

    A strong reduction is done first with area averaging (what a sensor does)
    and only the rest by the perspective warp, whose bilinear sampling would
    otherwise alias the QR modules into moiré.
    """
    scale = geometry.mean_scale(matrix, strip.shape)
    if scale < 0.9:
        reduced = cv2.resize(strip, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        matrix = matrix @ geometry.scaling(1 / scale)
        strip = reduced
    size = (background.shape[1], background.shape[0])
    return cv2.warpPerspective(
        strip, matrix, size, dst=background, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_TRANSPARENT
    )


def _add_noise(pixels: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Sensor noise, grainy rather than per-pixel (demosaicing and denoising correlate neighbours).

    Drawn at 1/2 or 1/3 resolution and interpolated across the interleaved
    channels, so a pixel's R, G and B get similar but not equal noise.
    """
    height, width = pixels.shape[:2]
    grain = 2 if max(height, width) <= 2000 else 3
    noise = rng.standard_normal((height // grain + 1, width // grain + 1), dtype=np.float32) * sigma
    offset = interleaved(to_uint8(noise + 128), pixels)  # 128 is no noise
    # one saturating pass: pixel + offset - 128, clipped only at the end
    return cv2.addWeighted(pixels.reshape(height, -1), 1.0, offset, 1.0, -128.0).reshape(pixels.shape)


def _encode(pixels: np.ndarray, fmt: str, quality: int) -> bytes:
    buffer = io.BytesIO()
    image = Image.fromarray(pixels)
    if fmt == "png":
        image.save(buffer, "PNG", compress_level=3)
    else:
        image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def _result(data: bytes, fmt: str, matrix: np.ndarray, marks: _Landmarks, note: str) -> Degraded:
    quad = _quad(geometry.apply(matrix, marks.target)) if marks.has_qr else None
    fields = {
        name: _quad(geometry.apply(matrix, geometry.box_corners(field.box))) for name, field in marks.fields.items()
    }
    rows = tuple((float(a), float(b), float(c)) for a, b, c in matrix)
    return Degraded(data, fmt, quad, marks.module_edge(matrix), note, rows, fields)


def _quad(points: np.ndarray) -> Quad:
    return tuple((float(x), float(y)) for x, y in points)
