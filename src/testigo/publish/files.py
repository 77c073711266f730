"""The bytes of every file of a bundle that derives from the log: data files, pages, stylesheet.

One generator serves both sides: `publish` writes what it yields, `verify`
yields it again from the bundle's own entries and compares, file by file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from testigo import __version__
from testigo.ledger import Checkpoint, MerkleLog
from testigo.publish.layout import (
    FORMAT,
    LOG_SCRIPT,
    MESAS_CSV,
    MESAS_JSON,
    MESAS_PARQUET,
    NIST_JSON,
    STYLESHEET,
    TOTALS_JSON,
    VERIFY_SCRIPT,
)
from testigo.publish.model import Publication, tallies
from testigo.publish.nist import election_report
from testigo.publish.pages import STYLESHEET_SOURCE, VERIFY_SCRIPT_SOURCE, LogView, log_script, render_pages
from testigo.publish.tables import csv_bytes, flatten, json_bytes, mesas_document, parquet_bytes


def derived_files(publication: Publication, log: LogView, origin: str) -> Iterator[tuple[str, bytes, str]]:
    """(relative path, bytes, kind) of every data file, the stylesheet, the in-page verifier and every page."""
    totals = tallies(publication)
    election = publication.profile.election
    document = mesas_document(publication)
    rows = [flatten(row, election) for row in document["mesas"]]
    yield MESAS_JSON, json_bytes(document), "data"
    yield MESAS_CSV, csv_bytes(rows, election), "data"
    yield MESAS_PARQUET, parquet_bytes(rows, election), "data"
    yield TOTALS_JSON, json_bytes({level: result.to_json() for level, result in totals.items()}, indent=1), "data"
    yield NIST_JSON, json_bytes(election_report(publication, origin)), "data"
    yield STYLESHEET, STYLESHEET_SOURCE.read_bytes(), "static"
    yield VERIFY_SCRIPT, VERIFY_SCRIPT_SOURCE.read_bytes(), "static"
    yield LOG_SCRIPT, log_script(log), "static"
    for path, html in render_pages(publication, totals, log):
        yield path, html, "pages"


def manifest(profile: str, checkpoint: Checkpoint) -> dict[str, Any]:
    """bundle.json: what the bundle is, which log and tree head it shows, which testigo made it."""
    return {
        "format": FORMAT,
        "testigo": __version__,
        "profile": profile,
        "origin": checkpoint.origin,
        "tree_size": checkpoint.size,
        "root_hash": checkpoint.root_hash.hex(),
    }


def tree_of(bodies: list[bytes]) -> MerkleLog:
    """An in-memory Merkle tree of exactly these entries (roots and proofs for the pages)."""
    tree = MerkleLog()
    tree.append_many(bodies)
    return tree
