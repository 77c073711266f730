"""OCR benchmark: `testigo.read.ocr` on the printed figures of simulated actas, photographed badly.

For `--sheets` mesas of the synthetic election (`draw_sheets`), every figure a
reader checks against the QR code (38 card votes, 3 totals, and the CENTRO,
MESA, ELECTORES and MÁQUINA codes) is printed here in a receipt printer's dot
cells: Font A 12x24 dots, Font B 9x17, with its neighbouring text and the
lines above and below, in one of two fonts alternating by sheet (Pillow's
built-in font fitted and emphasised as the simulator prints it, or DejaVu Sans
Mono as a real printer font). The renderer is not used: this script only
needs the figures and must not depend on the layout's private parts. Card
votes are redrawn to spread over 1-4 digits (35/30/30/5 %; real cards are
mostly 0-9) and the totals follow from them.

Each field's neighbourhood is then degraded as a phone photo: a scale drawn in
one of five resolution bands (output pixels per printer dot; a QR module is 4
dots), faded ink in a quarter of the fields, rotation up to 2 degrees,
sub-pixel phase, optical or motion blur of 0.2-1.1 dots, sensor integration,
uneven light, grain, JPEG 25-90 at a random block phase. The field is
cropped (`crop_field`) at its true box, and again at a box misregistered by up
to 5 % (position by up to 5 % of the box's width and height, size by up to 5 %).

Reported per band, font and kind of figure, for both crops: the exact-read
rate of the free digit reading, the share of genuine figures confirmed
(`margin` > 5), the share of one-digit alterations flagged (margin < -5) and
the number of alterations confirmed (margin > 5: the error a checker must not
make); and the CPU time per field of reading (prepare and one model run) and
of one margin, on one core with one thread.
Generating the fields comes first and is not timed.

    python benchmarks/ocr.py --sheets 24 --seed 2024 [--json]
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2  # noqa: E402  (after the thread setting)
import numpy as np  # noqa: E402
import numpy.typing as npt  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402

from testigo.read.ocr import crop_field, margin, recognise  # noqa: E402
from testigo.read.ocr.model import default_model  # noqa: E402
from testigo.simulate.election import draw_sheets  # noqa: E402

BANDS = ((0.35, 0.45), (0.45, 0.6), (0.6, 0.8), (0.8, 1.1), (1.1, 1.5))
FONTS = ("builtin", "dejavu-mono")
DEJAVU_MONO = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
MISREGISTRATION = 0.05
#: Margin thresholds of the evaluation's decision rule: above CONFIRM confirms, below FLAG contradicts.
CONFIRM, FLAG = 5.0, -5.0

Ink = npt.NDArray[np.bool_]
Gray = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Cell:
    """A printer font's character cell, in dots."""

    width: int
    height: int
    spacing: int  # dots fed after each line


FONT_A = Cell(12, 24, 4)
FONT_B = Cell(9, 17, 5)
LINE_DOTS = 576
#: Blank paper around the printed lines: the strip's side margin (80 mm paper, 72 mm printed).
PAPER_MARGIN = 32
_CONTEXT = 28  # dots of paper kept around a field before degrading


@dataclass(frozen=True)
class Field:
    """One printed figure in its line, with the lines above and below."""

    sheet: int  # which acta it is printed on
    kind: str  # "vote", "total" or "code"
    text: str
    lines: tuple[str, str, str]  # above, the figure's line, below
    columns: tuple[int, int]  # the figure's field, in character columns of the middle line
    cell: Cell


@dataclass(frozen=True)
class Sample:
    """A field photographed, as the two crops that are read."""

    text: str
    kind: str
    font: str
    band: int
    crops: dict[str, Gray]  # "exact" and "misregistered"


# --- the figures of a sheet --------------------------------------------------------------------------


def fields_of_sheets(count: int, seed: int, rng: np.random.Generator) -> list[Field]:
    """Every figure of `count` simulated actas, laid out as the voting machine prints them."""
    found: list[Field] = []
    for n, sheet in enumerate(draw_sheets(count, seed, "ve2024")):
        digits = rng.choice([1, 2, 3, 4], size=len(sheet.cards), p=[0.35, 0.3, 0.3, 0.05])
        votes = [int(rng.integers(0 if d == 1 else 10 ** (d - 1), 10**d)) for d in digits]
        table = [
            f"{card.number:02d} {card.party:<18}{card.candidate:<37}{v:>6}"
            for card, v in zip(sheet.cards, votes, strict=True)
        ]
        for i, line in enumerate(table):
            above = table[i - 1] if i else "TJ ORGANIZACIÓN       CANDIDATO" + " " * 28 + "VOTOS"
            below = table[i + 1] if i + 1 < len(table) else "-" * 64
            found.append(Field(n, "vote", str(votes[i]), (above, line, below), (58, 64), FONT_B))
        valid, null = sum(votes), sheet.null_votes
        totals = [("VOTOS VÁLIDOS", valid), ("VOTOS NULOS", null), ("TOTAL VOTOS ESCRUTADOS", valid + null)]
        lines = ["-" * 48] + [f"{label:<30}{value:>18}" for label, value in totals] + ["=" * 48]
        for i, (_, value) in enumerate(totals, start=1):
            found.append(Field(n, "total", str(value), (lines[i - 1], lines[i], lines[i + 1]), (42, 48), FONT_A))
        registered = f"ELECTORES: {sheet.registered}" if sheet.registered is not None else ""
        mesa = f"{'MESA:':<11}{sheet.mesa_number:<10}{registered:>27}"
        centre = f"{'CENTRO:':<11}{sheet.center_code}"
        date = "FECHA: 28/07/2024" + " " * 14 + "HORA: 19:42:07"
        found.append(Field(n, "code", sheet.center_code, ("PARROQUIA: CATEDRAL", centre, mesa), (11, 20), FONT_A))
        width = len(str(sheet.mesa_number))
        found.append(Field(n, "code", str(sheet.mesa_number), (centre, mesa, date), (11, 11 + width), FONT_A))
        if sheet.registered is not None:
            width = len(str(sheet.registered))
            found.append(Field(n, "code", str(sheet.registered), (centre, mesa, date), (48 - width, 48), FONT_A))
        machine = f"{int(rng.integers(0, 10_000_000)):07d}"
        found.append(Field(n, "code", machine, ("=" * 48, f"MÁQUINA: {machine}", "CÓDIGO: 4F2A 19C0"), (9, 16), FONT_A))
    return found


# --- printing in dots ---------------------------------------------------------------------------------


@cache
def _font(name: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if name == "builtin":
        return ImageFont.load_default(size=size)
    return ImageFont.truetype(str(DEJAVU_MONO), size)


@cache
def _glyph(char: str, cell: Cell, font_name: str) -> Ink:
    """`char` as printer dots: drawn 4x larger, squeezed into the cell, thresholded (accents dropped).

    The built-in font is printed emphasised (each dot also fires its right
    neighbour), as the simulator's printer does; DejaVu Sans Mono is not.
    """
    ss = 4
    width, height = cell.width * ss, cell.height * ss
    baseline = round(height * 0.83)
    char = {"Á": "A", "Ó": "O", "É": "E", "Í": "I", "Ú": "U"}.get(char, char)
    probe = _font(font_name, 100)
    cap = -probe.getbbox("H", anchor="ls")[1]
    font = _font(font_name, round(100 * height * 0.62 / cap))
    widest = max(font.getlength(c) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    canvas = Image.new("L", (int(font.getlength(char)) + 4, height), 0)
    ImageDraw.Draw(canvas).text((2, baseline), char, font=font, fill=255, anchor="ls")
    squeezed = canvas.resize(
        (max(round(canvas.width * (cell.width - 1) * ss / widest), 1), height), Image.Resampling.LANCZOS
    )
    padded = Image.new("L", (width, height), 0)
    padded.paste(squeezed, ((width - squeezed.width) // 2, 0))
    emphasised = font_name == "builtin"
    ink = np.asarray(padded.resize((cell.width, cell.height), Image.Resampling.BOX)) > (64 if emphasised else 96)
    if emphasised:
        ink[:, 1:] |= ink[:, :-1]
    return ink


def _print_lines(field: Field, font_name: str) -> tuple[Ink, tuple[int, int, int, int]]:
    """The three lines as dots, and the figure's box (x0, y0, x1, y1) in them."""
    cell = field.cell
    rows = []
    for line in field.lines:
        ink = np.zeros((cell.height + cell.spacing, LINE_DOTS), dtype=bool)
        for i, char in enumerate(line[: LINE_DOTS // cell.width]):
            if char != " ":
                ink[: cell.height, i * cell.width : (i + 1) * cell.width] = _glyph(char, cell, font_name)
        rows.append(ink)
    ink = np.pad(np.concatenate(rows), PAPER_MARGIN)
    top, left = PAPER_MARGIN + cell.height + cell.spacing, PAPER_MARGIN
    first, last = field.columns
    return ink, (left + first * cell.width, top, left + last * cell.width, top + cell.height)


def _ink_to_paper(ink: Ink, rng: np.random.Generator) -> npt.NDArray[np.float32]:
    """Thermal print: dot gain, dark-grey ink on off-white paper."""
    density = cv2.GaussianBlur(ink.astype(np.float32), (0, 0), 0.55)
    paper, tone = rng.uniform(236, 250), rng.uniform(18, 45)
    return np.asarray(paper + (tone - paper) * np.clip(density, 0, 1), dtype=np.float32)


# --- photographing ------------------------------------------------------------------------------------


def photograph(
    paper: npt.NDArray[np.float32], box: tuple[int, int, int, int], band: int, rng: np.random.Generator
) -> tuple[Gray, tuple[float, float, float, float]]:
    """The field's neighbourhood as a phone would capture it, and where the field's box landed."""
    x0, y0, x1, y1 = box
    cx0, cy0 = max(x0 - _CONTEXT, 0), max(y0 - _CONTEXT, 0)
    cut = paper[cy0 : min(y1 + _CONTEXT, paper.shape[0]), cx0 : min(x1 + _CONTEXT, paper.shape[1])]
    faded = rng.random() < 0.25
    light, dark = (
        (rng.uniform(200, 230), rng.uniform(85, 115)) if faded else (rng.uniform(215, 250), rng.uniform(20, 70))
    )
    window = np.asarray(dark + (cut - 30) * (light - dark) / (245 - 30), dtype=np.float32)
    scale, ss = float(rng.uniform(*BANDS[band])), 4
    centre = ((x0 + x1) / 2 - cx0, (y0 + y1) / 2 - cy0)
    out_w, out_h = math.ceil(window.shape[1] * scale), math.ceil(window.shape[0] * scale)
    matrix = cv2.getRotationMatrix2D(centre, float(rng.uniform(-2, 2)), scale * ss)
    matrix[:, 2] += np.array([out_w / 2, out_h / 2]) * ss - np.array(centre) + rng.uniform(0, 1, size=2) * ss
    warped = cv2.warpAffine(
        window, matrix, (out_w * ss, out_h * ss), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    sigma = float(rng.uniform(0.2, 1.1)) * scale * ss  # optical blur, in supersampled pixels
    # (the sensor then integrates: an area reduction of the 4x-supersampled image)
    if rng.random() < 0.15:  # a motion streak of the same spread, in any direction
        size = int(math.ceil(max(sigma * math.sqrt(12), 1.0))) | 1
        half = (size - 1) / 2
        streak = np.zeros((size, size), np.float32)
        cv2.line(streak, (0, round(half)), (size - 1, round(half)), 1.0, 1, cv2.LINE_AA)
        turn = cv2.getRotationMatrix2D((half, half), float(rng.uniform(0, 180)), 1.0)
        kernel = np.asarray(cv2.warpAffine(streak, turn, (size, size)), dtype=np.float32)
        blurred = cv2.filter2D(warped, -1, kernel / kernel.sum())
    else:
        blurred = cv2.GaussianBlur(warped, (0, 0), max(sigma, 0.3))
    sensed = np.asarray(cv2.resize(blurred, (out_w, out_h), interpolation=cv2.INTER_AREA), dtype=np.float32)
    ys, xs = np.mgrid[0:out_h, 0:out_w].astype(np.float32)
    gradient = rng.uniform(-0.12, 0.12) * (xs / out_w - 0.5) + rng.uniform(-0.12, 0.12) * (ys / out_h - 0.5)
    lit = sensed * (1 + gradient) * rng.uniform(0.85, 1.05)
    coarse = rng.standard_normal((out_h // 2 + 2, out_w // 2 + 2)).astype(np.float32)
    grain = np.asarray(cv2.resize(coarse, (out_w, out_h), interpolation=cv2.INTER_LINEAR), dtype=np.float32)
    noisy = np.clip(lit + grain[:out_h, :out_w] * rng.uniform(2, 8) * 1.3, 0, 255).astype(np.uint8)
    image = _jpeg(noisy, int(rng.integers(25, 91)), rng)
    # the box's edges through the warp and the 4x reduction (the small rotation is ignored)
    corners = np.array([[x0 - cx0 - 0.5, y0 - cy0 - 0.5, 1], [x1 - cx0 - 0.5, y1 - cy0 - 0.5, 1]])
    bx0, by0, bx1, by1 = ((corners @ matrix.T - (ss - 1) / 2) / ss + 0.5).reshape(-1)
    return image, (float(bx0), float(by0), float(bx1), float(by1))


def _jpeg(image: Gray, quality: int, rng: np.random.Generator) -> Gray:
    """JPEG-compress with the 8x8 block grid at a random phase, as in a crop of a larger photo."""
    px, py = (int(v) for v in rng.integers(0, 8, size=2))
    padded = cv2.copyMakeBorder(image, py, 0, px, 0, cv2.BORDER_REPLICATE)
    buffer = io.BytesIO()
    Image.fromarray(padded).save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("L"))[py:, px:].copy()


def misregister(box: tuple[float, float, float, float], rng: np.random.Generator) -> tuple[float, ...]:
    """The box as a registration off by up to `MISREGISTRATION` would place it."""
    x0, y0, x1, y1 = box
    width, height = x1 - x0, y1 - y0
    dx, dy = rng.uniform(-MISREGISTRATION, MISREGISTRATION, size=2) * (width, height)
    grow = rng.uniform(-MISREGISTRATION, MISREGISTRATION, size=2) * (width, height) / 2
    return (x0 + dx - grow[0], y0 + dy - grow[1], x1 + dx + grow[0], y1 + dy + grow[1])


def make_samples(sheets: int, seed: int, fonts: Sequence[str]) -> list[Sample]:
    rng = np.random.default_rng(seed)
    fields = fields_of_sheets(sheets, seed, rng)
    samples = []
    for field in fields:
        font = fonts[field.sheet % len(fonts)]  # one font per acta, as one printer prints it
        ink, box = _print_lines(field, font)
        band = int(rng.integers(0, len(BANDS)))
        image, true_box = photograph(_ink_to_paper(ink, rng), box, band, rng)
        crops = {"exact": crop_field(image, true_box), "misregistered": crop_field(image, misregister(true_box, rng))}
        samples.append(Sample(field.text, field.kind, font, band, crops))
    return samples


def _altered(text: str, rng: np.random.Generator) -> str:
    """`text` with one digit substituted (never a leading zero), as a forger would alter a figure."""
    i = int(rng.integers(0, len(text)))
    choices = [d for d in "0123456789" if d != text[i] and not (i == 0 and d == "0" and len(text) > 1)]
    return text[:i] + str(rng.choice(choices)) + text[i + 1 :]


# --- measuring ----------------------------------------------------------------------------------------


@dataclass
class Tally:
    fields: int = 0
    exact: int = 0
    confirmed: int = 0
    flagged: int = 0
    forgery_confirmed: int = 0  # an altered figure with margin > CONFIRM: the error that must not happen

    def summary(self) -> dict[str, float | int]:
        n = max(self.fields, 1)
        return {
            "fields": self.fields,
            "exact": round(self.exact / n, 4),
            "genuine_confirmed": round(self.confirmed / n, 4),
            "altered_flagged": round(self.flagged / n, 4),
            "altered_confirmed": self.forgery_confirmed,
        }


def pin_to_one_core() -> str:
    cv2.setNumThreads(1)
    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"pinned to CPU {core}"
    return "not pinned (no sched_setaffinity on this platform)"


def measure(samples: Sequence[Sample], seed: int) -> tuple[dict[str, dict[str, Tally]], dict[str, list[float]]]:
    rng = np.random.default_rng(seed + 1)
    tallies: dict[str, dict[str, Tally]] = {}
    times: dict[str, list[float]] = {"read": [], "margin": []}
    for sample in samples:
        altered = _altered(sample.text, rng)
        for crop_name, crop in sample.crops.items():
            started = time.process_time()
            [reading] = recognise([crop])
            read = time.process_time()
            genuine = margin(reading, sample.text)
            scored = time.process_time()
            forged = margin(reading, altered)
            times["read"].append(read - started)
            times["margin"].append(scored - read)
            for key in (f"band {sample.band}", f"font {sample.font}", f"kind {sample.kind}", "all"):
                tally = tallies.setdefault(key, {}).setdefault(crop_name, Tally())
                tally.fields += 1
                tally.exact += reading.text == sample.text
                tally.confirmed += genuine > CONFIRM
                tally.flagged += forged < FLAG
                tally.forgery_confirmed += forged > CONFIRM
    return tallies, times


def _label(key: str) -> str:
    if key.startswith("band "):
        low, high = BANDS[int(key.split()[1])]
        return f"{low:.2f}-{high:.2f} px/dot"
    return key


def report(tallies: dict[str, dict[str, Tally]], times: dict[str, list[float]]) -> str:
    """Rates per band, font and kind (box: the true box; ±5%: misregistered), then the times."""
    columns = ("exact read", "margin > 5", "altered < -5")
    header = f"{'':<20}{'fields':>7} |" + "".join(f" {c:^14} |" for c in columns) + f" {'altered > 5':^13}"
    sub = f"{'':<20}{'':>7} |" + f" {'box':>7}{'±5%':>7} |" * 3 + f" {'box':>6}{'±5%':>7}"
    lines = [header, sub, "-" * len(header)]
    for key in sorted(tallies, key=lambda k: (k == "all", not k.startswith("band"), k)):
        exact, moved = tallies[key]["exact"], tallies[key]["misregistered"]
        n, m = max(exact.fields, 1), max(moved.fields, 1)
        pairs = [(exact.exact / n, moved.exact / m), (exact.confirmed / n, moved.confirmed / m)]
        pairs.append((exact.flagged / n, moved.flagged / m))
        lines.append(
            f"{_label(key):<20}{exact.fields:>7} |"
            + "".join(f" {a:>7.1%}{b:>7.1%} |" for a, b in pairs)
            + f" {exact.forgery_confirmed:>6}{moved.forgery_confirmed:>7}"
        )
    lines.append("")
    for name, values in times.items():
        ordered = sorted(values)
        p95 = ordered[int(0.95 * (len(ordered) - 1))]
        lines.append(
            f"{name:<7} CPU per field: mean {1000 * statistics.fmean(ordered):.2f} ms, "
            f"median {1000 * statistics.median(ordered):.2f} ms, p95 {1000 * p95:.2f} ms"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sheets", type=int, default=24, help="simulated actas (about 45 figures each; default 24)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--fonts", default=",".join(FONTS), help=f"comma-separated subset of {', '.join(FONTS)}")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    fonts = [f for f in args.fonts.split(",") if f]
    if set(fonts) - set(FONTS):
        parser.error(f"unknown fonts: {', '.join(sorted(set(fonts) - set(FONTS)))}")
    if "dejavu-mono" in fonts and not DEJAVU_MONO.is_file():
        print(f"{DEJAVU_MONO} missing (apt-get install fonts-dejavu-core): built-in font only", file=sys.stderr)
        fonts = [f for f in fonts if f != "dejavu-mono"] or ["builtin"]

    samples = make_samples(args.sheets, args.seed, fonts)
    pinning = pin_to_one_core()
    started = time.process_time()
    default_model()
    load = time.process_time() - started
    recognise([samples[0].crops["exact"]])  # first-run allocations are not a field's cost
    tallies, times = measure(samples, args.seed)
    if args.json:
        print(
            json.dumps(
                {
                    "sheets": args.sheets,
                    "seed": args.seed,
                    "cpu": pinning,
                    "onnxruntime": version("onnxruntime"),
                    "model_load_s": round(load, 3),
                    "ms_per_field": {k: round(1000 * statistics.fmean(v), 3) for k, v in times.items()},
                    "results": {k: {c: t.summary() for c, t in v.items()} for k, v in tallies.items()},
                },
                indent=2,
            )
        )
    else:
        print(
            f"OCR benchmark: {len(samples)} fields of {args.sheets} actas, seed {args.seed}, fonts {', '.join(fonts)}; "
            f"one core ({pinning}), one thread; model loaded in {load:.2f} s CPU\n"
        )
        print(report(tallies, times))
    return 0


if __name__ == "__main__":
    sys.exit(main())
