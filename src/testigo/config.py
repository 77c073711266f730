"""Where a workspace lives and what it is configured with.

A workspace is one directory holding everything: the database (SQLite by
default), the blob store of original files and the settings file. Commands find
it from ``--workspace``, else ``TESTIGO_WORKSPACE``, else ``./testigo-data``.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from testigo.errors import UserError

DEFAULT_WORKSPACE = "testigo-data"
DEFAULT_PROFILE = "ve2024"
SETTINGS_FILE = "testigo.json"


@dataclass(frozen=True)
class Settings:
    """The persisted settings of a workspace (``testigo.json``).

    `database_url` empty means the workspace's own SQLite file; `blobs_url`
    empty means the workspace's own ``blobs/`` folder (else a shared folder path
    or ``s3://bucket/prefix``, see `testigo.store.blobs`). `log_origin`
    names the workspace's tamper-evident log (and its signing key) in
    checkpoints; it is set once, at creation.
    """

    profile: str = DEFAULT_PROFILE
    database_url: str = ""
    log_origin: str = ""
    blobs_url: str = ""


@dataclass(frozen=True)
class Workspace:
    """Paths of one workspace; creating the object touches nothing on disk."""

    root: Path

    @classmethod
    def locate(cls, path: str | Path | None = None) -> Workspace:
        chosen = path or os.environ.get("TESTIGO_WORKSPACE") or DEFAULT_WORKSPACE
        return cls(Path(chosen).expanduser().resolve())

    @property
    def settings_path(self) -> Path:
        return self.root / SETTINGS_FILE

    @property
    def blobs_dir(self) -> Path:
        return self.root / "blobs"

    @property
    def signer_key_path(self) -> Path:
        """The log's private signing key (C2SP note signer text); never published."""
        return self.root / "keys" / "log-signer.key"

    @property
    def sqlite_path(self) -> Path:
        return self.root / "testigo.sqlite"

    def exists(self) -> bool:
        """Whether a workspace was created here; a file in its place is a usage error, not a new workspace."""
        if self.root.exists() and not self.root.is_dir():
            raise UserError(f"workspace {self.root} is a file, not a folder")
        return self.settings_path.is_file()

    def load_settings(self) -> Settings:
        """The settings file, or a one-line reason: a hand-edited or half-copied file is a user's matter."""
        try:
            data = json.loads(self.settings_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise UserError(f"cannot read the workspace settings {self.settings_path}: {error}") from error
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise UserError(f"the workspace settings {self.settings_path} are not an object of text values")
        return Settings(**{k: v for k, v in data.items() if k in Settings.__dataclass_fields__})

    def save_settings(self, settings: Settings) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.settings_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(settings), indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, self.settings_path)

    def database_url(self, settings: Settings) -> str:
        """The URL to connect to: the environment wins, then the settings, then SQLite."""
        return os.environ.get("TESTIGO_DATABASE_URL") or settings.database_url or f"sqlite:///{self.sqlite_path}"

    def blobs_url(self, settings: Settings) -> str:
        """Where the original files are: the environment wins, then the settings, then ``blobs/``."""
        return os.environ.get("TESTIGO_BLOBS_URL") or settings.blobs_url or str(self.blobs_dir)
