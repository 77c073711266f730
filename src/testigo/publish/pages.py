"""The static result pages: national, each area down to the center, each mesa, and the log.

A bundle of several contests (profile ``br``) has this page set once per
contest, under the contest's folder (`contest_prefix`), and an index of the
contests at its root; the log page is the bundle's own.

Pages are plain HTML with one vendored stylesheet, so they work from
``file://``, any static host or a USB stick, and survive a blocked CDN. Each
page is a pure function of the derived results and the log: `verify` renders
them again and requires the published pages to be byte-identical, so a page
cannot show figures the data files and the signed log do not carry.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template
from markupsafe import Markup

from testigo.domain import Election, Status
from testigo.ledger import MerkleLog
from testigo.ledger.entries import Entry
from testigo.publish.layout import (
    INDEX_PAGE,
    LOG_PAGE,
    MESAS_CSV,
    MESAS_JSON,
    MESAS_PARQUET,
    NIST_JSON,
    TOTALS_JSON,
    contest_prefix,
    page_path,
)
from testigo.publish.mirrors import Mirror, key_fingerprint
from testigo.publish.model import AREA_LEVELS, MesaResult, Publication, accepted_of
from testigo.tally import TallyResult, TallyRow
from testigo.tally.bounds import bounds_by_level

_HERE = Path(__file__).parent
STYLESHEET_SOURCE = _HERE / "static" / "testigo.css"
VERIFY_SCRIPT_SOURCE = _HERE / "static" / "verify.js"

#: The level below each level, down to the mesa.
_CHILD = dict(zip(AREA_LEVELS, (*AREA_LEVELS[1:], "mesa"), strict=True))
_LABELS = {
    "state": "Estado",
    "municipality": "Municipio",
    "parish": "Parroquia",
    "center": "Centro",
    "mesa": "Mesa",
}
_CHILD_LABELS = {
    "state": "Estados / States",
    "municipality": "Municipios / Municipalities",
    "parish": "Parroquias / Parishes",
    "center": "Centros de votación / Voting centers",
    "mesa": "Mesas / Polling tables",
}
_TEMPLATES = ("area", "mesa", "log", "contests")
#: The data files of a contest (under its prefix), then the bundle's NIST report of every contest.
_DOWNLOADS = (
    (MESAS_CSV, "resultados por mesa, CSV / per-mesa results"),
    (MESAS_PARQUET, "resultados por mesa, Parquet"),
    (MESAS_JSON, "resultados por mesa, JSON"),
    (TOTALS_JSON, "totales por nivel / totals by level, JSON"),
)
_NIST_DOWNLOAD = (NIST_JSON, "NIST SP 1500-100 v2 Election Results CDF, JSON")
#: What the header and the root pages of a bundle of several contests call it.
_SEVERAL = "Contiendas / Contests"


@dataclass(frozen=True)
class LogView:
    """The signed log as the pages show it; `tree` holds exactly the published entries."""

    tree: MerkleLog
    checkpoint: str
    key: str
    sizes: tuple[int, ...]
    """Sizes of the checkpoints shipped in log/checkpoints/, increasing, the latest (`tree.size`) last."""
    notes: Mapping[int, str]
    """The signed note (cosignatures included) of each size in `sizes`: what the in-page verifier checks."""
    witnesses: tuple[str, ...]
    """Verifier keys of the witnesses the bundle names (log/witnesses.pub), for the in-page verifier."""
    mirrors: tuple[Mirror, ...] = ()
    """The signed list's mirrors (mirrors.txt), shown in every page's footer."""

    @property
    def size(self) -> int:
        return self.tree.size

    @property
    def earlier(self) -> tuple[int, ...]:
        return self.sizes[:-1]

    @cached_property
    def fingerprint(self) -> str:
        """The key's fingerprint, shown beside the mirrors so a reader can tell a copy from a clone."""
        return key_fingerprint(self.key)

    @cached_property
    def root(self) -> str:
        return self.tree.root().hex()

    def covering(self, seq: int) -> int:
        """The first checkpoint that covers entry `seq`: a proof against it never changes as the log grows."""
        return self.sizes[bisect_right(self.sizes, seq)]


def log_script(log: LogView) -> bytes:
    """log/checkpoints.js: the keys, every checkpoint and the consistency proofs to the latest, for the pages.

    A script assigning one JSON object rather than a JSON file, because a page
    opened from ``file://`` may load a script but not fetch a file. The object
    changes with every checkpoint; the pages that load it do not, so a mesa
    page stays as it was published while the log grows.
    """
    data = {
        "key": log.key,
        "latest": log.size,
        "witnesses": list(log.witnesses),
        "checkpoints": {str(size): log.notes[size] for size in log.sizes},
        "consistency": {str(size): [h.hex() for h in log.tree.consistency_proof(size)] for size in log.earlier},
    }
    return f"window.testigoLog = {json.dumps(data, indent=1, sort_keys=True)};\n".encode()


def render_pages(
    publications: Sequence[Publication], totals: Sequence[dict[str, TallyResult]], log: LogView
) -> Iterator[tuple[str, bytes, Election]]:
    """Every page of the bundle as (relative path, bytes, the ballot it shows): each contest's areas, then its
    mesas; the index of contests when there are several; then the log."""
    several = any(publication.contest for publication in publications)
    sites = [_Site(p, t, log, several) for p, t in zip(publications, totals, strict=True)]
    for site in sites:
        ballot = site.pub.ballot
        for path, html in site.area_pages():
            yield path, html, ballot
        for result in site.pub.mesas.values():
            yield (*site.mesa_page(result), ballot)
    first = sites[0]
    if several:
        yield (*first.contests_page(sites), first.pub.ballot)
    mesa_of = {seq: href for site in sites for seq, href in site.mesa_of.items()}
    yield (*first.log_page(mesa_of), first.pub.ballot)


def _num(value: int) -> Markup:
    """Spanish thousands separator: 1.234.567 (digits and dots only: nothing to escape)."""
    return Markup(f"{value:,}".replace(",", "."))


def _pct(ratio: float) -> Markup:
    return Markup(f"{ratio * 100:.2f}".replace(".", ",") + " %")


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(_HERE / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(num=_num, pct=_pct)
    return env


class _Site:
    """Shared context and the compiled templates for one rendering of the whole site."""

    def __init__(
        self, publication: Publication, totals: dict[str, TallyResult], log: LogView, several: bool = False
    ) -> None:
        self.pub, self.totals, self.log, self.several = publication, totals, log, several
        self.prefix = contest_prefix(publication.contest)
        env = _environment()
        self.templates: dict[str, Template] = {name: env.get_template(f"{name}.html") for name in _TEMPLATES}
        election = publication.ballot
        self.names = {c.key: c.name for c in election.candidates}
        self.ballot = election.candidate_keys()
        self.short = _short_names(self.names)
        # the fixed cells of the per-card table, escaped once for every mesa page
        self.card_cells = [
            Markup('<td class="n">{}</td><td>{}</td><td>{}</td>').format(c.number, c.party, self.names[c.candidate])
            for c in election.cards
        ]
        self.mesa_rows = {result.mesa.id: self.mesa_row(result) for result in publication.mesas.values()}
        self.children: dict[tuple[str, str], list[tuple[str, str, TallyRow]]] = {}
        for level in AREA_LEVELS[1:]:
            for row in totals[level].rows:
                parent = publication.registry.areas[row.id].parent_id or ""
                entry = (self.page(level, row.id), row.name, row)
                self.children.setdefault((_parent_level(level), parent), []).append(entry)
        for result in publication.mesas.values():
            entry = (self.page("mesa", result.mesa.id), f"Mesa {result.mesa.number}", self.mesa_rows[result.mesa.id])
            self.children.setdefault(("center", result.mesa.center_id), []).append(entry)
        self.mesa_of = {e.seq: self.page("mesa", r.mesa.id) for r in publication.mesas.values() for e in r.related}
        paged = {row.id for level in AREA_LEVELS for row in totals[level].rows} | {"national"}  # areas with a page
        by_level = bounds_by_level(election, publication.registry, accepted_of(publication), AREA_LEVELS, paged)
        self.bounds = {(level, area.id): area for level, found in by_level.items() for area in found.areas}

    def page(self, level: str, area_id: str) -> str:
        """The path of an area's or mesa's page of this contest."""
        return self.prefix + page_path(level, area_id)

    def render(self, template: str, path: str, **context: Any) -> tuple[str, bytes]:
        root = "../" * path.count("/")
        context.setdefault("verify", {"page": template})
        context.setdefault("election", self.pub.ballot.name)
        html = self.templates[template].render(
            root=root,
            log=self.log,
            names=self.names,
            candidates=self.by_votes(context["row"]) if "row" in context else self.ballot,
            **context,
        )
        return path, html.encode("utf-8")

    def by_votes(self, row: TallyRow) -> list[str]:
        """Candidates by the page's own votes (ties in ballot order): a page changes only when its figures do."""
        return sorted(self.ballot, key=lambda key: (-row.candidates[key], self.ballot.index(key)))

    def crumbs(self, parent_id: str | None) -> list[tuple[str, str]]:
        chain = self.pub.registry.ancestors(parent_id) if parent_id else []
        return [*self.top(), ("Nacional", self.prefix + INDEX_PAGE)] + [
            (a.name, self.page(a.level, a.id)) for a in reversed(chain)
        ]

    def top(self) -> list[tuple[str, str]]:
        """The first crumb of every page of a contest, when the bundle has several: their index."""
        return [(_SEVERAL, INDEX_PAGE)] if self.several else []

    def mesa_row(self, result: MesaResult) -> TallyRow:
        record = result.record
        candidates = self.pub.ballot.per_candidate(record.counts)
        return TallyRow(result.mesa.id, result.mesa.id, 1, 1, candidates, record.null_votes, list(record.counts))

    def area_pages(self) -> Iterator[tuple[str, bytes]]:
        for level in AREA_LEVELS:
            for row in self.totals[level].rows or self._nothing_yet(level):
                area_id = "" if level == "country" else row.id
                area = self.pub.registry.areas.get(area_id)
                whole = self.pub.ballot.name if self.several else "Resultado nacional"
                yield self.render(
                    "area",
                    self.page(level, area_id),
                    title=row.name if area else whole,
                    heading=f"{_LABELS[level]} {row.name}" if area else self.whole_heading(whole),
                    crumbs=self.crumbs(area.parent_id) if area else self.top(),
                    row=row,
                    short=self.short,
                    child_label=_CHILD_LABELS[_CHILD[level]],
                    children=self.children.get((level, area_id), []),
                    coverage=None if area else self.totals[level].coverage,
                    bounds=self.bounds.get((level, row.id)),
                    downloads=() if area else self.downloads(),
                )

    def whole_heading(self, whole: str) -> str:
        """The heading of the page of the whole: the country, or a contest's constituency (its name says it)."""
        return whole if self.several else f"{whole} / National result"

    def downloads(self) -> list[tuple[str, str]]:
        return [(self.prefix + path, label) for path, label in _DOWNLOADS] + [_NIST_DOWNLOAD]

    def _nothing_yet(self, level: str) -> list[TallyRow]:
        """The national page exists even before the first acta: it says there is nothing yet."""
        if level != "country":
            return []
        zeros = dict.fromkeys(self.ballot, 0)
        return [TallyRow("national", "national", 0, len(self.pub.registry.mesas), zeros, 0)]

    def mesa_page(self, result: MesaResult) -> tuple[str, bytes]:
        record = result.record
        center = self.pub.registry.areas[result.mesa.center_id]
        entries = [self._entry_view(e) for e in result.related]
        return self.render(
            "mesa",
            self.page("mesa", result.mesa.id),
            title=f"Mesa {result.mesa.number} · {center.name}",
            heading=f"Mesa {result.mesa.number} · {center.name}",
            crumbs=self.crumbs(center.id),
            acta_id=record.acta_id,
            registered=result.mesa.registered,
            flags=record.flags,
            row=self.mesa_rows[result.mesa.id],
            conflicts=sum(1 for e in result.related if e.status == Status.CONFLICT),
            cards=list(zip(self.card_cells, record.counts, strict=True)),
            images=[(self.pub.shown_image(sha), self.pub.image_files[sha]) for sha in result.image_shas()],
            tables=[self.pub.files.tables[sha] for sha in result.table_shas()],
            evidence=result.accepted.evidence,
            accepted_seq=result.accepted.seq,
            decision=self._decision_view(result.decision) if result.decision else None,
            entries=entries,
            verify=self._verify_view(result, entries),
        )

    def _verify_view(self, result: MesaResult, entries: list[dict[str, Any]]) -> dict[str, Any]:
        """What the in-page verifier needs beyond the log script: each entry's bytes, proof and image.

        Which entry logged the counted figures, and in which payload form, tell
        it where to read the figures it compares with the ones on screen.
        """
        return {
            "page": "mesa",
            "profile": self.pub.profile.name,
            "figures": result.accepted.seq,
            "entries": [{key: e[key] for key in ("seq", "body", "size", "proof", "image", "table")} for e in entries],
        }

    def _decision_view(self, entry: Entry) -> dict[str, Any]:
        """Who (pseudonyms, as logged), when, what and why a reviewer decision made the figures count."""
        return {
            "seq": entry.seq,
            "action": entry.get("action"),
            "decided_at": entry.get("decided_at"),
            "reviewers": entry.get("reviewers") or [],
            "reason": entry.get("reason"),
            "image": self.pub.image_of(entry.sha256) if entry.shows_acta else None,
        }

    def _entry_view(self, entry: Entry) -> dict[str, Any]:
        size = self.log.covering(entry.seq)
        return {
            "seq": entry.seq,
            "status": entry.status,
            "file": entry.get("file"),
            "reason": entry.get("reason"),
            "received_at": entry.get("received_at") or entry.get("decided_at"),
            "action": entry.get("action"),
            "reviewers": entry.get("reviewers") or [],
            "image": self.pub.image_of(entry.sha256) if entry.shows_acta else None,
            "table": self.pub.table_of(entry.sha256) if entry.table_row else None,
            "row": entry.get("part"),
            "body": entry.body.decode("utf-8"),
            "leaf": self.log.tree.leaf_hash(entry.seq).hex(),
            "size": size,
            "root": self.log.tree.root(size).hex(),
            "proof": [h.hex() for h in self.log.tree.inclusion_proof(entry.seq, size)],
        }

    def contests_page(self, sites: Sequence[_Site]) -> tuple[str, bytes]:
        """The root of a bundle of several contests: each contest's published sheets, coverage and votes."""
        contests = []
        for site in sites:
            national = site.totals["country"]
            row = national.rows[0] if national.rows else site._nothing_yet("country")[0]
            contests.append({"href": site.prefix + INDEX_PAGE, "name": site.pub.ballot.name, "row": row})
        return self.render(
            "contests",
            INDEX_PAGE,
            title=_SEVERAL,
            heading=_SEVERAL,
            election=_SEVERAL,
            crumbs=[],
            contests=contests,
            downloads=[_NIST_DOWNLOAD],
        )

    def log_page(self, mesa_of: Mapping[int, str]) -> tuple[str, bytes]:
        """The log's page; `mesa_of` gives the page of the mesa each entry is about, in every contest."""
        outcomes = Counter(str(e.status) for e in self.pub.entries)
        others = [
            {
                "seq": e.seq,
                "status": e.status,
                "file": e.get("file") or e.get("action"),
                "acta_id": e.get("acta_id"),
                "reason": e.get("reason"),
                "received_at": e.get("received_at") or e.get("decided_at"),
                "image": self.pub.image_of(e.sha256) if e.shows_acta else self.pub.table_of(e.sha256),
                "mesa_href": mesa_of.get(e.seq),
            }
            for e in self.pub.entries
            if e.status not in (Status.ACCEPTED, Status.DUPLICATE)
        ]
        return self.render(
            "log",
            LOG_PAGE,
            title="Registro verificable",
            crumbs=[(_SEVERAL, INDEX_PAGE)] if self.several else [("Nacional", INDEX_PAGE)],
            election=_SEVERAL if self.several else self.pub.ballot.name,
            outcomes=sorted(outcomes.items()),
            others=others,
        )


def _short_names(names: Mapping[str, str]) -> dict[str, str]:
    """Column headings: each name's last word, unless two would read the same (a Brazilian candidate and
    their party's label votes: ``candidate 13``, ``legenda 13``), then the whole names."""
    short = {key: name.split()[-1] if name.split() else key for key, name in names.items()}
    return short if len(set(short.values())) == len(short) else dict(names)


def _parent_level(level: str) -> str:
    return AREA_LEVELS[AREA_LEVELS.index(level) - 1]
