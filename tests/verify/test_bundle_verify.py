"""`testigo verify` on a real bundle: it passes untouched, and each kind of tampering fails with its reason."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from testigo.cli import app
from testigo.ledger import Checkpoint, Signer, parse_note, sign_checkpoint
from testigo.ledger.entries import canonical
from testigo.pipeline.ingest import ingest
from testigo.profiles import get_profile
from testigo.publish import publish
from testigo.publish.layout import CHECKPOINT, ENTRIES, KEY, MESAS_CSV, MESAS_JSON, MESAS_PARQUET, TOTALS_JSON
from testigo.verify import verify_bundle
from tests.publish.bundles import FIRST, IMAGES, LOG_SIZE, Published, copy_of, shared, workspace_with_same_key

MUD = 36  # card of Edmundo González's main party


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Published:
    return shared(tmp_path_factory)


def test_the_untouched_bundle_verifies_with_the_key_and_an_old_checkpoint(published: Published) -> None:
    report = verify_bundle(published.bundle, key=published.key, old_checkpoint=published.old_checkpoint, workers=1)
    assert report.ok, report.problems
    checks = {c.check: c for c in report.checks}
    assert "given with --key" in checks["key"].detail
    assert checks["old checkpoint"].ok and f"size {FIRST}" in checks["old checkpoint"].detail
    assert f"{IMAGES} images decoded again for {IMAGES} logged payloads" in checks["decoding"].detail
    assert {"merkle root", "checkpoints", "records", "images", "pages", "files", MESAS_CSV, TOTALS_JSON} <= set(checks)


def test_a_sample_decodes_that_many_images_and_hashes_the_rest(published: Published) -> None:
    report = verify_bundle(published.bundle, key=published.key, workers=1, sample=3)
    assert report.ok, report.problems
    assert report.not_decoded == IMAGES - 3 and report.to_json()["not_decoded"] == IMAGES - 3
    checks = {c.check: c.detail for c in report.checks}
    assert checks["decoding"].startswith("3 images decoded again for 3 logged payloads (a sample drawn at random")
    assert f"{IMAGES - 3} of the {IMAGES} images with a logged reading were hashed, not decoded" in checks["decoding"]
    assert checks["images"].startswith(f"{IMAGES} images in actas/ hashed")


def test_images_a_verified_copy_decoded_are_hashed_not_decoded_when_its_log_grows(published: Published) -> None:
    # a mirror verified the bundle at its first checkpoint (FIRST entries), every image decoded: the images of
    # the later entries alone are decoded now
    old = published.old_checkpoint
    report = verify_bundle(published.bundle, key=published.key, old_checkpoint=old, workers=1, decoded_before=FIRST)
    assert report.ok, report.problems
    decoding = next(c.detail for c in report.checks if c.check == "decoding")
    assert decoding.startswith(f"{IMAGES - FIRST} images decoded again")
    assert f"{FIRST} images named only by the first {FIRST} entries were decoded when the copy held" in decoding
    # without the old checkpoint nothing proves the log extends that copy: every image is decoded
    unproven = verify_bundle(published.bundle, key=published.key, workers=1, decoded_before=FIRST)
    assert next(c.detail for c in unproven.checks if c.check == "decoding").startswith(f"{IMAGES} images decoded")


def test_without_a_key_the_report_says_only_self_consistency_is_proved(published: Published) -> None:
    report = verify_bundle(published.bundle, workers=1, sample=0)
    assert report.ok, report.problems
    key = next(c for c in report.checks if c.check == "key")
    assert "bundle's own log/key.pub" in key.detail and "self-consistent" in key.detail


# --- Tampering: each function changes one thing in a copy of the bundle.


def _first_mesa(bundle: Path) -> dict[str, object]:
    return json.loads((bundle / MESAS_JSON).read_text(encoding="utf-8"))["mesas"][0]


def flip_image_byte(bundle: Path) -> str:
    image = sorted((bundle / "actas").iterdir())[0]
    data = bytearray(image.read_bytes())
    data[len(data) // 2] ^= 0x01
    image.write_bytes(bytes(data))
    return f"actas/{image.name}: the file hashes to"


def add_vote_in_csv(bundle: Path) -> str:
    rows = list(csv.DictReader(io.StringIO((bundle / MESAS_CSV).read_text(encoding="utf-8"))))
    for column in (f"card_{MUD}", "gonzalez", "valid_votes"):  # a careful forger keeps the row's sums right
        rows[0][column] = str(int(rows[0][column]) + 1)
    stream = io.StringIO()
    writer = csv.DictWriter(stream, list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    (bundle / MESAS_CSV).write_text(stream.getvalue(), encoding="utf-8")
    return f"data/mesas.csv: rows[{rows[0]['mesa_id']}].card_{MUD} is"


def add_vote_in_json(bundle: Path) -> str:
    document = json.loads((bundle / MESAS_JSON).read_text(encoding="utf-8"))
    document["mesas"][0]["cards"][MUD - 1] += 1
    (bundle / MESAS_JSON).write_text(json.dumps(document), encoding="utf-8")
    return f"data/mesas.json: mesas[{document['mesas'][0]['mesa_id']}].cards[{MUD - 1}] is"


def add_vote_in_parquet(bundle: Path) -> str:
    rows = pq.read_table(bundle / MESAS_PARQUET).to_pylist()
    rows[0][f"card_{MUD}"] += 1
    pq.write_table(pa.Table.from_pylist(rows), bundle / MESAS_PARQUET)
    return f"data/mesas.parquet: rows[{rows[0]['mesa_id']}].card_{MUD} is"


def add_vote_in_log_entry(bundle: Path) -> str:
    lines = (bundle / ENTRIES).read_bytes().splitlines()
    fields = json.loads(lines[2])
    profile = get_profile("ve2024")
    record = profile.parse(fields["payload"])
    counts = list(record.counts)
    counts[MUD - 1] += 1
    fields["payload"] = profile.encode(record.acta_id, counts, record.null_votes, record.extra)
    lines[2] = canonical(fields)
    (bundle / ENTRIES).write_bytes(b"\n".join(lines) + b"\n")
    image = next((bundle / "actas").glob(f"{fields['sha256']}.*")).name
    return f"log entry 2: actas/{image} does not yield the logged payload: card {MUD} (MUD): the image reads"


def remove_entry(bundle: Path) -> str:
    lines = (bundle / ENTRIES).read_bytes().splitlines(keepends=True)
    del lines[3]
    (bundle / ENTRIES).write_bytes(b"".join(lines))
    return f"log/entries.jsonl has {LOG_SIZE - 1} entries; the signed checkpoint covers {LOG_SIZE}"


def swap_entries(bundle: Path) -> str:
    lines = (bundle / ENTRIES).read_bytes().splitlines(keepends=True)
    lines[1], lines[2] = lines[2], lines[1]
    (bundle / ENTRIES).write_bytes(b"".join(lines))
    return f"log/entries.jsonl: its {LOG_SIZE} entries hash to root"


def resign_checkpoint(bundle: Path) -> str:
    head = Checkpoint.parse(parse_note((bundle / CHECKPOINT).read_text(encoding="utf-8")).text)
    impostor = Signer.generate(head.origin)
    (bundle / CHECKPOINT).write_text(sign_checkpoint(head, impostor), encoding="utf-8")
    return "log/checkpoint: the note is not signed by a trusted key"


def edit_total(bundle: Path) -> str:
    totals = json.loads((bundle / TOTALS_JSON).read_text(encoding="utf-8"))
    row = totals["state"]["rows"][0]
    row["candidates"]["gonzalez"] += 1
    (bundle / TOTALS_JSON).write_text(json.dumps(totals, indent=1), encoding="utf-8")
    return f"data/totals.json: state.rows[{row['id']}].candidates.gonzalez is"


def edit_page(bundle: Path) -> str:
    page = bundle / "index.html"
    html = page.read_text(encoding="utf-8")
    page.write_text(html.replace("Edmundo González", "Nicolás Maduro", 1), encoding="utf-8")
    return "index.html differs from what the verified data gives"


def add_page(bundle: Path) -> str:
    (bundle / "mesa" / "999999999.01.html").write_text("<p>fake</p>", encoding="utf-8")
    return "mesa/999999999.01.html is not part of the bundle"


TAMPERING: dict[str, Callable[[Path], str]] = {
    f.__name__: f
    for f in (
        flip_image_byte,
        add_vote_in_csv,
        add_vote_in_json,
        add_vote_in_parquet,
        remove_entry,
        swap_entries,
        resign_checkpoint,
        edit_total,
        edit_page,
        add_page,
    )
}


@pytest.mark.parametrize("tamper", TAMPERING)
def test_tampering_fails_with_its_reason(published: Published, tmp_path: Path, tamper: str) -> None:
    bundle = copy_of(published, tmp_path)
    reason = TAMPERING[tamper](bundle)
    # none of these touches what an image reads as: hashing the images is enough (decoding is most of the cost)
    report = verify_bundle(bundle, key=published.key, workers=1, sample=0)
    assert not report.ok
    assert any(reason in problem for problem in report.problems), report.problems
    assert all("\n" not in problem for problem in report.problems)


def test_a_vote_changed_in_the_log_is_caught_three_ways(published: Published, tmp_path: Path) -> None:
    bundle = copy_of(published, tmp_path)
    reason = add_vote_in_log_entry(bundle)
    report = verify_bundle(bundle, key=published.key, workers=1)
    failed = {c.check for c in report.checks if not c.ok}
    assert {"merkle root", "decoding", MESAS_JSON, MESAS_CSV, TOTALS_JSON} <= failed
    assert any(reason in problem for problem in report.problems), report.problems


def test_a_replaced_key_is_caught_by_the_users_key_and_by_earlier_checkpoints(
    published: Published, tmp_path: Path
) -> None:
    bundle = copy_of(published, tmp_path)
    head = Checkpoint.parse(parse_note((bundle / CHECKPOINT).read_text(encoding="utf-8")).text)
    impostor = Signer.generate(head.origin)
    (bundle / CHECKPOINT).write_text(sign_checkpoint(head, impostor), encoding="utf-8")
    (bundle / KEY).write_text(f"{impostor.verifier}\n", encoding="utf-8")
    with_key = verify_bundle(bundle, key=published.key, workers=1, sample=0)
    assert "log/key.pub is not the key given with --key" in " ".join(with_key.problems)
    without_key = verify_bundle(
        bundle, workers=1, sample=0
    )  # the impostor's key opens log/checkpoint, not the older ones
    untrusted = f"log/checkpoints/{FIRST}: the note is not signed by a trusted key"
    assert any(problem.startswith(untrusted) for problem in without_key.problems)


@pytest.mark.slow
def test_a_log_rewritten_from_an_early_entry_is_inconsistent_with_an_old_checkpoint(
    published: Published, tmp_path: Path
) -> None:
    store = workspace_with_same_key(published, tmp_path / "ws")
    try:  # the operator re-builds the log without the first acta, signing with the log's own key
        ingest(store, published.images[1:FIRST], workers=1)
        ingest(store, [*published.images[FIRST:], published.forged], workers=1)
        publish(store, tmp_path / "rewritten")
    finally:
        store.close()
    alone = verify_bundle(tmp_path / "rewritten", key=published.key, workers=1)
    assert alone.ok, alone.problems  # internally coherent and validly signed: only an old checkpoint tells
    old = published.old_checkpoint
    report = verify_bundle(tmp_path / "rewritten", key=published.key, old_checkpoint=old, workers=1)
    assert not report.ok
    [problem] = report.problems
    assert problem.startswith("the checkpoint given with --checkpoint is not consistent with this log: ")
    assert f"its first {FIRST} entries hash to" in problem
    assert f"entries before {FIRST} were rewritten" in problem


# --- The command line.


def test_verify_command_exit_codes_and_json(published: Published, tmp_path: Path) -> None:
    runner = CliRunner()
    key_file = tmp_path / "key.pub"
    key_file.write_text(published.key + "\n", encoding="utf-8")
    good = runner.invoke(
        app, ["verify", str(published.bundle), "--key", str(key_file), "--workers", "1", "--sample", "2", "--json"]
    )
    assert good.exit_code == 0, good.output
    document = json.loads(good.stdout)
    assert document["ok"] is True and document["problems"] == [] and document["not_decoded"] == IMAGES - 2
    assert all(set(check) == {"check", "ok", "detail"} for check in document["checks"])
    bundle = copy_of(published, tmp_path)
    reason = edit_total(bundle)
    bad = runner.invoke(app, ["verify", str(bundle), "--workers", "1", "--sample", "0"])
    assert bad.exit_code == 1
    assert any(line.startswith(reason) for line in bad.stdout.splitlines()), bad.stdout
