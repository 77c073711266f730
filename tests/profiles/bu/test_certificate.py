"""The urna certificate of format 6.0: QRCE codes assembled, the ECDSA signature checked, E-521 never passed off."""

from __future__ import annotations

import datetime
import hashlib
import math
import random

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.x509.oid import NameOID

from testigo.profiles.base import PayloadError
from testigo.profiles.bu.certificate import CertificatePart, CertificateParts, Outcome, UrnaCertificate, check_signature

SERIAL = "2031032"
LAST_HASH = hashlib.sha512(b"QRBU data of the last part").digest()
#: the SubjectPublicKeyInfo algorithm of a P-521 key, and one of the same length naming EdDSA on E-521
EC_P521_ALGORITHM = bytes.fromhex("06072A8648CE3D020106052B81040023")
ED521_ALGORITHM = bytes.fromhex("060A2B0601040182DC2C020104020000")


def _certificate(
    key: CertificateIssuerPrivateKeyTypes,
    subject: str = "ueao02031032",
    issuer: x509.Certificate | None = None,
    issuer_key: CertificateIssuerPrivateKeyTypes | None = None,
) -> x509.Certificate:
    start = datetime.datetime(2016, 1, 1, tzinfo=datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer.subject if issuer else x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=5000))
        # as long as a real urna certificate (944-946 bytes in DER), so that it takes two codes
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(f"urna{i:03}.example") for i in range(30)]), False)
    )
    signer = issuer_key or key
    return builder.sign(signer, None if isinstance(signer, Ed25519PrivateKey) else hashes.SHA512())


def _qrce(data: bytes, model: str = "2015", serial: str = SERIAL) -> list[str]:
    """The QRCE codes of a certificate, split as the urna does: ceil(2*bytes/1082) parts of equal length."""
    digits = data.hex().upper()
    n = math.ceil(2 * len(data) / 1082)
    size = math.ceil(len(digits) / n)
    return [f"QRCE:{i + 1}:{n} IDUE:{serial} MDUE:{model} CERT:{digits[i * size : (i + 1) * size]}" for i in range(n)]


@pytest.fixture(scope="module")
def urna() -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP521R1())
    return key, _certificate(key)


def _load(texts: list[str]) -> UrnaCertificate:
    return UrnaCertificate.load(CertificateParts.assemble(texts))


def test_a_der_certificate_in_any_order_with_duplicates_verifies_the_ecdsa_signature(
    urna: tuple[ec.EllipticCurvePrivateKey, x509.Certificate],
) -> None:
    key, cert = urna
    codes = _qrce(cert.public_bytes(serialization.Encoding.DER))
    assert len(codes) == 2
    digits = "".join(code.split("CERT:")[1] for code in codes)
    odd = [f"QRCE:{i}:2 IDUE:{SERIAL} MDUE:2015 CERT:{half}" for i, half in ((1, digits[:901]), (2, digits[901:]))]
    assert _load(odd).certificate == cert  # a part may end mid-byte: only the whole is bytes
    loaded = _load([codes[1], codes[0], codes[1]])
    assert (loaded.serial, loaded.model, loaded.encoding, loaded.key_algorithm) == (
        SERIAL,
        "2015",
        "DER",
        "ECDSA P-521",
    )
    assert loaded.certificate == cert
    report = check_signature(loaded, LAST_HASH, key.sign(LAST_HASH, ec.ECDSA(hashes.SHA512())))
    assert report.signature.outcome is Outcome.VERIFIED
    assert str(report.chain) == "chain not checked: no TSE root certificate for urna model 2015 is available " + (
        "(testigo ships none)"
    )
    assert report.trusted is False  # a signature under an unchained certificate proves nothing
    assert report.to_json()["certificate"]["subject"] == "CN=ueao02031032"


def test_the_signed_message_is_sha512_of_the_raw_last_hash(
    urna: tuple[ec.EllipticCurvePrivateKey, x509.Certificate],
) -> None:
    """As the manual's program does: ECDSA over the digest SHA-512(raw HASH), not over its hex text."""
    key, cert = urna
    loaded = _load(_qrce(cert.public_bytes(serialization.Encoding.DER)))
    prehashed = key.sign(hashlib.sha512(LAST_HASH).digest(), ec.ECDSA(Prehashed(hashes.SHA512())))
    assert check_signature(loaded, LAST_HASH, prehashed).signature.outcome is Outcome.VERIFIED
    over_hex = key.sign(LAST_HASH.hex().upper().encode(), ec.ECDSA(hashes.SHA512()))
    assert check_signature(loaded, LAST_HASH, over_hex).signature.outcome is Outcome.INVALID


def test_a_bad_signature_is_invalid_with_its_reason(urna: tuple[ec.EllipticCurvePrivateKey, x509.Certificate]) -> None:
    key, cert = urna
    loaded = _load(_qrce(cert.public_bytes(serialization.Encoding.DER)))
    good = key.sign(LAST_HASH, ec.ECDSA(hashes.SHA512()))
    other_hash = bytes([LAST_HASH[0] ^ 1]) + LAST_HASH[1:]
    for signature, message in (
        (good, other_hash),
        (good[:-1] + bytes([good[-1] ^ 1]), LAST_HASH),
        (b"\x30", LAST_HASH),
    ):
        check = check_signature(loaded, message, signature).signature
        assert str(check) == "signature invalid: ASSI does not verify under the urna certificate's ECDSA P-521 key"


def test_a_pem_certificate_of_eddsa_on_e521_is_never_reported_verified(
    urna: tuple[ec.EllipticCurvePrivateKey, x509.Certificate],
) -> None:
    """A UE2020 certificate (its key's OID made EdDSA E-521): loaded and described, its signature not checked."""
    _, cert = urna
    der = cert.public_bytes(serialization.Encoding.DER)
    assert der.count(EC_P521_ALGORITHM) == 1
    e521 = x509.load_der_x509_certificate(der.replace(EC_P521_ALGORITHM, ED521_ALGORITHM))
    loaded = _load(_qrce(e521.public_bytes(serialization.Encoding.PEM), model="2020"))
    assert (loaded.encoding, loaded.key_algorithm) == ("PEM", "EdDSA E-521")
    report = check_signature(loaded, LAST_HASH, bytes(132))
    assert str(report.signature) == "signature not checked: EdDSA on E-521 is not supported"
    assert report.signature.outcome is Outcome.NOT_CHECKED and not report.trusted
    assert report.to_json()["signature"] == {"outcome": "not checked", "reason": "EdDSA on E-521 is not supported"}


def test_a_key_of_another_algorithm_is_invalid() -> None:
    for key in (Ed25519PrivateKey.generate(), ec.generate_private_key(ec.SECP256R1())):
        loaded = _load(_qrce(_certificate(key).public_bytes(serialization.Encoding.DER)))
        check = check_signature(loaded, LAST_HASH, bytes(64)).signature
        assert check.outcome is Outcome.INVALID and "not ECDSA P-521 nor EdDSA E-521" in check.reason
        assert loaded.key_algorithm in {"1.3.101.112", "ECDSA secp256r1"}


def test_the_chain_is_checked_against_a_root_when_one_is_given(
    urna: tuple[ec.EllipticCurvePrivateKey, x509.Certificate],
) -> None:
    root_key = ec.generate_private_key(ec.SECP521R1())
    root = _certificate(root_key, "AC URNA")
    key, _ = urna
    issued = _certificate(key, issuer=root, issuer_key=root_key)
    loaded = _load(_qrce(issued.public_bytes(serialization.Encoding.DER)))
    signature = key.sign(LAST_HASH, ec.ECDSA(hashes.SHA512()))
    report = check_signature(loaded, LAST_HASH, signature, roots={"2015": root})
    assert report.chain.outcome is Outcome.VERIFIED and report.trusted
    stranger = _certificate(ec.generate_private_key(ec.SECP521R1()), "AC URNA")
    forged = check_signature(loaded, LAST_HASH, signature, roots={"2015": stranger})
    assert forged.chain.outcome is Outcome.INVALID and not forged.trusted
    other_model = check_signature(loaded, LAST_HASH, signature, roots={"2020": root})
    assert other_model.chain.outcome is Outcome.NOT_CHECKED


def test_missing_parts_are_reported_and_loading_refuses(
    urna: tuple[ec.EllipticCurvePrivateKey, x509.Certificate],
) -> None:
    _, cert = urna
    codes = _qrce(cert.public_bytes(serialization.Encoding.PEM))
    assert len(codes) == 3  # PEM, a third longer than DER
    parts = CertificateParts.assemble([codes[1]])
    assert (parts.total, parts.missing, parts.data) == (3, (1, 3), None)
    with pytest.raises(PayloadError, match="certificate incomplete: part 1/3, 3/3 not read"):
        UrnaCertificate.load(parts)


def test_zero_bytes_after_a_der_certificate_are_tolerated(
    urna: tuple[ec.EllipticCurvePrivateKey, x509.Certificate],
) -> None:
    _, cert = urna
    assert _load(_qrce(cert.public_bytes(serialization.Encoding.DER) + b"\0\0")).certificate == cert
    with pytest.raises(PayloadError, match="not an X.509 certificate in DER"):
        _load(_qrce(cert.public_bytes(serialization.Encoding.DER) + b"\0\1"))


@pytest.mark.parametrize(
    ("codes", "reason"),
    [
        (["QRBU:1:1 VRQR:6.0"], "does not start with QRCE:i:n"),
        (["QRCE:3:2 IDUE:1 MDUE:2015 CERT:AB"], "certificate part 3 of 2 does not exist"),
        (["QRCE:1:2 IDUE:1 MDUE:2015"], "certificate part 1/2 lacks CERT"),
        (["QRCE:1:2 MDUE:2015 CERT:AB"], "lacks IDUE"),
        (["QRCE:1:1 IDUE:1 MDUE:2015 CERT:AG"], "CERT is not hexadecimal"),
        (["QRCE:1:1 IDUE:1 MDUE:2015 CERT:ABC"], "3 hex digits are not whole bytes"),
        (["QRCE:1:2 IDUE:1 MDUE:2015 CERT:AB", "QRCE:2:2 IDUE:2 MDUE:2015 CERT:AB"], "different urnas"),
        (["QRCE:1:2 IDUE:1 MDUE:2015 CERT:AB", "QRCE:2:3 IDUE:1 MDUE:2015 CERT:AB"], "different urnas"),
        (["QRCE:1:2 IDUE:1 MDUE:2015 CERT:AB", "QRCE:1:2 IDUE:1 MDUE:2015 CERT:CD"], "two different certificate"),
        ([], "no certificate code"),
    ],
)
def test_malformed_codes_are_payload_errors(codes: list[str], reason: str) -> None:
    with pytest.raises(PayloadError, match=reason):
        CertificateParts.assemble(codes)


def test_bytes_that_are_no_certificate_are_refused_in_one_line() -> None:
    junk = random.Random(5).randbytes(600)
    with pytest.raises(PayloadError, match="the urna's certificate is not an X.509 certificate") as raised:
        _load(_qrce(junk))
    assert "\n" not in str(raised.value)
    with pytest.raises(PayloadError, match="in PEM"):
        _load(_qrce(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))


def test_a_part_parses_its_fields() -> None:
    part = CertificatePart.parse("QRCE:2:2 IDUE:2031032 MDUE:2020 CERT:0A1b")
    assert part == CertificatePart(2, 2, "2031032", "2020", "0A1b")
