"""Every setting of testigo, declared once: its default, its help, where it can be set.

A setting is a field of one of three dataclasses, by where it lives:

* `Settings`: the workspace's own, in ``testigo.json`` (written by ``testigo init``);
* `WebSettings`: the web application's limits, in the ``"web"`` object of ``testigo.json``;
* `Environment`: the running process's, never stored (which workspace, which cluster).

Each field carries an `Option` (help text, environment variable, command-line
flag), and `resolve` applies one precedence everywhere: a flag given on the
command line, else the environment variable, else the file, else the default.
The README's settings table is `settings_table()`; a test keeps them equal.
"""

from __future__ import annotations

import dataclasses
import json
import os
import types
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

from testigo.errors import UserError

DEFAULT_WORKSPACE = "testigo-data"
DEFAULT_PROFILE = "ve2024"
SETTINGS_FILE = "testigo.json"
#: The object of ``testigo.json`` that holds the web application's settings.
WEB_SECTION = "web"


@dataclass(frozen=True)
class Option:
    """How a person sets one setting: its help, its environment variable, its command-line flag."""

    help: str
    env: str | None = None
    flag: str | None = None


def setting(default: Any, help: str, *, env: str | None = None, flag: str | None = None) -> Any:
    """A dataclass field that is a setting: its default and how it is set."""
    return field(default=default, metadata={"option": Option(help, env, flag)})


@dataclass(frozen=True)
class Settings:
    """The persisted settings of a workspace (``testigo.json``)."""

    profile: str = setting(
        DEFAULT_PROFILE, "Tally-sheet format of the election; chosen once, at init.", flag="--profile"
    )
    database_url: str = setting(
        "",
        "SQLAlchemy URL of the database; empty: the workspace's own SQLite file (testigo.sqlite).",
        env="TESTIGO_DATABASE_URL",
        flag="--database",
    )
    log_origin: str = setting(
        "", "Name of the workspace's tamper-evident log (and signing key) in its checkpoints; set once, at init."
    )
    blobs_url: str = setting(
        "",
        "Where original files are kept: empty for the workspace's blobs/ folder, a shared folder, or "
        "s3://bucket/prefix.",
        env="TESTIGO_BLOBS_URL",
        flag="--blobs",
    )
    published_time_seconds: int = setting(
        3600,
        "Published times (log entries, public pages) are rounded down to this many seconds, so that a network "
        "observer cannot match an upload to a person by its time; the exact time stays in the database. 0 "
        "publishes exact times (not advised).",
    )


@dataclass(frozen=True)
class WebSettings:
    """Limits and timings of the web application; every default is a deliberate choice explained in its help."""

    max_upload_bytes: int = setting(
        20 * 1000 * 1000,
        "Largest upload, in bytes (20 MB). A phone photo is 2-8 MB; 20 MB leaves room for a scanned PDF without "
        "letting one request fill a disk.",
        env="TESTIGO_WEB_MAX_UPLOAD_BYTES",
    )
    max_upload_pixels: int = setting(
        50_000_000,
        "Largest upload, in pixels. 50 megapixels covers every phone's default mode; bigger means a bomb or a "
        "poster, refused before storing.",
        env="TESTIGO_WEB_MAX_UPLOAD_PIXELS",
    )
    account_uploads_per_hour: int = setting(
        600,
        "Uploads per hour of one account (a witness sends a handful; an admin raises a coordinator's limit).",
        env="TESTIGO_WEB_ACCOUNT_UPLOADS_PER_HOUR",
    )
    ip_uploads_per_minute: int = setting(
        240,
        "Uploads per minute from one IP address (a whole center behind one mobile carrier's NAT stays under it).",
        env="TESTIGO_WEB_IP_UPLOADS_PER_MINUTE",
    )
    login_attempts_per_minute: int = setting(
        10,
        "Login and invitation attempts per minute from one IP address and against one account name.",
        env="TESTIGO_WEB_LOGIN_ATTEMPTS_PER_MINUTE",
    )
    actions_per_minute: int = setting(
        120,
        "Other state-changing requests (review decisions, admin actions) per minute and account.",
        env="TESTIGO_WEB_ACTIONS_PER_MINUTE",
    )
    decode_workers: int | None = setting(
        None,
        "Processes reading uploads, at low priority (nice 10); 0 reads them in a thread of the server. Unset: "
        "one per core: they take only what answering requests and committing arrivals leave (on two cores "
        "54-57 uploads/s, against 44-52 with one decoder).",
        env="TESTIGO_WEB_DECODE_WORKERS",
        flag="--decode-workers",
    )
    settle_wait_seconds: float = setting(
        8.0,
        "How long an upload request waits for its reading before answering 'pending' (the phone then polls).",
        env="TESTIGO_WEB_SETTLE_WAIT_SECONDS",
    )
    results_refresh_seconds: float = setting(
        5.0,
        "How often, at most, the public tallies are recomputed while uploads arrive.",
        env="TESTIGO_WEB_RESULTS_REFRESH_SECONDS",
    )
    public_max_age: int = setting(
        10,
        "Seconds a browser, CDN or reverse proxy may serve a public page or API answer without asking again.",
        env="TESTIGO_WEB_PUBLIC_MAX_AGE",
    )
    checkpoint_seconds: float = setting(
        10.0, "Seconds between signed checkpoints of the log while it grows.", env="TESTIGO_WEB_CHECKPOINT_SECONDS"
    )
    secure_cookies: bool | None = setting(
        None,
        "Cookies marked Secure: unset follows the request (https: Secure), so a plain-http LAN test still works.",
        env="TESTIGO_WEB_SECURE_COOKIES",
    )
    body_idle_seconds: float = setting(
        30.0,
        "Seconds a request body may stall (no byte received) before the request is cut off with 408, so a slow "
        "client cannot hold a connection open indefinitely; a phone on a bad network still sends a few KB/s.",
        env="TESTIGO_WEB_BODY_IDLE_SECONDS",
    )
    session_days: int = setting(14, "Days a login session lasts.", env="TESTIGO_WEB_SESSION_DAYS")
    invitation_days: int = setting(
        7, "Days an invitation made from the web stays usable.", env="TESTIGO_WEB_INVITATION_DAYS"
    )

    @property
    def decoders(self) -> int:
        """How many decoding processes to start: `decode_workers`, else one per core."""
        return self.decode_workers if self.decode_workers is not None else max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Environment:
    """Settings of the running process, never stored in a workspace."""

    workspace: str = setting(
        DEFAULT_WORKSPACE, "The workspace folder every command works on.", env="TESTIGO_WORKSPACE", flag="--workspace"
    )
    scheduler: str | None = setting(
        None,
        "Dask scheduler (tcp://HOST:PORT) whose workers decode for `testigo ingest`.",
        env="TESTIGO_SCHEDULER",
        flag="--scheduler",
    )
    s3_endpoint_url: str | None = setting(
        None,
        "Endpoint of an S3-compatible blob store other than AWS (MinIO, Garage...); the URL's own ?endpoint= wins.",
        env="TESTIGO_S3_ENDPOINT_URL",
    )
    debug: bool = setting(
        False, "Show the traceback of an internal error instead of its one-line summary.", env="TESTIGO_DEBUG"
    )


#: Every group of settings, in the order the README lists them, with where its file values live.
GROUPS: dict[str, type[Any]] = {"testigo.json": Settings, f"testigo.json {WEB_SECTION!r}": WebSettings, "": Environment}

T = TypeVar("T")


def option(cls: type[Any], name: str) -> Option:
    """The `Option` of one setting."""
    found: Option = next(f for f in dataclasses.fields(cls) if f.name == name).metadata["option"]
    return found


def resolve(cls: type[T], file: Mapping[str, Any] | None = None, flags: Mapping[str, Any] | None = None) -> T:
    """The settings of `cls`: a flag that is given, else its environment variable, else the file, else the default.

    A flag is given when `flags` holds its field name with a value other than
    None. A value that does not fit the setting's type is a `UserError`
    naming where it came from.
    """
    file, flags = file or {}, flags or {}
    hints = get_type_hints(cls)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        opt: Option = f.metadata["option"]
        if flags.get(f.name) is not None:
            values[f.name] = flags[f.name]
        elif opt.env and os.environ.get(opt.env, "") != "":
            values[f.name] = _parse(hints[f.name], os.environ[opt.env], f"environment variable {opt.env}")
        elif f.name in file:
            values[f.name] = _check(hints[f.name], file[f.name], f"{SETTINGS_FILE} key {f.name!r}")
    return cls(**values)


def _parse(kind: Any, text: str, where: str) -> Any:
    """An environment variable's text as a value of the setting's type."""
    base = _base(kind)
    try:
        if base is bool:
            lowered = text.strip().lower()
            if lowered not in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
                raise ValueError(text)
            return lowered in {"1", "true", "yes", "on"}
        return base(text)
    except ValueError:
        raise UserError(f"{where} is {text!r}, not {_KINDS[base]}") from None


def _check(kind: Any, value: Any, where: str) -> Any:
    """A file's value, if it has the setting's type (an int is a fine float)."""
    base = _base(kind)
    if value is None and _optional(kind):
        return None
    if base is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, base) and (base is bool or not isinstance(value, bool)):
        return value
    raise UserError(f"{where} is {value!r}, not {_KINDS[base]}")


#: How a one-line reason names each type a setting can have.
_KINDS = {int: "a whole number", float: "a number", bool: "true or false", str: "text"}


def _base(kind: Any) -> type[Any]:
    args = [a for a in get_args(kind) if a is not type(None)] if _optional(kind) else [kind]
    found: type[Any] = args[0]
    return found


def _optional(kind: Any) -> bool:
    return get_origin(kind) in (Union, types.UnionType) and type(None) in get_args(kind)


def settings_table() -> str:
    """The README's table of every setting (Markdown), generated from the declarations above."""
    lines = ["| setting | environment | flag | default | what it is |", "| --- | --- | --- | --- | --- |"]
    for where, cls in GROUPS.items():
        for f in dataclasses.fields(cls):
            opt: Option = f.metadata["option"]
            key = f"`{f.name}` ({where})" if where else f"`{f.name}`"
            default = "" if f.default in (None, "") else f"`{f.default}`"
            env, flag = f"`{opt.env}`" if opt.env else "", f"`{opt.flag}`" if opt.flag else ""
            lines.append(f"| {key} | {env} | {flag} | {default} | {opt.help} |")
    return "\n".join(lines) + "\n"


def list_lines(path: Path) -> Iterator[tuple[int, str]]:
    """The numbered lines of a workspace list (witnesses.txt, mirrors.txt) that say something.

    Blank lines and ``#`` comments are skipped, as people who edit the file by
    hand expect; nothing when the file does not exist.
    """
    if not path.exists():
        return
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            yield number, line


def write_list(path: Path, lines: Iterable[str]) -> None:
    """Replace a workspace list whole: written beside it, then renamed, so it is never left half-written."""
    tmp = path.with_name(path.name + ".tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp.write_text("".join(lines), encoding="utf-8")
    os.replace(tmp, path)


@dataclass(frozen=True)
class Workspace:
    """Paths of one workspace; creating the object touches nothing on disk."""

    root: Path

    @classmethod
    def locate(cls, path: str | Path | None = None) -> Workspace:
        chosen = resolve(Environment, flags={"workspace": str(path) if path else None}).workspace
        return cls(Path(chosen).expanduser().resolve())

    @classmethod
    def locate_existing(cls, path: str | Path | None = None) -> Workspace:
        """`locate`, refusing in one line a workspace not created yet (commands that add to one)."""
        found = cls.locate(path)
        if not found.exists():
            raise UserError(f"no workspace at {found.root}: create it first with `testigo init`")
        return found

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
    def trusted_keys_dir(self) -> Path:
        """Public keys the user added to verify signed sheets (`testigo keys`), apart from the log's own key."""
        return self.root / "trusted-keys"

    @property
    def witnesses_path(self) -> Path:
        """The witnesses `publish` asks to cosign checkpoints: ``<url> <verifier key>`` a line (`testigo witness`)."""
        return self.root / "witnesses.txt"

    @property
    def mirrors_path(self) -> Path:
        """Where else readers find the bundle, signed into it by `publish`: ``<kind> <address>[ <note>]`` a line."""
        return self.root / "mirrors.txt"

    @property
    def sqlite_path(self) -> Path:
        return self.root / "testigo.sqlite"

    def exists(self) -> bool:
        """Whether a workspace was created here; a file in its place is a usage error, not a new workspace."""
        if self.root.exists() and not self.root.is_dir():
            raise UserError(f"workspace {self.root} is a file, not a folder")
        return self.settings_path.is_file()

    def read_file(self) -> dict[str, Any]:
        """The settings file as written, or a one-line reason: a hand-edited or half-copied file is a user's matter."""
        try:
            data = json.loads(self.settings_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise UserError(f"cannot read the workspace settings {self.settings_path}: {error}") from error
        if not isinstance(data, dict) or not isinstance(data.get(WEB_SECTION, {}), dict):
            raise UserError(f"the workspace settings {self.settings_path} are not an object (with a 'web' object)")
        return data

    def load_settings(self) -> Settings:
        """The workspace's settings as stored (the environment is applied by `database_url` and `blobs_url`)."""
        data = self.read_file()
        hints = get_type_hints(Settings)
        names = [f.name for f in dataclasses.fields(Settings) if f.name in data]
        return Settings(**{name: _check(hints[name], data[name], f"{SETTINGS_FILE} key {name!r}") for name in names})

    def web_settings(self, flags: Mapping[str, Any] | None = None) -> WebSettings:
        """The web application's settings: flags, then environment, then the file's ``web`` object, then defaults."""
        file = self.read_file().get(WEB_SECTION, {}) if self.exists() else {}
        return resolve(WebSettings, file, flags)

    def save_settings(self, settings: Settings) -> None:
        """Write the workspace's settings, keeping any ``web`` object a person added to the file."""
        self.root.mkdir(parents=True, exist_ok=True)
        data: dict[str, Any] = asdict(settings)
        if self.exists() and WEB_SECTION in (current := self.read_file()):
            data[WEB_SECTION] = current[WEB_SECTION]
        tmp = self.settings_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, self.settings_path)

    def database_url(self, settings: Settings) -> str:
        """The URL to connect to: the environment wins, then the settings, then SQLite."""
        chosen = resolve(Settings, asdict(settings)).database_url
        return chosen or f"sqlite:///{self.sqlite_path}"

    def blobs_url(self, settings: Settings) -> str:
        """Where the original files are: the environment wins, then the settings, then ``blobs/``."""
        return resolve(Settings, asdict(settings)).blobs_url or str(self.blobs_dir)
