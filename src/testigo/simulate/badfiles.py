"""Broken, hostile and forged inputs, each with the outcome the pipeline must give it.

The byte-level writers (`truncated`, `png_bomb`, `zip_with`, ...) are usable
on their own in tests. `bad_files`, `reshoot` and `forgeries` plan whole files
for a simulation, with the expected status from `testigo.domain.Status`:

* rejected   — not a usable input: empty, truncated, not an image, a pixel
  bomb, and zip entries a careless extractor would write outside its folder
  (``../``, absolute), encrypted ones and nested archives. Each archive holds a
  genuine acta, so a reader that skips the safety checks gets caught accepting it.
* accepted   — an acta whose only QR is not an acta's (a web address): it is
  counted from its print, like an acta without a code.
* invalid    — an acta-shaped QR that does not parse, or counts above the
  mesa's registered voters.
* duplicate  — a second photo of an acta already in the election.
* conflict   — a forged acta for a mesa whose genuine acta is in the election
  (another real mesa's figures under its id, or votes moved between candidates).

Forgeries and copies target mesas from the first half of the election so that
even a parallel ingest settles the genuine acta first.
"""

from __future__ import annotations

import dataclasses
import io
import struct
import zipfile
import zlib
from collections.abc import Sequence

import numpy as np

from testigo.domain import Registry, Status
from testigo.profiles import Profile
from testigo.simulate.plan import Planned
from testigo.simulate.sheet import ActaSheet, make_sheet

#: Fixed timestamp for archive entries, so the same seed gives the same bytes.
_ZIP_TIME = (2024, 7, 28, 20, 0, 0)
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
RESULTS_URL = "https://resultadosconvzla.com/"
FORGERY_KINDS = ("other_mesa", "altered", "over_registered")


# --- bytes ------------------------------------------------------------------------------------


def truncated(data: bytes, keep: float = 0.4) -> bytes:
    """The first `keep` share of a file, as left by an interrupted upload."""
    return data[: int(len(data) * keep)]


def png_bomb(width: int = 40_000, height: int = 40_000) -> bytes:
    """A tiny PNG whose header claims a huge grayscale image (1.6 G pixels by default).

    Only a few rows of pixel data follow: a reader must refuse it from the
    header, before allocating or decompressing anything.
    """
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress((b"\x00" + b"\xff" * width) * 16, 9)
    return _PNG_SIGNATURE + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", rows) + _png_chunk(b"IEND", b"")


def zip_with(entries: Sequence[tuple[str, bytes]], *, encrypted: bool = False) -> bytes:
    """A zip archive holding `entries` under exactly the given names (``../x`` and ``/x`` included).

    Python cannot encrypt, so `encrypted` sets the "encrypted" flag bit on every
    entry after writing: readers then see encrypted entries, as a password-protected
    archive would show them.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(zipfile.ZipInfo(name, date_time=_ZIP_TIME), data)
    data = buffer.getvalue()
    return _flag_encrypted(data) if encrypted else data


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _flag_encrypted(data: bytes) -> bytes:
    """Set bit 0 of the general-purpose flags in every local and central header."""
    patched = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
    for info in infos:
        patched[info.header_offset + 6] |= 0x01
    end = patched.rfind(b"PK\x05\x06")
    position = struct.unpack_from("<I", patched, end + 16)[0]
    for _ in infos:
        patched[position + 8] |= 0x01
        name, extra, comment = struct.unpack_from("<HHH", patched, position + 28)
        position += 46 + name + extra + comment
    return bytes(patched)


# --- planned files ----------------------------------------------------------------------------


def bad_files(sample: bytes, sheet: ActaSheet) -> list[Planned]:
    """Broken and hostile inputs: `sample` is an encoded genuine acta image (of a mesa
    outside the election), `sheet` a sheet to print foreign or garbled QR codes on."""
    bad = "bad"
    rejected = Status.REJECTED
    garbage = f"{sheet.acta_id}!abc,1!0!0"
    return [
        Planned("bad_01_empty.jpg", bad, rejected, "empty file (0 bytes)", data=b""),
        Planned("bad_02_truncated.jpg", bad, rejected, "JPEG cut at 40 %: corrupt", data=truncated(sample)),
        Planned("bad_03_text.jpg", bad, rejected, "a text file named .jpg", data=b"Acta de la mesa 3, ver foto\n"),
        Planned("bad_04_bomb.png", bad, rejected, "PNG header claims 40000x40000 pixels", data=png_bomb()),
        Planned(
            "bad_05_traversal.zip",
            bad,
            rejected,
            "zip entry ../evil.jpg escapes the folder",
            data=zip_with([("../evil.jpg", sample)]),
        ),
        Planned(
            "bad_06_absolute.zip",
            bad,
            rejected,
            "zip entry with an absolute path",
            data=zip_with([("/tmp/evil.jpg", sample)]),
        ),
        Planned(
            "bad_07_encrypted.zip",
            bad,
            rejected,
            "encrypted zip entry",
            data=zip_with([("acta.jpg", sample)], encrypted=True),
        ),
        Planned(
            "bad_08_nested.zip",
            bad,
            rejected,
            "zip inside a zip",
            data=zip_with([("inner.zip", zip_with([("acta.jpg", sample)]))]),
        ),
        Planned(
            "bad_09_url_qr",
            bad,
            Status.ACCEPTED,
            "an acta whose QR is a web address: counted from its print",
            sheet=dataclasses.replace(sheet, payload=RESULTS_URL),
            quality="scan",
            foreign_code=True,
        ),
        Planned(
            "bad_10_garbage_qr",
            bad,
            Status.INVALID,
            "ve2024-shaped QR with non-numeric counts",
            sheet=dataclasses.replace(sheet, payload=garbage),
            quality="scan",
            carries_sheet=False,
        ),
    ]


def reshoot(election: Sequence[ActaSheet], rng: np.random.Generator) -> Planned:
    """Another photo of an acta already in the election: same payload, different bytes."""
    sheet = election[int(rng.integers(0, _first_half(election)))]
    return Planned(
        "copy_001",
        "copy",
        Status.DUPLICATE,
        f"second photo of the acta of {sheet.mesa_id}",
        sheet=sheet,
        quality="photo",
    )


def forgeries(
    count: int,
    election: Sequence[ActaSheet],
    outsiders: Sequence[ActaSheet],
    profile: Profile,
    registry: Registry,
    rng: np.random.Generator,
) -> list[Planned]:
    """`count` forged actas, cycling through `FORGERY_KINDS`, all with distinct payloads.

    `outsiders` are real mesas outside the election with a registered figure
    (one per over-registered forgery; also possible donors of figures).
    A forgery that happens to repeat an earlier payload would be a duplicate,
    not a conflict, so it is drawn again.
    """
    seen = {sheet.payload for sheet in election}
    planned: list[Planned] = []
    for i in range(count):
        kind = FORGERY_KINDS[i % len(FORGERY_KINDS)]
        while True:
            if kind == "other_mesa":
                sheet, expected, note = _other_mesa(election, outsiders, profile, registry, rng)
            elif kind == "altered":
                sheet, expected, note = _altered(election, profile, registry, rng)
            else:
                sheet, expected, note = _over_registered(outsiders[i // len(FORGERY_KINDS)], profile, registry, rng)
            if sheet.payload not in seen:
                break
        seen.add(sheet.payload)
        planned.append(Planned(f"forged_{i + 1:03d}_{kind}", "forged", expected, note, sheet=sheet, quality="photo"))
    return planned


_Forgery = tuple[ActaSheet, Status, str]


def _other_mesa(
    election: Sequence[ActaSheet],
    outsiders: Sequence[ActaSheet],
    profile: Profile,
    registry: Registry,
    rng: np.random.Generator,
) -> _Forgery:
    """A clean-looking acta for a target mesa carrying another real mesa's figures.

    The donor is chosen so the forged sheet passes every registry check:
    only the conflict with the target's genuine acta can reveal it.
    """
    target = election[int(rng.integers(0, _first_half(election)))]
    elsewhere = _center_votes(election, target)
    center_registered = registry.center_registered(registry.mesas[target.mesa_id].center_id)
    fitting = [
        s
        for s in (*election, *outsiders)
        if s.mesa_id != target.mesa_id
        and s.counts != target.counts
        and (target.registered is None or s.total_votes <= target.registered)
        and (center_registered is None or elsewhere + s.total_votes <= center_registered)
    ]
    if not fitting:
        raise ValueError(f"no mesa's figures fit under mesa {target.mesa_id}'s registered voters")
    donor = fitting[int(rng.integers(0, len(fitting)))]
    forged = make_sheet(profile, registry, target.mesa_id, list(donor.counts), donor.null_votes)
    return forged, Status.CONFLICT, f"acta for {target.mesa_id} carrying the figures of mesa {donor.mesa_id}"


def _altered(election: Sequence[ActaSheet], profile: Profile, registry: Registry, rng: np.random.Generator) -> _Forgery:
    """A genuine acta reprinted with 10-30 % of its biggest non-PSUV card moved to PSUV.

    Totals are unchanged, so it passes every check; only the conflict shows.
    (A mesa with votes on PSUV alone has them moved to MUD instead.)
    """
    target = election[int(rng.integers(0, _first_half(election)))]
    counts = list(target.counts)
    psuv = _card_index(profile, "PSUV")
    source = max((i for i in range(len(counts)) if i != psuv), key=counts.__getitem__)
    sink = psuv
    if counts[source] == 0:
        source, sink = psuv, _card_index(profile, "MUD")
    moved = max(1, round(counts[source] * rng.uniform(0.1, 0.3)))
    counts[source] -= moved
    counts[sink] += moved
    forged = make_sheet(profile, registry, target.mesa_id, counts, target.null_votes)
    parties = profile.election.cards[source].party, profile.election.cards[sink].party
    return (
        forged,
        Status.CONFLICT,
        f"acta of {target.mesa_id} with {moved} votes moved from {parties[0]} to {parties[1]}",
    )


def _over_registered(outsider: ActaSheet, profile: Profile, registry: Registry, rng: np.random.Generator) -> _Forgery:
    """An acta whose votes exceed its mesa's registered voters (a mesa outside the election)."""
    if outsider.registered is None:
        raise ValueError(f"mesa {outsider.mesa_id} has no registered figure to exceed")
    counts = list(outsider.counts)
    counts[_card_index(profile, "PSUV")] += outsider.registered - outsider.total_votes + int(rng.integers(5, 60))
    forged = make_sheet(profile, registry, outsider.mesa_id, counts, outsider.null_votes)
    note = f"acta of {outsider.mesa_id} with {forged.total_votes} votes for {outsider.registered} registered voters"
    return forged, Status.INVALID, note


def _first_half(election: Sequence[ActaSheet]) -> int:
    if not election:
        raise ValueError("forgeries and copies need at least one acta in the election")
    return max(1, len(election) // 2)


def _center_votes(election: Sequence[ActaSheet], target: ActaSheet) -> int:
    """Votes of the election's other actas in the target's center (what the center ceiling counts)."""
    return sum(s.total_votes for s in election if s.center_code == target.center_code and s.mesa_id != target.mesa_id)


def _card_index(profile: Profile, party: str) -> int:
    return next(i for i, card in enumerate(profile.election.cards) if card.party == party)
