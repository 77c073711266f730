"""Reading a bundle's boletins de urna again: parts gathered across its images, each BU judged, each contest found.

A BU's QR codes are parts of one signed text, spread over one or several
photos (`testigo.pipeline.bu_ingest`), and the log keeps one entry per
contest, whose payload is the contest as the BU states it. So an image does
not yield its entries' payloads by itself, as an acta's code does: `verify`
gathers the codes read again from every published image, in the order the
log first names them, into whole BUs (`testigo.profiles.bu.assemble`, as the
ingest did), judges each again (chain, signature, sums:
`testigo.pipeline.boletins.judge_found`), and requires every logged contest
to be a contest of a BU that has a part on that entry's image, and every
logged part to be read again from it.

What it cannot re-check: a signature by a TSE key that neither ships with
testigo nor lies in the folder given (`testigo verify --bu-keys`: a key the
workspace added with `testigo keys add`). Such a BU is judged on its chain
and sums only, and counted in the detail. A BU
judged invalid here (a broken chain, a bad signature, impossible sums) whose
contests the log counts is a problem.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from testigo.domain import Status
from testigo.ledger.entries import Entry
from testigo.pipeline.boletins import BoletimStatus, KeyLookup, certificates_of, judge_found
from testigo.pipeline.decode import LISTED, Decoded
from testigo.profiles.br import contest_sheets
from testigo.profiles.bu.assemble import Collector, Outcome
from testigo.profiles.bu.keys import KeyRing

#: Statuses of an entry whose payload is a contest the ingest took from a whole BU.
_COUNTED = (Status.ACCEPTED, Status.DUPLICATE, Status.CONFLICT)


@dataclass
class BoletinsReadAgain:
    """What reading the published images' codes again gave."""

    boletins: int = 0
    """Whole BUs gathered from the codes read again."""
    unsigned: int = 0
    """Of them, judged on their chain and sums only: their TSE key neither ships with testigo nor is in `keys`."""
    problems: list[str] = field(default_factory=list)


def read_boletins_again(
    logged: Mapping[str, Sequence[Entry]], decoded: Mapping[str, tuple[str, Decoded]], keys: Path | None = None
) -> BoletinsReadAgain:
    """Check the entries of every image in `decoded` (sha256 -> bundle path and its reading again) against the
    BUs its codes and those of the other images make; `logged` gives each image's item entries in log order.
    `keys` is a folder of TSE keys trusted beside the shipped ones (each vetted as `testigo keys add` does)."""
    result = BoletinsReadAgain()
    first_named = {sha: min(entry.seq for entry in logged.get(sha, ())) for sha in decoded if logged.get(sha)}
    read: dict[str, set[str]] = {}  # image -> the codes read again from it
    collector = Collector()
    lookup = KeyLookup(KeyRing(keys))  # the shipped TSE keys and `keys`, vetted against the official list
    offered: dict[str, set[str]] = {}  # contest payload -> images holding a part of a valid BU that states it
    invalid: dict[tuple[str, str], str] = {}  # (payload, image) -> why the BU stating it there is invalid
    by_part: dict[str, set[str]] = {}  # code -> images it was read from
    refused: dict[str, str] = {}  # image -> why the collector refused a code of it (a part 1 that lies, say)
    for sha in sorted(first_named, key=first_named.__getitem__):
        path, decoding = decoded[sha]
        if decoding.reading is None:
            result.problems.append(f"{path} cannot be read again ({decoding.reject})")
            continue
        for page in decoding.reading.pages:
            texts = page.payloads
            read.setdefault(sha, set()).update(texts)
            for text in texts:
                by_part.setdefault(text, set()).add(sha)
            answers = collector.add_page(texts, listed=page.strategy == LISTED)
            for added in answers:
                if added.outcome is Outcome.REJECTED or added.malformed:
                    refused.setdefault(sha, "; ".join(added.malformed) or added.reason)
            certificates = certificates_of(texts)
            for boletim in (b for added in answers for b in added.completed):
                result.boletins += 1
                checked = judge_found(lookup, boletim, certificates)
                result.unsigned += checked.status is BoletimStatus.UNVERIFIED
                images = {image for part in boletim.parts for image in by_part.get(part.text, ())}
                for sheet in contest_sheets(boletim):
                    if checked.status is BoletimStatus.INVALID:
                        invalid.update(dict.fromkeys(((sheet.payload(), image) for image in images), checked.reason))
                    else:
                        offered.setdefault(sheet.payload(), set()).update(images)
    lacking = {part.text: str(missing) for missing in collector.incomplete() for part in missing.parts}
    for sha in first_named:  # why an image's codes make no whole BU, when one of them waits to the end
        waits = next((lacking[code] for code in sorted(read.get(sha, ())) if code in lacking), None)
        if waits is not None:
            refused.setdefault(sha, f"it waits: {waits}")
    everywhere = set(by_part)
    for sha in first_named:
        path = decoded[sha][0]
        for entry in logged.get(sha, ()):
            problem = _entry_problem(entry, sha, (read.get(sha, set()), everywhere), offered, invalid)
            if problem and sha in refused and entry.status in _COUNTED:
                problem += f" (a code of it makes no BU: {refused[sha]})"
            if problem:
                result.problems.append(f"log entry {entry.seq}: {path} {problem}")
    return result


def _entry_problem(
    entry: Entry,
    sha: str,
    codes: tuple[set[str], set[str]],
    offered: Mapping[str, set[str]],
    invalid: Mapping[tuple[str, str], str],
) -> str | None:
    """Why the codes read again do not give what `entry` logged of image `sha`, or None when they do.

    `codes` are those read again from this image and from every image: a
    code left waiting or refused is this image's own, the parts of a BU
    refused whole may come from several.
    """
    payload, (own, everywhere) = entry.payload, codes
    if payload is None:
        return None  # a page without a code: nothing was logged of it to find again
    if entry.status not in _COUNTED:
        lines = [line for line in payload.splitlines() if line]
        missing = [line for line in lines if line not in (own if len(lines) == 1 else everywhere)]
        return f"no longer yields the code the entry logs ({missing[0][:60]!r}...)" if missing else None
    if payload in own or sha in offered.get(payload, ()):  # a part received twice, or a contest of a BU here
        return None
    if (payload, sha) in invalid:
        return f"states the logged contest in a BU that is invalid when judged again: {invalid[(payload, sha)]}"
    return "and the other published images give no BU with a part on it that states the logged contest"
