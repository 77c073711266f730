"""Published bundles: writing one (`publish`), checking one (`verify`), and reading one's results once verified.

`read_bundle` is how an analyst uses someone else's results: it verifies the
bundle (locally, or a copy downloaded from its web address: `download`) from
its own files, exactly as ``testigo verify`` does, and only then hands out its
data files as Arrow tables; a bundle that does not verify raises `NotVerified`.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from testigo.api.arrow import tally_table
from testigo.api.download import download, is_url, local_folder
from testigo.api.workspace import WorkspaceLike, using
from testigo.errors import UserError
from testigo.publish import PublishReport
from testigo.publish import publish as publish_bundle
from testigo.publish.layout import MANIFEST, MESAS_JSON, MESAS_PARQUET, TOTALS_JSON
from testigo.publish.model import AREA_LEVELS
from testigo.tally import Coverage
from testigo.verify import VerifyReport, verify_bundle
from testigo.verify.bundle import read_json


class NotVerified(UserError):
    """A published bundle did not pass verification; `report` (a `VerifyReport`) says every check and problem."""

    __module__ = "testigo"  # shown as testigo.NotVerified in tracebacks: the name users catch

    def __init__(self, source: str, report: VerifyReport) -> None:
        self.report = report
        failed = ", ".join(c.check for c in report.checks if not c.ok) or "none"
        first = report.problems[0] if report.problems else "no problem line"
        super().__init__(
            f"the bundle {source} did not verify: {len(report.problems)} problem(s), failed checks: {failed}; "
            f"the first: {first}"
        )


def publish(workspace: WorkspaceLike, out: str | os.PathLike[str]) -> PublishReport:
    """Write (or update in place) the static, self-verifying bundle of `workspace` in folder `out`, as
    ``testigo publish --out OUT``: result pages, open data, acta images and the signed log.

        >>> report = testigo.publish("./eleccion", "./publicado")
        >>> report.mesas, report.tree_size
        (300, 300)
    """
    with using(workspace) as store:
        return publish_bundle(store, Path(out))


def verify(
    bundle: str | os.PathLike[str],
    key: str | None = None,
    *,
    checkpoint: str | os.PathLike[str] | None = None,
    witnesses: Sequence[str] = (),
    min_witnesses: int | None = None,
    workers: int | None = None,
    sample: int | None = None,
    bu_keys: str | os.PathLike[str] | None = None,
) -> VerifyReport:
    """Recompute everything in a bundle from its images and signed log, as ``testigo verify``.

    `bundle` is a folder, a ``file://`` URL, or an http(s) URL (copied to a
    temporary folder first, see `testigo.api.download`). `key` is the log's
    verifier key (text, or a file holding it) obtained independently; without
    it the bundle's own log/key.pub is used, which proves only that the bundle
    is self-consistent. `checkpoint` is a signed checkpoint kept from before
    (a file, or the note's text) that the log must extend. `witnesses` are
    witness verifier keys (texts or files), `min_witnesses` of which (default 1
    when any is given) must have cosigned the bundle's checkpoint. `sample`
    decodes only that many images, drawn at random (``--sample``; the report's
    `not_decoded` counts the others). `bu_keys` is a folder of TSE keys trusted
    beside the shipped ones (``--bu-keys``). The report's `ok` says whether every
    check held; nothing is raised for a bundle that fails.

        >>> with testigo.open("./eleccion") as ws:
        ...     key = ws.key  # in real use, obtained from the publisher by another channel
        >>> report = testigo.verify("./bundle", key=key)
        >>> report.ok, [check.check for check in report.checks][:4]
        (True, ['key', 'checkpoint', 'merkle root', 'checkpoints'])
    """
    old = _checkpoint_text(checkpoint)
    check = partial(
        verify_bundle,
        key=key,
        old_checkpoint=old,
        witnesses=witnesses,
        min_witnesses=min_witnesses,
        workers=workers,
        sample=sample,
        bu_keys=Path(bu_keys) if bu_keys is not None else None,
    )
    if not is_url(bundle):
        return check(local_folder(bundle))
    with tempfile.TemporaryDirectory(prefix="testigo-bundle-") as folder:
        return check(download(str(bundle), Path(folder)))


def read_bundle(
    source: str | os.PathLike[str],
    key: str | None = None,
    *,
    verify: bool = True,
    checkpoint: str | os.PathLike[str] | None = None,
    workers: int | None = None,
    into: str | os.PathLike[str] | None = None,
) -> PublishedResults:
    """A published bundle's results, after verifying the bundle; `NotVerified` if it does not verify.

    `source` is a folder, a ``file://`` URL or an http(s) URL. An http(s)
    bundle is first copied into `into` (a new or empty folder), by default a
    temporary folder removed by `PublishedResults.close` (or when the object
    is garbage-collected); a local one is read where it is. `key`, `checkpoint` and `workers` are `verify`'s:
    pass the log's key obtained independently, or the verification proves only
    that the bundle is self-consistent (`PublishedResults.report` says which).

    ``verify=False`` skips verification: UNSAFE, the figures are then only
    what the files say, which anyone could have edited. `report` is then None.

        >>> with testigo.open("./eleccion") as ws:
        ...     key = ws.key  # in real use, obtained from the publisher by another channel
        >>> published = testigo.read_bundle("./bundle", key=key)
        >>> published.verified, published.coverage.mesas_covered
        (True, 300)
        >>> published.results().select(["valid_votes", "share_gonzalez", "share_maduro"]).to_pylist()
        [{'valid_votes': 129651, 'share_gonzalez': 0.667399, 'share_maduro': 0.307742}]
    """
    temporary: tempfile.TemporaryDirectory[str] | None = None
    if is_url(source):
        if into is None:
            temporary = tempfile.TemporaryDirectory(prefix="testigo-bundle-")
            folder = Path(temporary.name)
        else:
            folder = _empty_folder(Path(into))
        try:
            download(str(source), folder)
        except BaseException:
            if temporary is not None:
                temporary.cleanup()
            raise
    else:
        if into is not None:
            raise UserError(f"into= is where a URL's bundle is copied; {source} is read where it is")
        folder = local_folder(source)
    report = None
    if verify:
        report = verify_bundle(folder, key=key, old_checkpoint=_checkpoint_text(checkpoint), workers=workers)
        if not report.ok:
            if temporary is not None:
                temporary.cleanup()
            raise NotVerified(str(source), report)
    return PublishedResults(folder, str(source), report, temporary)


class PublishedResults:
    """A published bundle read back: its results as Arrow tables, and the `VerifyReport` that vouches for them.

    Made by `read_bundle`. The tables come from the bundle's data files,
    which verification recomputed from the signed log: `results` from
    data/totals.json (the same columns as `testigo.results`), `mesas` from
    data/mesas.parquet. A context manager: `close` removes a downloaded copy.
    """

    def __init__(
        self,
        path: Path,
        source: str,
        report: VerifyReport | None,
        temporary: tempfile.TemporaryDirectory[str] | None = None,
    ) -> None:
        self.path = path
        """The bundle's folder: the one given, or the downloaded copy."""
        self.source = source
        """What was read: the folder or URL as given."""
        self.report = report
        """The verification's report; None when read with ``verify=False``."""
        self._temporary = temporary
        self._totals: dict[str, Any] | None = None
        self._candidates: dict[str, str] | None = None

    def __repr__(self) -> str:
        state = "not verified" if self.report is None else ("verified" if self.report.ok else "FAILED")
        return f"<testigo.PublishedResults {self.source!r} {state}>"

    def __enter__(self) -> PublishedResults:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Remove the downloaded copy, if this object made one in a temporary folder."""
        if self._temporary is not None:
            self._temporary.cleanup()
            self._temporary = None

    @property
    def verified(self) -> bool:
        """Whether every check of the verification held (False when read with ``verify=False``)."""
        return self.report is not None and self.report.ok

    @property
    def manifest(self) -> dict[str, Any]:
        """bundle.json: format, testigo version, profile, log origin, tree size and root hash."""
        found: dict[str, Any] = read_json(self.path, MANIFEST)
        return found

    @property
    def candidates(self) -> dict[str, str]:
        """Candidate key -> name, in ballot order (the order of the candidate columns)."""
        if self._candidates is None:
            document = read_json(self.path, MESAS_JSON)
            self._candidates = {c["key"]: c["name"] for c in document["candidates"]}
        return self._candidates

    @property
    def coverage(self) -> Coverage:
        """How much of the registry the published actas cover."""
        data = self._level("country")["coverage"]
        names = ("mesas_covered", "mesas_registry", "mesas_national", "registered_covered", "registered_total")
        return Coverage(**{name: data[name] for name in names})

    def results(self, level: str = "country") -> pa.Table:
        """Votes and shares at `level` (country, state, municipality, parish or center), one row per area with
        actas: the same columns as `testigo.results` (per-mesa figures are in `mesas`)."""
        totals = self._level(level)
        return tally_table(level, totals["rows"], self.candidates, totals["coverage"])

    def mesas(self) -> pa.Table:
        """data/mesas.parquet: one row per mesa with an accepted acta (see docs/bundle-format.md): area ids,
        registered voters, log entry, images, tables, evidence, votes per candidate and per card."""
        table = pq.read_table(self.path / MESAS_PARQUET)
        metadata = {
            **(table.schema.metadata or {}),
            b"testigo.candidates": json.dumps(self.candidates, ensure_ascii=False).encode(),
        }
        return table.replace_schema_metadata(metadata)

    def _level(self, level: str) -> dict[str, Any]:
        if level not in AREA_LEVELS:
            hint = "; per-mesa figures are in .mesas()" if level == "mesa" else ""
            raise UserError(f"unknown level {level!r}; one of {', '.join(AREA_LEVELS)}{hint}")
        if self._totals is None:
            self._totals = read_json(self.path, TOTALS_JSON)
        found: dict[str, Any] = self._totals[level]
        return found


def _checkpoint_text(checkpoint: str | os.PathLike[str] | None) -> str | None:
    """A signed checkpoint's text: a path is read, a text of several lines is the note itself."""
    if checkpoint is None:
        return None
    if isinstance(checkpoint, str) and "\n" in checkpoint:
        return checkpoint
    try:
        return Path(checkpoint).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"cannot read the checkpoint {checkpoint}: {error}") from None


def _empty_folder(folder: Path) -> Path:
    """`folder`, created if missing; `UserError` unless it is new or empty (a copy never mixes with other files)."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise UserError(f"{folder} is not a new or empty folder; choose one to copy the bundle into")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
