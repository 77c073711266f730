"""Opening a workspace: settings, database (migrated), blob store and registry."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session, sessionmaker

from testigo.config import DEFAULT_PROFILE, Settings, Workspace
from testigo.domain import Area, Mesa, Registry
from testigo.errors import UserError
from testigo.ledger import Signer
from testigo.profiles import Profile, get_profile
from testigo.store.blobs import BlobStore
from testigo.store.db import make_engine, session_factory, upgrade
from testigo.store.keys import load_or_create_signer, new_origin
from testigo.store.schema import AreaRow, MesaRow, Meta


@dataclass
class Store:
    """Everything a command needs to read or write a workspace."""

    workspace: Workspace
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    blobs: BlobStore
    signer: Signer
    _registry: Registry | None = field(default=None, repr=False)

    @property
    def profile(self) -> Profile:
        return get_profile(self.settings.profile)

    @property
    def registry(self) -> Registry:
        """The registry as stored in the database (loaded once per Store)."""
        if self._registry is None:
            with self.sessions() as session:
                self._registry = _read_registry(session)
        return self._registry

    def close(self) -> None:
        self.engine.dispose()


def init_workspace(path: str | None, profile: str = DEFAULT_PROFILE, database_url: str = "") -> Store:
    """Create (or re-open, if it already has the same profile) a workspace."""
    workspace = Workspace.locate(path)
    if workspace.exists():
        settings = workspace.load_settings()
        if settings.profile != profile:
            raise UserError(f"workspace {workspace.root} already uses profile {settings.profile!r}, not {profile!r}")
    else:
        get_profile(profile)  # fail before writing anything if the profile is unknown
        settings = Settings(profile=profile, database_url=database_url, log_origin=new_origin(profile))
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
    store = Store(workspace, settings, engine, session_factory(engine), BlobStore(workspace.blobs_dir), signer)
    with store.sessions.begin() as session:
        if session.get(Meta, "profile") is None:
            _load_registry(session, store.profile)
    return store


def _load_registry(session: Session, profile: Profile) -> None:
    """Copy the profile's registry into the database, once, in one transaction."""
    registry = profile.load_registry()
    levels = ("state", "municipality", "parish", "center")
    areas = sorted(registry.areas.values(), key=lambda a: levels.index(a.level))
    area_rows = [
        {"id": a.id, "level": a.level, "name": a.name, "parent_id": a.parent_id, "registered": a.registered}
        for a in areas
    ]
    session.execute(insert(AreaRow), area_rows)
    mesa_rows = [
        {"id": m.id, "center_id": m.center_id, "number": m.number, "registered": m.registered}
        for m in registry.mesas.values()
    ]
    session.execute(insert(MesaRow), mesa_rows)
    facts = {
        "profile": profile.name,
        "created_at": datetime.now(UTC).isoformat(),
        "mesas_national": str(registry.mesas_national or ""),
        "centers_national": str(registry.centers_national or ""),
    }
    session.add_all(Meta(key=k, value=v) for k, v in facts.items())


def _read_registry(session: Session) -> Registry:
    registry = Registry()
    # plain tuples, not ORM objects: several times faster on large registries
    areas = select(AreaRow.id, AreaRow.level, AreaRow.name, AreaRow.parent_id, AreaRow.registered)
    registry.areas = {row[0]: Area(*row) for row in session.execute(areas)}
    mesas = select(MesaRow.id, MesaRow.center_id, MesaRow.number, MesaRow.registered)
    registry.mesas = {row[0]: Mesa(*row) for row in session.execute(mesas)}
    meta = {m.key: m.value for m in session.execute(select(Meta)).scalars()}
    registry.mesas_national = int(meta["mesas_national"]) if meta.get("mesas_national") else None
    registry.centers_national = int(meta["centers_national"]) if meta.get("centers_national") else None
    return registry
