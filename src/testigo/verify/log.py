"""Checking a bundle's signed log: the key, the checkpoints, the entries' Merkle root, older checkpoints.

What passes is handed on as a `CheckedLog`, whose entries the content checks
(`testigo.verify.content`) then trust. Every failure becomes one line naming
the file, entry or number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from testigo.errors import UserError
from testigo.ledger.checkpoint import Checkpoint, verify_checkpoint
from testigo.ledger.cosignature import CosignatureVerifier, cosignature_time
from testigo.ledger.errors import LedgerError, UnknownKeyError
from testigo.ledger.merkle import MerkleLog, verify_consistency
from testigo.ledger.note import Verifier, parse_note, verify_note
from testigo.publish.files import tree_of
from testigo.publish.layout import CHECKPOINT, ENTRIES, KEY, MANIFEST, WITNESSES, checkpoint_path, consistency_path
from testigo.verify.bundle import Bundle
from testigo.verify.report import VerifyReport


@dataclass(frozen=True)
class WitnessPolicy:
    """The witnesses a reader trusts and how many of them must have cosigned the latest checkpoint."""

    witnesses: tuple[CosignatureVerifier, ...]
    required: int


def witness_keys(given: Sequence[str], required: int | None) -> WitnessPolicy:
    """The --witness keys (texts or files) and --min-witnesses, checked; raises `UserError`.

    A key given twice, even under two names, is refused: a cosignature/v1 does
    not sign the witness's name, so one witness's line copied under another
    name would verify for both and be counted twice. Messages number the keys
    rather than quote them, in case a private key was pasted by mistake.
    """
    witnesses: list[CosignatureVerifier] = []
    for number, text in enumerate(given, 1):
        try:
            witness = CosignatureVerifier.parse(key_text(text))
        except LedgerError as error:
            raise UserError(f"--witness key {number}: {error}") from None
        if any(w.public_key == witness.public_key for w in witnesses):
            raise UserError(f"--witness key {number} ({witness.name}) has the public key of another --witness key")
        witnesses.append(witness)
    count = (1 if witnesses else 0) if required is None else required
    if count > len(witnesses):
        raise UserError(f"--min-witnesses {count} asks for more cosignatures than the {len(witnesses)} --witness keys")
    return WitnessPolicy(tuple(witnesses), count)


@dataclass(frozen=True)
class CheckedLog:
    """The log as far as it checked out: the head to trust and a tree of the entries it covers."""

    head: Checkpoint
    tree: MerkleLog
    entries: list[bytes]
    sizes: tuple[int, ...]
    """Sizes of the checkpoints the pages cite: those shipped below the tree's size, and that size."""
    key: Verifier
    """The key the checkpoints were checked with (given with --key, else the bundle's own)."""


def check_log(
    report: VerifyReport,
    bundle: Bundle,
    key: str | None,
    old_checkpoint: str | None,
    witnesses: WitnessPolicy = WitnessPolicy((), 0),
) -> CheckedLog | None:
    """Check the key, the latest checkpoint, the entries' root, every shipped checkpoint, `old_checkpoint`
    and the witnesses' cosignatures of the latest checkpoint.

    Returns the log as far as it checked out, or None when nothing after it can be trusted.
    """
    verifier = _check_key(report, bundle, key)
    if verifier is None:
        return None
    log = _check_log(report, bundle, verifier)
    if log is None:
        return None
    _check_checkpoints(report, bundle, verifier, log)
    if old_checkpoint is not None:
        _check_old(report, bundle, verifier, log, old_checkpoint)
    if witnesses.witnesses:
        _check_witnesses(report, bundle, witnesses)
    if bundle.witnesses:
        _check_named_witnesses(report, bundle)
    return log


def _check_key(report: VerifyReport, bundle: Bundle, given: str | None) -> Verifier | None:
    """The key checkpoints must be signed with: the one given, else the bundle's own."""
    text = bundle.key_text if given is None else key_text(given)
    source = "the key given with --key" if given is not None else f"the bundle's own {KEY}"
    try:
        verifier = Verifier.parse(text)
    except LedgerError as error:
        report.add("key", source, [f"{source}: {error}"])
        return None
    problems = []
    if given is not None and bundle.key_text != str(verifier):
        problems.append(f"{KEY} is not the key given with --key ({verifier.name}+{verifier.key_id:08x})")
    detail = f"checkpoints checked with {source}: {verifier.name}+{verifier.key_id:08x}"
    if given is None:
        detail += " (this proves the bundle is self-consistent, not who signed it: pass --key with the log's key)"
    report.add("key", detail, problems)
    return verifier


def key_text(given: str) -> str:
    """A verifier key given as its text or as a file holding it (a user may pass either to --key)."""
    path = Path(given)
    try:
        return path.read_text(encoding="utf-8").strip() if path.is_file() else given.strip()
    except OSError:
        return given.strip()


def _check_log(report: VerifyReport, bundle: Bundle, verifier: Verifier) -> CheckedLog | None:
    """Signature of log/checkpoint, then the entries and their Merkle root against it."""
    problems = []
    try:
        head = verify_checkpoint(bundle.checkpoint, [verifier], origin=verifier.name)
    except LedgerError as error:
        problems.append(f"{CHECKPOINT}: {error}")
        try:  # read it anyway, to say what else is wrong
            head = Checkpoint.parse(parse_note(bundle.checkpoint).text)
        except LedgerError:
            report.add("checkpoint", CHECKPOINT, problems)
            return None
    for name, value in (("origin", head.origin), ("tree_size", head.size), ("root_hash", head.root_hash.hex())):
        if bundle.manifest.get(name) != value:
            problems.append(f"{MANIFEST}: {name} is {bundle.manifest.get(name)!r}, the checkpoint says {value!r}")
    detail = f"{CHECKPOINT}: log {head.origin}, {head.size} entries, root {head.root_hash.hex()}"
    report.add("checkpoint", detail, problems)

    entries = bundle.entries[: head.size]
    tree = tree_of(entries)
    problems = []
    if len(bundle.entries) != head.size:
        problems.append(f"{ENTRIES} has {len(bundle.entries)} entries; the signed checkpoint covers {head.size}")
    if tree.root() != head.root_hash:
        problems.append(
            f"{ENTRIES}: its {len(entries)} entries hash to root {tree.root().hex()}, but the signed checkpoint "
            f"has root {head.root_hash.hex()}: entries were altered, removed, added or reordered"
        )
    report.add("merkle root", f"{ENTRIES}: RFC 9162 root of {len(entries)} entries recomputed", problems)
    sizes = tuple(sorted({size for size in bundle.checkpoints if size < tree.size} | {tree.size}))
    return CheckedLog(head, tree, entries, sizes, verifier)


def _check_witnesses(report: VerifyReport, bundle: Bundle, policy: WitnessPolicy) -> None:
    """Count the given witnesses with a valid cosignature on log/checkpoint; a forged one is a problem in itself."""
    cosigned, missing, problems = _cosigners(bundle.checkpoint, policy.witnesses)
    if len(cosigned) < policy.required:
        problems.append(
            f"{CHECKPOINT} has {len(cosigned)} valid cosignature{'s' * (len(cosigned) != 1)} from the "
            f"{len(policy.witnesses)} witnesses given, {policy.required} required"
            + (f"; none from {', '.join(missing)}" if missing else "")
        )
    detail = f"{len(cosigned)} of {len(policy.witnesses)} witnesses cosigned ({policy.required} required)"
    if cosigned:
        detail += ": " + ", ".join(cosigned)
    report.add("witnesses", detail, problems)


def _check_named_witnesses(report: VerifyReport, bundle: Bundle) -> None:
    """log/witnesses.pub, which the in-page verifier trusts: well-formed keys, and which of them cosigned.

    The keys are the bundle's own word, as log/key.pub is: a forger would
    replace them with his own, so `--witness` with keys from the witnesses
    is what proves anything; this check keeps the list honest to its format.
    """
    named, problems = [], []
    for number, line in enumerate(bundle.witnesses or [], 1):
        try:
            named.append(CosignatureVerifier.parse(line.strip()))
        except LedgerError as error:
            problems.append(f"{WITNESSES} line {number}: {error}")
    cosigned, _, invalid = _cosigners(bundle.checkpoint, named)
    detail = f"{WITNESSES} names {len(named)} witness{'es' * (len(named) != 1)}; {len(cosigned)} cosigned {CHECKPOINT}"
    detail += (": " + ", ".join(cosigned) if cosigned else "") + " (the bundle's own keys: compare them with --witness)"
    report.add("witness list", detail, problems + invalid)


def _cosigners(checkpoint: str, witnesses: Sequence[CosignatureVerifier]) -> tuple[list[str], list[str], list[str]]:
    """Of `witnesses`: who validly cosigned the note `checkpoint` (with when), who did not, and the invalid lines."""
    problems, cosigned, missing = [], [], []
    note = parse_note(checkpoint)  # parsed already by _check_log, which returned a log
    for witness in witnesses:
        label = f"{witness.name}+{witness.key_id:08x}"
        try:
            verify_note(checkpoint, [witness])
        except UnknownKeyError:
            missing.append(label)
            continue
        except LedgerError as error:
            problems.append(f"{CHECKPOINT}: {error}")
            continue
        line = next(s for s in note.signatures if (s.name, s.key_id) == (witness.name, witness.key_id))
        when = datetime.fromtimestamp(cosignature_time(line), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        cosigned.append(f"{label} at {when}")
    return cosigned, missing, problems


def _check_checkpoints(report: VerifyReport, bundle: Bundle, verifier: Verifier, log: CheckedLog) -> None:
    """Every checkpoint shipped in log/checkpoints/: signed by the key, a prefix of the entries, proved consistent."""
    problems = []
    latest = bundle.checkpoints.get(log.head.size)
    if latest != bundle.checkpoint:
        problems.append(f"{checkpoint_path(log.head.size)} is not the same as {CHECKPOINT}")
    for size, note in sorted(bundle.checkpoints.items()):
        where = checkpoint_path(size)
        try:
            old = verify_checkpoint(note, [verifier], origin=verifier.name)
        except LedgerError as error:
            problems.append(f"{where}: {error}")
            continue
        if old.size != size:
            problems.append(f"{where} holds a checkpoint of size {old.size}")
        elif size > log.head.size:
            problems.append(f"{where} is larger than the latest checkpoint ({log.head.size})")
        elif size < log.head.size:
            problems.extend(_consistency_problems(bundle, log, old, where, require_proof=True))
    count = len(bundle.checkpoints)
    detail = f"{count} signed checkpoint{'s' * (count != 1)} in log/checkpoints/, each a prefix of the log"
    report.add("checkpoints", detail, problems)


def _check_old(report: VerifyReport, bundle: Bundle, verifier: Verifier, log: CheckedLog, note: str) -> None:
    """The checkpoint the user kept from before: the current log must extend it."""
    where = "the checkpoint given with --checkpoint"
    try:
        old = verify_checkpoint(note, [verifier], origin=verifier.name)
    except LedgerError as error:
        report.add("old checkpoint", where, [f"{where}: {error}"])
        return
    if old.size > log.head.size:
        problems = [
            f"{where} has {old.size} entries, more than the {log.head.size} of this bundle's log: "
            "the log was truncated, or this bundle is older than that checkpoint"
        ]
    else:
        problems = _consistency_problems(bundle, log, old, where, require_proof=False)
    report.add("old checkpoint", f"{where} (size {old.size}): the log only grew since", problems)


def _consistency_problems(
    bundle: Bundle, log: CheckedLog, old: Checkpoint, where: str, *, require_proof: bool
) -> list[str]:
    """Whether the entries extend `old`: by recomputing its root, and by the shipped proof (if any, or required)."""
    problems = []
    if old.size <= len(log.entries):
        prefix = log.tree.root(old.size)
        if prefix != old.root_hash:
            problems.append(
                f"{where} is not consistent with this log: its first {old.size} entries hash to {prefix.hex()}, "
                f"not the root {old.root_hash.hex()} signed then: entries before {old.size} were rewritten"
            )
    shipped = bundle.consistency.get(old.size)
    if shipped is None:
        if require_proof and old.size < log.head.size:
            problems.append(f"{consistency_path(old.size)} is missing")
        return problems
    try:
        proof = [bytes.fromhex(h) for h in shipped["proof"]]
        if shipped.get("old_size") != old.size or shipped.get("new_size") != log.head.size:
            raise ValueError(f"it is for sizes {shipped.get('old_size')} to {shipped.get('new_size')}")
        verify_consistency(old.size, log.head.size, proof, old.root_hash, log.head.root_hash)
    except (LedgerError, ValueError, KeyError, TypeError) as error:
        problems.append(f"{consistency_path(old.size)}: {error}")
    return problems
