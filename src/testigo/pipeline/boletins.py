"""Checking a batch of Brazil's boletins de urna: photos or decoded texts in, every BU judged, verified ones summed.

What an observer runs on election night over the photos volunteers sent
(`testigo bu check`, `testigo.check_boletins`): every QR code of every file is
read, the parts of each BU are gathered across files in any order
(`testigo.profiles.bu.assemble`), each whole BU's SHA-512 chain and TSE
signature are checked with the trusted keys (`testigo.profiles.bu.keys`: the
shipped ones and those added to the workspace), then its sums
(`testigo.profiles.bu.arithmetic`). Only a BU that is verified and whose sums
hold is counted; the per-contest totals add up those.

Decisions, written down here because a person reading the totals relies on them:

* a BU whose chain holds but whose signature could not be checked (its key is
  missing) is listed as *unverified* with the reason, never counted and never
  called verified;
* a format 6.0 BU (2026), signed by the urna's own key, is checked with the
  urna's certificate read from its ``QRCE`` codes in the batch
  (`testigo.profiles.bu.certificate`): a signature that fails is *invalid*;
  one that holds is still *unverified*, since no TSE root is available to
  show the certificate is the urna's and not a forger's (the reason says
  which checks ran and which could not);
* two different counted BUs of one section (same UF, municipality, zone,
  section, election day and round) are both *conflict*, kept side by side and
  neither counted: the signature says who signed, not which sheet is final;
* a BU with parts missing is *incomplete*, with the parts it lacks;
* a file that yields no BU code says why, and the batch goes on.

Nothing is stored: the checker keeps no state between runs, so the parts of
one BU must come in one batch. Counting BUs into a workspace, one record per
contest, with parts gathered across uploads, is ``testigo ingest`` in a
workspace of profile ``br`` (`testigo.pipeline.bu_ingest`, which judges each
BU with `verdict`, as `judge` does here).

A decoded-text file (one code per line, as a phone's QR reader app shares
them, or the TSE's examples) is taken as it is; anything else goes through
the image reader.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from testigo.capture.sources import Incoming, iter_inputs
from testigo.pipeline.bu_read import BoletimFacts, facts_of
from testigo.pipeline.bu_totals import ContestTotal, Totals
from testigo.pipeline.executors import map_in_order
from testigo.profiles.base import PayloadError
from testigo.profiles.bu.assemble import Collector, Incomplete, Outcome
from testigo.profiles.bu.certificate import CertificatePart, CertificateParts, UrnaCertificate, check_signature
from testigo.profiles.bu.certificate import Outcome as CheckOutcome
from testigo.profiles.bu.chain import Verdict, check, signature
from testigo.profiles.bu.keys import KeyName, KeyRefused, KeyRing
from testigo.profiles.bu.model import TSE_SIGNED_FORMATS, Boletim, BuPart, SectionKey
from testigo.profiles.bu.text import is_code, listed_codes, parse_boletim, parse_part
from testigo.progress import Progress, Silent
from testigo.read import read_file
from testigo.read.errors import UnusableInput


class BoletimStatus(StrEnum):
    """What became of one whole BU."""

    COUNTED = "counted"
    CONFLICT = "conflict"
    UNVERIFIED = "unverified"
    INVALID = "invalid"


@dataclass(frozen=True)
class FileCodes:
    """One input file: how many BU or certificate codes it gave, or why none, and the codes refused.

    A code is refused when it is not a well-formed BU code, or when it is a
    part 1 whose ``HASH`` does not match its own data (a count changed in a
    one-part BU). A changed part k > 1 is not refused: it waits for parts
    before it that it will never match, and its BU stays incomplete.
    """

    path: str
    codes: int
    reason: str | None = None
    refused: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckedBoletim:
    """One whole BU and the verdict on it.

    The BU itself is `parts`, its code texts in order, byte for byte;
    `boletim` reads it again on demand, since half a million parsed BUs do
    not fit in memory.
    """

    section: SectionKey
    status: BoletimStatus
    reason: str
    #: the sums that fail (making it invalid) and the odd ones (flags), each one line
    invalid: tuple[str, ...]
    flags: tuple[str, ...]
    parts: tuple[str, ...]
    #: the files its parts were read from, in the order given
    files: tuple[str, ...] = ()

    @property
    def boletim(self) -> Boletim:
        return parse_boletim([parse_part(text) for text in self.parts])


@dataclass(frozen=True)
class BoletimReport:
    """The whole batch: per file, per BU, the BUs left incomplete, and the totals of the counted ones."""

    files: tuple[FileCodes, ...]
    boletins: tuple[CheckedBoletim, ...]
    incomplete: tuple[Incomplete, ...]
    #: codes of BUs that never met the parts before them (their part 1 never came, or a forgery's)
    waiting: int
    totals: tuple[ContestTotal, ...]

    def to_json(self) -> dict[str, Any]:
        """The report as `testigo bu check --json` prints it (docs/json.md)."""
        from testigo.pipeline.bu_json import report_json  # it reads this module's classes

        return report_json(self)

    def summary(self) -> dict[str, int]:
        counts = Counter(b.status.value for b in self.boletins)
        return {
            "files": len(self.files),
            "files_without_codes": sum(1 for f in self.files if f.codes == 0),
            "codes_refused": sum(len(f.refused) for f in self.files),
            **{status.value: counts[status.value] for status in BoletimStatus},
            "incomplete": len(self.incomplete),
            "waiting_parts": self.waiting,
        }


def check_boletins(
    paths: Iterable[str | Path],
    keys: KeyRing,
    *,
    workers: int = 1,
    progress: Progress | None = None,
) -> BoletimReport:
    """Read every file under `paths`, gather and check every BU, and sum the counted ones per contest.

    Folders are walked and zip archives opened as ingest does
    (`testigo.capture.sources`); `workers` processes read the images.
    """
    progress = progress or Silent()
    progress.phase("reading", None)
    inputs = iter_inputs(paths)  # one file's bytes at a time (a few per worker), never the whole batch
    collector = Collector()
    files: list[FileCodes] = []
    sources: dict[str, list[str]] = defaultdict(list)  # code text -> files it was read from
    judging = _Judging(keys)
    for read in map_in_order(_codes_of, inputs, workers):
        display = read.incoming.display
        refused = []
        for group in read.groups:
            for text in group:
                sources[text].append(display)
            for added in collector.add_photo(group):
                for boletim in added.completed:
                    judging.add(boletim)
                if added.outcome is Outcome.REJECTED:
                    refused.append(added.reason)
                refused.extend(f"the parts make no BU: {malformed}" for malformed in added.malformed)
        codes = sum(len(group) for group in read.groups)
        files.append(FileCodes(display, codes, read.reason, tuple(refused)))
        progress.advance()
    judging.finish(certificates_of(sources))
    incomplete, waiting = collector.incomplete(), len(collector.waiting())
    return BoletimReport(tuple(files), judging.checked(sources), incomplete, waiting, judging.totals.contests())


#: a TSE key's 32 raw bytes (None when not available), and why it is refused (None when it is not)
Key = tuple[bytes | None, str | None]


class KeyLookup:
    """TSE keys by name, each looked up once: a lookup reads an added key from its file and vets it, and a
    batch (or an uploaded file of codes) holds thousands of BUs signed with one key."""

    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring
        self._found: dict[str, Key] = {}

    def find(self, name: str) -> Key:
        """The key named `name` (a BU's ``signing_key_name``), or why it cannot be used."""
        if name not in self._found:
            try:
                self._found[name] = (self.ring.public_key(KeyName.parse(name)) if name else None, None)
            except KeyRefused as error:  # a key file of the workspace that cannot be used: say so, trust nothing
                self._found[name] = (None, str(error))
        return self._found[name]


class _Judging:
    """BUs judged as they complete; only their verdicts and the running totals are kept.

    A BU signed by the urna (format 6.0) waits for the end of the batch: its
    certificate's codes may come after it.
    """

    def __init__(self, keys: KeyRing) -> None:
        self.keys = KeyLookup(keys)
        self.totals = Totals()
        self.judged: list[CheckedBoletim] = []
        self._counted: dict[SectionKey, list[int]] = defaultdict(list)  # indexes into `judged`
        self._urna_signed: list[Boletim] = []

    def add(self, boletim: Boletim) -> None:
        if boletim.format_version not in TSE_SIGNED_FORMATS:
            self._urna_signed.append(boletim)
        else:
            self._keep(boletim, judge(boletim, self.keys.find(boletim.signing_key_name or ""), {}))

    def finish(self, certificates: dict[str, list[str]]) -> None:
        for boletim in self._urna_signed:
            self._keep(boletim, judge(boletim, (None, None), certificates))
        self._urna_signed = []

    def _keep(self, boletim: Boletim, item: CheckedBoletim) -> None:
        self.judged.append(item)
        if item.status is not BoletimStatus.COUNTED:
            return
        rivals = self._counted[item.section]
        rivals.append(len(self.judged) - 1)
        if len(rivals) == 1:
            self.totals.add(boletim)
        elif len(rivals) == 2:  # the section is in conflict: the first BU stops counting (read again: rare)
            self.totals.remove(self.judged[rivals[0]].boletim)

    def checked(self, sources: dict[str, list[str]]) -> tuple[CheckedBoletim, ...]:
        """Every BU judged, counted ones of a section in conflict marked so, with the files of its parts."""
        result = []
        for item in self.judged:
            rivals = self._counted.get(item.section, [])
            if item.status is BoletimStatus.COUNTED and len(rivals) > 1:
                reason = f"{len(rivals)} different verified BUs of this section: kept for review, none counted"
                item = replace(item, status=BoletimStatus.CONFLICT, reason=reason)
            files = tuple(dict.fromkeys(path for text in item.parts for path in sources.get(text, ())))
            result.append(replace(item, files=files))
        return tuple(sorted(result, key=lambda item: (item.section, item.status.value)))


@dataclass(frozen=True)
class _Read:
    """One input's codes, grouped as the collector takes them, or why there are none.

    A photo's codes are read in no particular order: each page is one group,
    which the collector takes lowest part first. A text file lists its codes
    in the order they were read, the parts of a BU usually one after the
    other, so each is a group of its own and the order is kept: taken lowest
    part first, a file of thousands of BUs would offer every part 2 to every
    part 1 (`testigo.profiles.bu.assemble`: a part that waits costs a hash
    per BU of its kind begun).
    """

    incoming: Incoming
    groups: tuple[tuple[str, ...], ...] = ()
    reason: str | None = None


def _codes_of(incoming: Incoming) -> _Read:
    """The BU and certificate codes of one file (module-level: worker processes import it by name)."""
    bare = _without_data(incoming)
    if incoming.data is None or incoming.reject:
        return _Read(bare, reason=incoming.reject or "could not be read")
    listed = listed_codes(incoming.data)
    if listed is not None:
        return _Read(bare, tuple((code,) for code in listed))
    try:
        reading = read_file(incoming.data, is_code)
    except UnusableInput as error:
        return _Read(bare, reason=str(error))
    pages = tuple(page.payloads for page in reading.pages if page.payloads)
    if not pages:
        reasons = {page.reason for page in reading.pages if page.reason}
        return _Read(bare, reason="; ".join(sorted(reasons)) or "no BU code found")
    return _Read(bare, pages)


def _without_data(incoming: Incoming) -> Incoming:
    """The input without its bytes: what comes back from a worker need not carry the photo again."""
    return Incoming(incoming.origin, incoming.display, None, incoming.reject)


def certificates_of(texts: Iterable[str]) -> dict[str, list[str]]:
    """The urna-certificate codes read, by urna (``IDUE``)."""
    found: dict[str, list[str]] = defaultdict(list)
    for text in texts:
        if text.startswith("QRCE:"):
            try:
                found[CertificatePart.parse(text).serial].append(text)
            except PayloadError:
                continue  # refused by the collector already, with its reason
    return found


def _urna_signature(urna: str, parts: Sequence[BuPart], certificates: dict[str, list[str]]) -> tuple[bool | None, str]:
    """A format 6.0 BU's signature under its urna's certificate: (True: trusted, False: invalid, None: not
    established) and what was and was not checked, in one line."""
    codes = certificates.get(urna)
    if not codes:
        return None, f"the certificate of urna {urna or '(unnamed)'} (its QRCE codes) was not read"
    try:
        certificate = UrnaCertificate.load(CertificateParts.assemble(codes))
    except PayloadError as error:
        return None, f"urna certificate: {error}"
    report = check_signature(certificate, bytes.fromhex(parts[-1].hash_hex), signature(parts))
    if report.signature.outcome is CheckOutcome.INVALID:
        return False, f"invalid: {report.signature}"
    return (True if report.trusted else None), f"urna certificate: {report.signature}; {report.chain}"


def judge_found(keys: KeyLookup, boletim: Boletim, certificates: dict[str, list[str]]) -> CheckedBoletim:
    """`verdict_found` on a parsed BU: how a verifier reading a bundle's images again judges one."""
    return verdict_found(keys, boletim.parts, facts_of(boletim), certificates)


def verdict_found(
    keys: KeyLookup, parts: Sequence[BuPart], facts: BoletimFacts, certificates: dict[str, list[str]]
) -> CheckedBoletim:
    """`verdict` with the TSE key `keys` find by the BU's name, or (format 6.0) its urna's certificate among
    `certificates`: how an ingest judges one whole BU."""
    if facts.signing_key_name is not None:
        return verdict(parts, facts, keys.find(facts.signing_key_name), {})
    return verdict(parts, facts, (None, None), certificates)


def judge(boletim: Boletim, key: Key, certificates: dict[str, list[str]]) -> CheckedBoletim:
    """`verdict` on a parsed BU."""
    return verdict(boletim.parts, facts_of(boletim), key, certificates)


def verdict(
    parts: Sequence[BuPart], facts: BoletimFacts, key: Key, certificates: dict[str, list[str]]
) -> CheckedBoletim:
    """One whole BU's verdict: its chain and signature under `key` (or, format 6.0, its urna's certificate
    among `certificates`), then its sums (`facts`, `testigo.pipeline.bu_read`)."""
    public_key, key_problem = key
    chain = check(parts, public_key, facts.signing_key_name or "")
    texts = tuple(part.text for part in parts)
    section, invalid, flags = facts.section, facts.invalid, facts.flags
    if chain.verdict is Verdict.INVALID:
        return CheckedBoletim(section, BoletimStatus.INVALID, chain.reason, invalid, flags, texts)
    if invalid:
        reason = f"sums that no urna prints: {'; '.join(invalid)}"
        return CheckedBoletim(section, BoletimStatus.INVALID, reason, invalid, flags, texts)
    if chain.verdict is Verdict.URNA_SIGNED:
        trusted, detail = _urna_signature(facts.urna, parts, certificates)
        if trusted is False:
            return CheckedBoletim(section, BoletimStatus.INVALID, detail, invalid, flags, texts)
        status = BoletimStatus.COUNTED if trusted else BoletimStatus.UNVERIFIED
        return CheckedBoletim(section, status, f"{chain.reason}; {detail}", invalid, flags, texts)
    if chain.verdict is not Verdict.VERIFIED:
        reason = f"{chain.reason} ({key_problem})" if key_problem else chain.reason
        return CheckedBoletim(section, BoletimStatus.UNVERIFIED, reason, invalid, flags, texts)
    return CheckedBoletim(section, BoletimStatus.COUNTED, chain.reason, invalid, flags, texts)
