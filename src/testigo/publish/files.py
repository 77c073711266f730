"""The bytes of every file of a bundle that derives from the log: data files, pages, stylesheet.

One generator serves both sides: `publish` writes what it yields, `verify`
yields it again from the bundle's own entries and compares, file by file.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from testigo import __version__
from testigo.domain import Election
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
    contest_prefix,
)
from testigo.publish.model import Publication, tallies
from testigo.publish.nist import election_report
from testigo.publish.pages import STYLESHEET_SOURCE, VERIFY_SCRIPT_SOURCE, LogView, log_script, render_pages
from testigo.publish.tables import csv_bytes, flatten, json_bytes, mesas_document, parquet_bytes


class Derived(NamedTuple):
    """One file of a bundle that derives from the log."""

    path: str
    data: bytes
    kind: str
    """``data``, ``static`` or ``pages``."""
    ballot: Election
    """The ballot of the contest the file shows (how a data file's columns read, for `verify`'s explanations)."""


def derived_files(publications: Sequence[Publication], log: LogView, origin: str) -> Iterator[Derived]:
    """Every data file, the stylesheet, the in-page verifier and every page, of every contest.

    A contest's data files and pages lie under its prefix (`contest_prefix`:
    the root for a one-contest format); the NIST report lists every contest,
    and the log page and the index of contests are the bundle's own.
    """
    totals = [tallies(publication) for publication in publications]
    for publication, totaled in zip(publications, totals, strict=True):
        prefix, election = contest_prefix(publication.contest), publication.ballot
        document = mesas_document(publication)
        rows = [flatten(row, election) for row in document["mesas"]]
        yield Derived(prefix + MESAS_JSON, json_bytes(document), "data", election)
        yield Derived(prefix + MESAS_CSV, csv_bytes(rows, election), "data", election)
        yield Derived(prefix + MESAS_PARQUET, parquet_bytes(rows, election), "data", election)
        by_level = {level: result.to_json() for level, result in totaled.items()}
        yield Derived(prefix + TOTALS_JSON, json_bytes(by_level, indent=1), "data", election)
    first = publications[0].ballot
    yield Derived(NIST_JSON, json_bytes(election_report(publications, origin)), "data", first)
    yield Derived(STYLESHEET, STYLESHEET_SOURCE.read_bytes(), "static", first)
    yield Derived(VERIFY_SCRIPT, VERIFY_SCRIPT_SOURCE.read_bytes(), "static", first)
    yield Derived(LOG_SCRIPT, log_script(log), "static", first)
    for path, html, ballot in render_pages(publications, totals, log):
        yield Derived(path, html, "pages", ballot)


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
