"""`testigo demo`: the whole flow on a synthetic election, checked against its truth.

simulate → acta images (scans, photos, hard photos, bad files, forgeries,
altered actas, and phone photos of actas printed without a QR code, as in
May 2025) → ingest → verify every outcome against what the simulator says
each file holds → tally → report.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from testigo.domain import Status
from testigo.errors import UserError
from testigo.pipeline.ingest import FileResult, IngestReport, ingest
from testigo.progress import Progress
from testigo.store.workspace import init_workspace
from testigo.tally import TallyResult, tally

MARKER = ".testigo-demo"
DEMO_FORGERIES = 3
#: Actas with one card changed on the paper or in the QR code only: each must end a mismatch.
DEMO_ALTERED = 4
#: Share of the demo's mesas whose acta is printed without a QR code (photographed, read from the print).
SIN_QR_SHARE = 0.1


@dataclass(frozen=True)
class TruthCheck:
    """Every outcome of the demo's ingest compared with what the simulator says each file holds."""

    mesas_expected: int
    mesas_matching: int
    wrong_reads: int
    missing: int
    unexpected_outcomes: list[str]
    for_review: int = 0
    """Genuine actas left for reviewers to type: no readable code, and a print not read with certainty."""

    @property
    def exact(self) -> bool:
        """No acta counted with a wrong figure, every genuine acta counted or left for review, every other file in
        its expected status."""
        return (
            self.mesas_matching + self.for_review == self.mesas_expected
            and self.wrong_reads == 0
            and not self.unexpected_outcomes
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "mesas_expected": self.mesas_expected,
            "mesas_matching": self.mesas_matching,
            "for_review": self.for_review,
            "wrong_reads": self.wrong_reads,
            "missing": self.missing,
            "unexpected_outcomes": self.unexpected_outcomes,
            "exact": self.exact,
        }


@dataclass(frozen=True)
class DemoResult:
    """What the demo did: where, what ingest made of every file, the check against the truth, the tally."""

    workspace: Path
    images: Path
    ingest: IngestReport
    verified: TruthCheck
    tally: TallyResult
    seconds: float

    @property
    def problems(self) -> list[FileResult]:
        """The files that did not end accepted or duplicate (hostile files, forgeries, unreadable sheets)."""
        return [f for f in self.ingest.files if f.status not in ("accepted", "duplicate")]

    def to_json(self) -> dict[str, Any]:
        return {
            "workspace": str(self.workspace),
            "images": str(self.images),
            "ingest": {"summary": self.ingest.summary(), "problems": [f.to_json() for f in self.problems]},
            "verified": self.verified.to_json(),
            "tally": self.tally.to_json(),
            "seconds": self.seconds,
        }


def run_demo(
    folder: Path, *, mesas: int = 300, seed: int = 2024, workers: int | None = None, progress: Progress | None = None
) -> DemoResult:
    """Run the demo in `folder` (re-created if it holds an earlier demo) and return its report."""
    from testigo.simulate import simulate

    started = time.perf_counter()
    _fresh_folder(folder)
    sim = folder / "simulation"
    if progress:
        progress.phase("render", None)  # bad files and forgeries add to the mesas
    truth_path = simulate(
        sim,
        mesas,
        seed,
        "mixed",
        bad_files=True,
        forgeries=DEMO_FORGERIES,
        altered=DEMO_ALTERED,
        without_code=round(mesas * SIN_QR_SHARE),
        workers=workers,
        progress=(lambda done, total: progress.advance()) if progress else None,
    )
    store = init_workspace(str(folder / "workspace"))
    report = ingest(store, [sim / "actas"], workers=workers, progress=progress)
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    verified = check_against_truth(report, tally(store, "mesa"), truth, sim)
    national = tally(store, "country")
    store.close()
    elapsed = round(time.perf_counter() - started, 2)
    return DemoResult(store.workspace.root, sim / "actas", report, verified, national, elapsed)


def check_against_truth(report: IngestReport, mesas: TallyResult, truth: dict[str, Any], sim: Path) -> TruthCheck:
    """Compare each file's outcome with what the simulator says it should be.

    A genuine acta must be accepted and its mesa's tally must equal, card by
    card, what the image encodes, or — when neither its code nor its print
    could be read with certainty — be left unreadable for reviewers
    (`for_review`: slower, never wrong); every other file must end in the
    status the simulator expects (a forged acta of a mesa already accepted is
    a conflict, an altered one a mismatch, a hostile file is rejected, ...).
    """
    by_path: dict[Path, list[FileResult]] = {}
    for f in report.files:  # a zip archive yields one result per entry, named <archive>!<entry>
        by_path.setdefault(Path(f.path.split("!")[0]).resolve(), []).append(f)
    tallied = {row.id: (row.cards, row.null_votes) for row in mesas.rows}
    expected = [e for e in truth["files"] if e["kind"] == "acta"]
    matching = wrong = missing = review = 0
    unexpected: list[str] = []
    for entry in truth["files"]:
        results = by_path.get((sim / entry["file"]).resolve(), [])
        if not results:
            missing += entry["kind"] == "acta"
            continue
        if entry["kind"] == "acta" and [got.status for got in results] == [Status.UNREADABLE]:
            review += 1
            continue
        for got in results:
            if got.status != entry["expected"]:
                unexpected.append(f"{entry['file']}: expected {entry['expected']}, got {got.status} ({got.reason})")
        if entry["kind"] == "acta" and results[0].status == "accepted":
            if tallied.get(entry["acta_id"]) == (entry["counts"], entry["null_votes"]):
                matching += 1
            else:
                wrong += 1
    return TruthCheck(len(expected), matching, wrong, missing, unexpected, review)


def _fresh_folder(folder: Path) -> None:
    if folder.exists():
        if not (folder / MARKER).exists() and any(folder.iterdir()):
            raise UserError(f"{folder} exists and is not a demo folder; choose another with --dir")
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / MARKER).write_text("created by testigo demo; deleted and re-created by the next demo\n")
