"""`testigo publish`: the bundle's layout and content, incremental re-publishing, what it must never contain."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from testigo.domain import Status
from testigo.errors import UserError
from testigo.ledger import Verifier, verify_checkpoint, verify_inclusion
from testigo.ledger.merkle import leaf_hash
from testigo.pipeline.logbook import finish_logged
from testigo.publish import publish
from testigo.publish.layout import (
    CHECKPOINT,
    ENTRIES,
    KEY,
    MANIFEST,
    MESAS_CSV,
    MESAS_JSON,
    MESAS_PARQUET,
    NIST_JSON,
    TOTALS_JSON,
    page_path,
)
from testigo.publish.tables import flatten, read_csv
from testigo.store import publication as publication_table
from testigo.store import submissions as subs
from testigo.store.workspace import Store, init_workspace, open_workspace
from testigo.tally import tally
from testigo.tally.aggregate import accepted_matrix
from testigo.tally.bounds import bounds
from tests.publish.bundles import FIRST, IMAGES, LOG_SIZE, TOTAL, Published, shared


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Published:
    return shared(tmp_path_factory)


@pytest.fixture
def store_of(published: Published) -> Any:
    opened: list[Store] = []

    def open_() -> Store:
        opened.append(open_workspace(str(published.workspace)))
        return opened[-1]

    yield open_
    for store in opened:
        store.close()


def test_layout_log_and_key(published: Published) -> None:
    bundle = published.bundle
    manifest = json.loads((bundle / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["format"] == "testigo-bundle/1" and manifest["tree_size"] == LOG_SIZE
    key = (bundle / KEY).read_text(encoding="utf-8").strip()
    assert key == published.key
    head = verify_checkpoint(
        (bundle / CHECKPOINT).read_text(encoding="utf-8"), [Verifier.parse(key)], origin=manifest["origin"]
    )
    lines = (bundle / ENTRIES).read_bytes().splitlines()
    assert len(lines) == head.size == LOG_SIZE
    assert sorted(p.name for p in (bundle / "log" / "checkpoints").iterdir()) == sorted([str(FIRST), str(LOG_SIZE)])
    assert json.loads((bundle / "log" / "consistency" / f"{FIRST}.json").read_text())["new_size"] == LOG_SIZE
    for image in (bundle / "actas").iterdir():
        assert image.stem == hashlib.sha256(image.read_bytes()).hexdigest()
    assert len(list((bundle / "actas").iterdir())) == IMAGES
    assert len(list((bundle / "mesa").iterdir())) == TOTAL
    assert (bundle / "index.html").is_file() and (bundle / "registro.html").is_file()
    assert (bundle / "static" / "testigo.css").is_file()


def test_republishing_only_writes_what_is_new(published: Published) -> None:
    first, second, third = (report.to_json()["files"] for report in published.reports)
    assert first["images"] == {"written": FIRST, "unchanged": 0}
    assert second["images"] == {"written": IMAGES - FIRST, "unchanged": FIRST}
    assert all(counts["written"] == 0 for counts in third.values()), third
    bundle = published.bundle
    rows = json.loads((bundle / MESAS_JSON).read_text(encoding="utf-8"))["mesas"]
    # the pages of the first mesas that nothing later concerns (neither the copy nor the forgery) were left alone
    pages = {row["mesa_id"]: f"mesa/{row['mesa_id']}.html" for row in rows}
    untouched = [
        page
        for page in pages.values()
        if all(int(seq) < FIRST for seq in re.findall(r"<b>#(\d+)</b>", (bundle / page).read_text(encoding="utf-8")))
    ]
    assert len(untouched) >= FIRST - 2
    untouched += [image for row in rows if row["log_entry"] < FIRST for image in row["images"][:1]]
    for path in untouched:
        assert (bundle / path).stat().st_mtime_ns == published.first_files[path], path


def test_no_private_key_no_submitter_no_local_path(published: Published, store_of: Any) -> None:
    store = store_of()
    secret = store.signer.private_key_text()
    folders = [str(published.workspace.parent), str(published.images[0].parent)]
    forbidden = [secret, "PRIVATE+KEY", "submitted_by", *folders]
    for path in published.bundle.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for text in forbidden:
                assert text.encode() not in data, f"{path} contains {text!r}"


def test_the_three_tables_agree_with_each_other_and_with_tally(published: Published, store_of: Any) -> None:
    bundle, store = published.bundle, store_of()
    election = store.profile.election
    document = json.loads((bundle / MESAS_JSON).read_text(encoding="utf-8"))
    from_json = [flatten(row, election) for row in document["mesas"]]
    from_csv = read_csv((bundle / MESAS_CSV).read_bytes(), election)
    from_parquet = pq.read_table(bundle / MESAS_PARQUET).to_pylist()
    assert from_json == from_csv == from_parquet
    by_tally = {row.id: (row.cards, row.null_votes) for row in tally(store, "mesa").rows}
    assert {row["acta_id"]: (row["cards"], row["null_votes"]) for row in document["mesas"]} == by_tally
    totals = json.loads((bundle / TOTALS_JSON).read_text(encoding="utf-8"))
    for level in ("country", "state", "municipality", "parish", "center"):
        assert totals[level] == tally(store, level).to_json()


def test_mesa_pages_carry_an_inclusion_proof_of_their_entry(published: Published) -> None:
    bundle = published.bundle
    bodies = (bundle / ENTRIES).read_bytes().splitlines()
    key = Verifier.parse((bundle / KEY).read_text(encoding="utf-8").strip())
    for row in json.loads((bundle / MESAS_JSON).read_text(encoding="utf-8"))["mesas"]:
        page = (bundle / "mesa" / f"{row['mesa_id']}.html").read_text(encoding="utf-8")
        for image in row["images"]:
            assert f'src="../{image}"' in page
        proof_pattern = r'en <a href="../log/checkpoints/(\d+)">.*?\(índice (\d+),.*?</p>\n<pre>(.*?)</pre>'
        found = re.search(proof_pattern, page, re.S)
        assert found, page
        size, seq, proof = int(found[1]), int(found[2]), found[3].split()
        assert seq == row["log_entry"] and size == (FIRST if seq < FIRST else LOG_SIZE)
        note = (bundle / "log" / "checkpoints" / str(size)).read_text(encoding="utf-8")
        head = verify_checkpoint(note, [key], origin=key.name)
        verify_inclusion(seq, size, leaf_hash(bodies[seq]), [bytes.fromhex(h) for h in proof], head.root_hash)


def test_a_resent_copy_is_listed_with_its_acta_and_not_published_twice(published: Published) -> None:
    bundle = published.bundle
    entries = [json.loads(line) for line in (bundle / ENTRIES).read_bytes().splitlines()]
    [(seq, copy)] = [(i, e) for i, e in enumerate(entries) if e["status"] == Status.DUPLICATE]
    # the copy was sent as copia-<name>: the log names it by content only (format 2), like the original
    assert copy["payload"] is None and copy["file"] == entries[0]["file"]
    first = json.loads((bundle / MESAS_JSON).read_text(encoding="utf-8"))["mesas"]
    [row] = [row for row in first if row["log_entry"] == 0]
    page = (bundle / "mesa" / f"{row['mesa_id']}.html").read_text(encoding="utf-8")
    assert copy["sha256"] == entries[0]["sha256"] and f'<b>#{seq}</b> <span class="status duplicate">' in page
    assert page.count(f'<img src="../{row["images"][0]}"') == 1


def test_a_conflicting_acta_is_shown_beside_the_accepted_one_and_not_counted(published: Published) -> None:
    bundle = published.bundle
    entries = [json.loads(line) for line in (bundle / ENTRIES).read_bytes().splitlines()]
    [(seq, forged)] = [(i, e) for i, e in enumerate(entries) if e["status"] == Status.CONFLICT]
    assert forged["file"].startswith(forged["sha256"][:16] + ".") and published.forged.name not in json.dumps(entries)
    image = next((bundle / "actas").glob(f"{forged['sha256']}.*")).name
    rows = json.loads((bundle / MESAS_JSON).read_text(encoding="utf-8"))["mesas"]
    [row] = [row for row in rows if row["acta_id"] == forged["acta_id"]]
    assert row["log_entry"] < FIRST and f"actas/{image}" in row["images"]
    forged_counts = [int(v) for v in forged["payload"].split("!")[1].split(",")]
    assert row["cards"] != forged_counts  # the accepted acta's figures count, not the forgery's
    page = (bundle / "mesa" / f"{row['mesa_id']}.html").read_text(encoding="utf-8")
    assert "1 en conflicto" in page and f'<b>#{seq}</b> <span class="status conflict">' in page
    assert f'src="../actas/{image}"' in page


#: Required properties of each NIST SP 1500-100 v2 type used, and every property the schema allows
#: (its objects have additionalProperties: false).
_NIST: dict[str, tuple[set[str], set[str]]] = {
    "ElectionReport": (
        {
            "Format",
            "GeneratedDate",
            "Issuer",
            "IssuerAbbreviation",
            "SequenceEnd",
            "SequenceStart",
            "Status",
            "VendorApplicationId",
        },
        {
            "ExternalIdentifier",
            "IsTest",
            "Notes",
            "Person",
            "Signature",
            "TestType",
            "Election",
            "GpUnit",
            "Office",
            "OfficeGroup",
            "Party",
        },
    ),
    "Election": (
        {"ElectionScopeId", "EndDate", "Name", "StartDate", "Type"},
        {"ContactInformation", "CountStatus", "ExternalIdentifier", "OtherType", "BallotStyle", "Candidate", "Contest"},
    ),
    "CandidateContest": (
        {"VotesAllowed", "ElectoralDistrictId", "Name", "@id"},
        {
            "NumberElected",
            "NumberRunoff",
            "OfficeIds",
            "PrimaryPartyIds",
            "Abbreviation",
            "BallotSubTitle",
            "BallotTitle",
            "CountStatus",
            "ExternalIdentifier",
            "HasRotation",
            "OtherVoteVariation",
            "SequenceOrder",
            "SubUnitsReported",
            "SummaryCounts",
            "TotalSubUnits",
            "VoteVariation",
            "BallotSelection",
        },
    ),
    "CandidateSelection": (
        {"CandidateIds", "@id"},
        {"EndorsementPartyIds", "IsWriteIn", "SequenceOrder", "VoteCounts"},
    ),
    "Candidate": (
        {"BallotName", "@id"},
        {
            "ExternalIdentifier",
            "FileDate",
            "IsIncumbent",
            "IsTopTicket",
            "PartyId",
            "PersonId",
            "PostElectionStatus",
            "PreElectionStatus",
            "ContactInformation",
        },
    ),
    "Party": ({"Name", "@id"}, {"Abbreviation", "Color", "ExternalIdentifier", "IsWriteIn", "LogoUri"}),
    "ReportingUnit": (
        {"Type", "@id"},
        {
            "AuthorityIds",
            "ContactInformation",
            "CountStatus",
            "IsDistricted",
            "IsMailOnly",
            "Number",
            "OtherType",
            "SubUnitsReported",
            "TotalSubUnits",
            "VotersParticipated",
            "VotersRegistered",
            "ElectionAdministration",
            "PartyRegistration",
            "SpatialDimension",
            "ComposingGpUnitIds",
            "ExternalIdentifier",
            "Name",
            "SummaryCounts",
        },
    ),
    "VoteCounts": ({"Count", "Type"}, {"Device", "GpUnitId", "IsSuppressedForPrivacy", "OtherType"}),
    "SummaryCounts": (
        {"Type"},
        {
            "BallotsCast",
            "BallotsOutstanding",
            "BallotsRejected",
            "Overvotes",
            "Undervotes",
            "WriteIns",
            "Device",
            "GpUnitId",
            "IsSuppressedForPrivacy",
            "OtherType",
        },
    ),
    "InternationalizedText": ({"Text"}, {"Label"}),
    "LanguageString": ({"Content", "Language"}, set()),
}


def _objects(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value, *(o for v in value.values() for o in _objects(v))]
    if isinstance(value, list):
        return [o for v in value for o in _objects(v)]
    return []


def test_nist_report_has_the_schema_required_fields_and_resolving_ids(published: Published) -> None:
    report = json.loads((published.bundle / NIST_JSON).read_text(encoding="utf-8"))
    objects = _objects(report)
    for obj in objects:
        kind = obj["@type"].removeprefix("ElectionResults.")
        required, optional = _NIST[kind]
        assert required <= set(obj), (kind, required - set(obj))
        assert set(obj) <= required | optional | {"@type"}, (kind, set(obj) - required - optional)
    assert report["Format"] == "precinct-level" and report["Status"] == "unofficial-partial"
    ids = {obj["@id"] for obj in objects if "@id" in obj}
    units = {unit["@id"]: unit for unit in report["GpUnit"]}
    assert sum(unit["Type"] == "precinct" for unit in units.values()) == TOTAL
    referenced = [obj["GpUnitId"] for obj in objects if "GpUnitId" in obj]
    referenced += [i for unit in units.values() for i in unit.get("ComposingGpUnitIds", [])]
    assert set(referenced) <= set(units)
    [contest] = report["Election"][0]["Contest"]
    for selection in contest["BallotSelection"]:
        assert set(selection["CandidateIds"]) | set(selection["EndorsementPartyIds"]) <= ids
    national = json.loads((published.bundle / TOTALS_JSON).read_text(encoding="utf-8"))["country"]["rows"][0]
    votes = {
        s["CandidateIds"][0].removeprefix("candidate-"): sum(v["Count"] for v in s["VoteCounts"])
        for s in contest["BallotSelection"]
    }
    assert votes == national["candidates"]


def test_publish_refuses_a_folder_that_is_not_its_bundle(published: Published, store_of: Any, tmp_path: Path) -> None:
    store = store_of()
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(UserError, match="holds no testigo bundle"):
        publish(store, tmp_path / "home")
    other = init_workspace(str(tmp_path / "other"), "ve2024")
    try:
        with pytest.raises(UserError, match="holds the bundle of another log"):
            publish(other, published.bundle)
    finally:
        other.close()


def test_publish_refuses_an_entry_that_names_a_local_folder(tmp_path: Path) -> None:
    store = init_workspace(str(tmp_path / "ws"), "ve2024")
    try:
        folder = tmp_path / "maria-perez" / "actas"
        with store.sessions.begin() as session:
            row = subs.add_submission(
                session, origin=f"file:{folder}/a.jpg", display_path=f"{folder}/a.jpg", sha256=None, channel="cli"
            )
            reason = f"identical file already submitted as {folder}/b.jpg"
            finish_logged(session, store, row, [subs.ItemOutcome(status=Status.DUPLICATE, reason=reason)])
        with pytest.raises(UserError, match=f"log entry 0 names the local folder '{re.escape(str(folder))}'"):
            publish(store, tmp_path / "bundle")
        assert not (tmp_path / "bundle").exists()
    finally:
        store.close()


def test_publication_queries(store: Store) -> None:
    with store.sessions.begin() as session:
        subs.ensure_blob(session, "a" * 64, 10, "image/jpeg")
        subs.ensure_blob(session, "b" * 64, 10, None)
        subs.add_submission(
            session, origin="file:/home/ana/conf/a.png", display_path="conf/a.png", sha256=None, channel="cli"
        )
        subs.add_submission(session, origin="file:/b.png", display_path="b.png", sha256=None, channel="cli")
    with store.sessions() as session:
        assert publication_table.media_types(session, ["a" * 64, "b" * 64, "c" * 64]) == {
            "a" * 64: "image/jpeg",
            "b" * 64: None,
        }
        # a one-word folder only as "conf/": "conflict" in an entry is no leak
        assert publication_table.local_folders(session) == {"conf/", "/home/ana/conf"}


def test_publish_names_the_originals_that_tell_where_they_were_taken(tmp_path: Path) -> None:
    """Originals are published byte for byte; those whose EXIF holds a GPS position are reported, once."""
    import io

    import segno

    from testigo.pipeline.ingest import ingest
    from tests.conftest import payload_for, phone_jpeg, small_mesas

    def photo(payload: str, position: bool) -> bytes:
        buffer = io.BytesIO()
        segno.make(payload, error="m").save(buffer, kind="png", scale=4, border=4)
        return phone_jpeg(buffer.getvalue(), position=position)

    first, second = small_mesas(2)
    (tmp_path / "actas").mkdir()
    located = photo(payload_for(first), position=True)
    (tmp_path / "actas" / "located.jpg").write_bytes(located)
    (tmp_path / "actas" / "plain.jpg").write_bytes(photo(payload_for(second), position=False))
    store = init_workspace(str(tmp_path / "ws"), "ve2024")
    try:
        assert ingest(store, [tmp_path / "actas"], workers=1).summary()["accepted"] == 2
        report = publish(store, tmp_path / "bundle")
        assert report.to_json()["originals_with_location"] == [hashlib.sha256(located).hexdigest()]
        assert publish(store, tmp_path / "bundle").located == []  # already published: not reported again
    finally:
        store.close()


def test_every_area_page_leads_with_its_bound_and_the_arithmetic(published: Published, store_of: Any) -> None:
    store = store_of()
    names = {c.key: c.name for c in store.profile.election.candidates}
    accepted = accepted_matrix(store)
    [national] = bounds(store.profile.election, store.registry, "country", accepted).areas
    assert national.mesas_counted == tally(store).coverage.mesas_covered and not national.registered.decided
    html = (published.bundle / "index.html").read_text(encoding="utf-8")
    assert html.index("Cota sin supuestos") < html.index("Resultado <span")
    assert national.sentence(names) in html
    assert national.runner_up is not None and national.registered.voters is not None
    challenger = national.counted[national.runner_up] + national.registered.voters
    spanish = f"{challenger:,}".replace(",", ".")
    assert f"electores de las mesas faltantes = {spanish};" in html
    states = bounds(store.profile.election, store.registry, "state", accepted).areas
    state = next(a for a in states if a.mesas_counted)
    page = (published.bundle / page_path("state", state.id)).read_text(encoding="utf-8")
    assert state.sentence(names) in page and "que el registro no ubica" in page
