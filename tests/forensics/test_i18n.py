"""The bilingual report: Spanish caveats, reasons and labels beside the English ones, never mixed up."""

from __future__ import annotations

import importlib
import re
from dataclasses import replace
from html.parser import HTMLParser

import pytest

from testigo.forensics.html import render_html
from testigo.forensics.i18n import CAVEATS_ES, caveat_es, fingerprint_of, reason_es
from testigo.forensics.report_data import REPORT_IDS, TEST_IDS, run_all
from testigo.forensics.result import Flag, TestResult
from tests.forensics.synthetic import synthetic_table

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _ByLanguage(HTMLParser):
    """Collects the page's text by the language of the innermost element that declares one."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, str | None]] = []
        self.text: dict[str, list[str]] = {"es": [], "en": [], "zxx": []}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _VOID:
            self.stack.append((tag, dict(attrs).get("lang")))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, -1, -1):
            if self.stack[depth][0] == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        lang = next((lang for _, lang in reversed(self.stack) if lang), None)
        assert lang is not None, f"text outside any language: {data!r}"
        self.text[lang].append(data)


def split_languages(page: str) -> dict[str, str]:
    """The Spanish, English and language-free (JSON) text of a page, each squeezed to single spaces."""
    parser = _ByLanguage()
    parser.feed(page)
    return {lang: re.sub(r"\s+", " ", " ".join(parts)) for lang, parts in parser.text.items()}


def english_caveats() -> dict[str, str]:
    module = lambda name: importlib.import_module(f"testigo.forensics.{name}")  # noqa: E731
    digits = module("digits")
    return {
        "impossible": module("impossible").CAVEAT,
        "duplicates": module("duplicates").CAVEAT,
        "siblings": module("siblings").CAVEAT,
        "benford2": digits.BENFORD2_CAVEAT,
        "last_digit": digits.LAST_DIGIT_CAVEAT,
        "fingerprint": module("fingerprint").CAVEAT,
        "integer_peaks": module("integer_peaks").CAVEAT,
        "print_mismatch": module("printed").CAVEAT,
    }


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.:;])\s+", text) if len(s) > 15]


@pytest.fixture(scope="module")
def report() -> tuple[list[TestResult], dict[str, str]]:
    """Every test on a table with a planted copy, an impossible sheet and a stuffed mesa."""
    table = synthetic_table(states=4, parishes=5, centers=6, mesas=4, seed=1)
    votes, registered = table.votes.copy(), table.registered.copy()
    votes[3] = votes[50]  # a copied sheet
    registered[7] = votes[7].sum() + table.null_votes[7] - 5  # five ballots too many
    votes[9, 0] += registered[9] // 3  # stuffed for 'a': turnout and share unlike its siblings
    results = run_all(replace(table, votes=votes, registered=registered), candidate="a")
    return results, split_languages(render_html(results, replace(table, votes=votes, registered=registered)))


def test_every_english_caveat_has_its_reviewed_spanish() -> None:
    caveats = english_caveats()
    assert set(CAVEATS_ES) == set(REPORT_IDS) == set(caveats)
    stale = [test_id for test_id, text in caveats.items() if CAVEATS_ES[test_id][0] != fingerprint_of(text)]
    assert stale == [], f"English caveat changed, translate it again and update its fingerprint: {stale}"


def test_spanish_part_has_every_spanish_caveat_and_no_english_one(report: tuple[list[TestResult], dict]) -> None:
    results, text = report
    assert [r.id for r in results] == list(TEST_IDS)
    for result in results:
        spanish = caveat_es(result)
        assert spanish is not None and spanish in text["es"], result.id
        assert spanish not in text["en"]
        for sentence in _sentences(result.caveat):
            assert sentence not in text["es"], (result.id, sentence)
            assert sentence in text["en"], (result.id, sentence)


def test_flag_reasons_are_in_both_languages_each_in_its_part(report: tuple[list[TestResult], dict]) -> None:
    results, text = report
    by_id = {r.id: r for r in results}
    assert by_id["impossible"].flagged and by_id["siblings"].flagged and by_id["duplicates"].flagged
    for test_id in ("impossible", "duplicates", "siblings"):
        for flag in by_id[test_id].flagged:
            spanish = reason_es(flag)
            assert spanish is not None and spanish != flag.reason
            assert spanish in text["es"] and flag.reason in text["en"] and flag.reason not in text["es"]
    assert "mismos votos" in text["es"] and "same votes" not in text["es"]
    assert "electores inscritos (5 de más)" in text["es"] and "registered voters (5 too many)" in text["en"]


def test_estimate_labels_are_bilingual(report: tuple[list[TestResult], dict]) -> None:
    _, text = report
    for spanish, english in [
        ("w de Cohen", "Cohen's w"),
        ("z de la media", "z of the mean"),
        ("fracción de relleno incremental (f_i)", "incremental stuffing fraction (f_i)"),
        ("exceso sobre lo esperado", "excess over expected"),
        ("mesas señaladas", "mesas flagged"),
        ("estimaciones en JSON", "estimates as JSON"),
    ]:
        assert spanish in text["es"] and english in text["en"]
    assert '"incremental_fraction"' in text["zxx"]  # the raw figures, as in --json


def test_reasons_render_the_same_english_and_a_careful_spanish() -> None:
    from testigo.forensics.i18n import coded_flag

    flag = coded_flag("m", "sibling", 0.01, feature="share:maduro", value=0.8123, reference=0.4, level=0, z=6.04)
    assert flag.reason == "maduro share 81.2% vs 40.0% at its center's other mesas (z = +6.0)"
    assert reason_es(flag) == "porcentaje de maduro 81,2 % frente a 40,0 % en las otras mesas de su centro (z = +6,0)"
    assert flag == Flag("m", flag.reason, 0.01) and flag.to_json() == {
        "mesa": "m",
        "reason": flag.reason,
        "score": 0.01,
    }
    copy = Flag("a", "same votes (120) as b, c, d and 2 more", 6.0)
    assert reason_es(copy) == "mismos votos (120) que b, c, d y 2 más"
    image = Flag("a", "image nearly identical to mesa b (3 of 64 bits differ)", 3.0)
    assert reason_es(image) == "imagen casi idéntica a la de la mesa b (difieren 3 de 64 bits)"
    from testigo.forensics.duplicates import same_sheet_reason

    sheet = Flag("a", same_sheet_reason("b", 0.7312), 0.731)
    assert reason_es(sheet) == (
        "la imagen muestra la misma hoja que la de la mesa b (firmas y cifras con correlación 0,73)"
    )
    assert reason_es(Flag("a", "something new", 1.0)) is None


def test_a_changed_english_caveat_hides_the_stale_spanish(report: tuple[list[TestResult], dict]) -> None:
    results, _ = report
    changed = replace(results[0], caveat=results[0].caveat + " One more sentence.")
    assert caveat_es(changed) is None
    text = split_languages(render_html([changed]))
    assert "Traducción pendiente" in text["es"] and "One more sentence." in text["en"]
