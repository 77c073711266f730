"""The urna's own certificate of a format 6.0 BU (2026), and what can be checked with it.

From 2026 the urna's security hardware signs the BU's QR codes with the urna's
own key, and the BU adds the urna's certificate in two (or more) codes
``QRCE:i:n IDUE:<urna serial> MDUE:<model> CERT:<hex>``. What follows is what the
TSE's 2026 manual ("QR Code no boletim de urna - Manual para criação de
aplicativos de leitura", section 1.6) states, and its example program does:

* the CERT fields, concatenated in the order of ``i``, are the certificate in
  hexadecimal (0-9, A-F): DER on the UE2013 and UE2015 models, PEM on the UE2020
  and UE2022 (a part may hold an odd number of hex digits: only the whole is bytes);
* ASSI, on the last BU code, signs the last HASH: the message is SHA-512 of that
  HASH's 64 raw bytes. The UE2013/2015 sign with ECDSA on P-521 (the manual's
  program verifies with ECPy, whose signatures are DER), which is ECDSA with
  SHA-512 over the raw HASH bytes, and `cryptography` checks it. The UE2020/2022
  sign with EdDSA on the curve E-521 (key OID 1.3.6.1.4.1.44588.2.1), which no
  well-kept Python library implements: that signature is reported as not
  checked, never as verified;
* the certificate chains to a TSE root per model (the TSE's program loads
  ``ac_raiz_ue{MDUE}_v1.pem``). Those roots are not published with the manual
  and testigo ships none, so the chain is checked only when a caller supplies
  the root of the model; without it a certificate in the QRCE codes proves
  nothing: anyone can make one and sign with it.

Not confirmed: whether the printed certificate of a UE2013/2015 can carry the
zero bytes after its DER that urna signature files sometimes do (they are
tolerated here), and whether IDUE always equals the serial in the certificate's
subject (not compared: the BU's own IDUE is the caller's to compare with).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from testigo.profiles.base import PayloadError

#: the key (and signature) algorithm of the UE2020/2022: EdDSA on the curve E-521 (Kryptus' arc)
ED521_OID = "1.3.6.1.4.1.44588.2.1"
ED521_UNSUPPORTED = "EdDSA on E-521 is not supported"

_PART = re.compile(r"QRCE:(\d+):(\d+)")
_HEX = re.compile(r"[0-9A-Fa-f]+")
_PEM = b"-----BEGIN CERTIFICATE-----"


class Outcome(StrEnum):
    VERIFIED = "verified"
    INVALID = "invalid"
    NOT_CHECKED = "not checked"


@dataclass(frozen=True)
class Check:
    """One check (`what`: ``signature`` or ``chain``), its outcome and why; str() reads as one line."""

    what: str
    outcome: Outcome
    reason: str

    def __str__(self) -> str:
        return f"{self.what} {self.outcome}: {self.reason}"

    def to_json(self) -> dict[str, str]:
        return {"outcome": self.outcome.value, "reason": self.reason}


@dataclass(frozen=True)
class CertificatePart:
    """One QRCE code: part `index` of `total` of the certificate of urna `serial` (IDUE), model `model` (MDUE)."""

    index: int
    total: int
    serial: str
    model: str
    hex: str

    @classmethod
    def parse(cls, text: str) -> CertificatePart:
        """A QRCE code's text; `PayloadError` with the reason when it is not one."""
        tokens = text.split()
        head = _PART.fullmatch(tokens[0]) if tokens else None
        if head is None:
            raise PayloadError("not a certificate code: it does not start with QRCE:i:n")
        index, total = int(head[1]), int(head[2])
        if not 1 <= index <= total:
            raise PayloadError(f"certificate part {index} of {total} does not exist")
        fields: dict[str, str] = {}
        for token in tokens[1:]:
            key, _, value = token.partition(":")
            fields.setdefault(key, value)
        missing = [key for key in ("IDUE", "MDUE", "CERT") if not fields.get(key)]
        if missing:
            raise PayloadError(f"certificate part {index}/{total} lacks {', '.join(missing)}")
        if not _HEX.fullmatch(fields["CERT"]):
            raise PayloadError(f"certificate part {index}/{total}: CERT is not hexadecimal")
        return cls(index, total, fields["IDUE"], fields["MDUE"], fields["CERT"])


@dataclass(frozen=True)
class CertificateParts:
    """The QRCE codes of one urna put together; `data` is the certificate once no part is missing."""

    serial: str
    model: str
    total: int
    missing: tuple[int, ...]
    data: bytes | None

    @classmethod
    def assemble(cls, texts: Iterable[str]) -> CertificateParts:
        """Join QRCE codes read in any order; the same code twice counts once.

        `PayloadError` when they cannot be one certificate: codes of different
        urnas or models, totals that disagree, two different codes for one part.
        Parts not read yet are listed in `missing`.
        """
        parts: dict[int, CertificatePart] = {}
        for part in map(CertificatePart.parse, texts):
            first = next(iter(parts.values()), part)
            if (part.serial, part.model, part.total) != (first.serial, first.model, first.total):
                raise PayloadError(
                    f"certificate codes of different urnas: IDUE {first.serial} MDUE {first.model} in "
                    f"{first.total} parts, and IDUE {part.serial} MDUE {part.model} in {part.total}"
                )
            if parts.setdefault(part.index, part) != part:
                raise PayloadError(f"two different certificate codes {part.index}/{part.total}")
        if not parts:
            raise PayloadError("no certificate code (QRCE)")
        first = next(iter(parts.values()))
        missing = tuple(i for i in range(1, first.total + 1) if i not in parts)
        if missing:
            return cls(first.serial, first.model, first.total, missing, None)
        digits = "".join(parts[i].hex for i in range(1, first.total + 1))
        if len(digits) % 2:
            raise PayloadError(f"the certificate's {len(digits)} hex digits are not whole bytes")
        return cls(first.serial, first.model, first.total, (), bytes.fromhex(digits))


@dataclass(frozen=True)
class UrnaCertificate:
    """An urna's X.509 certificate as its QRCE codes carry it."""

    serial: str
    model: str
    #: ``DER`` or ``PEM``, as printed
    encoding: str
    certificate: x509.Certificate

    @classmethod
    def load(cls, parts: CertificateParts) -> UrnaCertificate:
        """Parse the assembled certificate; `PayloadError` when parts are missing or it is not X.509."""
        if parts.data is None:
            missing = ", ".join(f"{i}/{parts.total}" for i in parts.missing)
            raise PayloadError(f"certificate incomplete: part {missing} not read")
        encoding = "PEM" if parts.data.lstrip().startswith(_PEM) else "DER"
        try:
            if encoding == "PEM":
                certificate = x509.load_pem_x509_certificate(parts.data)
            else:
                certificate = x509.load_der_x509_certificate(_without_zero_padding(parts.data))
        except ValueError as error:
            raise PayloadError(f"the urna's certificate is not an X.509 certificate in {encoding}: {error}") from None
        return cls(parts.serial, parts.model, encoding, certificate)

    @property
    def key_algorithm(self) -> str:
        """The certificate's key algorithm in words (a dotted OID when it is none the urnas use)."""
        oid = self.certificate.public_key_algorithm_oid.dotted_string
        if oid == ED521_OID:
            return "EdDSA E-521"
        key = self.ec_key
        if key is not None:
            return "ECDSA P-521" if isinstance(key.curve, ec.SECP521R1) else f"ECDSA {key.curve.name}"
        return oid

    @property
    def ec_key(self) -> ec.EllipticCurvePublicKey | None:
        """The certificate's key when it is an elliptic-curve key `cryptography` knows (the UE2013/2015's P-521)."""
        try:
            key = self.certificate.public_key()
        except UnsupportedAlgorithm:
            return None
        return key if isinstance(key, ec.EllipticCurvePublicKey) else None

    def to_json(self) -> dict[str, str]:
        return {
            "serial": self.serial,
            "model": self.model,
            "encoding": self.encoding,
            "subject": self.certificate.subject.rfc4514_string(),
            "issuer": self.certificate.issuer.rfc4514_string(),
            "key_algorithm": self.key_algorithm,
        }


@dataclass(frozen=True)
class UrnaSignatureReport:
    """What was checked of a 6.0 BU's signature with its urna's certificate, and what was not, with why."""

    certificate: UrnaCertificate
    #: ASSI under the certificate's key
    signature: Check
    #: the certificate under the TSE root of its model
    chain: Check

    @property
    def trusted(self) -> bool:
        """Both checks passed: a valid signature under a certificate not chained to the TSE proves nothing."""
        return self.signature.outcome is Outcome.VERIFIED and self.chain.outcome is Outcome.VERIFIED

    def to_json(self) -> dict[str, Any]:
        return {
            "certificate": self.certificate.to_json(),
            "signature": self.signature.to_json(),
            "chain": self.chain.to_json(),
            "trusted": self.trusted,
        }


def check_signature(
    certificate: UrnaCertificate,
    last_hash: bytes,
    signature: bytes,
    roots: Mapping[str, x509.Certificate] | None = None,
) -> UrnaSignatureReport:
    """Check ASSI (`signature`) over the last HASH's raw bytes with the urna's certificate, and its chain.

    `roots` maps an urna model (MDUE, e.g. ``2015``) to the TSE's root
    certificate for it; none is shipped, so by default the chain is reported
    as not checked.
    """
    return UrnaSignatureReport(
        certificate,
        _signature(certificate, last_hash, signature),
        _chain(certificate, (roots or {}).get(certificate.model)),
    )


def _signature(certificate: UrnaCertificate, last_hash: bytes, signature: bytes) -> Check:
    algorithm, key = certificate.key_algorithm, certificate.ec_key
    if algorithm == "EdDSA E-521":
        return Check("signature", Outcome.NOT_CHECKED, ED521_UNSUPPORTED)
    if key is None or algorithm != "ECDSA P-521":
        return Check(
            "signature", Outcome.INVALID, f"the certificate's key is {algorithm}, not ECDSA P-521 nor EdDSA E-521"
        )
    try:
        key.verify(signature, last_hash, ec.ECDSA(hashes.SHA512()))
    except (InvalidSignature, ValueError):
        return Check("signature", Outcome.INVALID, "ASSI does not verify under the urna certificate's ECDSA P-521 key")
    return Check(
        "signature", Outcome.VERIFIED, "ECDSA P-521 over SHA-512 of the last HASH, under the urna's certificate"
    )


def _chain(certificate: UrnaCertificate, root: x509.Certificate | None) -> Check:
    model = certificate.model
    if root is None:
        return Check(
            "chain",
            Outcome.NOT_CHECKED,
            f"no TSE root certificate for urna model {model} is available (testigo ships none)",
        )
    if certificate.certificate.signature_algorithm_oid.dotted_string == ED521_OID:
        return Check("chain", Outcome.NOT_CHECKED, ED521_UNSUPPORTED)
    try:
        certificate.certificate.verify_directly_issued_by(root)
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm) as error:
        return Check(
            "chain", Outcome.INVALID, f"not issued by the TSE root of model {model}: {error or 'bad signature'}"
        )
    return Check("chain", Outcome.VERIFIED, f"issued by the TSE root of model {model}")


def _without_zero_padding(data: bytes) -> bytes:
    """The DER certificate without the zero bytes some urnas store after it (seen in their signature files)."""
    if len(data) < 2 or data[0] != 0x30:
        return data
    size, start = data[1], 2
    if size & 0x80:
        start += size & 0x7F
        size = int.from_bytes(data[2:start], "big")
    end = start + size
    return data[:end] if end < len(data) and not data[end:].strip(b"\0") else data
