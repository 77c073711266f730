"""Reading a results table from CSV (any common encoding and delimiter) or Parquet.

Tables come from many hands: spreadsheets save Windows-1252 or UTF-16, some
tools add a byte-order mark, Europeans use ``;``. The reader accepts them all
and keeps each row's line number, so every problem can be reported as
"row N: ...", the line a person opening the file in an editor will find.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

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


def read_table(path: Path, data: bytes) -> TableFile:
    """The table in `data` (the bytes of `path`): Parquet by its magic number, else CSV."""
    if data[:4] == b"PAR1":
        return _parquet(data)
    return _csv(path, data)


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding): a BOM decides; else UTF-8 if it decodes, else Windows-1252, else Latin-1."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding), encoding
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"  # every byte is a Latin-1 character: never fails


def whole_number(text: str, what: str) -> int:
    """A non-negative whole number; ``12.0`` is accepted (spreadsheets write it), ``12.5`` or ``1,234`` not."""
    value = text.strip()
    if not _WHOLE.fullmatch(value):
        raise ValueError(f"{what} is {text!r}, not a whole number ≥ 0")
    return int(value.split(".")[0])


def _csv(path: Path, data: bytes) -> TableFile:
    text, encoding = decode_text(data)
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
            row[OVERFLOW] = ",".join(values[len(header):])
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
