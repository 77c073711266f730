"""A self-contained HTML report of a forensic run: summary, one section per test, figures, review queue.

One file with inline SVG figures and no external asset, so it can be mailed,
archived next to a published bundle, or opened offline. Figures are drawn
with matplotlib's object API (no pyplot state, no GUI backend).
"""

from __future__ import annotations

import html
import io
import json
from collections.abc import Callable

import numpy as np
from matplotlib import rc_context
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from testigo.forensics.data import MesaTable
from testigo.forensics.digits import BENFORD2, UNIFORM
from testigo.forensics.fingerprint import histogram, observed
from testigo.forensics.report_data import flagged_mesas
from testigo.forensics.result import TestResult

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}
th{background:#f3f3f3}.caveat{background:#fff8e1;border-left:4px solid #f0b400;padding:.5rem 1rem}
pre{background:#f7f7f7;padding:.5rem;overflow:auto;max-height:20rem}figure{margin:1rem 0}
"""


def render_html(results: list[TestResult], table: MesaTable | None = None, *, max_flags: int = 500) -> str:
    """The report as one HTML page. With `table`, figures that need the per-mesa data are drawn too."""
    parts = [f"<!doctype html><html lang=en><meta charset=utf-8><title>testigo forensic report</title>"
             f"<style>{_STYLE}</style><h1>Forensic report</h1>"]
    if table is not None:
        parts.append(f"<p>{len(table):,} mesas, candidates: {html.escape(', '.join(table.candidates))}.</p>")
    parts.append(
        "<p>Each test below says what it found, how large the effect is, and what it cannot tell. "
        "p-values are adjusted for the number of tests (q, Benjamini–Hochberg); a flag is a reason to look at a "
        "sheet, not proof of fraud.</p>"
    )
    parts.append(_summary(results))
    for result in results:
        parts.append(_section(result, table))
    parts.append(_queue(results, max_flags))
    return "".join(parts) + "</html>"


def _summary(results: list[TestResult]) -> str:
    rows = "".join(
        f"<tr><td><a href='#{r.id}'>{r.id}</a></td><td>{_number(r.statistic)}</td><td>{_number(r.p_value)}</td>"
        f"<td>{_number(r.estimate.get('q_value'))}</td><td>{len(r.flagged)}</td></tr>"
        for r in results
    )
    return ("<h2>Summary</h2><table><tr><th>test</th><th>statistic</th><th>p</th><th>q across tests</th>"
            f"<th>mesas flagged</th></tr>{rows}</table>")


def _section(result: TestResult, table: MesaTable | None) -> str:
    figure = _FIGURES.get(result.id)
    drawn = figure(result, table) if figure else None
    return (
        f"<h2 id='{result.id}'>{result.id}</h2><p class=caveat>{html.escape(result.caveat)}</p>"
        + (f"<figure>{drawn}</figure>" if drawn else "")
        + f"<details><summary>estimates</summary><pre>{html.escape(json.dumps(result.estimate, indent=1))}</pre>"
        "</details>"
    )


def _queue(results: list[TestResult], max_flags: int) -> str:
    reasons: dict[str, list[str]] = {}
    for result in results:
        for flag in result.flagged:
            reasons.setdefault(flag.mesa, []).append(f"{result.id}: {flag.reason}")
    queue = list(flagged_mesas(results))
    rows = "".join(
        f"<tr><td>{html.escape(mesa)}</td><td>{'<br>'.join(html.escape(r) for r in reasons[mesa])}</td></tr>"
        for mesa in queue[:max_flags]
    )
    more = f"<p>… and {len(queue) - max_flags} more (see the JSON output).</p>" if len(queue) > max_flags else ""
    return (f"<h2>Review queue</h2><p>{len(queue)} mesas flagged, those flagged by most tests first.</p>"
            f"<table><tr><th>mesa</th><th>why</th></tr>{rows}</table>{more}")


def _digits(expected: np.ndarray, label: str) -> Callable[[TestResult, MesaTable | None], str | None]:
    def draw(result: TestResult, _: MesaTable | None) -> str | None:
        per_candidate = result.estimate.get("per_candidate")
        if not isinstance(per_candidate, dict) or not per_candidate:
            return None
        fig = Figure(figsize=(7, 3))
        ax = fig.add_subplot()
        width = 0.8 / len(per_candidate)
        for k, (key, detail) in enumerate(per_candidate.items()):
            ax.bar(np.arange(10) + k * width - 0.4 + width / 2, detail["frequencies"], width, label=key)
        ax.plot(np.arange(10), expected, "k_", markersize=18, label="expected")
        ax.set_xticks(range(10))
        ax.set_xlabel(label)
        ax.set_ylabel("share of counts")
        ax.legend(fontsize="small")
        return _svg(fig)

    return draw


def _fingerprint(result: TestResult, table: MesaTable | None) -> str | None:
    if table is None or "skipped" in result.estimate:
        return None
    candidate = str(result.estimate["candidate"])
    bins = _whole(result.estimate["bins"])
    counts = histogram(*observed(table, candidate), bins).reshape(bins, bins)
    fig = Figure(figsize=(4.5, 4))
    ax = fig.add_subplot()
    image = ax.imshow(counts.T + 1, origin="lower", extent=(0, 100, 0, 100), norm=LogNorm(), cmap="viridis")
    fig.colorbar(image, ax=ax, label="mesas + 1")
    ax.set_xlabel("turnout (%)")
    ax.set_ylabel(f"{candidate} share (%)")
    return _svg(fig)


def _peaks(result: TestResult, table: MesaTable | None) -> str | None:
    if table is None:
        return None
    fig = Figure(figsize=(7, 2.5))
    ax = fig.add_subplot()
    turnout = 100 * table.turnout[table.registered >= _whole(result.estimate["min_size"])]
    ax.hist(turnout[~np.isnan(turnout)], bins=np.arange(0, 100.1, 0.1).tolist(), color="#555")
    ax.set_xlabel("turnout (%), in steps of 0.1: spikes at whole numbers would show here")
    ax.set_ylabel("mesas")
    return _svg(fig)


_FIGURES: dict[str, Callable[[TestResult, MesaTable | None], str | None]] = {
    "benford2": _digits(BENFORD2, "second digit"),
    "last_digit": _digits(UNIFORM, "last digit"),
    "fingerprint": _fingerprint,
    "integer_peaks": _peaks,
}


def _svg(fig: Figure) -> str:
    """Inline SVG, byte-identical for the same data (fixed ids, no date) so published reports can be compared."""
    fig.tight_layout()
    buffer = io.StringIO()
    with rc_context({"svg.hashsalt": "testigo"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def _whole(value: object) -> int:
    if not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {value!r}")
    return int(value)


def _number(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.3g}"
    return html.escape(str(value))
