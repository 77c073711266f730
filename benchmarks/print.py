"""Print benchmark: what reading the printed sheet adds to the QR code, and what it costs, on simulated actas.

For each quality (scan, photo, hard, hardest) and each variant (``qr``: the
acta carries its code; ``sin_qr``: printed without one, as in May 2025) the
script has `testigo.simulate` render `--n` actas of a synthetic election, plus
`--altered` actas whose print or code had one card changed. Every file then
goes through exactly what an ingest worker does with it
(`testigo.pipeline.decode.decode_blob`: the QR code, the print, and the
cross-check or the reading alone), and, as the baseline in the same process,
through `read_file` without the print (the QR code alone).

What it reports, per quality and variant:

* sheets: how many files ended where. With a code: ``confirmed`` (every
  printed figure agrees), ``partial`` (none differs, some unreadable),
  ``mismatch`` (the print differs: right for altered actas, a *false alarm*
  on a genuine one), ``no print`` (the print was not found). Without a
  readable code: ``certain`` (would be accepted from the print alone) or
  ``uncertain`` (left for a person, the machine's reading as one entry).
* ``wrong certain``: sheets that would be accepted from the print with a
  figure or mesa that is not the truth. The target is 0: a wrong count is
  worse than a sheet left for a person.
* figure accuracy: of every figure the print truly shows, the share read
  exactly (the reader's best text, whatever the outcome).
* counted: the share of genuine actas that end counted without a person,
  QR alone vs QR and print (the print adds the sheets whose code is lost).
* CPU per sheet (one core's process time, in the worker) for the QR code
  alone and for the whole reading, and their ratio.

`--printers` names the printers the genuine actas take in turn
(`testigo.simulate.PRINTERS`: another font, resolution or paper width, a
print near the paper's edge), for the reader is checked on actas rendered by
other means than the standard printer. `--fonts` goes further: Chromium lays
the same actas out as a web page in those fonts in turn
(`testigo.simulate.browser`: a proportional font sets a key a word space
from its name, rules are borders, the font's own hinting), and the simulator
scans or photographs them as it does its own; no altered actas are made
then. `--leading` sets the page's lines that many font sizes apart (1.0:
set solid), `--ruled` rules the table under each row, `--leaders` dots
each party's name to its figure and `--figures left` (or `centre`) sets
the figures in a column as a table cell or a tab stop does, as other
forms are laid out. It needs Playwright (the ``test`` extra) and Debian's
chromium, which the test command installs. Simulating the files comes
first, in a process pool (with Chromium, in this process), and is not
timed.

    python benchmarks/print.py --n 100 --altered 10 --seed 2024 [--printers standard,dejavu,offset] [--json]
    python benchmarks/print.py --n 24 --fonts LiberationMono-Regular,DejaVuSansMono,LiberationSans-Regular,DejaVuSans \
        [--leading 1.0] [--ruled] [--leaders] [--figures left]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from testigo.domain import Registry
from testigo.domain.printed import CERTAIN, MISMATCH, PrintedSheet
from testigo.pipeline.decode import accepts, decode_blob
from testigo.pipeline.printed import accepted_alone
from testigo.profiles import get_profile
from testigo.read import read_file
from testigo.simulate import PRINTERS, PrintStyle, simulate
from testigo.simulate.browser import FIGURE_ALIGNS, html_acta
from testigo.simulate.degrade import degrade_image
from testigo.simulate.election import draw_sheets
from testigo.simulate.plan import printed_fields
from testigo.simulate.style import STANDARD

PROFILE = "ve2024"
QUALITIES = ("scan", "photo", "hard", "hardest")
VARIANTS = ("qr", "sin_qr")
#: Where `--fonts` are looked for (file name without ".ttf"), and the browser that lays the actas out.
FONT_FOLDER = Path("/usr/share/fonts")
CHROMIUM = "/usr/bin/chromium"


@dataclass
class Figures:
    """How the print reader did on one quality and variant."""

    files: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    altered: Counter[str] = field(default_factory=Counter)
    wrong_certain: list[str] = field(default_factory=list)
    refused: Counter[str] = field(default_factory=Counter)
    """Certain readings the registry checks refused (their reason)."""
    not_read: Counter[str] = field(default_factory=Counter)
    """Why a print was not read, by reason."""
    false_mismatch: list[str] = field(default_factory=list)
    fields: int = 0
    fields_exact: int = 0
    counted_qr: int = 0
    counted_both: int = 0
    genuine: int = 0
    cpu_qr: list[float] = field(default_factory=list)
    cpu_all: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        return {
            "files": self.files,
            "outcomes": dict(self.outcomes.most_common()),
            "altered": dict(self.altered.most_common()),
            "wrong_certain": self.wrong_certain,
            "refused_by_registry": dict(self.refused),
            "print_not_read": dict(self.not_read.most_common()),
            "false_mismatches": self.false_mismatch,
            "figure_accuracy": round(self.fields_exact / self.fields, 4) if self.fields else None,
            "counted_qr_alone": round(self.counted_qr / self.genuine, 4) if self.genuine else None,
            "counted_qr_and_print": round(self.counted_both / self.genuine, 4) if self.genuine else None,
            "cpu_ms_qr_alone": _ms(self.cpu_qr),
            "cpu_ms_qr_and_print": _ms(self.cpu_all),
            "p95_cpu_ms_qr_and_print": _ms(sorted(self.cpu_all)[int(0.95 * (len(self.cpu_all) - 1)) :][:1]),
            "cost_ratio": round(sum(self.cpu_all) / sum(self.cpu_qr), 2) if sum(self.cpu_qr) else None,
        }


def _ms(values: Sequence[float]) -> float | None:
    return round(1000 * statistics.fmean(values), 1) if values else None


def printed_truth(entry: dict[str, Any]) -> dict[str, str]:
    """What the acta's print truly shows, by the layout's field names."""
    printed = entry["printed"]
    truth = {f"card_{i:02d}": str(v) for i, v in enumerate(printed["cards"], start=1)}
    for name in ("valid_votes", "null_votes", "total_votes", "center", "mesa", "registered"):
        if name in printed:
            truth[name] = str(printed[name])
    return truth


def examine_file(job: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """One file through the worker's path and through the QR code alone; CPU of each and what came out."""
    path, entry = job
    data = Path(path).read_bytes()
    cpu = time.process_time()
    qr_alone = read_file(data, functools.partial(accepts, PROFILE))
    cpu_qr = time.process_time() - cpu
    cpu = time.process_time()
    decoded = decode_blob(entry["acta_id"], path, PROFILE)
    cpu_all = time.process_time() - cpu
    sheet = decoded.printed[0] if decoded.printed else None
    return {
        "entry": entry,
        "qr_read": bool(qr_alone.pages and entry["payload"] in qr_alone.pages[0].payloads),
        "sheet": sheet.to_json() if sheet else None,
        "problem": decoded.reject or (decoded.reading.pages[0].print_problem if decoded.reading else None),
        "cpu_qr": cpu_qr,
        "cpu_all": cpu_all,
    }


def score(figures: Figures, result: dict[str, Any]) -> None:
    """Add one file's result to `figures`."""
    entry = result["entry"]
    sheet = PrintedSheet.from_json(result["sheet"]) if result["sheet"] else None
    figures.files += 1
    figures.cpu_qr.append(result["cpu_qr"])
    figures.cpu_all.append(result["cpu_all"])
    outcome = sheet.outcome if sheet else "no print"
    if entry.get("alteration"):
        figures.altered[outcome] += 1
        return
    figures.outcomes[outcome] += 1
    figures.genuine += 1
    figures.counted_qr += result["qr_read"]
    truth = printed_truth(entry)
    if sheet is None:
        figures.not_read[_reason(result["problem"])] += 1
        figures.counted_both += result["qr_read"]
        return
    for name, value in sheet.figures.items():
        if name in truth:
            figures.fields += 1
            figures.fields_exact += value == truth[name]
    if outcome == MISMATCH:
        figures.false_mismatch.append(f"{entry['file']}: {sheet.detail}")
    if outcome == CERTAIN:
        profile = get_profile(PROFILE)
        record = accepted_alone(profile, _registry(), sheet)
        if isinstance(record, str):
            figures.refused[_reason(record)] += 1
            return
        right = record.acta_id == entry["acta_id"]
        right = right and all(sheet.figures.get(name) == value for name, value in truth.items())
        if not right:
            wrong = {n: (sheet.figures.get(n), v) for n, v in truth.items() if sheet.figures.get(n) != v}
            figures.wrong_certain.append(f"{entry['file']}: read/truth {wrong}")
        figures.counted_both += right
    else:
        figures.counted_both += result["qr_read"] and outcome != MISMATCH


@functools.cache
def _registry() -> Registry:
    return get_profile(PROFILE).load_registry()


def _reason(text: str | None) -> str:
    """A reason without its particulars (figures, names after a colon), to count alike ones together."""
    return (text or "unknown").split(":")[0][:80]


def measure(
    quality: str,
    variant: str,
    n: int,
    altered: int,
    seed: int,
    workers: int,
    folder: Path,
    printers: Sequence[PrintStyle] = (STANDARD,),
    laid_out: BrowserLayout | None = None,
) -> Figures:
    """One quality and variant: its actas simulated (by the `printers`, or laid out by Chromium as `laid_out`
    says) and read in `workers` processes."""
    out = folder / f"{quality}-{variant}"
    altered = altered if variant == "qr" else 0
    if laid_out is not None:
        truth = browser_actas(out, n, seed, quality, variant, laid_out)
    else:
        truth = json.loads(
            simulate(
                out, n, seed, quality, altered=altered, variant=variant, printers=printers, workers=workers
            ).read_text(encoding="utf-8")
        )
    jobs = [
        (str(out / entry["file"]), entry)
        for entry in truth["files"]
        if entry["kind"] == "acta" or entry.get("alteration")
    ]
    figures = Figures()
    # spawned, as testigo's own pools are: a worker forked after the simulator ran in this process (workers=1)
    # inherited its threads' locks and never started (seen: 40 minutes asleep)
    spawn = get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=spawn, initializer=cv2.setNumThreads, initargs=(1,)) as pool:
        for result in pool.map(examine_file, jobs):
            score(figures, result)
    return figures


@dataclass(frozen=True)
class BrowserLayout:
    """How Chromium lays the actas out (`--fonts` and the options after it; `html_acta`'s): the fonts taken in
    turn, the lines' pitch in font sizes, a rule under each row of the table, dots from names to figures, and
    how the figures stand in their column."""

    fonts: tuple[Path, ...]
    leading: float
    ruled: bool = False
    leaders: bool = False
    figures: str = "right"


def browser_actas(out: Path, n: int, seed: int, quality: str, variant: str, laid_out: BrowserLayout) -> dict[str, Any]:
    """`n` actas of the election `seed` draws, laid out by Chromium as `laid_out` says and degraded to `quality`
    (as the simulator's own), written under `out`; their truth, as `simulate` writes it (what `score` reads)."""
    from playwright.sync_api import sync_playwright  # the test extra's: only this path needs it

    (out / "actas").mkdir(parents=True)
    files = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_context(viewport={"width": 700, "height": 900}).new_page()
        for i, sheet in enumerate(draw_sheets(n, seed)):
            font = laid_out.fonts[i % len(laid_out.fonts)]
            acta = html_acta(
                page,
                sheet,
                font,
                variant="qr" if variant == "qr" else "none",
                leading=laid_out.leading,
                ruled=laid_out.ruled,
                leaders=laid_out.leaders,
                figures=laid_out.figures,
            )
            image = degrade_image(acta, quality, np.random.default_rng([seed, i]))
            name = f"actas/acta_{i:05d}.{'jpg' if image.format == 'jpeg' else image.format}"
            (out / name).write_bytes(image.data)
            files.append(
                {
                    "file": name,
                    "kind": "acta",
                    "font": font.stem,
                    "acta_id": sheet.acta_id,
                    "payload": sheet.payload if variant == "qr" else None,
                    "printed": printed_fields(sheet),
                }
            )
        browser.close()
    return {"files": files}


def font_file(name: str) -> Path:
    """The TrueType file `name` (without ".ttf") under `FONT_FOLDER`; exits with a reason when there is none."""
    found = sorted(FONT_FOLDER.rglob(f"{name}.ttf"))
    if not found:
        sys.exit(f"no font {name}.ttf under {FONT_FOLDER} (apt-get install fonts-liberation fonts-dejavu-core)")
    return found[0]


def report(results: dict[str, Figures]) -> str:
    header = (
        f"{'sheets':<16}{'files':>6} | {'outcomes':<46} | {'altered':<22} | {'wrong':>5}{'false':>6} | "
        f"{'figures':>8} | {'counted: qr':>11}{'+print':>8} | {'ms: qr':>7}{'all':>7}{'p95':>7}{'x':>6}"
    )
    lines = [header, "-" * len(header)]
    for name, figures in results.items():
        s = figures.summary()
        outcomes = ", ".join(f"{k} {v}" for k, v in figures.outcomes.most_common())
        altered = ", ".join(f"{k} {v}" for k, v in figures.altered.most_common()) or "-"
        accuracy = s["figure_accuracy"]
        lines.append(
            f"{name:<16}{figures.files:>6} | {outcomes:<46} | {altered:<22} | "
            f"{len(figures.wrong_certain):>5}{len(figures.false_mismatch):>6} | "
            f"{accuracy if accuracy is None else f'{accuracy:.2%}':>8} | "
            f"{_pct(s['counted_qr_alone']):>11}{_pct(s['counted_qr_and_print']):>8} | "
            f"{s['cpu_ms_qr_alone']:>7}{s['cpu_ms_qr_and_print']:>7}{s['p95_cpu_ms_qr_and_print']:>7}"
            f"{s['cost_ratio']:>6}"
        )
    lines.append("")
    lines.append("wrong = accepted from the print with a wrong figure or mesa (target 0); false = genuine acta")
    lines.append("held as a mismatch (target 0); ms = mean CPU per sheet on one core; x = cost over the QR alone")
    for name, figures in results.items():
        for reason, count in figures.not_read.most_common():
            lines.append(f"{name}: print not read ({count}): {reason}")
        for reason, count in figures.refused.most_common():
            lines.append(f"{name}: certain but refused by the registry checks ({count}): {reason}")
    for name, figures in results.items():
        for what in figures.wrong_certain + figures.false_mismatch:
            lines.append(f"{name}: {what[:200]}")
    return "\n".join(lines)


def _pct(value: object) -> str:
    return "-" if value is None else f"{float(str(value)):.1%}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100, help="actas per quality and variant (default 100)")
    parser.add_argument("--altered", type=int, default=10, help="altered actas per quality (default 10)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--qualities", default=",".join(QUALITIES), help=f"subset of {', '.join(QUALITIES)}")
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"subset of {', '.join(VARIANTS)}")
    parser.add_argument(
        "--printers",
        default="standard",
        help=f"printers the genuine actas take in turn, of {', '.join(PRINTERS)} (altered ones: standard)",
    )
    parser.add_argument(
        "--fonts",
        default="",
        help="lay the actas out with Chromium in these fonts in turn (TrueType file names without .ttf) instead",
    )
    parser.add_argument(
        "--leading", type=float, default=1.25, help="with --fonts: the lines' pitch in font sizes (default 1.25)"
    )
    parser.add_argument("--ruled", action="store_true", help="with --fonts: a rule under each row of the table")
    parser.add_argument(
        "--leaders", action="store_true", help="with --fonts: dots from each party's name to its figure"
    )
    parser.add_argument(
        "--figures",
        choices=sorted(FIGURE_ALIGNS),
        default="right",
        help="with --fonts: the figures flush right (default), or left-aligned or centred in a column",
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes (CPU is per sheet)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    qualities = [q for q in args.qualities.split(",") if q]
    variants = [v for v in args.variants.split(",") if v]
    printers = [p for p in args.printers.split(",") if p]
    if set(qualities) - set(QUALITIES) or set(variants) - set(VARIANTS) or set(printers) - set(PRINTERS):
        parser.error("unknown quality, variant or printer")
    fonts = tuple(font_file(name) for name in args.fonts.split(",") if name)
    laid_out = BrowserLayout(fonts, args.leading, args.ruled, args.leaders, args.figures) if fonts else None
    results: dict[str, Figures] = {}
    with tempfile.TemporaryDirectory(prefix="testigo-print-") as tmp:
        for quality in qualities:
            for variant in variants:
                results[f"{quality} {variant}"] = measure(
                    quality,
                    variant,
                    args.n,
                    args.altered,
                    args.seed,
                    args.workers,
                    Path(tmp),
                    [PRINTERS[name] for name in printers],
                    laid_out,
                )
    if args.json:
        json.dump({name: f.summary() for name, f in results.items()}, sys.stdout, indent=1)
        print()
    else:
        print(report(results))
    wrong = sum(len(f.wrong_certain) + len(f.false_mismatch) for f in results.values())
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
