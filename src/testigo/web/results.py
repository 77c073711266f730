"""Public results held in memory, recomputed only when the log has grown, at most every few seconds.

A national tally over 30,000 mesas takes a noticeable fraction of a second; a
flood of visitors must not trigger one per request. The size of the
tamper-evident log is the data version: every outcome and every reviewer
decision appends to it, so the results cannot change without it growing. The
version also counts what the pages report but the log does not see (arrivals
still being read, sheets set aside as not an acta), and it is the ETag.

Figures are never stale after new uploads: a refresher thread checks the
version every `refresh_seconds` whether or not anyone visits, and recomputes
when it changed, so a page is at most that old (plus the few seconds public
pages may be cached), and every page says the time its figures are as of.
Requests never wait for a computation: they get the latest snapshot.

A sheet of several contests (a Brazilian BU) has one snapshot per contest a
visitor asked for, each counted against its constituency's sections (as
`testigo tally --contest`), all refreshed together.
"""

from __future__ import annotations

import threading
import time
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from testigo.domain import Area, Election, Mesa, Registry
from testigo.store import ledger as log_table
from testigo.store import overview
from testigo.store.workspace import Store
from testigo.tally import TallyResult, TallyRow

# the tally module's own aggregation, as publish uses it: one read of the records serves every level
from testigo.tally.aggregate import Accepted, accepted_matrix, contest_registry, tally_accepted
from testigo.tally.bounds import AreaBounds, bounds_by_level

#: Levels with a page of their own above the mesa, from the largest.
AREA_LEVELS: tuple[str, ...] = ("country", "state", "municipality", "parish", "center")
#: The level right below each level.
CHILD_LEVEL = dict(zip(AREA_LEVELS, (*AREA_LEVELS[1:], "mesa"), strict=True))
NATIONAL = "national"


@dataclass(frozen=True)
class AreaCoverage:
    """How much of one area the accepted actas cover: mesas and registered voters, covered and in the registry.

    `registered_*` sum the mesas whose registered voters the registry knows.
    """

    mesas_covered: int
    mesas_registry: int
    registered_covered: int
    registered_total: int

    @property
    def mesa_share(self) -> float:
        return self.mesas_covered / self.mesas_registry if self.mesas_registry else 0.0

    @property
    def registered_share(self) -> float:
        return self.registered_covered / self.registered_total if self.registered_total else 0.0

    def to_json(self) -> dict[str, object]:
        return {
            "mesas_covered": self.mesas_covered,
            "mesas_registry": self.mesas_registry,
            "registered_covered": self.registered_covered,
            "registered_total": self.registered_total,
            "share_of_mesas": round(self.mesa_share, 6),
            "share_of_registered": round(self.registered_share, 6),
        }


@dataclass(frozen=True)
class Snapshot:
    """The tallies of every area level as of data version `version`; the mesa level is built on first use.

    `as_of` is when it was computed: it holds everything received until then.
    `work` is what is not counted yet (conflicts, sheets awaiting
    transcription, arrivals being read) and each counted mesa's source;
    `coverage`, `sources` and `bounds` are per area id (``national`` for the country). `registry` is
    the registry as it stood (a copy; a contest's constituency only), `geography` it arranged for browsing.
    `contest` is the contest counted (``""``: the one contest of a one-contest format).
    """

    version: str
    totals: dict[str, TallyResult]
    accepted: Accepted
    election: Election
    registry: Registry
    geography: Geography
    rows: dict[str, dict[str, TallyRow]] = field(default_factory=dict)
    as_of: datetime = field(default_factory=lambda: datetime.now(UTC))
    work: overview.PublicWork = overview.PublicWork([], 0, 0, 0, {})
    coverage: dict[str, AreaCoverage] = field(default_factory=dict)
    sources: dict[str, dict[str, int]] = field(default_factory=dict)
    conflicts: dict[str, int] = field(default_factory=dict)
    contest: str = ""

    @property
    def national(self) -> TallyRow | None:
        return self.rows["country"].get(NATIONAL)

    def row(self, level: str, area_id: str) -> TallyRow | None:
        return self.rows[level].get(area_id)

    @cached_property
    def bounds(self) -> dict[str, AreaBounds]:
        """Every area's assumption-free bounds (`testigo.tally.bounds`), by area id.

        Built on first use, or ahead of it by the background refresher
        (`PublicResults`): about half the cost of a snapshot (0.4 s of 0.8 on
        the 24,560 mesas of ve2024), which requests that show no area page
        (uploads, review, admin) need not pay.
        """
        found = bounds_by_level(self.election, self.registry, self.accepted, AREA_LEVELS)
        return {area.id: area for level in found.values() for area in level.areas}

    @cached_property
    def mesas(self) -> TallyResult:
        """Every accepted acta with its 38 cards, as ``testigo tally --level mesa`` gives them."""
        return tally_accepted(self.election, self.registry, "mesa", self.accepted, self.contest)


def compute(store: Store, version: str, geography: Geography | None = None, contest: str = "") -> Snapshot:
    """Every area level of `contest` from one read of its accepted records, aggregated as `testigo tally`
    does; with each area's coverage, the sources of its figures and its conflicts; and the registry arranged
    for browsing (`geography`, kept when the registry has not grown since it was built).

    The registry is copied first (`contest_registry`): an upload settled meanwhile in another thread may add
    a section to it (profile br), and a dictionary must not grow while it is walked."""
    election, registry = store.profile.election_of(contest), contest_registry(store, contest)
    if geography is None or (len(geography.registry.mesas), len(geography.registry.areas)) != (
        len(registry.mesas),
        len(registry.areas),
    ):
        geography = Geography(registry)
    as_of = datetime.now(UTC)
    accepted = accepted_matrix(store, contest)
    with store.reads() as session:
        work = overview.public_work(session)
    totals = {level: tally_accepted(election, registry, level, accepted, contest) for level in AREA_LEVELS}
    rows = {level: {row.id: row for row in result.rows} for level, result in totals.items()}
    covered = set(accepted.mesa_ids)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    sources: dict[str, Counter[str]] = defaultdict(Counter)
    conflicts: Counter[str] = Counter()
    in_conflict = set(work.conflict_mesas)
    for mesa in registry.mesas.values():
        line = [int(mesa.id in covered), 1, 0, 0]
        if mesa.registered is not None:
            line[2], line[3] = (mesa.registered if mesa.id in covered else 0), mesa.registered
        for area_id in _areas_of(registry, mesa.center_id):
            total = counts[area_id]
            for i, value in enumerate(line):
                total[i] += value
            if mesa.id in covered:
                sources[area_id][work.sources.get(mesa.id, "image")] += 1
            if mesa.id in in_conflict:
                conflicts[area_id] += 1
    coverage = {area_id: AreaCoverage(*values) for area_id, values in counts.items()}
    return Snapshot(
        version,
        totals,
        accepted,
        election,
        registry,
        geography,
        rows,
        as_of,
        work,
        coverage,
        {area_id: dict(found) for area_id, found in sources.items()},
        dict(conflicts),
        contest,
    )


def _areas_of(registry: Registry, center_id: str) -> list[str]:
    return [NATIONAL, *(area.id for area in registry.ancestors(center_id))]


def data_version(store: Store) -> str:
    """The log's size, and what the pages count that the log does not see (`overview.work_version`)."""
    with store.reads() as session:
        return f"{log_table.open_log(session).size}.{overview.work_version(session)}"


def live_version(store: Store) -> str:
    """The version of what is read live from the database (a mesa page): log size and latest checkpoint."""
    with store.reads() as session:
        latest = log_table.latest_checkpoint(session)
        return f"{log_table.open_log(session).size}.{latest.size if latest else 0}"


class PublicResults:
    """The latest snapshot, refreshed in the background when the data changed (one refresh at a time).

    With `refresh_seconds` 0 every call checks the version and recomputes in
    the caller when it changed: always current, for tests and small sites.
    Otherwise `start` runs a thread that checks every `refresh_seconds`, so a
    page is never older than that after an upload even if nobody visited.
    """

    def __init__(self, store: Store, refresh_seconds: float) -> None:
        self._store = store
        self._refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._snapshots: dict[str, Snapshot] = {}  # by contest: the default one, and each one asked for
        self._checked_at = 0.0
        self._refreshing = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def refresh_seconds(self) -> float:
        return self._refresh_seconds

    @property
    def held(self) -> Snapshot | None:
        """The default contest's snapshot served now, read without checking the version or starting a refresh
        (for monitoring)."""
        return self._snapshots.get(self._store.profile.contest_or_first(None))

    def start(self) -> None:
        """Keep the snapshot current on its own: check the version every `refresh_seconds`."""
        if self._refresh_seconds > 0 and self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="testigo-results-watch", daemon=True)
            self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _watch(self) -> None:
        while not self._stop.wait(self._refresh_seconds):
            try:
                self._refresh_in_background()
            except Exception:  # noqa: BLE001 - a failed refresh keeps the last snapshot; the next one tries again
                continue

    def current(self, contest: str | None = None) -> Snapshot:
        """The snapshot of `contest` (None: the first, `Profile.contest_or_first`) to serve now; the first one
        (or every one, without a refresh interval) computed here. A contest the profile does not know raises
        KeyError: the routes say so to the visitor, and no snapshot is kept for it."""
        key = self._store.profile.contest_or_first(contest)
        if key and key not in self._store.profile.contests():
            raise KeyError(key)
        snapshot = self._snapshots.get(key)
        if snapshot is None or self._refresh_seconds <= 0:
            with self._lock:
                return self._update(key)
        if time.monotonic() - self._checked_at >= self._refresh_seconds:
            self._refresh_in_background()
        return snapshot

    def _refresh_in_background(self) -> None:
        with self._lock:
            if self._refreshing:
                return
            self._refreshing = True
            self._checked_at = time.monotonic()
        threading.Thread(target=self._background, name="testigo-results", daemon=True).start()

    def _background(self) -> None:
        try:
            for contest in list(self._snapshots) or [self._store.profile.contest_or_first(None)]:
                self._update(contest, warm=True)
        finally:
            with self._lock:
                self._refreshing = False
                self._checked_at = time.monotonic()

    def _update(self, contest: str, warm: bool = False) -> Snapshot:
        """`contest`'s snapshot, computed if the data changed; `warm` builds its lazy parts too, before anyone
        is served it."""
        version = data_version(self._store)
        held = self._snapshots.get(contest)
        if held is None or version != held.version:
            self._store.catch_up()  # what other processes added to the registry (profile br: new sections)
            held = compute(self._store, version, held.geography if held else None, contest)
            if warm:
                held.bounds  # noqa: B018 - built here, in the background, so that no visitor waits for it
            self._snapshots[contest] = held
        return held


class Geography:
    """The registry arranged for browsing: children of each area, mesas of each center, search."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        children: dict[str, list[Area]] = defaultdict(list)
        for area in registry.areas.values():
            children[area.parent_id or NATIONAL].append(area)
        self._children = {key: sorted(value, key=lambda a: a.name) for key, value in children.items()}
        mesas: dict[str, list[Mesa]] = defaultdict(list)
        for mesa in registry.mesas.values():
            mesas[mesa.center_id].append(mesa)
        self._mesas = {key: sorted(value, key=lambda m: m.number) for key, value in mesas.items()}
        # folded once, here: built by the first search instead, it held up every request behind it
        self._names = [(fold(a.name), a) for a in registry.areas.values() if a.level == "center"]

    def children(self, area_id: str) -> list[Area]:
        return self._children.get(area_id, [])

    def mesas(self, center_id: str) -> list[Mesa]:
        return self._mesas.get(center_id, [])

    def area(self, area_id: str) -> Area | None:
        return self.registry.areas.get(area_id)

    def trail(self, area_id: str) -> list[Area]:
        """The areas from the state down to `area_id` (breadcrumbs)."""
        return list(reversed(self.registry.ancestors(area_id)))

    def search(self, query: str, limit: int = 50) -> Found:
        """Centers whose code starts with the digits typed, or whose name contains every word typed; a mesa id.

        Codes are matched as people copy them: a center code with its leading
        zero dropped (as the opposition's 2024 table prints it) finds the
        center, and a mesa id or an acta id (``010101001.01`` or
        ``010101001.01.1.0001``, with or without that zero) finds the mesa.
        """
        text = query.strip()
        if not text:
            return Found([], [])
        mesa = self._mesa_in(text)
        if mesa is not None:
            center = self.registry.areas.get(mesa.center_id)
            return Found([center] if center else [], [mesa])
        code = text.replace(".", "")
        if code.isdigit():
            exact = [self.registry.areas[c] for c in dict.fromkeys((code, "0" + code)) if self._is_center(c)]
            starting = sorted(
                (
                    a
                    for a in self.registry.areas.values()
                    if a.level == "center" and a.id.startswith(code) and a not in exact
                ),
                key=lambda a: a.id,
            )
            return Found((exact + starting)[:limit], [])
        words = fold(text).split()
        found = [area for name, area in self._names if all(w in name for w in words)]
        return Found(sorted(found, key=lambda a: (a.name, a.id))[:limit], [])

    def _is_center(self, area_id: str) -> bool:
        area = self.registry.areas.get(area_id)
        return area is not None and area.level == "center"

    def _mesa_in(self, text: str) -> Mesa | None:
        """The mesa a typed mesa id or acta id names: its first two dotted parts, leading zeros restored."""
        if text in self.registry.mesas:
            return self.registry.mesas[text]
        parts = text.split(".")
        if len(parts) < 2 or not (parts[0].isdigit() and parts[1].isdigit()):
            return None
        for center in dict.fromkeys((parts[0], "0" + parts[0])):
            for number in dict.fromkeys((parts[1], parts[1].zfill(2))):
                mesa = self.registry.mesas.get(f"{center}.{number}")
                if mesa is not None:
                    return mesa
        return None


@dataclass(frozen=True)
class Found:
    """What a search found: voting centers, and the mesa when a mesa or acta id was typed."""

    centers: list[Area]
    mesas: list[Mesa]


def fold(text: str) -> str:
    """Lowercase without accents, so "BOLÍVAR", "bolivar" and "Bolívar" match."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
