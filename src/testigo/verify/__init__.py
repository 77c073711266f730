"""`testigo verify`: check a published bundle from its own files, trusting none of them.

The bundle's format and every check, with what each proves and what it cannot,
are specified in ``docs/bundle-format.md``. The work is split by what is
checked: `bundle` reads the files, `log` checks the signed log, `mirrors` the
signed list of mirrors, `content` the images, their decoding and every derived
file, with `tables`, `previews` and `rules` for imported tables, previews and
the registry rules. `verify_bundle`
runs them in that order and returns a `VerifyReport`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from testigo.progress import Progress
from testigo.publish.archive import ArchiveError, unpack_bundle
from testigo.verify.bundle import Bundle, BundleError, read_bundle
from testigo.verify.content import Decoding, audit
from testigo.verify.filelist import check_file_list
from testigo.verify.log import CheckedLog, WitnessPolicy, check_log, witness_keys
from testigo.verify.mirrors import check_mirror_list
from testigo.verify.report import CheckResult, VerifyReport

__all__ = ["Bundle", "BundleError", "CheckResult", "CheckedLog", "VerifyReport", "read_bundle", "verify_bundle"]


def verify_bundle(
    root: Path,
    *,
    key: str | None = None,
    old_checkpoint: str | None = None,
    witnesses: Sequence[str] = (),
    min_witnesses: int | None = None,
    workers: int | None = None,
    sample: int | None = None,
    decoded_before: int = 0,
    bu_keys: Path | None = None,
    progress: Progress | None = None,
) -> VerifyReport:
    """Verify the bundle in folder `root`, or in the archive file `root` (`testigo publish --archive`).

    An archive (or its first part, or its parts manifest) is unpacked into a
    temporary folder by `testigo.publish.archive.unpack_bundle`, which refuses
    damaged parts and unsafe members; that is the report's first check.

    `key` is the log's verifier key text (or a file holding it) obtained
    independently; without it the bundle's own log/key.pub is used, which
    proves self-consistency only. `old_checkpoint` is the text of a signed
    checkpoint seen earlier, which the log must extend. `witnesses` are
    witness verifier keys (texts or files); `min_witnesses` of them (default
    1 when any is given) must have cosigned the latest checkpoint. A bad
    witness key or an impossible count raises `UserError`. `sample` decodes
    again only that many of the images whose entries log a reading, drawn at
    random by this run (`testigo.verify.content`); every image is still
    hashed and everything else checked in full. `decoded_before`, with
    `old_checkpoint`, is that checkpoint's size when a copy of the bundle at
    that checkpoint was verified here before, images decoded (a mirror
    updating its copy): images only its entries name are hashed, not decoded
    again (`Decoding.held`). `bu_keys` is a folder of TSE keys trusted beside
    the shipped ones, for a bundle of Brazil's boletins (`Decoding.bu_keys`).
    `progress` follows `testigo.progress.Progress`.
    """
    required = witness_keys(witnesses, min_witnesses)
    decoding = Decoding(workers, sample, decoded_before if old_checkpoint is not None else 0, bu_keys)
    if root.is_file():
        with tempfile.TemporaryDirectory(prefix="testigo-verify-") as workdir:
            report = VerifyReport()
            try:
                folder, detail = unpack_bundle(root, Path(workdir))
            except ArchiveError as error:
                report.add("archive", "the bundle archive, unpacked safely", [str(error)])
                return report
            report.add("archive", detail, [])
            return _verify_folder(report, folder, key, old_checkpoint, required, decoding, progress)
    return _verify_folder(VerifyReport(), root, key, old_checkpoint, required, decoding, progress)


def _verify_folder(
    report: VerifyReport,
    root: Path,
    key: str | None,
    old_checkpoint: str | None,
    required: WitnessPolicy,
    decoding: Decoding,
    progress: Progress | None,
) -> VerifyReport:
    try:
        bundle = read_bundle(root)
    except BundleError as error:
        report.add("bundle", "the files every bundle has", [str(error)])
        return report
    log = check_log(report, bundle, key, old_checkpoint, required)
    if log is None:
        return report
    check_mirror_list(report, bundle, log)
    audit(report, bundle, log, decoding, progress)
    check_file_list(report, bundle)
    return report
