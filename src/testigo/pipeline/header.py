"""A sheet's header codes read against the registry: which real mesa the print names, and how surely.

Read on its own, a nine-digit center code needs every digit right: on
simulated hard photos without a QR code PP-OCR's best reading of it was
wrong on half the sheets, while most of its digits, the mesa number and the
registered voters were legible. But a genuine sheet does not name any of a
billion codes: it names one of the registry's mesas, whose codes are all
known (`Profile.printed_header`). `match_header` weighs every mesa the print
could plausibly name — each that prints one of PP-OCR's most likely readings
(`NOMINEES`) of a field whose codes few mesas share (`MAX_NAMED`) — by the
likelihood of all its codes together, and returns the most likely with its
posterior among every mesa of the registry: those not weighed are counted
at an upper bound of their probability (`_unweighed_mass`), so stopping
the weighing early can only make a match less certain, never more. When
that bound is all that holds a match back, every mesa of the registry is
weighed (`EVERY_MESA`) and the posterior is exact.

Two guards keep the registry from inventing a mesa:

* the print must support the mesa's codes nearly as well as its own best
  reading of them (`HEADER_SLACK` nats in all): a sheet that plainly prints
  a code the registry lacks (a mesa added since, a forged header) is never
  moved onto a real one nearby;
* the posterior must reach the figures' `ACCEPT_CONFIDENCE`, so a print
  that fits two real mesas (two mesas of one center with close registered
  voters, and the mesa number blurred) names neither.

The index is the registry shipped with the profile, built once per process
(a worker reads many sheets). The workspace's own registry is still the
judge (`testigo.pipeline.printed.accepted_alone`): a mesa it lacks is
refused there whatever matched here.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from testigo.domain.layout import SheetLayout
from testigo.profiles import Profile, get_profile
from testigo.read.printed.figures import ACCEPT_CONFIDENCE
from testigo.read.printed.reading import FieldReading

#: A code printed by more mesas than this (a mesa number: thousands of centers have a mesa 1) does not
#: nominate mesas to weigh; the center codes and registered voters read (tens of mesas each) do, and
#: every mesa weighed is then weighed by all its codes.
MAX_NAMED = 1000
#: PP-OCR's most likely strings per field that nominate mesas. The more of a field's probability they
#: hold, the less is left to the mesas not weighed (`_unweighed_mass`).
NOMINEES = 64
#: Strings per field when the mesas `NOMINEES` leave unweighed are all that keeps a match from certainty: on
#: hard photos PP-OCR spreads a blurred center code over many strings (its 64 likeliest held 59% to 90% of
#: its probability on three hardest photos whose true mesa led by 19 nats or more, at posteriors 0.994 to
#: 0.9986). On 240 hard and hardest photos, matched with certainty 145 -> 157 sheets, all the true mesa;
#: the header costs 98 -> 174 ms a sheet on average (up to 1.4 s on the widened ones).
WIDER_NOMINEES = 256
#: A registry of at most this many mesas is weighed whole when the bound on the mesas not weighed is all that
#: keeps a match from certainty after `WIDER_NOMINEES`: every distinct code of each field scored (the CTC forward
#: pass over 12,824 center codes took 0.8 s of CPU, the 962 registered-voter counts 0.02 s), then each mesa's sum.
#: On a hard photo whose registered voters read 382 as 111 or 181, the true mesa led every other by 19 nats but
#: the bound left it at 0.965; weighed whole, 0.99999996. A national registry of hundreds of thousands of
#: sections (Brazil's) keeps the bound: weighing it whole would cost seconds a sheet.
EVERY_MESA = 100_000
#: The matched mesa's codes may be this much less likely (nats, all header fields together) than the
#: print's own best reading of them. On 94 simulated hard and hardest photos without a code, the true
#: mesa's codes were up to 7.7 nats below the best reading where they were the only plausible mesa.
HEADER_SLACK = 10.0


@dataclass(frozen=True)
class MatchedHeader:
    """The registry mesa a header names: its codes, their posterior, and what the print alone read."""

    mesa_id: str
    codes: dict[str, str]
    confidence: float
    read: dict[str, str]

    @property
    def certain(self) -> bool:
        """The posterior reaches `ACCEPT_CONFIDENCE`."""
        return self.confidence >= ACCEPT_CONFIDENCE

    @property
    def corrected(self) -> list[str]:
        """The fields read whose code is not the print's own best reading."""
        return [name for name, code in self.codes.items() if name in self.read and self.read[name] != code]


def match_header(profile: Profile, fields: Mapping[str, FieldReading], layout: SheetLayout) -> MatchedHeader | None:
    """The registry mesa the header's `fields` name, or None when the print supports none within `HEADER_SLACK`.

    `fields` are the header fields found on the sheet, read by PP-OCR alone
    (their scores must be probabilities); a field whose label was not found
    is simply not weighed.
    """
    read = {name: field for name, field in fields.items() if field.candidates and not field.has_font}
    if not read:
        return None
    matched, bounded = _match(profile, read, layout, NOMINEES)
    # while the bound on the mesas not weighed is all that holds the match back: weigh more of them, then all
    wider: list[int | None] = [WIDER_NOMINEES, *([None] if len(_codes(profile.name)) <= EVERY_MESA else [])]
    for nominees in wider:
        if matched is None or matched.certain or not bounded:
            break
        matched, bounded = _match(profile, read, layout, nominees)
    return matched


def _match(
    profile: Profile, read: Mapping[str, FieldReading], layout: SheetLayout, nominees: int | None
) -> tuple[MatchedHeader | None, bool]:
    """The best mesa among those `nominees` strings per field name, and whether the bound on the others held it back.

    The second part is true when the match would be certain without the
    mesas not weighed (`_unweighed_mass`): weighing more of them may then
    make it certain, as their bound shrinks. `nominees` None weighs every
    mesa of the registry: none is left to a bound.
    """
    index, registry = _index(profile.name), _codes(profile.name)
    if nominees is None:
        mesas, unweighed_mass = list(registry), -math.inf
    else:
        likely = {name: field.likely(nominees) for name, field in read.items() if name in index}
        nominating = {
            name: strings
            for name, strings in likely.items()
            if strings and all(len(index[name].get(text, ())) <= MAX_NAMED for text, _ in strings)
        }
        mesas = sorted(
            {m for name, strings in nominating.items() for text, _ in strings for m in index[name].get(text, ())}
        )
        unweighed_mass = _unweighed_mass(nominating)
    weighed = sorted(zip(_weights(read, [registry[m] for m in mesas]), mesas, strict=True), reverse=True)
    own = sum(field.candidates[0][1] for field in read.values())
    if not weighed or not math.isfinite(weighed[0][0]) or weighed[0][0] < own - HEADER_SLACK:
        return None, False
    top, mesa_id = weighed[0]
    shared = _most_sharing(profile.name, tuple(sorted(read)))
    unweighed = shared * math.exp(min(unweighed_mass - top, 700.0))
    among_weighed = sum(math.exp(weight - top) for weight, _ in weighed)
    confidence = 1.0 / (among_weighed + unweighed)
    codes = {spec.field: registry[mesa_id][spec.field] for spec in layout.header if spec.field in registry[mesa_id]}
    matched = MatchedHeader(mesa_id, codes, confidence, {name: field.text for name, field in read.items()})
    return matched, 1.0 / among_weighed >= ACCEPT_CONFIDENCE


def _unweighed_mass(nominating: Mapping[str, Sequence[tuple[str, float]]]) -> float:
    """An upper bound on the summed probability of every mesa not weighed (natural log).

    A field's PP-OCR scores are log-probabilities of digit strings that sum
    to 1 over all strings (`testigo.read.ocr.digits`). A mesa not weighed
    prints, in each nominating field, none of the strings listed (each
    listed string nominated every mesa that prints it, or is printed by
    none: a code one digit short, say); as no two mesas print the same
    codes, those mesas together hold at most the product, over the
    nominating fields, of the probability left outside the listed strings
    (times `_most_sharing` when only some fields were read).
    """
    log_mass = 0.0
    for strings in nominating.values():
        kept = sum(math.exp(score) for _, score in strings)
        log_mass += math.log(max(1.0 - kept, 1e-300))
    return log_mass


def _weights(fields: Mapping[str, FieldReading], mesas: Sequence[Mapping[str, str]]) -> list[float]:
    """How likely the print makes each mesa's codes: the sum over the fields read (-inf: a code the mesa lacks).

    Each field scores all the distinct codes at once (one pass of the CTC
    forward algorithm over them).
    """
    scores = {
        name: field.log_likelihoods({codes[name] for codes in mesas if name in codes}) for name, field in fields.items()
    }
    return [sum(scores[name][codes[name]] if name in codes else -math.inf for name in fields) for codes in mesas]


@cache
def _codes(profile_name: str) -> dict[str, dict[str, str]]:
    """Every registry mesa's printed header codes, by mesa id (the profile's shipped registry)."""
    profile = get_profile(profile_name)
    return {mesa.id: profile.printed_header(mesa) for mesa in profile.load_registry().mesas.values()}


@cache
def _most_sharing(profile_name: str, names: tuple[str, ...]) -> int:
    """The most registry mesas that print the same codes in the fields `names` (1 when those tell every mesa apart).

    `_unweighed_mass` bounds the mesas not weighed as if each printed its own
    codes; when a field was not read (a label lost), several mesas of one
    center may share the codes that were, and each counts.
    """
    counts: dict[tuple[str | None, ...], int] = defaultdict(int)
    for codes in _codes(profile_name).values():
        counts[tuple(codes.get(name) for name in names)] += 1
    return max(counts.values(), default=1)


@cache
def _index(profile_name: str) -> dict[str, dict[str, list[str]]]:
    """For each header field and code, the registry mesas that print it."""
    index: dict[str, dict[str, list[str]]] = defaultdict(dict)
    for mesa_id, codes in _codes(profile_name).items():
        for name, code in codes.items():
            index[name].setdefault(code, []).append(mesa_id)
    return dict(index)
