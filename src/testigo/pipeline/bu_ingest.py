"""Ingesting Brazil's boletins de urna: codes in, whole BUs judged, one record per contest settled.

What `testigo ingest` does with a file in a workspace of profile `br`
(`testigo.profiles.br`), inside the file's one transaction:

1. Its codes (a photo's QR codes, or a text file listing them) join the codes
   still waiting from earlier uploads (`testigo.store.waiting`) in a
   collector (`testigo.profiles.bu.assemble`), so a BU whose parts come in
   several photos and uploads completes when its last part arrives.
2. Each BU completed is judged as `testigo bu check` judges it
   (`testigo.pipeline.boletins.verdict`): chain, signature with the
   workspace's trusted keys, sums. What its texts alone tell (contents,
   sums, section, contests) was mostly worked out by the process that read
   the file (`testigo.pipeline.bu_read`), and is taken by the parts' exact
   texts; a BU completed by parts from earlier uploads is read here.
3. An *invalid* BU (broken chain, bad signature, impossible sums) is one
   ``invalid`` outcome with the reason: nothing of it counts. A verified BU,
   and one whose chain holds but whose key is missing (*unverified*: flagged
   with the reason, for a reviewer, never called verified; its parts kept
   until `testigo keys add` brings the key, `testigo.pipeline.bu_keys`),
   becomes one record per contest, its section added to the registry and
   its options to the contests' ballots as needed. The records of a page's
   BUs are settled together like any sheets (`settle_records`): accepted, a
   duplicate of the same figures, or a conflict of that contest, kept side
   by side for review.
4. A code that completes nothing is ``incomplete``, with the parts its BU
   lacks, and waits; a code that is no BU part, or a part 1 whose hash does
   not match its data, is ``invalid``.

Decisions: the outcomes of a file are one per contest of each BU it
completed, then one per code left waiting or refused. A format 6.0 BU's
urna certificate is looked for among the codes of the same upload only
(certificate codes are not kept waiting: an urna signs its BUs in one
print). A code of a BU counted already, arriving alone, waits for parts
that were consumed: send the whole strip again to count it twice as a
duplicate. Codes waiting are replayed for every upload, so their number,
not that of the BUs counted, sets the cost of one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from testigo.domain import Registry, Status
from testigo.pipeline.boletins import BoletimStatus, CheckedBoletim, KeyLookup, certificates_of, verdict_found
from testigo.pipeline.bu_read import BoletimRead, read_boletim
from testigo.pipeline.decode import LISTED
from testigo.pipeline.reconcile import CHUNK, Placed, settle_records
from testigo.profiles import PayloadError
from testigo.profiles.br import BALLOT_FACT, Ballot, Brazil, ContestSheet
from testigo.profiles.bu.assemble import Added, Collector, CollectorState, Outcome
from testigo.profiles.bu.keys import KeyRing
from testigo.profiles.bu.model import BuPart
from testigo.profiles.bu.text import MalformedBoletim, parse_boletim
from testigo.read import FileReading
from testigo.store import unverified, waiting
from testigo.store.schema import AreaRow, MesaRow, Meta
from testigo.store.submissions import ItemOutcome
from testigo.store.workspace import Store, add_to_registry, set_fact

#: How a BU counted without its TSE key is flagged, followed by the reason (`testigo.pipeline.bu_keys`).
NOT_VERIFIED = "signature not verified: "


def settle_boletins(
    store: Store, session: Session, reading: FileReading, read: Sequence[BoletimRead] = ()
) -> list[ItemOutcome]:
    """The outcomes of one file's codes, in the caller's transaction (see the module's docstring); `read` are
    the file's BUs its reader read already (`testigo.pipeline.bu_read`), the others are read here.

    The contests' ballots are this transaction's own (`_stored_ballots`): what the database holds as it
    begins, and what it appends. The store's profile takes them in as it goes (longer ones win), for the
    process's readers; this transaction never trusts what it holds beyond that, which another thread's
    transaction, or one of this thread's that was rolled back, may have appended.
    """
    shared = store.profile
    if not isinstance(shared, Brazil):
        raise TypeError(f"BU codes are gathered in a workspace of profile br, not {shared.name}")
    profile = Brazil(_stored_ballots(session, shared))
    collector = Collector.restore(CollectorState(tuple(waiting.waiting_texts(session))), parse=False)
    ahead = {boletim.parts: boletim for boletim in read}
    keys = KeyLookup(KeyRing(store.workspace.trusted_keys_dir))  # per file: a key added meanwhile serves the next
    outcomes: list[ItemOutcome] = []
    for page in reading.pages:
        texts = page.payloads
        if not texts:
            reason = page.reason or "no BU code found"
            outcomes.append(ItemOutcome(status=Status.UNREADABLE, reason=reason, page=page.page))
            continue
        answers = collector.add_page(texts, listed=page.strategy == LISTED)
        readings = [_read_chains(added, ahead) for added in answers]
        certificates = certificates_of(texts)
        whole = [item for items, _ in readings for item in items]
        done = {text for _, boletim in whole for text in boletim.parts}
        checked = [(b, verdict_found(keys, chain, b.facts, certificates)) for chain, b in whole]
        _ensure_sections(session, store.registry, [b for b, c in checked if c.status is not BoletimStatus.INVALID])
        judged = [item for b, c in checked for item in _records(session, profile, b, c, page=page.page)]
        outcomes.extend(_settled(profile, store.registry, session, judged))
        left = [(t, a, m) for t, a, (_, m) in zip(texts, answers, readings, strict=True) if t not in done]
        outcomes.extend(_unsettled(collector, left, page=page.page))
        waiting.stop_waiting(session, done)
        waiting.keep_waiting(session, (t for t, a, m in left if _waits(t, a, m)))
    shared.take(profile.ballots)
    return [replace(outcome, part=part) for part, outcome in enumerate(outcomes)]


def _read_chains(
    added: Added, ahead: Mapping[tuple[str, ...], BoletimRead]
) -> tuple[list[tuple[tuple[BuPart, ...], BoletimRead]], list[str]]:
    """The BUs a code completed, each its parts and what they read as (from `ahead`, the reader's, when it
    has them), and why those that read as no BU do not."""
    whole: list[tuple[tuple[BuPart, ...], BoletimRead]] = []
    malformed: list[str] = []
    for chain in added.chains:
        boletim = ahead.get(tuple(part.text for part in chain))
        if boletim is None:
            try:
                boletim = read_boletim(parse_boletim(chain))
            except MalformedBoletim as error:
                malformed.append(str(error))
                continue
        whole.append((chain, boletim))
    return whole, malformed


def _records(
    session: Session,
    profile: Brazil,
    boletim: BoletimRead,
    checked: CheckedBoletim,
    *,
    page: int,
) -> Iterator[ItemOutcome | Placed]:
    """A judged BU's records to settle, one per contest, its ballots ready for them (one ``invalid`` outcome
    for a BU that is). Its section is in the registry already (`_ensure_sections`)."""
    mesa_id = boletim.mesa.id
    if checked.status is BoletimStatus.INVALID:
        payload = "\n".join(checked.parts)
        yield ItemOutcome(status=Status.INVALID, reason=checked.reason, page=page, payload=payload, mesa_id=mesa_id)
        return
    flags = checked.flags
    if checked.status is BoletimStatus.UNVERIFIED:
        flags = (f"{NOT_VERIFIED}{checked.reason}", *flags)
        key_name = boletim.facts.signing_key_name
        if key_name is not None:  # a TSE key added later verifies it (`bu_keys`)
            unverified.keep(session, key_name, list(boletim.parts))
    for sheet in boletim.sheets:
        _ensure_ballot(session, profile, sheet)
        try:
            record = profile.record_of(sheet)
        except PayloadError as error:  # cannot happen once the ballot holds the options: say so if it does
            yield ItemOutcome(status=Status.INVALID, reason=str(error), page=page, mesa_id=mesa_id)
            continue
        yield Placed(replace(record, flags=record.flags + flags), page=page)


def _settled(
    profile: Brazil, registry: Registry, session: Session, judged: Sequence[ItemOutcome | Placed]
) -> list[ItemOutcome]:
    """The outcomes of a page's BUs in order: those judged already, and the records settled together
    (`settle_records`: a few statements for all the contests of the page's BUs)."""
    placed = [item for item in judged if isinstance(item, Placed)]
    settled = iter(settle_records(session, profile, registry, placed, source="image"))
    return [next(settled) if isinstance(item, Placed) else item for item in judged]


def _unsettled(
    collector: Collector, left: Sequence[tuple[str, Added, list[str]]], *, page: int
) -> Iterator[ItemOutcome]:
    """Outcomes of the codes that completed no BU: refused ones invalid, the rest incomplete with what lacks
    (a code is given with the reasons its completed parts read as no BU: `_read_chains`)."""
    lacking = {part.text: str(missing) for missing in collector.incomplete() for part in missing.parts}
    for text, added, malformed in left:
        if added.outcome is Outcome.REJECTED:
            status, reason = Status.INVALID, added.reason
        elif added.outcome is Outcome.DUPLICATE:
            status, reason = Status.DUPLICATE, "the same code as one received before, in this upload or an earlier one"
        else:
            status, reason = Status.INCOMPLETE, lacking.get(text, added.reason)
        if malformed:
            status, reason = Status.INVALID, f"the parts make no BU: {'; '.join(malformed)}"
        yield ItemOutcome(status=status, reason=reason, page=page, payload=text)


def _waits(text: str, added: Added, malformed: list[str]) -> bool:
    """Whether a code that completed nothing is kept for later uploads (a BU part that was taken)."""
    return added.outcome is Outcome.ADDED and text.startswith("QRBU:") and not malformed


def _ensure_sections(session: Session, registry: Registry, boletins: Sequence[BoletimRead]) -> None:
    """Add the BUs' sections, and the areas above them, to the registry the first time one of their BUs counts.

    The database says which are there (another process may have added
    some), in one query for the sections and one for the areas; this
    process's `registry` gains them either way, areas first, so that every
    level of a tally finds a section's areas.
    """
    if not boletins:
        return
    if len(boletins) > CHUNK:  # the ids go in IN lists: keep them short
        for start in range(0, len(boletins), CHUNK):
            _ensure_sections(session, registry, boletins[start : start + CHUNK])
        return
    places = {boletim.mesa.id: (boletim.areas, boletim.mesa) for boletim in boletins}
    stored = set(session.execute(select(MesaRow.id).where(MesaRow.id.in_(sorted(places)))).scalars())
    new_areas = {a.id: a for m, (areas, _) in places.items() if m not in stored for a in areas}
    if len(stored) < len(places):
        query = select(AreaRow.id).where(AreaRow.id.in_(sorted(new_areas)))
        kept = set(session.execute(query).scalars())
        new_mesas = [mesa for m, (_, mesa) in places.items() if m not in stored]
        add_to_registry(session, [a for a in new_areas.values() if a.id not in kept], new_mesas)
    for areas, mesa in places.values():
        for area in areas:
            registry.areas.setdefault(area.id, area)
        registry.mesas.setdefault(mesa.id, mesa)


def _stored_ballots(session: Session, shared: Brazil) -> dict[str, Ballot]:
    """Every contest's ballot as this transaction reads it (another process may have extended one since):
    one query a file; a ballot is parsed only when its text differs from the one `shared` holds."""
    rows = session.execute(select(Meta.key, Meta.value).where(Meta.key.startswith(BALLOT_FACT)))
    ballots = {}
    for key, text in rows:
        contest = key[len(BALLOT_FACT) :]
        held = shared.ballots.get(contest)
        ballots[contest] = held if held is not None and held.fact == text else Ballot.from_fact(text)
    return ballots


def _ensure_ballot(session: Session, profile: Brazil, sheet: ContestSheet) -> None:
    """Append the options of `sheet` its contest's ballot lacks, to the workspace's facts and to `profile`.

    A sheet whose options the transaction's ballot lists already needs
    nothing: it is the stored one as this transaction read it
    (`_stored_ballots`), with what the transaction appended. Otherwise the ballot grows under a row
    lock: two ingests that extend one contest at once append one after the
    other, and neither loses the other's options. Measured: reading each
    contest's ballot once a file instead cost ~0.9 ms a BU of 5 contests.
    """
    known = profile.ballots.get(sheet.contest)
    if known is not None and known.known.issuperset(sheet.votes):
        return
    key = BALLOT_FACT + sheet.contest
    row = session.execute(select(Meta).where(Meta.key == key).with_for_update()).scalar_one_or_none()
    stored = Ballot.from_fact(row.value) if row is not None else Ballot(sheet.name, ())
    ballot = stored.extended(sheet.votes)
    set_fact(session, key, ballot.fact)
    profile.ballots[sheet.contest] = ballot
