"""Turn a rendered acta strip into the file a volunteer would upload.

Three qualities, modelled on how the 2024 acta images really failed:

* ``scan``: a flatbed scan (150-300 dpi) on a white or grey lid, slightly
  skewed, sometimes grayscale, JPEG or PNG. Nearly always easy.
* ``photo``: a phone photo of the strip on a table: perspective, any rotation,
  uneven light, mild blur and sensor noise, a textured background, JPEG.
* ``hard``: the bad tail of real uploads. Each image combines several of: QR
  modules down to ~2 px, strong perspective, defocus or motion blur, a shadow
  edge across the code, faded thermal print, glare, and always heavy JPEG.

"Hard" is meant to defeat a plain decoder on a sizeable share of images while
staying readable *in principle*: optical blur of at most 0.28 module on top of
resampling and JPEG (well under the ~0.6 module where codes become
unreadable), modules of at least 2 px and never faded as well, nothing
covering the finder patterns, and shadow or glare that leave at least 85 grey
levels between ink and paper (110 on small codes). To hold those
bounds the geometry is computed, not guessed: the renderer says where the QR
is, and every transform is a known homography, so `degrade_image` also
reports where the code ended up in the output.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from testigo.simulate.render import DOTS_PER_MM

QUALITIES = ("scan", "photo", "hard")
_MM_PER_INCH = 25.4
#: Page sizes a flatbed offers, in inches (A4, letter, legal).
_PAGES = ((8.27, 11.69), (8.5, 11.0), (8.5, 14.0))


@dataclass(frozen=True)
class Degraded:
    """An encoded image and where its QR symbol lies in it.

    `qr_quad` holds the symbol's corners (top-left, top-right, bottom-right,
    bottom-left of the code itself) in output pixels; `module_px` is the
    shortest module edge there. They let tests check "decodable in principle"
    independently of any detector.
    """

    data: bytes
    format: str  # "jpeg" or "png"
    qr_quad: tuple[tuple[float, float], ...]
    module_px: float
    note: str  # how the image was made, for whoever investigates a failed read


@dataclass(frozen=True)
class _Look:
    """How strongly each camera effect applies; one draw per image."""

    module_px: float  # shortest QR module edge wanted in the output
    tilt_deg: float  # camera tilt away from straight above the strip
    blur_modules: float  # blur sigma, as a fraction of a module
    motion: bool  # motion blur instead of defocus
    ink: float  # thermal print grey level (fading raises it)
    paper: float
    shadow: float  # depth of a shadow whose edge crosses the code (0: none)
    glare: float  # peak brightness of a specular highlight near the code (0: none)
    noise: float  # sensor noise sigma, in grey levels
    jpeg: int
    long_side: tuple[int, int]  # allowed range of the photo's long side
    factors: tuple[str, ...]  # the effects applied at full strength, for the note


def degrade(image: Image.Image, quality: str, rng: np.random.Generator) -> bytes:
    """The uploaded file's bytes (JPEG, or PNG for some scans) for a rendered acta."""
    return degrade_image(image, quality, rng).data


def degrade_image(image: Image.Image, quality: str, rng: np.random.Generator) -> Degraded:
    """Like `degrade`, also saying where the QR code landed in the output.

    `image` is what `render_acta` returns; its ``qr_box`` info locates the code
    (without it, the whole image is taken as the region to keep readable).
    """
    strip = np.asarray(image.convert("RGB"))
    qr = _Code.of(image)
    if quality == "scan":
        return _scan(strip, qr, rng)
    if quality == "photo":
        return _photograph(strip, qr, _photo_look(rng), rng)
    if quality == "hard":
        return _photograph(strip, qr, _hard_look(rng), rng)
    raise ValueError(f"unknown quality {quality!r}; one of {', '.join(QUALITIES)}")


@dataclass(frozen=True)
class _Code:
    """Where the QR symbol is: its corners (TL, TR, BR, BL) and its size in modules."""

    corners: np.ndarray
    modules: int

    @classmethod
    def of(cls, image: Image.Image) -> _Code:
        x0, y0, x1, y1 = image.info.get("qr_box", (0, 0, image.width, image.height))
        return cls(
            np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64), image.info.get("qr_modules", 1)
        )

    def module_edge(self, matrix: np.ndarray) -> float:
        """The shortest edge of the code after `matrix`, divided by its module count."""
        quad = _apply(matrix, self.corners)
        return float(np.linalg.norm(quad - np.roll(quad, -1, axis=0), axis=1).min() / self.modules)


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
        shadow=rng.uniform(0.15, 0.35) if shadow else 0.0,
        glare=rng.uniform(20, 60) if glare else 0.0,
        noise=rng.uniform(2, 6),
        jpeg=int(rng.integers(60, 91)),
        long_side=(1600, 4000),
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
        # a shadow scales paper and ink alike: it may only take the contrast down to the floor
        shadow=min(rng.uniform(0.3, 0.45), 1 - floor / (paper - ink)) if "shadow" in chosen else 0.0,
        # glare lifts the ink while the paper saturates at 255: same floor
        glare=min(rng.uniform(0.3, 0.55) * (paper - ink), 255 - ink - floor) if "glare" in chosen else 0.0,
        noise=rng.uniform(3, 8),
        jpeg=int(rng.integers(25, 51)),
        long_side=(1000, 4000),
        factors=tuple(f for f in _HARD_FACTORS if f in chosen),
    )


# --- scan -------------------------------------------------------------------------------------


def _scan(strip: np.ndarray, qr: _Code, rng: np.random.Generator) -> Degraded:
    """A flatbed scan: the strip on the glass near a corner, or auto-cropped around it."""
    dpi = float(rng.choice([150, 200, 240, 300]))
    scale = dpi / (DOTS_PER_MM * _MM_PER_INCH)
    angle = rng.uniform(-3, 3) + (180 if rng.random() < 0.15 else 0)
    matrix = _similarity(strip.shape, scale, angle)
    corners = _apply(matrix, _strip_corners(strip.shape))
    lo, hi = corners.min(axis=0), corners.max(axis=0)
    if rng.random() < 0.35:  # the scanner software cropped to the content
        margin = rng.uniform(0.1, 0.4, size=2) * dpi
        size = np.ceil(hi - lo + 2 * margin).astype(int)
        offset = margin - lo
    else:
        page = next((p for p in _PAGES if p[1] * dpi >= hi[1] - lo[1] + dpi * 0.2), _PAGES[-1])
        size = np.ceil(np.maximum(np.array(page) * dpi, hi - lo + 20)).astype(int)
        offset = rng.uniform(0.05, 0.6, size=2) * dpi - lo
    matrix = _translation(offset) @ matrix
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
    return _result(_encode(pixels, fmt, jpeg), fmt, matrix, qr, note)


# --- camera -----------------------------------------------------------------------------------


def _photograph(strip: np.ndarray, qr: _Code, look: _Look, rng: np.random.Generator) -> Degraded:
    """A phone photo of the strip lying on a surface, with the given look."""
    pose = _pose(strip.shape, look.tilt_deg, rng)
    pose = _scaling(look.module_px / qr.module_edge(pose)) @ pose
    matrix, size = _frame(pose, strip.shape, look.long_side, rng)
    module = qr.module_edge(matrix)  # below the wish when the strip had to shrink to fit the frame
    background = _surface(size, rng)
    pixels = _place(_fade(strip, look.ink, look.paper), matrix, background)
    pixels = _light(pixels, _apply(matrix, qr.corners), look, rng)
    pixels = _blur(pixels, look.blur_modules * module, look.motion, rng)
    pixels = _add_noise(pixels, look.noise, rng)
    note = (
        f"camera {size[0]}x{size[1]}, module {module:.1f} px, tilt {look.tilt_deg:.0f} deg, "
        f"blur {look.blur_modules:.2f} module, jpeg q{look.jpeg}"
        + (f", {'+'.join(look.factors)}" if look.factors else "")
    )
    return _result(_encode(pixels, "jpeg", look.jpeg), "jpeg", matrix, qr, note)


def _pose(shape: tuple[int, ...], tilt_deg: float, rng: np.random.Generator) -> np.ndarray:
    """Homography of a camera looking at the strip: in-plane rotation, then a tilted view.

    Mostly the strip is photographed along the frame (0/90/180/270 degrees plus
    a little), sometimes lying at any angle. The tilt is a real 3-D rotation
    seen through a pinhole at 1-1.6 strip lengths, so the far end shrinks and
    foreshortens as in a photo, not as an arbitrary corner jitter would.
    """
    height, width = shape[:2]
    if rng.random() < 0.85:
        spin = 90 * int(rng.integers(0, 4)) + rng.normal(0, 4)
    else:
        spin = rng.uniform(0, 360)
    axis_angle = rng.uniform(0, 2 * np.pi)
    axis = np.array([np.cos(axis_angle), np.sin(axis_angle), 0.0])
    rotation = _rodrigues(axis, np.radians(tilt_deg)) @ _rodrigues(np.array([0.0, 0.0, 1.0]), np.radians(spin))
    distance = max(height, width) * rng.uniform(1.0, 1.6)
    source = _strip_corners(shape)
    centred = np.hstack([source - [width / 2, height / 2], np.zeros((4, 1))])
    camera = centred @ rotation.T + [0, 0, distance]
    projected = camera[:, :2] / camera[:, 2:] * distance
    return cv2.getPerspectiveTransform(source.astype(np.float32), projected.astype(np.float32)).astype(np.float64)


def _frame(
    pose: np.ndarray, shape: tuple[int, ...], long_side: tuple[int, int], rng: np.random.Generator
) -> tuple[np.ndarray, tuple[int, int]]:
    """Choose a 4:3 frame around the posed strip; returns the final homography and (width, height).

    The strip fills 50-95 % of the frame when the allowed resolution range
    permits; otherwise the frame is clamped and the strip fills more or less.
    A strip too big for the largest frame is shrunk (its modules with it).
    """
    corners = _apply(pose, _strip_corners(shape))
    extent = corners.max(axis=0) - corners.min(axis=0)
    portrait = extent[1] >= extent[0]
    needed = max(extent[1], extent[0] * 4 / 3) if portrait else max(extent[0], extent[1] * 4 / 3)
    if needed > 0.97 * long_side[1]:
        pose = _scaling(0.97 * long_side[1] / needed) @ pose
        return _frame(pose, shape, long_side, rng)
    lo = corners.min(axis=0)
    long = int(np.clip(needed / rng.uniform(0.5, 0.95), *long_side))
    short = long * 3 // 4
    size = (short, long) if portrait else (long, short)
    slack = np.array(size) - extent
    offset = rng.uniform(0.1, 0.9, size=2) * slack - lo
    return _translation(offset) @ pose, size


#: Surfaces actas were photographed on: wooden tables, desks, plastic tablecloths, a dark counter.
_WOODS = ((150, 108, 70), (110, 72, 45), (175, 140, 100))
_PLAINS = ((205, 200, 190), (130, 130, 128), (40, 40, 45), (225, 225, 220))
_CLOTHS = ((170, 40, 35), (40, 70, 140), (60, 110, 70))


def _surface(size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A wooden table (grain), a plain desk (blotches) or a gingham tablecloth, built at 1/8 size."""
    width, height = size
    small = (max(width // 8, 8), max(height // 8, 8))
    blotches = cv2.resize(rng.standard_normal((6, 8)).astype(np.float32), small, interpolation=cv2.INTER_CUBIC)
    kind = rng.choice(["wood", "plain", "cloth"], p=[0.45, 0.35, 0.2])
    shade: np.ndarray
    if kind == "wood":
        colour = _WOODS[int(rng.integers(0, len(_WOODS)))]
        # grain: noise stretched along one axis, boards of slightly different tone
        grain = cv2.resize(
            rng.standard_normal((small[1] // 2, 6)).astype(np.float32), small, interpolation=cv2.INTER_CUBIC
        )
        boards = np.repeat(rng.uniform(-0.08, 0.08, size=small[0] // 60 + 1), 60)[: small[0]]
        shade = 1 + 0.04 * blotches + rng.uniform(0.05, 0.1) * grain + boards[None, :]
        shade = shade if rng.random() < 0.5 else cv2.resize(shade.T, small)
    elif kind == "plain":
        colour = _PLAINS[int(rng.integers(0, len(_PLAINS)))]
        shade = 1 + 0.05 * blotches
    else:
        colour = _CLOTHS[int(rng.integers(0, len(_CLOTHS)))]
        period = rng.uniform(4, 10)  # in 1/8-size pixels: 30-80 px squares in the photo
        ys, xs = np.mgrid[0 : small[1], 0 : small[0]].astype(np.float32)
        stripes = (np.sin(xs * np.pi / period) > 0).astype(np.float32) + (np.sin(ys * np.pi / period) > 0)
        # gingham: white where both stripe sets are off, colour where both are on, a blend elsewhere
        tone = 1.0 - stripes / 2
        shade = 1 + 0.04 * blotches
        texture = shade[..., None] * (tone[..., None] * np.array([235, 232, 228]) + (1 - tone[..., None]) * colour)
        return cv2.resize(_to_uint8(texture), size, interpolation=cv2.INTER_LINEAR)
    texture = shade[..., None] * np.array(colour, dtype=np.float32) * rng.uniform(0.85, 1.1)
    return cv2.resize(_to_uint8(texture), size, interpolation=cv2.INTER_LINEAR)


def _light(pixels: np.ndarray, qr: np.ndarray, look: _Look, rng: np.random.Generator) -> np.ndarray:
    """Uneven light, vignetting, a shadow whose edge crosses the code, and glare near it.

    All fields are computed at 1/8 resolution and scaled up, as light varies slowly.
    """
    height, width = pixels.shape[:2]
    small = (max(width // 8, 4), max(height // 8, 4))
    ys, xs = np.mgrid[0 : small[1], 0 : small[0]].astype(np.float32)
    xs, ys = xs / small[0] - 0.5, ys / small[1] - 0.5
    gradient = 1 + rng.uniform(-0.25, 0.25) * xs + rng.uniform(-0.25, 0.25) * ys
    field = gradient * (1 - rng.uniform(0.1, 0.45) * (xs**2 + ys**2) * 2) * rng.uniform(0.85, 1.05)
    centre = qr.mean(axis=0) / [width, height] - 0.5
    if look.shadow:
        # a straight penumbra through the code, soft over ~1/4 of the code's size
        direction = rng.uniform(0, 2 * np.pi)
        normal = np.array([np.cos(direction), np.sin(direction)])
        along = (xs - centre[0]) * normal[0] + (ys - centre[1]) * normal[1] + rng.uniform(-0.2, 0.2) * _span(qr, width)
        softness = 0.15 * _span(qr, width)
        field = field * (1 - look.shadow / (1 + np.exp(-along / max(softness, 1e-3))))
    flat = pixels.reshape(height, -1)
    lit = cv2.multiply(flat, _interleaved(_to_uint8(field * 255), pixels), scale=1 / 255)
    if look.glare:
        spot = centre + rng.uniform(-0.5, 0.5, size=2) * _span(qr, width)
        radius = _span(qr, width) * rng.uniform(0.3, 0.8)
        blob = look.glare * np.exp(-((xs - spot[0]) ** 2 + (ys - spot[1]) ** 2) / (2 * radius**2))
        lit = cv2.add(lit, _interleaved(_to_uint8(blob), pixels))
    return lit.reshape(pixels.shape)


def _span(qr: np.ndarray, width: int) -> float:
    """The code's size as a fraction of the image width (fields are in image-relative units)."""
    return float(np.linalg.norm(qr[2] - qr[0]) / width)


def _to_uint8(field: np.ndarray) -> np.ndarray:
    clipped: np.ndarray = np.clip(field, 0, 255).astype(np.uint8)
    return clipped


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


# --- shared steps -----------------------------------------------------------------------------


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
    scale = _mean_scale(matrix, strip.shape)
    if scale < 0.9:
        reduced = cv2.resize(strip, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        matrix = matrix @ _scaling(1 / scale)
        strip = reduced
    size = (background.shape[1], background.shape[0])
    return cv2.warpPerspective(
        strip, matrix, size, dst=background, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_TRANSPARENT
    )


def _mean_scale(matrix: np.ndarray, shape: tuple[int, ...]) -> float:
    """How much the strip shrinks on average: output area over input area, square-rooted."""
    corners = _apply(matrix, _strip_corners(shape)).astype(np.float32)
    return float(np.sqrt(cv2.contourArea(corners) / (shape[0] * shape[1])))


def _add_noise(pixels: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Sensor noise, grainy rather than per-pixel (demosaicing and denoising correlate neighbours).

    Drawn at 1/2 or 1/3 resolution and interpolated across the interleaved
    channels, so a pixel's R, G and B get similar but not equal noise.
    """
    height, width = pixels.shape[:2]
    grain = 2 if max(height, width) <= 2000 else 3
    noise = rng.standard_normal((height // grain + 1, width // grain + 1), dtype=np.float32) * sigma
    offset = _interleaved(_to_uint8(noise + 128), pixels)  # 128 is no noise
    # one saturating pass: pixel + offset - 128, clipped only at the end
    return cv2.addWeighted(pixels.reshape(height, -1), 1.0, offset, 1.0, -128.0).reshape(pixels.shape)


def _interleaved(field: np.ndarray, pixels: np.ndarray) -> np.ndarray:
    """A low-resolution uint8 field scaled to cover every channel of `pixels` seen as one 2-D array.

    Working on the (height, width * channels) view avoids splitting and merging
    channels, the slowest part of full-size colour arithmetic.
    """
    height = pixels.shape[0]
    return cv2.resize(field, (pixels[0].size, height), interpolation=cv2.INTER_LINEAR)


def _encode(pixels: np.ndarray, fmt: str, quality: int) -> bytes:
    buffer = io.BytesIO()
    image = Image.fromarray(pixels)
    if fmt == "png":
        image.save(buffer, "PNG", compress_level=3)
    else:
        image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def _result(data: bytes, fmt: str, matrix: np.ndarray, qr: _Code, note: str) -> Degraded:
    quad = _apply(matrix, qr.corners)
    return Degraded(data, fmt, tuple((float(x), float(y)) for x, y in quad), qr.module_edge(matrix), note)


# --- geometry ---------------------------------------------------------------------------------


def _strip_corners(shape: tuple[int, ...]) -> np.ndarray:
    height, width = shape[:2]
    return np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float64)


def _apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    homogeneous = np.hstack([points, np.ones((len(points), 1))]) @ matrix.T
    points_out: np.ndarray = homogeneous[:, :2] / homogeneous[:, 2:]
    return points_out


def _similarity(shape: tuple[int, ...], scale: float, angle_deg: float) -> np.ndarray:
    height, width = shape[:2]
    affine = cv2.getRotationMatrix2D((width / 2, height / 2), angle_deg, scale)
    return np.vstack([affine, [0, 0, 1]])


def _scaling(factor: float) -> np.ndarray:
    return np.diag([factor, factor, 1.0])


def _translation(offset: np.ndarray) -> np.ndarray:
    return np.array([[1, 0, offset[0]], [0, 1, offset[1]], [0, 0, 1]], dtype=np.float64)


def _rodrigues(axis: np.ndarray, angle: float) -> np.ndarray:
    rotation, _ = cv2.Rodrigues(axis * angle)
    return rotation
