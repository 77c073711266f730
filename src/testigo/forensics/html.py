"""A self-contained HTML report of a forensic run: summary, one section per test, figures, review queue.

One file with inline SVG figures and no external asset, so it can be mailed,
archived next to a published bundle, or opened offline. Figures are drawn
with matplotlib's object API (no pyplot state, no GUI backend).

The report is in Spanish and English side by side (its readers are Venezuelan
observers and international ones alike), every English passage marked
``lang=en`` and everything else Spanish (the page is ``lang=es``): the report's
own words, each test's caveat (the English one is the test's own, the Spanish
one comes from `testigo.forensics.i18n`), the reasons of the flags and the
labels of the estimates. The raw estimates are shown as JSON marked
``lang=zxx`` (data, no language). Every flagged mesa in the review queue links
to an anchor in the same page holding that mesa's figures.
"""

from __future__ import annotations

import html
import io
import json
from collections.abc import Callable, Mapping

import numpy as np
from matplotlib import rc_context
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from testigo.domain.table import MesaTable
from testigo.forensics.digits import BENFORD2, UNIFORM
from testigo.forensics.fingerprint import histogram, observed
from testigo.forensics.i18n import caveat_es, label, reason_es
from testigo.forensics.report_data import flagged_mesas
from testigo.forensics.result import Flag, TestResult
from testigo.forensics.stats import leave_one_out_median

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}
th{background:#f3f3f3}.caveat{background:#fff8e1;border-left:4px solid #f0b400;padding:.5rem 1rem}
pre{background:#f7f7f7;padding:.5rem;overflow:auto;max-height:20rem}figure{margin:1rem 0}
.en{color:#555;font-style:italic}.caveat.en{font-style:normal;margin-top:0}
"""


def _both(spanish: str, english: str) -> str:
    """One phrase in Spanish, then in English (both already HTML-safe)."""
    return f"{spanish} <span class=en lang=en>/ {english}</span>"


def render_html(
    results: list[TestResult],
    table: MesaTable | None = None,
    *,
    max_flags: int = 500,
    area_names: Mapping[str, str] | None = None,
) -> str:
    """The report as one HTML page. With `table`, figures that need the per-mesa data are drawn too.

    `area_names` (area id → name) labels the states in the results figure; ids are used without it.
    """
    parts = [
        f"<!doctype html><html lang=es><meta charset=utf-8><title>testigo: informe forense / forensic report"
        f"</title><style>{_STYLE}</style><h1>{_both('Informe forense', 'Forensic report')}</h1>"
    ]
    if table is not None:
        parts.append(
            f"<p>{_both(f'{len(table):,} mesas', f'{len(table):,} polling stations')}: "
            f"{html.escape(', '.join(table.candidates))}.</p>"
        )
    parts.append(
        "<p>Cada prueba dice qué encontró, cuán grande es el efecto y qué no puede decir. Los valores p se ajustan "
        "por el número de pruebas (q, Benjamini–Hochberg); una mesa señalada es un motivo para mirar su acta, no "
        "una prueba de fraude.</p><p class=en lang=en>Each test below says what it found, how large the effect is, "
        "and what it cannot tell. p-values are adjusted for the number of tests (q, Benjamini–Hochberg); a flag is a "
        "reason to look at a sheet, not proof of fraud.</p>"
    )
    parts.append(_summary(results))
    if table is not None:
        parts.append(_by_state(table, area_names or {}))
    for result in results:
        parts.append(_section(result, table))
    parts.append(_queue(results, max_flags))
    if table is not None:
        parts.append(_mesa_data(table, list(flagged_mesas(results))[:max_flags]))
    return "".join(parts) + "</html>"


def _summary(results: list[TestResult]) -> str:
    rows = "".join(
        f"<tr><td><a href='#{r.id}'>{r.id}</a></td><td>{_number(r.statistic)}</td><td>{_number(r.p_value)}</td>"
        f"<td>{_number(r.estimate.get('q_value'))}</td><td>{len(r.flagged)}</td></tr>"
        for r in results
    )
    return (
        f"<h2>{_both('Resumen', 'Summary')}</h2><table><tr><th>{_both('prueba', 'test')}</th>"
        f"<th>{_both('estadístico', 'statistic')}</th><th>p</th><th>{_both('q entre pruebas', 'q across tests')}"
        f"</th><th>{_both('mesas señaladas', 'mesas flagged')}</th></tr>{rows}</table>"
    )


_NO_CAVEAT_ES = (
    "Traducción pendiente: la advertencia de esta prueba cambió y su versión en español aún no se ha "
    "revisado; léase la versión en inglés."
)


def _section(result: TestResult, table: MesaTable | None) -> str:
    figure = _FIGURES.get(result.id)
    drawn = figure(result, table) if figure else None
    spanish = caveat_es(result)
    return (
        f"<h2 id='{result.id}'>{_TITLES.get(result.id, result.id)} <small>({result.id})</small></h2>"
        f"<p class=caveat>{html.escape(spanish or _NO_CAVEAT_ES)}</p>"
        f"<p class='caveat en' lang=en>{html.escape(result.caveat)}</p>"
        + (f"<figure>{drawn}</figure>" if drawn else "")
        + _estimates(result.estimate)
        + f"<details><summary>{_both('estimaciones en JSON', 'estimates as JSON')}</summary>"
        f"<pre lang=zxx>{html.escape(json.dumps(result.estimate, indent=1))}</pre></details>"
    )


def _label(key: str) -> str:
    """An estimate key (or a value, or a row name) in both languages; a name needing none (a candidate) as is."""
    names = label(key)
    if names is None:
        return html.escape(key)
    spanish, english = names
    return html.escape(spanish) if spanish == english else _both(html.escape(spanish), html.escape(english))


def _cell(value: object) -> str:
    return _label(value) if isinstance(value, str) else _number(value)


def _scalar(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _estimates(estimate: Mapping[str, object]) -> str:
    """The estimate's figures under bilingual labels: scalars one per row, nested tables as tables.

    Lists (e.g. digit frequencies) are left to the JSON below and to the figures.
    """
    rows = []
    for key, value in estimate.items():
        if _scalar(value):
            rows.append(f"<tr><th>{_label(key)}</th><td>{_cell(value)}</td></tr>")
        elif isinstance(value, dict) and value:
            inner = _subtable(value)
            if inner:
                rows.append(f"<tr><th>{_label(key)}</th><td>{inner}</td></tr>")
    return f"<table class=estimates>{''.join(rows)}</table>" if rows else ""


def _subtable(value: dict[str, object]) -> str:
    """A dict of scalars as one row, or a dict of dicts of scalars as one row per entry."""
    if all(_scalar(v) for v in value.values()):
        head = "".join(f"<th>{_label(k)}</th>" for k in value)
        return f"<table><tr>{head}</tr><tr>{''.join(f'<td>{_cell(v)}</td>' for v in value.values())}</tr></table>"
    if not all(isinstance(v, dict) for v in value.values()):
        return ""
    columns: list[str] = []
    for entry in value.values():
        columns += [k for k, v in entry.items() if _scalar(v) and k not in columns]  # type: ignore[attr-defined]
    head = "".join(f"<th>{_label(c)}</th>" for c in columns)
    body = "".join(
        f"<tr><th>{_label(name)}</th>"
        + "".join(f"<td>{_cell(entry.get(c))}</td>" for c in columns)  # type: ignore[attr-defined]
        + "</tr>"
        for name, entry in value.items()
    )
    return f"<table><tr><th></th>{head}</tr>{body}</table>"


def _queue(results: list[TestResult], max_flags: int) -> str:
    reasons: dict[str, list[str]] = {}
    for result in results:
        for flag in result.flagged:
            reasons.setdefault(flag.mesa, []).append(f"<code>{html.escape(result.id)}</code>: {_reason(flag)}")
    queue = list(flagged_mesas(results))
    rows = "".join(
        f"<tr><td><a href='#{_anchor(mesa)}'>{html.escape(mesa)}</a></td><td>{'<br>'.join(reasons[mesa])}</td></tr>"
        for mesa in queue[:max_flags]
    )
    rest = len(queue) - max_flags
    more = (
        f"<p>{_both(f'… y {rest} más (ver la salida JSON).', f'… and {rest} more (see the JSON output).')}</p>"
        if rest > 0
        else ""
    )
    intro = _both(
        f"{len(queue)} mesas señaladas, primero las que más pruebas señalan.",
        f"{len(queue)} mesas flagged, those flagged by most tests first.",
    )
    return (
        f"<h2 id=queue>{_both('Mesas a revisar', 'Review queue')}</h2><p>{intro}</p>"
        f"<table><tr><th>mesa</th><th>{_both('por qué', 'why')}</th></tr>{rows}</table>{more}"
    )


def _reason(flag: Flag) -> str:
    """A flag's reason in Spanish, then in English; a reason without Spanish says so."""
    spanish = reason_es(flag)
    return _both(html.escape(spanish) if spanish is not None else "(sin traducción)", html.escape(flag.reason))


def _mesa_data(table: MesaTable, mesas: list[str]) -> str:
    """The figures of each flagged mesa, each under the anchor the review queue links to."""
    position = {mesa: i for i, mesa in enumerate(table.mesa_ids.tolist())}
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.candidates)
    rows = []
    for mesa in (m for m in mesas if m in position):
        i = position[mesa]
        registered = int(table.registered[i])
        turnout = f"{table.turnout[i]:.1%}" if registered > 0 else "—"
        votes = "".join(f"<td>{int(v):,}</td>" for v in table.votes[i])
        rows.append(
            f"<tr id='{_anchor(mesa)}'><td>{html.escape(mesa)}</td><td>{html.escape(str(table.center_ids[i]))}</td>"
            f"<td>{registered if registered > 0 else '—'}</td>{votes}<td>{int(table.null_votes[i]):,}</td>"
            f"<td>{turnout}</td></tr>"
        )
    return (
        f"<h2 id=mesas>{_both('Datos de las mesas señaladas', 'Data of the flagged mesas')}</h2>"
        f"<table><tr><th>mesa</th><th>{_both('centro', 'center')}</th><th>{_both('electores', 'registered')}"
        f"</th>{head}<th>{_both('nulos', 'null')}</th><th>{_both('participación', 'turnout')}</th></tr>"
        f"{''.join(rows)}</table>"
    )


def _anchor(mesa: str) -> str:
    return "mesa-" + html.escape(mesa, quote=True)


def _by_state(table: MesaTable, names: Mapping[str, str]) -> str:
    """Vote shares by state (stacked bars of the main candidates, the rest as one) and the mesas behind each."""
    states, inverse = np.unique(table.state_ids, return_inverse=True)
    sums = np.zeros((len(states), len(table.candidates)), dtype=np.int64)
    np.add.at(sums, inverse, table.votes)
    shown = [table.index(c) for c in table.leaders()[:5]]
    shares = sums / np.maximum(sums.sum(axis=1, keepdims=True), 1)
    fig = Figure(figsize=(7, 0.3 * len(states) + 1.2))
    ax = fig.add_subplot()
    labels = [names.get(s, s) for s in states.tolist()]
    left = np.zeros(len(states))
    for column in shown:
        ax.barh(labels, shares[:, column], left=left, label=table.candidates[column])
        left += shares[:, column]
    if len(shown) < len(table.candidates):
        ax.barh(labels, 1 - left, left=left, color="#bbb", label="otros / others")
    ax.set_xlim(0, 1)
    ax.invert_yaxis()
    ax.set_xlabel("votos válidos / share of valid votes")
    ax.legend(fontsize="small", ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.25 if len(states) > 3 else -0.4))
    mesas = np.bincount(inverse, minlength=len(states))
    rows = "".join(
        f"<tr><td>{html.escape(label)}</td><td>{int(n):,}</td>"
        + "".join(f"<td>{shares[i, c]:.1%}</td>" for c in shown)
        + "</tr>"
        for i, (label, n) in enumerate(zip(labels, mesas.tolist(), strict=True))
    )
    head = "".join(f"<th>{html.escape(table.candidates[c])}</th>" for c in shown)
    return (
        f"<h2 id=states>{_both('Resultados por estado', 'Results by state')}</h2><figure>{_svg(fig)}</figure>"
        f"<table><tr><th>{_both('estado', 'state')}</th><th>mesas</th>{head}</tr>{rows}</table>"
    )


def _digits(expected: np.ndarray, axis: str) -> Callable[[TestResult, MesaTable | None], str | None]:
    def draw(result: TestResult, _: MesaTable | None) -> str | None:
        per_candidate = result.estimate.get("per_candidate")
        if not isinstance(per_candidate, dict) or not per_candidate:
            return None
        fig = Figure(figsize=(7, 3))
        ax = fig.add_subplot()
        width = 0.8 / len(per_candidate)
        for k, (key, detail) in enumerate(per_candidate.items()):
            name = label(key)
            ax.bar(
                np.arange(10) + k * width - 0.4 + width / 2,
                detail["frequencies"],
                width,
                label=f"{name[0]} / {name[1]}" if name else key,
            )
        ax.plot(np.arange(10), expected, "k_", markersize=18, label="esperado / expected")
        ax.set_xticks(range(10))
        ax.set_xlabel(axis)
        ax.set_ylabel("proporción de las cifras / share of counts")
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
    ax.set_xlabel("participación / turnout (%)")
    ax.set_ylabel(f"porcentaje de {candidate} / {candidate} share (%)")
    return _svg(fig)


def _peaks(result: TestResult, table: MesaTable | None) -> str | None:
    if table is None:
        return None
    fig = Figure(figsize=(7, 2.5))
    ax = fig.add_subplot()
    turnout = 100 * table.turnout[table.registered >= _whole(result.estimate["min_size"])]
    ax.hist(turnout[~np.isnan(turnout)], bins=np.arange(0, 100.1, 0.1).tolist(), color="#555")
    ax.set_xlabel(
        "participación (%), en pasos de 0,1: aquí se verían picos en los números enteros\n"
        "turnout (%), in steps of 0.1: spikes at whole numbers would show here"
    )
    ax.set_ylabel("mesas")
    return _svg(fig)


def _siblings(result: TestResult, table: MesaTable | None) -> str | None:
    """Each mesa's turnout against the median of its center's other mesas; flagged mesas in red."""
    if table is None:
        return None
    reference, others = leave_one_out_median(table.turnout, table.center_ids)
    usable = (others > 0) & ~np.isnan(reference) & ~np.isnan(table.turnout)
    if not usable.any():
        return None
    flagged = np.isin(table.mesa_ids, [flag.mesa for flag in result.flagged]) & usable
    fig = Figure(figsize=(4.5, 4))
    ax = fig.add_subplot()
    ax.scatter(
        100 * reference[usable & ~flagged], 100 * table.turnout[usable & ~flagged], s=3, color="#999", label="mesas"
    )
    ax.scatter(
        100 * reference[flagged], 100 * table.turnout[flagged], s=12, color="#c0392b", label="señaladas / flagged"
    )
    ax.plot([0, 100], [0, 100], "k:", linewidth=0.8)
    ax.set_xlabel("participación de las otras mesas del centro (%)\nturnout of the center's other mesas (%)")
    ax.set_ylabel("participación de la mesa / mesa's turnout (%)")
    ax.legend(fontsize="small")
    return _svg(fig)


_TITLES = {
    "impossible": _both("Valores imposibles", "Impossible values"),
    "duplicates": _both("Actas duplicadas", "Duplicate sheets"),
    "siblings": _both("Mesas distintas de su centro", "Mesas unlike their siblings"),
    "benford2": _both("Segundo dígito (Benford)", "Second digit (Benford)"),
    "last_digit": _both("Último dígito", "Last digit"),
    "fingerprint": _both("Huella electoral (participación × voto)", "Election fingerprint (turnout × share)"),
    "integer_peaks": _both("Picos en porcentajes enteros", "Peaks at whole percentages"),
    "print_mismatch": _both("Impreso distinto del código QR", "Print differs from the QR code"),
}

_FIGURES: dict[str, Callable[[TestResult, MesaTable | None], str | None]] = {
    "benford2": _digits(BENFORD2, "segundo dígito / second digit"),
    "last_digit": _digits(UNIFORM, "último dígito / last digit"),
    "fingerprint": _fingerprint,
    "integer_peaks": _peaks,
    "siblings": _siblings,
}


def _svg(fig: Figure) -> str:
    """Inline SVG, byte-identical for the same data (fixed ids, no date) so published reports can be compared."""
    fig.tight_layout()
    buffer = io.StringIO()
    with rc_context({"svg.hashsalt": "testigo"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


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
