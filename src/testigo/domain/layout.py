"""Where a tally sheet prints each figure, as data: one `SheetLayout` per form, read from a JSON file.

A layout never gives pixel positions: printers, fonts, margins and photos all
move those. It describes the sheet the way a person reads it, relative to
landmarks the reader finds on the page: a table whose rows begin with a known
key (the card number) and end with the row's figure, totals on lines that
begin with a label, header codes printed after their label, and the sums the
figures must satisfy. Adding a form means adding a layout file, e.g.::

    {
      "format": "testigo-layout/1",
      "name": "ve2024",
      "description": "Acta de escrutinio of the 2024 presidential election (CNE), with its QR code",
      "code": "qr",
      "table": {"rows": 38, "key": "{n:02d}", "field": "card_{n:02d}"},
      "totals": [{"field": "valid_votes", "label": "VOTOS VÁLIDOS"}, ...],
      "header": [{"field": "center", "label": "CENTRO:", "value": "next", "digits": [9, 9]}, ...],
      "checks": [{"total": "valid_votes", "parts": ["card_*"]}, ...],
      "landmarks": ["ACTA DE ESCRUTINIO"]
    }

The profile that owns a layout turns its figures into a record
(`testigo.profiles.base.Profile.record_from_print`).
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from typing import Any

FORMAT = "testigo-layout/1"
#: Where a labelled field's value is: the last word of its line, or the word right after the label.
VALUE_LAST, VALUE_NEXT = "last", "next"
#: Whether a sheet of this form carries a QR code.
CODES = ("qr", "none")


class LayoutError(ValueError):
    """A layout file that does not follow the format; str() names the problem."""


@dataclass(frozen=True)
class LabelledField:
    """A figure printed on a line that starts with `label`.

    `digits` bounds how many digits the figure has (a code of fixed length
    has equal bounds); `value` says which word of the line holds it.
    """

    field: str
    label: str
    value: str = VALUE_LAST
    digits: tuple[int, int] = (1, 7)


@dataclass(frozen=True)
class Table:
    """`rows` lines that each begin with the key `key.format(n=row)` and end with figure `field.format(n=row)`.

    Other lines (a candidate's name above their party rows) may stand
    between rows; the rows themselves come in order.
    """

    rows: int
    key: str
    field: str
    digits: tuple[int, int] = (1, 5)

    def keys(self) -> list[str]:
        return [self.key.format(n=n) for n in range(1, self.rows + 1)]

    def fields(self) -> list[str]:
        return [self.field.format(n=n) for n in range(1, self.rows + 1)]


@dataclass(frozen=True)
class Check:
    """An arithmetic rule of the sheet: the `parts` (field names or patterns like ``card_*``) sum to `total`."""

    total: str
    parts: tuple[str, ...]

    def part_fields(self, fields: list[str]) -> list[str]:
        return [f for f in fields if any(fnmatch.fnmatchcase(f, pattern) for pattern in self.parts)]


@dataclass(frozen=True)
class SheetLayout:
    """One printed form: its table, totals, header codes, arithmetic and landmarks."""

    name: str
    description: str
    code: str
    table: Table
    totals: tuple[LabelledField, ...]
    header: tuple[LabelledField, ...]
    checks: tuple[Check, ...]
    landmarks: tuple[str, ...] = ()

    def figure_fields(self) -> list[str]:
        """Every counted figure: the table's rows, then the totals."""
        return [*self.table.fields(), *(f.field for f in self.totals)]

    def labelled(self, name: str) -> LabelledField:
        return next(f for f in (*self.totals, *self.header) if f.field == name)

    @classmethod
    def from_json(cls, text: str) -> SheetLayout:
        """Parse a layout file; a malformed one is a `LayoutError` naming what is wrong."""
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT:
                raise LayoutError(f"not a {FORMAT} file")
            layout = cls(
                name=str(data["name"]),
                description=str(data.get("description", "")),
                code=str(data.get("code", "none")),
                table=_table(data["table"]),
                totals=tuple(_labelled(item) for item in data.get("totals", [])),
                header=tuple(_labelled(item) for item in data.get("header", [])),
                checks=tuple(Check(str(c["total"]), tuple(str(p) for p in c["parts"])) for c in data.get("checks", [])),
                landmarks=tuple(str(text) for text in data.get("landmarks", [])),
            )
        except LayoutError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise LayoutError(f"malformed layout: {error!r}") from None
        layout.validate()
        return layout

    def validate(self) -> None:
        if self.code not in CODES:
            raise LayoutError(f"layout {self.name}: code is {self.code!r}, not one of {', '.join(CODES)}")
        names = [*self.figure_fields(), *(f.field for f in self.header)]
        if len(set(names)) != len(names):
            raise LayoutError(f"layout {self.name}: a field name is used twice")
        for check in self.checks:
            if check.total not in names or not check.part_fields(names):
                raise LayoutError(f"layout {self.name}: check of {check.total} names fields the layout lacks")
        self._validate_hierarchy(names)

    def _validate_hierarchy(self, names: list[str]) -> None:
        """The checks must form a hierarchy of sums, which the reader weighs as a tree (`read.printed.sums`)."""
        totals = [check.total for check in self.checks]
        parts = [part for check in self.checks for part in check.part_fields(names)]
        if len(set(totals)) != len(totals) or len(set(parts)) != len(parts):
            raise LayoutError(f"layout {self.name}: a field is the total of two checks, or a part of two")
        parent = {part: check.total for check in self.checks for part in check.part_fields(names)}
        for name in parent:
            seen = {name}
            while name in parent:
                name = parent[name]
                if name in seen:
                    raise LayoutError(f"layout {self.name}: the checks through {name} form a cycle")
                seen.add(name)


def _table(data: dict[str, Any]) -> Table:
    return Table(int(data["rows"]), str(data["key"]), str(data["field"]), _digits(data.get("digits", [1, 5])))


def _labelled(data: dict[str, Any]) -> LabelledField:
    value = str(data.get("value", VALUE_LAST))
    if value not in (VALUE_LAST, VALUE_NEXT):
        raise LayoutError(f"field {data.get('field')}: value is {value!r}, not {VALUE_LAST!r} or {VALUE_NEXT!r}")
    return LabelledField(str(data["field"]), str(data["label"]), value, _digits(data.get("digits", [1, 7])))


def _digits(bounds: list[int]) -> tuple[int, int]:
    low, high = (int(b) for b in bounds)
    if not 1 <= low <= high:
        raise LayoutError(f"digits {bounds} are not 1 <= low <= high")
    return low, high
