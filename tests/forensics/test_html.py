"""The HTML report: one self-contained page with every test, its caveat, figures and the review queue."""

from __future__ import annotations

from dataclasses import replace

from testigo.forensics.html import render_html
from testigo.forensics.report_data import TEST_IDS, run_all
from tests.forensics.synthetic import synthetic_table


def test_report_has_every_test_figures_and_the_flagged_mesas() -> None:
    table = synthetic_table(states=4, parishes=5, centers=6, mesas=4, seed=1)
    votes = table.votes.copy()
    votes[3] = votes[50]
    results = run_all(replace(table, votes=votes), candidate="a")
    page = render_html(results, table)
    assert page.startswith("<!doctype html>") and page.endswith("</html>")
    assert all(f"id='{test_id}'" in page for test_id in TEST_IDS)
    assert page.count("<svg") == 6 and 'src="http' not in page and 'href="http' not in page
    assert table.mesa_ids[3] in page and "same votes" in page
    # results by state and the sibling plot; each queued mesa links to its figures in the same page
    assert "id=states" in page and "Resultados por estado" in page and "Results by state" in page
    assert f"href='#mesa-{table.mesa_ids[3]}'" in page and f"id='mesa-{table.mesa_ids[3]}'" in page
    assert render_html(results, table) == page  # reproducible, byte for byte
    assert render_html(results).count("<svg") == 2  # without the table, only the digit figures
