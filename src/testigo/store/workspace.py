"""Opening a workspace: settings, database (migrated), blob store and registry."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from testigo.config import DEFAULT_PROFILE, Settings, Workspace
from testigo.domain import Area, Mesa, Registry
from testigo.errors import UserError
from testigo.ledger import Signer
from testigo.profiles import Profile, get_profile
from testigo.store.blobs import Blobs, open_blobs
from testigo.store.db import make_engine, reader, session_factory, upgrade
from testigo.store.keys import load_or_create_signer, new_origin
from testigo.store.schema import AreaRow, MesaRow, Meta


@dataclass
class Store:
    """Everything a command needs to read or write a workspace."""

    workspace: Workspace
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    blobs: Blobs
    signer: Signer
    _registry: Registry | None = field(default=None, repr=False)
    _profile: Profile | None = field(default=None, repr=False)

    @cached_property
    def reads(self) -> sessionmaker[Session]:
        """Sessions that only read (`testigo.store.db.reader`): what a busy web server's lookups use."""
        return reader(self.engine)

    @property
    def profile(self) -> Profile:
        """The workspace's profile, completed by its stored facts (loaded once per Store)."""
        if self._profile is None:
            with self.sessions() as session:
                facts = {m.key: m.value for m in session.execute(select(Meta)).scalars()}
            self._profile = get_profile(self.settings.profile).for_workspace(facts)
        return self._profile

    @property
    def registry(self) -> Registry:
        """The registry as stored in the database (loaded once per Store)."""
        if self._registry is None:
            with self.sessions() as session:
                registry = _read_registry(session)
            if registry.registered_national is None:
                # a workspace made before the roll was stored: the profile's, as `verify` takes it
                registry.registered_national = self.profile.load_registry().registered_national
            self._registry = registry
        return self._registry

    def forget_cached(self) -> None:
        """Re-read the profile and drop the loaded registry, after an import has extended them.

        Call it outside any transaction: with SQLite, a read on a second
        connection inside a write transaction would wait for that transaction.
        """
        self._profile = None
        self._registry = None
        _ = self.profile

    def catch_up(self) -> None:
        """Take into this process's registry and profile the sections, areas and ballots that other processes
        added to the database (a profile whose registry comes from the data: a server beside ingests).

        In place, one key at a time, never replacing a dictionary: threads of this process that read or grow
        them meanwhile keep working on the same objects. A count tells whether anything is new, so a refresh
        that finds nothing reads two numbers. Names changed by another process are not taken in (a restart
        does).
        """
        profile = self.profile
        if not profile.registry_from_data:
            return
        registry = self.registry
        with self.reads() as session:
            mesas = session.execute(select(func.count()).select_from(MesaRow)).scalar_one()
            areas = session.execute(select(func.count()).select_from(AreaRow)).scalar_one()
            grown = _read_registry(session) if (mesas, areas) != (len(registry.mesas), len(registry.areas)) else None
            facts = {m.key: m.value for m in session.execute(select(Meta)).scalars()}
        if grown is not None:
            for area_id, area in grown.areas.items():
                registry.areas.setdefault(area_id, area)
            for mesa_id, mesa in grown.mesas.items():
                registry.mesas.setdefault(mesa_id, mesa)
        profile.catch_up(facts)

    def close(self) -> None:
        self.engine.dispose()


def init_workspace(
    path: str | None, profile: str = DEFAULT_PROFILE, database_url: str = "", blobs_url: str = ""
) -> Store:
    """Create (or re-open, if it already has the same profile) a workspace."""
    workspace = Workspace.locate(path)
    if workspace.exists():
        settings = workspace.load_settings()
        if settings.profile != profile:
            raise UserError(f"workspace {workspace.root} already uses profile {settings.profile!r}, not {profile!r}")
    else:
        get_profile(profile)  # fail before writing anything if the profile is unknown
        settings = Settings(
            profile=profile, database_url=database_url, log_origin=new_origin(profile), blobs_url=blobs_url
        )
        workspace.save_settings(settings)
    return _open(workspace, settings)


def open_workspace(path: str | None = None) -> Store:
    """Open the workspace, creating it with the default profile if missing."""
    workspace = Workspace.locate(path)
    if not workspace.exists():
        return init_workspace(str(workspace.root))
    return _open(workspace, workspace.load_settings())


def _open(workspace: Workspace, settings: Settings) -> Store:
    workspace.blobs_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(workspace.database_url(settings))
    upgrade(engine)
    signer = load_or_create_signer(workspace, settings.log_origin)
    blobs = open_blobs(workspace.blobs_url(settings))
    store = Store(workspace, settings, engine, session_factory(engine), blobs, signer)
    with store.sessions.begin() as session:
        if session.get(Meta, "profile") is None:
            store._registry = _load_registry(session, get_profile(settings.profile))
        _refresh_statistics(session)
    # loaded now, so that no later write transaction has to open a second connection for them
    _ = store.profile, store.registry
    return store


def _refresh_statistics(session: Session) -> None:
    """Fresh table statistics for the planner's whole-table reads (tally, overview, forensics).

    No per-record query of import or ingest depends on them any more: each
    has an index that only fits it (tests/store/test_per_record_cost.py).
    On SQLite each index is sampled (`analysis_limit`), so opening a
    workspace of a million records costs what opening one of ten thousand
    does, instead of a full pass over every index each time; PostgreSQL's
    ANALYZE samples on its own.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA analysis_limit = 1000"))
    session.execute(text("ANALYZE"))


def _load_registry(session: Session, profile: Profile) -> Registry:
    """Copy the profile's registry into the database, once, in one transaction; return it as stored.

    The returned registry is what `_read_registry` would read back, without
    reading back every row just written (0.4 s of the 0.9 s a ve2024
    workspace took to create on SQLite).
    """
    registry = profile.load_registry()
    areas = _parents_first(registry.areas.values())
    add_to_registry(session, areas, list(registry.mesas.values()))
    facts = {
        "profile": profile.name,
        "created_at": datetime.now(UTC).isoformat(),
        "mesas_national": str(registry.mesas_national or ""),
        "centers_national": str(registry.centers_national or ""),
        "registered_national": str(registry.registered_national or ""),
    }
    session.add_all(Meta(key=k, value=v) for k, v in facts.items())
    return Registry(
        areas={a.id: a for a in areas},
        mesas=dict(registry.mesas),
        mesas_national=registry.mesas_national or None,
        centers_national=registry.centers_national or None,
        registered_national=registry.registered_national or None,
    )


def add_to_registry(session: Session, areas: list[Area], mesas: list[Mesa]) -> None:
    """Insert new areas (any order: parents go first) and mesas, in the caller's transaction.

    Used once at creation for a shipped registry, and by `testigo import` for
    a profile whose registry comes from the imported table (`generic`).
    """
    ordered = _parents_first(areas)
    # the Core connection's executemany, not the ORM's bulk insert: creating a ve2024 workspace
    # took 0.58 s on SQLite and 2.0 s on PostgreSQL through the ORM, 0.31 s and 1.15 s this way
    connection = session.connection()
    if ordered:
        connection.execute(
            insert(AreaRow),
            [
                {"id": a.id, "level": a.level, "name": a.name, "parent_id": a.parent_id, "registered": a.registered}
                for a in ordered
            ],
        )
    if mesas:
        connection.execute(
            insert(MesaRow),
            [{"id": m.id, "center_id": m.center_id, "number": m.number, "registered": m.registered} for m in mesas],
        )


def _parents_first(areas: Iterable[Area]) -> list[Area]:
    """Areas ordered by level, largest first (a stable sort: the order within a level is kept)."""
    levels = ("state", "municipality", "parish", "center")
    return sorted(areas, key=lambda a: levels.index(a.level))


def set_fact(session: Session, key: str, value: str) -> None:
    """Store one workspace fact (`meta` row), replacing its earlier value."""
    session.merge(Meta(key=key, value=value))


def _read_registry(session: Session) -> Registry:
    registry = Registry()
    # plain tuples through the Core connection, not the ORM session: reading the 38,805 rows of ve2024's
    # registry took 0.26–0.33 s through the session, 0.16 s this way (every command opens a workspace)
    connection = session.connection()
    areas = select(AreaRow.id, AreaRow.level, AreaRow.name, AreaRow.parent_id, AreaRow.registered)
    registry.areas = {row[0]: Area(*row) for row in connection.execute(areas)}
    mesas = select(MesaRow.id, MesaRow.center_id, MesaRow.number, MesaRow.registered)
    registry.mesas = {row[0]: Mesa(*row) for row in connection.execute(mesas)}
    meta = {m.key: m.value for m in session.execute(select(Meta)).scalars()}
    registry.mesas_national = int(meta["mesas_national"]) if meta.get("mesas_national") else None
    registry.centers_national = int(meta["centers_national"]) if meta.get("centers_national") else None
    registry.registered_national = int(meta["registered_national"]) if meta.get("registered_national") else None
    return registry
