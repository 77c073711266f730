"""Brazil's boletim de urna (BU): its QR codes read, written, chained, signed, assembled and summed.

- `model`: the typed, frozen BU (parts, header, contests).
- `text`: one QR text to a `BuPart`, parts to a `Boletim`, and a `Boletim` back to QR texts.
- `chain`: the SHA-512 chain across the parts and the signature of the last hash.
- `assemble`: parts arriving one at a time, in any order, gathered into whole BUs.
- `arithmetic`: the sums a genuine BU satisfies.

The format is the TSE's "QR Code no boletim de urna — Manual para criação de
aplicativos de leitura"; docs/brazil-bu.md says what is implemented and checked.
"""
