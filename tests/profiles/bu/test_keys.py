"""The TSE's keys: shipped ones verify the public BUs, added ones are vetted, none is ever silently replaced."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path, PurePath

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from testigo.profiles.bu.keys import KeyName, KeyRefused, KeyRing, official_hashes, read_public_key, shipped_keys
from testigo.profiles.bu.text import parse_boletim, parse_part

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "br"
VECTORS = SHARED / "vectors"
OFFICIAL_2022 = KeyName("20220829", "LEGAL", "o", "sp")


def _fields(line: str) -> dict[str, str]:
    """A QR part's KEY:VALUE tokens, the first of each key (enough for the header)."""
    fields: dict[str, str] = {}
    for token in line.split():
        key, _, value = token.partition(":")
        fields.setdefault(key, value)
    return fields


def _new_key() -> bytes:
    return Ed25519PrivateKey.generate().public_key().public_bytes_raw()


def test_the_30_shipped_keys_load_as_named_in_the_source_list() -> None:
    source = json.loads((SHARED / "keys" / "keys.json").read_text(encoding="utf-8")) if SHARED.exists() else None
    keys = shipped_keys()
    assert len(keys) == 30
    assert all(len(key.public_key) == 32 and key.origin == "shipped" for key in keys.values())
    if source is not None:
        assert {str(name): key.public_key.hex() for name, key in keys.items()} == {
            name: entry["hex"] for name, entry in source.items()
        }


@pytest.mark.skipif(not VECTORS.exists(), reason=f"{VECTORS} not present")
def test_each_public_bu_names_a_shipped_key_that_verifies_its_signature() -> None:
    """The name derived from each vector's header finds its key, and that key verifies ASSI over the last HASH."""
    expected = json.loads((VECTORS / "expected.json").read_text(encoding="utf-8"))
    ring = KeyRing(None)
    for vector, facts in expected.items():
        parts = (VECTORS / vector).read_text(encoding="ascii").split("\n")
        parts = [part for part in parts if part.strip()]
        name = KeyName.parse(parse_boletim([parse_part(part) for part in parts]).signing_key_name or "")
        assert str(name) == facts["key"], vector
        raw = ring.public_key(name)
        assert raw is not None, vector
        last = _fields(parts[-1])
        Ed25519PublicKey.from_public_bytes(raw).verify(bytes.fromhex(last["ASSI"]), bytes.fromhex(last["HASH"]))


def test_the_official_2022_list_names_every_state_and_vouches_for_no_shipped_key() -> None:
    hashes = official_hashes()
    assert {name.uf for name in hashes} == {name.uf for name in shipped_keys() if name.version == "2016"}
    assert {(n.version, n.kind) for n in hashes} == {("20220829", "LEGAL")}
    assert len(hashes) == 28 and {name.phase for name in hashes} == {"o"}  # the list holds no s* file
    assert hashes[OFFICIAL_2022].startswith("850d6f36a4d14f22")
    # no shipped key is a 2022 one; were one added, loading would refuse it unless it matched
    assert [key for key in shipped_keys().values() if key.checked] == []
    assert set(shipped_keys()).isdisjoint(hashes)


@pytest.mark.parametrize(
    "text", ["20220829/LEGAL/ospqrcode", "20220829/legal/ospqrcode.pub", "x/LEGAL/ospqrcode.pub", "ospqrcode.pub"]
)
def test_a_malformed_name_is_refused(text: str) -> None:
    with pytest.raises(KeyRefused, match="is not a TSE key name"):
        KeyName.parse(text)


def test_a_name_comes_from_a_path_as_the_tse_lays_keys_out() -> None:
    assert KeyName.from_path(PurePath("/downloads/20220829/LEGAL/ospqrcode.pub")) == OFFICIAL_2022
    with pytest.raises(KeyRefused, match="chave.pub is not named like a TSE key file"):
        KeyName.from_path(PurePath("/downloads/chave.pub"))


def test_an_unlisted_key_is_added_as_unchecked_and_readding_it_is_a_no_op(tmp_path: Path) -> None:
    ring, name, raw = KeyRing(tmp_path / "trusted"), KeyName.parse("20260801/LEGAL/sacqrcode.pub"), _new_key()
    assert ring.find(name) is None
    added = ring.add(name, raw)
    assert added.added and added.read_as == "raw" and not added.key.checked
    assert added.key.check == "not checked against an official list"
    stored = tmp_path / "trusted" / "20260801" / "LEGAL" / "sacqrcode.pub"
    assert stored.read_bytes() == raw and stat.S_IMODE(stored.stat().st_mode) == 0o644
    again = ring.add(name, raw)
    assert not again.added and again.key == added.key
    assert KeyRing(tmp_path / "trusted").public_key(name) == raw  # a fresh ring reads it from the folder
    assert name in {key.name for key in ring.keys()} and len(ring.keys()) == 31


def test_a_different_key_under_a_trusted_name_is_refused(tmp_path: Path) -> None:
    ring, name, raw = KeyRing(tmp_path), KeyName.parse("20260801/LEGAL/sacqrcode.pub"), _new_key()
    ring.add(name, raw)
    with pytest.raises(KeyRefused, match="a different key is already trusted as 20260801/LEGAL/sacqrcode.pub"):
        ring.add(name, _new_key())
    shipped = KeyName.parse("2016/LEGAL/ospqrcode.pub")
    with pytest.raises(KeyRefused, match=r"already trusted as 2016/LEGAL/ospqrcode.pub \(shipped"):
        ring.add(shipped, _new_key())
    assert ring.public_key(name) == raw and not (tmp_path / "2016").exists()
    assert ring.add(shipped, shipped_keys()[shipped].public_key).added is False  # the shipped key itself: no-op


def test_a_key_file_that_differs_from_the_official_hash_is_refused(tmp_path: Path) -> None:
    """With the official list standing for a key we hold, the key is checked; one byte changed is refused."""
    raw = _new_key()
    ring = KeyRing(tmp_path, official={OFFICIAL_2022: hashlib.sha512(raw).hexdigest()})
    tampered = bytes([raw[0] ^ 1]) + raw[1:]
    with pytest.raises(KeyRefused, match="does not match the TSE's official SHA-512"):
        ring.add(OFFICIAL_2022, tampered)
    assert ring.find(OFFICIAL_2022) is None
    added = ring.add(OFFICIAL_2022, raw)
    assert added.added and added.key.checked and added.key.check == "matches the TSE's official SHA-512 list"


def test_the_real_2022_list_refuses_any_key_but_the_tses(tmp_path: Path) -> None:
    with pytest.raises(KeyRefused, match="official 850d6f36a4d14f22"):
        KeyRing(tmp_path).add(OFFICIAL_2022, _new_key())
    assert not any(tmp_path.iterdir())


def test_a_file_placed_by_hand_is_vetted_when_read(tmp_path: Path) -> None:
    folder = tmp_path / "20220829" / "LEGAL"
    folder.mkdir(parents=True)
    (folder / "ospqrcode.pub").write_bytes(_new_key())
    with pytest.raises(KeyRefused, match="ospqrcode.pub: the key file for 20220829/LEGAL/ospqrcode.pub does not"):
        KeyRing(tmp_path).find(OFFICIAL_2022)
    (tmp_path / "2016" / "LEGAL").mkdir(parents=True)
    (tmp_path / "2016" / "LEGAL" / "ospqrcode.pub").write_bytes(_new_key())
    with pytest.raises(KeyRefused, match="differs from the key shipped as 2016/LEGAL/ospqrcode.pub"):
        KeyRing(tmp_path).find(KeyName.parse("2016/LEGAL/ospqrcode.pub"))


def test_pem_and_der_ed25519_keys_are_reduced_to_the_raw_32_bytes() -> None:
    key = Ed25519PrivateKey.generate().public_key()
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    assert read_public_key(key.public_bytes(serialization.Encoding.PEM, spki)) == (key.public_bytes_raw(), "PEM")
    assert read_public_key(key.public_bytes(serialization.Encoding.DER, spki)) == (key.public_bytes_raw(), "DER")


def test_a_file_that_is_no_ed25519_public_key_is_refused() -> None:
    other = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(KeyRefused, match="a PEM public key of another algorithm"):
        read_public_key(other)
    with pytest.raises(KeyRefused, match="not an Ed25519 public key: 31 bytes"):
        read_public_key(bytes(31))
    private = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(KeyRefused, match="not an Ed25519 public key"):
        read_public_key(private)


def test_a_key_file_is_written_whole_and_never_over_another(tmp_path: Path) -> None:
    """What two processes adding the same name at once rely on: the second store finds the first's file."""
    path, first, second = tmp_path / "2026" / "ospqrcode.pub", _new_key(), _new_key()
    assert KeyRing._store(path, first) is True
    assert KeyRing._store(path, second) is False
    assert path.read_bytes() == first and [p.name for p in path.parent.iterdir()] == ["ospqrcode.pub"]
