"""BU parts arriving one at a time, in any order, from several photos, gathered into whole BUs.

Only part 1 names the section: a part k > 1 carries nothing but its data and
its ``HASH``, which covers parts 1 to k-1 as well. So a part k belongs to the
BU whose parts 1 to k-1, received so far, make its ``HASH`` verify, and to no
other (finding two would take a SHA-512 collision). The collector keeps a tree
of verified prefixes: part 1 starts one when its own hash holds; a part k
extends the prefix of k-1 parts (same count and format) that makes it verify
and otherwise waits, and each new prefix takes the waiting parts that now
verify. A prefix of all n parts is a complete BU, reported once. Two
different parts that both verify after the same prefix (a forger can
recompute a hash, never the signature) make two branches, and each branch that
completes is its own BU, for the signature check to judge.

Nothing here is checked beyond the chain: the signature and the sums are
`testigo.profiles.bu.chain` and `testigo.profiles.bu.arithmetic`'s business.

A completed BU's prefixes are not dropped: were they, a forgery received
first (parts recomputed after a genuine prefix, any signature) would keep the
genuine parts that follow from ever verifying. They are kept for the
`RETIRED_WINDOW` most recent completed BUs of the same kind (count, format,
key version): a genuine part arriving after more BUs of its kind than that
have completed since its forged twin waits, reported by `waiting`. The state
to persist (`CollectorState`) is every text accepted, in arrival order.

Cost: a part is tried against the prefixes of its kind that await it, open
ones newest first, then the window; a photo's codes are added lowest part
first. So a part whose earlier parts came first costs a hash or two however
many BUs were seen; a part that must wait costs one hash per open prefix of
its kind (BUs begun and not complete) plus the window.

Format 6.0's certificate codes (``QRCE:i:n``) are gathered by urna (``IDUE``,
``MDUE``, n); each complete set is reported once for every new combination of
the parts received, so that a forged code received first cannot keep the
genuine one out.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from itertools import chain, product

from testigo.profiles.base import PayloadError
from testigo.profiles.bu.chain import running_hashes
from testigo.profiles.bu.model import Boletim, BuPart, CertificatePart, SectionKey
from testigo.profiles.bu.text import MalformedBoletim, data_tokens, parse_boletim, parse_code


@dataclass(frozen=True)
class CollectorState:
    """What a collector needs to go on later: plain strings, ready for a database or JSON."""

    #: every text accepted (BU and certificate parts), in arrival order
    texts: tuple[str, ...] = ()


class Outcome(Enum):
    """What became of one text handed to the collector."""

    ADDED = "added"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Added:
    """The answer to `Collector.add`: the outcome, its one-line reason and whatever the text completed."""

    outcome: Outcome
    reason: str
    #: BUs whose last missing part this text was
    completed: tuple[Boletim, ...] = ()
    #: certificate sets (format 6.0) this text completed, each its parts in order
    certificates: tuple[tuple[CertificatePart, ...], ...] = ()
    #: complete chains whose contents do not read as a BU, each the reason
    malformed: tuple[str, ...] = ()
    #: the parts of every BU this text completed, in the order found, whether they read as one or not (a
    #: collector that does not parse leaves `completed` and `malformed` empty for its caller: `Collector`)
    chains: tuple[tuple[BuPart, ...], ...] = ()


@dataclass(frozen=True)
class Incomplete:
    """A BU of which parts 1 to k verify and parts k+1 to n have not arrived (or not verified)."""

    parts: tuple[BuPart, ...]
    missing: tuple[int, ...]
    #: the section, read from part 1's header; None when part 1 does not hold it whole
    section_key: SectionKey | None

    def __str__(self) -> str:
        received = ", ".join(str(p.index) for p in self.parts)
        lacks = ", ".join(str(k) for k in self.missing)
        return f"{self.section_key or 'BU'}: parts {received} of {self.parts[0].count} received, lacks {lacks}"


def _family(part: BuPart) -> tuple[int, str, str | None]:
    """What every part of one BU shares in its own header."""
    return part.count, part.format_version, part.key_version


def _section_key(first: BuPart) -> SectionKey | None:
    tokens = data_tokens(first.body)
    end = next((k for k, (key, _) in enumerate(tokens) if key == "IDEL"), len(tokens))
    try:
        return Boletim(tokens[:end], (), (first,)).section_key
    except (KeyError, ValueError):
        return None


@dataclass(eq=False)
class _Prefix:
    """Parts 1 to k of a BU whose chain holds, and the hasher fed through ``" HASH:" + HASH_k``."""

    parts: tuple[BuPart, ...]
    hasher: hashlib._Hash
    parent: _Prefix | None
    children: int = 0

    def takes(self, part: BuPart) -> bool:
        """Whether `part`'s HASH verifies after this prefix (its slot has matched its number and kind)."""
        hasher = self.hasher.copy()
        hasher.update(f" {part.body}".encode("ascii"))
        return hasher.hexdigest().upper() == part.hash_hex

    def child(self, part: BuPart) -> _Prefix:
        """This prefix and its next part (which `takes` has accepted)."""
        hasher = self.hasher.copy()
        hasher.update(f" {part.body} HASH:{part.hash_hex}".encode("ascii"))
        self.children += 1
        return _Prefix((*self.parts, part), hasher, self)


#: How many completed BUs of one kind (count, format, key version) a late part is tried against.
RETIRED_WINDOW = 256


def _part_number(text: str) -> int:
    """The i of a ``QRBU:i:n`` text, 0 for anything else (read before the text is parsed, to order a photo)."""
    return int(text[5]) if text.startswith("QRBU:") and text[5:6].isdigit() else 0


#: Where a part's predecessor prefixes are indexed: count, format, key version, the part's number.
_Slot = tuple[int, str, str | None, int]


def _slot(part: BuPart, index: int) -> _Slot:
    return (*_family(part), index)


class Collector:
    """Gathers BU parts into whole BUs; see the module's docstring for the rules.

    Without `parse`, a completed BU is reported by its parts alone (`Added.chains`): ingest's writer takes
    most BUs read already by the process that read their file (`testigo.pipeline.bu_read`), and parses
    only the others.
    """

    def __init__(self, *, parse: bool = True) -> None:
        self._parse = parse
        self._accepted: dict[str, BuPart | CertificatePart] = {}
        # prefixes by the slot of the part they await, and by the text of their last part
        self._prefixes: dict[_Slot, dict[str, _Prefix]] = {}
        # prefixes of completed BUs, the most recent of each slot only (see RETIRED_WINDOW)
        self._retired: dict[_Slot, deque[_Prefix]] = {}
        self._waiting: dict[_Slot, dict[str, BuPart]] = {}
        self._certificates: dict[tuple[str, str, int], list[CertificatePart]] = {}

    @classmethod
    def restore(cls, state: CollectorState, *, parse: bool = True) -> Collector:
        """The collector that `state` was taken from (what it completed is not reported again)."""
        collector = cls(parse=parse)
        for text in state.texts:
            collector._add(text, report=False)
        return collector

    def state(self) -> CollectorState:
        """What to persist to `restore` this collector later."""
        return CollectorState(tuple(self._accepted))

    def add_photo(self, texts: Sequence[str]) -> tuple[Added, ...]:
        """Every code read from one photo, answered in the photo's order.

        They are added lowest part number first (a decoder finds the codes of a
        photo in any order), so a BU whose parts share a photo never waits.
        """
        order = sorted(range(len(texts)), key=lambda k: _part_number(texts[k]))
        answers = {k: self.add(texts[k]) for k in order}
        return tuple(answers[k] for k in range(len(texts)))

    def add_page(self, texts: Sequence[str], *, listed: bool) -> tuple[Added, ...]:
        """A page's codes, answered in its order: a list of decoded codes (a text file) added in the order
        given, a photo's codes lowest part first (`add_photo`)."""
        return tuple(self.add(text) for text in texts) if listed else self.add_photo(texts)

    def add(self, text: str) -> Added:
        """One decoded QR text: a BU part, a certificate part, or something refused with its reason."""
        return self._add(text, report=True)

    def _add(self, text: str, *, report: bool) -> Added:
        """`add`; without `report`, completed BUs are not read (a restore has reported them already)."""
        if text in self._accepted:
            return Added(Outcome.DUPLICATE, "already received")
        try:
            code = parse_code(text)
        except PayloadError as error:
            return Added(Outcome.REJECTED, str(error))
        if isinstance(code, CertificatePart):
            self._accepted[text] = code
            return self._add_certificate(code)
        if code.index == 1:
            digest, hasher = next(running_hashes([code.body]))
            if digest != code.hash_hex:
                return Added(Outcome.REJECTED, f"part 1 of {code.count}: its HASH does not match its data")
            self._accepted[text] = code
            return self._grow(_Prefix((code,), hasher, None), report)
        self._accepted[text] = code
        slot = _slot(code, code.index)
        candidates = chain(reversed(self._prefixes.get(slot, {}).values()), reversed(self._retired.get(slot, ())))
        for prefix in candidates:
            if prefix.takes(code):
                return self._grow(prefix.child(code), report)
        self._waiting.setdefault(slot, {})[text] = code
        return Added(Outcome.ADDED, f"part {code.index} of {code.count} waits for the parts before it")

    def _grow(self, start: _Prefix, report: bool) -> Added:
        """Record a new verified prefix, then every waiting part it (and what follows) lets in."""
        completed: list[Boletim] = []
        malformed: list[str] = []
        chains: list[tuple[BuPart, ...]] = []
        work = [start]
        while work:
            prefix = work.pop()
            last = prefix.parts[-1]
            if last.index == last.count:
                self._retire(prefix.parent)
                if not report:
                    continue
                chains.append(prefix.parts)
                if not self._parse:
                    continue
                try:
                    completed.append(parse_boletim(prefix.parts))
                except MalformedBoletim as error:
                    malformed.append(str(error))
                continue
            slot = _slot(last, last.index + 1)
            self._prefixes.setdefault(slot, {})[last.text] = prefix
            waiting = self._waiting.get(slot, {})
            for text, part in list(waiting.items()):
                if prefix.takes(part):
                    del waiting[text]
                    work.append(prefix.child(part))
        reason = f"part {start.parts[-1].index} of {start.parts[-1].count} verified"
        return Added(Outcome.ADDED, reason, tuple(completed), malformed=tuple(malformed), chains=tuple(chains))

    def _retire(self, prefix: _Prefix | None) -> None:
        """Move a completed BU's prefixes out of the open ones, into the window of recent completed ones."""
        while prefix is not None:
            last = prefix.parts[-1]
            slot = _slot(last, last.index + 1)
            if self._prefixes.get(slot, {}).pop(last.text, None) is None:
                return  # retired already, and so is everything before it
            self._retired.setdefault(slot, deque(maxlen=RETIRED_WINDOW)).append(prefix)
            prefix = prefix.parent

    def _add_certificate(self, part: CertificatePart) -> Added:
        group = self._certificates.setdefault((part.urna_id, part.model, part.count), [])
        group.append(part)
        by_index = [[p for p in group if p.index == k] for k in range(1, part.count + 1)]
        by_index[part.index - 1] = [part]  # only the sets this part is new to
        sets = tuple(product(*by_index)) if all(by_index) else ()
        reason = f"certificate part {part.index} of {part.count} of urna {part.urna_id}"
        return Added(Outcome.ADDED, reason, certificates=tuple(tuple(s) for s in sets))

    def incomplete(self) -> tuple[Incomplete, ...]:
        """Every BU begun and not complete: its verified parts and the part numbers it lacks.

        A prefix that something extends is not reported: it is the beginning of that longer one.
        """
        return tuple(
            Incomplete(p.parts, tuple(range(len(p.parts) + 1, p.parts[0].count + 1)), _section_key(p.parts[0]))
            for prefixes in self._prefixes.values()
            for p in prefixes.values()
            if not p.children
        )

    def waiting(self) -> tuple[BuPart, ...]:
        """Parts k > 1 that no prefix received so far makes verify (their BU's earlier parts are missing)."""
        return tuple(part for parts in self._waiting.values() for part in parts.values())
