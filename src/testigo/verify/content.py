"""Checking a bundle's content against its verified log: images, their decoding, every derived file.

Tables, previews and the registry rules have their own modules (`tables`,
`previews`, `rules`); this one runs them in order.

Called by `testigo.verify.verify_bundle` once the entries are checked against the
signed checkpoint. The images are hashed and decoded again in a process pool
(decoding is the slow part: about as slow as the ingest that first read
them); then every data file and page is derived again from the entries with
the same code `publish` used, and compared with what the bundle holds.
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from testigo import __version__
from testigo.domain import Election, Registry
from testigo.domain.printed import CERTAIN, UNCERTAIN, PrintedSheet
from testigo.errors import UserError
from testigo.ledger.entries import MACHINE_READER, MANUAL_ENTRY, PRINT_READING, Entry, read_entries
from testigo.pipeline.decode import Decoded, decode_blob
from testigo.pipeline.printed import HEADER_CONFIDENCE, record_read_alone
from testigo.profiles import PayloadError, Profile, get_profile
from testigo.progress import Progress
from testigo.publish.compare import MAX_LINES, explain
from testigo.publish.files import derived_files
from testigo.publish.layout import (
    CHECKPOINT,
    ENTRIES,
    FILE_LIST,
    IMAGES_DIR,
    KEY,
    MANIFEST,
    MIRRORS,
    REGISTRY_JSON,
    SOURCES_DIR,
    WITNESSES,
    checkpoint_path,
    consistency_path,
    image_path,
)
from testigo.publish.model import Files, Publication, derive_contests, published_images, published_tables
from testigo.publish.pages import LogView
from testigo.publish.registry_file import read_registry_document
from testigo.read import sniff
from testigo.read.printed.figures import ACCEPT_CONFIDENCE, AGREE_MARGIN, DIFFER_MARGIN, FONT_AGREE_MARGIN
from testigo.store.blobs import sha256_hex
from testigo.verify.audit import AUDIT_FILES, check_audit
from testigo.verify.boletins import read_boletins_again
from testigo.verify.bundle import Bundle, BundleError
from testigo.verify.log import CheckedLog
from testigo.verify.mirrors import listed_mirrors
from testigo.verify.previews import check_previews, previews_in
from testigo.verify.report import VerifyReport
from testigo.verify.rules import check_rules
from testigo.verify.tables import check_tables


@dataclass(frozen=True)
class Decoding:
    """How a verification decodes the images: in how many processes, all or a random sample, and since when.

    A sample is for a quick check of a large bundle (decoding is most of
    verifying: about 0.7 s of CPU an image with its print, some six hours
    for 30,000 actas on one core). It is drawn by this run from the
    operating system's randomness, so a publisher cannot know which images
    a verifier will decode; every image is still hashed against its name
    and every other check runs in full. The report counts the images left
    undecoded (`VerifyReport.not_decoded`) and says so in its "decoding" line.
    """

    workers: int | None = None
    """Decoding processes (None: one per core)."""
    sample: int | None = None
    """Decode only this many of the images whose entries log a reading (None: all)."""
    held: int = 0
    """The log's first `held` entries were verified, their images decoded, in a copy kept from before (a
    mirror's own, whose checkpoint this log is proven to extend): an image no later entry names is not decoded
    again. Its bytes are still hashed, and decoding is deterministic, so it would read as it did then."""
    bu_keys: Path | None = None
    """A folder of TSE public keys trusted beside those shipped with testigo, as `testigo keys add` keeps
    them (a workspace's trusted-keys/): the boletins they signed are judged on their signature too."""

    def chosen(self, images: set[str]) -> set[str]:
        """The images (sha256) to decode, of `images`."""
        if self.sample is None or self.sample >= len(images):
            return images
        return set(random.SystemRandom().sample(sorted(images), max(self.sample, 0)))


def audit(report: VerifyReport, bundle: Bundle, log: CheckedLog, decoding: Decoding, progress: Progress | None) -> None:
    """Add the content checks to `report`: records, images, decoding, tables, previews, rules, data files, pages."""
    entries, problems = read_entries(log.entries)
    loaded = _profile_and_registry(report, bundle)
    if loaded is None:
        return
    profile, registry, registry_published = loaded
    expected = published_images(entries)
    images = {sha: bundle.images.get(sha, f"{IMAGES_DIR}/{sha}") for sha in expected}
    tables = {sha: bundle.tables.get(sha, f"{SOURCES_DIR}/{sha}") for sha in published_tables(entries)}
    files = Files(images, tables, previews_in(bundle, images))
    publications = derive_contests(entries, profile, registry, files, registry_published=registry_published)
    publication = publications[0]  # what every contest shares: the entries, the files, the profile
    counted = sum(len(p.mesas) for p in publications)
    contests = f" ({len(publications)} contests, each replayed alone)" if len(publications) > 1 else ""
    report.add(
        "records",
        f"{counted} mesas with an accepted acta{contests} in {len(entries)} entries, every reviewer decision "
        "replayed in log order; manual entries name two different reviewers, or one and the machine whose logged "
        "reading of the print gives their figures, and a sheet logged as unreadable; each finding on a print that "
        "differs from its QR code resolves a mismatch logged before it",
        [*problems, *publication.problems],
    )
    _check_images(report, bundle, publication, expected, decoding, progress)
    check_tables(report, bundle, publication, _capped)
    check_previews(report, bundle, publication, _capped)
    check_rules(report, publications, _capped)
    _check_derived(report, bundle, publications, log, progress)
    check_audit(report, bundle, log, entries, profile, registry)


def _profile_and_registry(report: VerifyReport, bundle: Bundle) -> tuple[Profile, Registry, bool] | None:
    """The profile named by the manifest, and the registry: the installed profile's, or the bundle's own.

    A profile whose registry comes from imported data (``generic``) has none
    installed; its bundle carries it (see docs/bundle-format.md for what that costs in trust).
    """
    try:
        profile = get_profile(str(bundle.manifest.get("profile")))
    except UserError as error:
        report.add("records", f"{MANIFEST} names the profile", [f"{MANIFEST}: {error}"])
        return None
    if not profile.registry_from_data:
        return profile, profile.load_registry(), False
    try:
        profile, registry = read_registry_document(profile, bundle.read_json(REGISTRY_JSON))
    except (BundleError, ValueError) as error:
        report.add("registry", f"{REGISTRY_JSON}: the registry and ballot the bundle relies on", [f"{error}"])
        return None
    detail = (
        f"{REGISTRY_JSON}: {len(registry.mesas)} stations and the ballot, taken from the bundle itself "
        f"(profile {profile.name} has no installed registry): figures are checked against what the "
        "publisher says the stations are"
    )
    report.add("registry", detail, [])
    return profile, registry, True


def _check_images(
    report: VerifyReport,
    bundle: Bundle,
    publication: Publication,
    expected: list[str],
    decoding: Decoding,
    progress: Progress | None,
) -> None:
    """Hash every image against its name, decode each again (or a sample) and compare with its logged payloads."""
    hash_problems = [f"{path} is not named <sha256>.<extension>" for path in bundle.stray_images]
    hash_problems += [
        f"{path} is not the image of any published log entry"
        for sha, path in bundle.images.items()
        if sha not in publication.image_files
    ]
    missing = [sha for sha in expected if sha not in bundle.images]
    hash_problems += [f"{IMAGES_DIR}/{sha}.*, the image of a published log entry, is missing" for sha in missing]
    present = [sha for sha in expected if sha in bundle.images]
    logged: dict[str, list[Entry]] = {}
    typed: set[str] = set()
    for entry in publication.entries:
        if entry.shows_acta and entry.sha256:
            if entry.is_decision:
                typed.add(entry.sha256)
            else:
                logged.setdefault(entry.sha256, []).append(entry)
    machine = _machine_prints(publication.entries)
    decode_problems: list[str] = []
    unchecked = 0
    if progress:
        progress.phase("decoding", len(present))
    readable = (set(logged) | set(machine)) & set(present)
    position = {id(entry): index for index, entry in enumerate(publication.entries)}
    earlier = {
        sha
        for sha in readable
        if all(position[id(entry)] < decoding.held for entry in (*logged.get(sha, ()), *machine.get(sha, ())))
    }
    spread = publication.profile.codes_span_uploads  # a sheet's parts may lie in several images: read them all
    if spread:
        earlier = set()
    decode = readable if spread else decoding.chosen(readable - earlier)
    report.not_decoded = len(readable - earlier) - len(decode)
    gathered: dict[str, tuple[str, Decoded]] = {}
    jobs = [(sha, str(bundle.root / bundle.images[sha]), publication.profile.name, sha in decode) for sha in present]
    for sha, digest, media_type, decoded in _reread_all(jobs, decoding.workers):
        path = bundle.images[sha]
        if digest != sha:
            hash_problems.append(f"{path}: the file hashes to {digest}, not its name: the image was altered")
        elif image_path(sha, media_type) != path:
            hash_problems.append(f"{path}: the file is {media_type or 'of no known type'}, not what its name says")
        elif decoded is not None and spread:
            gathered[sha] = (path, decoded)
        elif decoded is not None:
            for entry in logged.get(sha, ()):
                problem, print_unchecked = _reading_problem(publication.profile, entry, path, decoded)
                unchecked += print_unchecked
                if problem:
                    decode_problems.append(problem)
            for entry in machine.get(sha, ()):
                problem, print_unchecked = _machine_print_problem(entry, path, decoded)
                unchecked += print_unchecked
                if problem:
                    decode_problems.append(problem)
        if progress:
            progress.advance()
    detail = f"{len(present)} images in {IMAGES_DIR}/ hashed against their names"
    report.add("images", detail, _capped(hash_problems, "image problems"))
    count = sum(len(logged.get(sha, ())) for sha in decode)
    manual = len(typed - set(logged) - set(machine))
    detail = f"{len(decode)} images decoded again for {count} logged payloads"
    if spread:
        boletins = read_boletins_again(logged, gathered, decoding.bu_keys)
        decode_problems += boletins.problems
        detail += (
            f"; their codes make {boletins.boletins} whole BUs (every image read, whatever the sample: a BU's "
            "parts may lie in several), each judged again and holding the contests logged of its images"
        )
        if boletins.unsigned:
            detail += (
                f"; {boletins.unsigned} of them signed by a TSE key neither shipped with testigo nor in --bu-keys: "
                "their chain and sums were checked, their signature was not"
            )
    if report.not_decoded:
        detail += (
            f" (a sample drawn at random by this run; {report.not_decoded} of the {len(readable - earlier)} images "
            "with a logged reading were hashed, not decoded: what their entries log rests on the log alone)"
        )
    if earlier:
        detail += (
            f"; {len(earlier)} images named only by the first {decoding.held} entries were decoded when the copy "
            "held was verified, and only hashed now"
        )
    if manual:
        detail += (
            f"; {manual} images of unreadable sheets typed by hand were hashed, not decoded: their figures rest on "
            "the logged manual-entry decision (the log keeps the figures two different reviewers agreed on, "
            "not each one's typing)"
        )
    typed_with_machine = sum(len(machine.get(sha, ())) for sha in decode)
    if typed_with_machine:
        detail += (
            f"; {typed_with_machine} prints of unreadable sheets, the machine's entry in their transcription, "
            "were read again (the figures a reviewer agreed with rest on them)"
        )
    printed = typed_with_machine + sum(
        1 for sha in decode for entry in logged.get(sha, ()) if entry.get(PRINT_READING) is not None
    )
    if printed:
        detail += f"; {printed - unchecked} prints read again with the logged OCR model gave the logged figures"
    if unchecked:
        detail += (
            f"; {unchecked} prints were not re-checked exactly: read by another OCR model than this "
            f"installation's, or decided by a score within {SCORE_TIE} of its threshold (the model's last "
            "decimals differ between processors)"
        )
    report.add("decoding", detail, _capped(decode_problems, "payloads not read again"))


_Reread = tuple[str, str, str | None, Decoded | None]
"""(sha256 in the name, sha256 of the bytes, sniffed media type, decoding if asked) of one image."""


def _reread(sha: str, path: str, profile_name: str, decode: bool) -> _Reread:
    """Hash, sniff and (when an entry logs what its code says) decode one image (runs in a worker process)."""
    data = Path(path).read_bytes()
    return sha, sha256_hex(data), sniff(data), decode_blob(sha, path, profile_name) if decode else None


def _reread_all(jobs: list[tuple[str, str, str, bool]], workers: int | None) -> Iterator[_Reread]:
    workers = min(workers or os.cpu_count() or 1, max(len(jobs), 1))
    if workers == 1:
        yield from (_reread(*job) for job in jobs)
        return
    # spawn, not fork: the parent may hold a progress thread
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        yield from pool.map(_reread, *zip(*jobs, strict=True))


def _reading_problem(profile: Profile, entry: Entry, path: str, decoded: Decoded) -> tuple[str | None, bool]:
    """Why the image does not yield what the entry logged (its payload, its print), or None when it does.

    The flag says the entry's print could not be re-checked exactly here (see `_print_problem`).
    """
    where = f"log entry {entry.seq}: {path}"
    if decoded.reading is None:
        return f"{where} cannot be read again ({decoded.reject})", False
    index = next((i for i, p in enumerate(decoded.reading.pages) if p.page == entry.get("page")), None)
    if index is None:
        return f"{where} has no page {int(entry.get('page') or 0) + 1}", False
    page = decoded.reading.pages[index]
    printed = decoded.printed[index] if index < len(decoded.printed) else None
    logged_print = entry.get(PRINT_READING)
    unchecked = False
    if logged_print is not None:
        problem = _print_problem(logged_print, printed)
        unchecked = problem == _NOT_RECHECKED
        if problem and not unchecked:
            return f"{where}: {problem}", False
    if entry.payload in page.payloads:
        return None, unchecked
    if logged_print is not None and logged_print.get("outcome") == CERTAIN and printed is not None:
        if unchecked:  # read alone by another model: its figures rest on the log, as the detail says
            return None, True
        record = record_read_alone(profile, printed)
        if record is not None and record.payload == entry.payload:
            return None, unchecked
        return f"{where}: the figures read again from the print do not give the logged sheet", unchecked
    if not page.payloads:
        return f"{where} yields no acta code any more ({page.reason}), but the entry logs one", unchecked
    difference = _difference(profile, str(entry.payload), page.payloads)
    return f"{where} does not yield the logged payload: {difference}", unchecked


def _machine_prints(entries: tuple[Entry, ...]) -> dict[str, list[Entry]]:
    """The unreadable sheets' entries whose logged print a manual entry names as the machine's entry, by image.

    Their figures are what one reviewer agreed with, so the print is read
    again from the image like a sheet's code: a log that claims the machine
    read figures its image does not show would otherwise let one person
    settle a sheet alone.
    """
    named = {
        e.sha256
        for e in entries
        if e.get("action") == MANUAL_ENTRY and MACHINE_READER in (e.get("reviewers") or []) and e.sha256
    }
    found: dict[str, list[Entry]] = {}
    for entry in entries:
        if entry.get("kind") == "item" and entry.sha256 in named and entry.get(PRINT_READING) is not None:
            found.setdefault(entry.sha256 or "", []).append(entry)
    return found


def _machine_print_problem(entry: Entry, path: str, decoded: Decoded) -> tuple[str | None, bool]:
    """How the print read again differs from the one an unreadable sheet's entry logged, or None (and whether
    some figure could not be re-checked exactly).

    Figures are compared one by one, not the outcome: the entry rests on the
    figures, and an uncertain reading has, by definition, figures the reader
    was unsure of. A figure read again differently is a problem unless the
    reader is itself unsure of it now (its score below 1 - `SCORE_TIE`: the
    model's last decimals, which differ between processors, could then swap
    two candidates); that one is not re-checked.
    """
    where = f"log entry {entry.seq}: {path}"
    if decoded.reading is None:
        return f"{where} cannot be read again ({decoded.reject})", False
    index = next((i for i, p in enumerate(decoded.reading.pages) if p.page == entry.get("page")), None)
    printed = decoded.printed[index] if index is not None and index < len(decoded.printed) else None
    logged = entry.get(PRINT_READING) or {}
    if printed is None:
        return f"{where}: its print, which the entry logs as read, cannot be read again", False
    if logged.get("model") != printed.model:
        return None, True
    if logged.get("layout") != printed.layout:
        return (
            f"{where}: the print read again is of layout {printed.layout!r}, the entry logs {logged.get('layout')!r}",
            False,
        )
    figures = logged.get("figures") or {}
    differing = sorted(
        name for name in set(figures) | set(printed.figures) if figures.get(name) != printed.figures.get(name)
    )
    sure = [name for name in differing if printed.scores.get(name, 0.0) >= 1 - SCORE_TIE]
    if sure:
        found = ", ".join(
            f"{name} {printed.figures.get(name)!r} (the entry logs {figures.get(name)!r})" for name in sure
        )
        return f"{where}: the print read again gives figures {found}", False
    return None, bool(differing)


def _print_problem(logged: dict[str, object], printed: PrintedSheet | None) -> str | None:
    """How the print read again differs from what the entry logged (layout, outcome, figures), or None.

    Figures are compared exactly. The outcome too, except where a figure's
    score lies within `SCORE_TIE` of a threshold: the OCR model's arithmetic
    differs between processors in the last decimals (see `testigo.read.ocr`),
    so such a decision cannot be re-checked exactly on another machine, and
    neither can a print read by another model than this installation's: both
    are `_NOT_RECHECKED`, counted in the check's detail.
    """
    if printed is None:
        return "its print, which the entry logs as read, cannot be read again"
    if logged.get("model") != printed.model:
        return _NOT_RECHECKED
    again = printed.logged()
    for key in ("layout", "figures", "outcome"):
        if logged.get(key) != again[key]:
            if _at_a_threshold(printed):
                return _NOT_RECHECKED
            return f"the print read again gives {key} {again[key]!r}, the entry logs {logged.get(key)!r}"
    return None


def _at_a_threshold(printed: PrintedSheet) -> bool:
    """Whether any score the outcome rested on is within `SCORE_TIE` of the threshold it was compared with.

    A cross-check's scores are margins in nats, compared with the margins of
    `testigo.read.printed.figures`; a sheet read alone has posteriors, whose
    distance from `ACCEPT_CONFIDENCE` (a header code's from
    `HEADER_CONFIDENCE`) is measured in log-odds (nats too): a posterior of
    1.0 is infinitely far from 0.999, not 0.001 from it.
    """
    if printed.outcome in (CERTAIN, UNCERTAIN):
        thresholds = (_log_odds(ACCEPT_CONFIDENCE), _log_odds(HEADER_CONFIDENCE))
        return any(abs(_log_odds(score) - t) < SCORE_TIE for score in printed.scores.values() for t in thresholds)
    margins = (AGREE_MARGIN, -DIFFER_MARGIN, FONT_AGREE_MARGIN)
    return any(abs(score - t) < SCORE_TIE for score in printed.scores.values() for t in margins)


def _log_odds(probability: float) -> float:
    if probability <= 0.0:
        return -math.inf
    if probability >= 1.0:
        return math.inf
    return math.log(probability / (1.0 - probability))


#: Scores this close to a threshold may fall on either side of it on another processor.
SCORE_TIE = 0.01
#: Said of a print that cannot be re-checked exactly here (see `_print_problem`).
_NOT_RECHECKED = "not re-checked"


def _difference(profile: Profile, logged: str, read: tuple[str, ...]) -> str:
    """The cards (or acta id) where what the image reads differs from what was logged."""
    try:
        want = profile.parse(logged)
        got = [profile.parse(text) for text in read]
    except PayloadError:
        return f"the image reads {read[0][:60]!r}..., the entry logs {logged[:60]!r}..."
    same_acta = [record for record in got if record.acta_id == want.acta_id]
    if not same_acta:
        return f"the image reads acta {', '.join(r.acta_id for r in got)}, the entry logs acta {want.acta_id}"
    record = same_acta[0]
    cards = profile.election.cards
    diffs = [
        f"card {card.number} ({card.party}): the image reads {a}, the entry logs {b}"
        for card, a, b in zip(cards, record.counts, want.counts, strict=False)
        if a != b
    ]
    if record.null_votes != want.null_votes:
        diffs.append(f"null votes: the image reads {record.null_votes}, the entry logs {want.null_votes}")
    return "; ".join(diffs) or "the texts differ"


def _check_derived(
    report: VerifyReport,
    bundle: Bundle,
    publications: list[Publication],
    log: CheckedLog,
    progress: Progress | None,
) -> None:
    """Derive every data file and page of every contest again from the entries and compare; then look for stray
    files."""
    if progress:
        progress.phase("rendering", None)
    same_version = bundle.manifest.get("testigo") == __version__
    notes = {size: bundle.checkpoints[size] for size in log.sizes[:-1]} | {log.sizes[-1]: bundle.checkpoint}
    view = LogView(
        log.tree,
        bundle.checkpoint,
        bundle.key_text,
        log.sizes,
        notes,
        tuple(bundle.witnesses or ()),
        listed_mirrors(bundle),
    )
    expected: set[str] = set()
    page_problems: list[str] = []
    pages = 0
    for path, data, kind, election in derived_files(publications, view, log.head.origin):
        expected.add(path)
        if kind != "data" and not same_version:
            continue
        try:
            found = bundle.read_bytes(path)
        except BundleError as error:
            problems = [str(error)]
        else:
            problems = [] if found == data else _file_difference(path, kind, data, found, election)
        if kind == "data":
            report.add(path, "every value recomputed from the log entries", problems)
        else:
            pages += 1 if kind == "pages" else 0
            page_problems += problems
    if same_version:
        detail = f"{pages} pages, the stylesheet, the in-page verifier and its log data rendered again from the log"
        report.add("pages", detail, _capped(page_problems, "pages differ"))
    else:
        made_by = bundle.manifest.get("testigo")
        report.add("pages", f"not checked: the bundle was made by testigo {made_by}, this is testigo {__version__}", [])
    known = expected | {MANIFEST, FILE_LIST, ENTRIES, CHECKPOINT, KEY, MIRRORS, *bundle.images.values()}
    known |= set(bundle.stray_images)
    known |= {*bundle.tables.values(), *bundle.previews.values()}  # checked by "tables" and "previews"
    if publications[0].registry_published:
        known.add(REGISTRY_JSON)
    known |= set(AUDIT_FILES)  # checked by "audit"
    if bundle.witnesses is not None:
        known.add(WITNESSES)
    known |= {checkpoint_path(size) for size in bundle.checkpoints}
    known |= {consistency_path(size) for size in log.sizes if size < log.head.size}
    stray = [
        f"{path} is not part of the bundle: nothing in the log gives it" for path in bundle.files() if path not in known
    ]
    report.add("files", "every file of the bundle is accounted for", _capped(stray, "files are not part of the bundle"))


def _capped(problems: list[str], what: str) -> list[str]:
    """At most `MAX_LINES` problems of one kind, then their count: one altered entry can shift every page."""
    if len(problems) <= MAX_LINES:
        return problems
    return [*problems[:MAX_LINES], f"... and {len(problems) - MAX_LINES} more {what}"]


def _file_difference(path: str, kind: str, expected: bytes, found: bytes, election: Election) -> list[str]:
    if kind == "data":
        return explain(path, expected, found, election)
    want, got = expected.decode("utf-8", "replace").splitlines(), found.decode("utf-8", "replace").splitlines()
    line = next((i for i, (a, b) in enumerate(zip(want, got, strict=False), 1) if a != b), min(len(want), len(got)) + 1)
    return [f"{path} differs from what the verified data gives (from line {line})"]
