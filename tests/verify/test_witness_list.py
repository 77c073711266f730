"""log/witnesses.pub, the witness keys a bundle names for its in-page verifier, as `testigo verify` checks it."""

from __future__ import annotations

from pathlib import Path

import pytest

from testigo.ledger import Cosigner
from testigo.publish.layout import LOG_SCRIPT, WITNESSES
from testigo.verify import verify_bundle
from tests.publish.bundles import Published, copy_of, shared


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Published:
    return shared(tmp_path_factory)


def test_a_workspace_without_witnesses_names_none(published: Published) -> None:
    assert (published.bundle / WITNESSES).read_bytes() == b""
    assert '"witnesses": []' in (published.bundle / LOG_SCRIPT).read_text(encoding="utf-8")


def test_a_changed_witness_list_fails_with_the_line_and_the_page_script_named(
    published: Published, tmp_path: Path
) -> None:
    bundle = copy_of(published, tmp_path)
    witness = Cosigner.generate("witness.example/w1")
    (bundle / WITNESSES).write_text(f"{witness.verifier}\nnot a key\n", encoding="utf-8")
    report = verify_bundle(bundle, workers=1, sample=0)
    checks = {c.check: c for c in report.checks}
    assert "names 1 witness; 0 cosigned log/checkpoint" in checks["witness list"].detail
    assert not checks["witness list"].ok and not checks["pages"].ok
    assert [p for p in report.problems if p.startswith(f"{WITNESSES} line 2: ")], report.problems
    # the in-page verifier reads the list from the log script, derived from it: the two must agree
    assert [p for p in report.problems if LOG_SCRIPT in p], report.problems
