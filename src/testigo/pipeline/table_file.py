"""Reading a results table from CSV (any common encoding and delimiter) or Parquet.

Tables come from many hands: spreadsheets save Windows-1252, Windows-1251 or
UTF-16, some tools add a byte-order mark, Europeans use ``;``. The reader accepts them all
and keeps each row's line number, so every problem can be reported as
"row N: ...", the line a person opening the file in an editor will find.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import charset_normalizer

from testigo.errors import UserError

_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_DELIMITERS = ",;\t|"
_WHOLE = re.compile(r"\d+(?:\.0*)?")
#: Key under which a CSV row keeps the values beyond the header's columns (a malformed row).
OVERFLOW = "\0overflow"


@dataclass(frozen=True)
class TableFile:
    """A table's header and rows (all values as text), with each row's line number."""

    columns: list[str]
    rows: list[tuple[int, dict[str, str]]]
    encoding: str


def read_table(path: Path, data: bytes, encoding: str | None = None) -> TableFile:
    """The table in `data` (the bytes of `path`): Parquet by its magic number, else CSV.

    `encoding` forces the CSV's text encoding (any name Python knows), for the
    file a detector cannot be sure about.
    """
    if data[:4] == b"PAR1":
        return _parquet(data)
    return _csv(path, data, encoding)


def decode_text(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """(text, encoding): the forced `encoding`; else a BOM; else UTF-8 if it decodes; else what is detected.

    Only the last step guesses. A single-byte fallback such as Windows-1252
    "decodes" every file, so a Windows-1251 or KOI8-R table of Cyrillic names
    used to come out as Latin gibberish without any error; charset-normalizer
    picks the code page whose text reads as a language. A UTF-16 file without
    BOM is recognised first by its NUL bytes: detectors are unreliable on it.
    """
    if encoding is not None:
        return _forced(data, encoding)
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data.decode(name), name
    utf16 = _bomless_utf16(data)  # before UTF-8: UTF-16 of ASCII and Cyrillic is also valid UTF-8, full of NULs
    if utf16 is not None:
        return data.decode(utf16), utf16
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data).best()
    if best is not None:
        return str(best), best.encoding
    return data.decode("latin-1"), "latin-1"  # every byte is a Latin-1 character: never fails


def _forced(data: bytes, encoding: str) -> tuple[str, str]:
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise UserError(f"unknown encoding {encoding!r}") from None
    try:
        return data.decode(name), name
    except UnicodeDecodeError as error:
        raise UserError(f"the file is not {encoding}: byte {error.start} cannot be decoded ({error.reason})") from None


def _bomless_utf16(data: bytes) -> str | None:
    """utf-16-le or -be when NULs sit at nearly every odd (or even) byte of the start, as in UTF-16 text of
    Latin or Cyrillic script (whose high bytes are 0x00 or 0x04); None otherwise."""
    head = data[:4096]
    if len(head) < 4 or head.count(0) < len(head) // 4:
        return None
    pairs = len(head) // 2
    odd, even = head[1::2].count(0), head[0::2].count(0)
    if odd > 0.3 * pairs and even < 0.05 * pairs:
        return "utf-16-le"
    if even > 0.3 * pairs and odd < 0.05 * pairs:
        return "utf-16-be"
    return None


def whole_number(text: str, what: str) -> int:
    """A non-negative whole number; ``12.0`` is accepted (spreadsheets write it), ``12.5`` or ``1,234`` not."""
    value = text.strip()
    if not _WHOLE.fullmatch(value):
        raise ValueError(f"{what} is {text!r}, not a whole number ≥ 0")
    return int(value.split(".")[0])


def _csv(path: Path, data: bytes, forced: str | None) -> TableFile:
    text, encoding = decode_text(data, forced)
    first = text.split("\n", 1)[0]
    delimiter = max(_DELIMITERS, key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise UserError(f"{path.name} is empty") from None
    _check_header(path, header)
    rows = []
    line = reader.line_num
    for values in reader:
        start, line = line + 1, reader.line_num
        if not any(v.strip() for v in values):
            continue
        padded = values + [""] * (len(header) - len(values))
        row = dict(zip(header, padded, strict=False))
        if len(values) > len(header):
            row[OVERFLOW] = ",".join(values[len(header) :])
        rows.append((start, row))
    return TableFile(header, rows, encoding)


def _parquet(data: bytes) -> TableFile:
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(data))
    header = [str(name) for name in table.column_names]
    rows = [
        (number, {k: "" if v is None else str(v) for k, v in row.items()})
        for number, row in enumerate(table.to_pylist(), start=1)
    ]
    return TableFile(header, rows, "parquet")


def _check_header(path: Path, header: list[str]) -> None:
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise UserError(f"{path.name}: column(s) {', '.join(repeated)} appear more than once in the header")
