"""How a published data file differs from what the log gives, one line per difference.

`verify` compares values, not bytes: a data file reformatted (or a Parquet
file rewritten by another library version) still carries the same figures
and passes; a changed figure is named by its place, e.g.
``data/mesas.csv: rows[010101001.01].card_36 is 201; the log gives 200``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import islice
from typing import Any

from testigo.domain import Election
from testigo.publish.tables import read_csv, read_parquet

#: Differences listed per file before the rest are only counted.
MAX_LINES = 10

#: Fields that identify the items of a list, so items are matched by identity, not position.
_ID_FIELDS = ("@id", "mesa_id", "id", "GpUnitId")


def explain(relative: str, expected: bytes, found: bytes, election: Election) -> list[str]:
    """Lines naming each value of `found` that differs from `expected`; empty when the values agree."""
    try:
        want, got = _load(relative, expected, election), _load(relative, found, election)
    except Exception as error:  # noqa: BLE001 - any unreadable file is one problem line, whatever the parser raised
        return [f"{relative} cannot be read: {error}"]
    root = "rows" if isinstance(want, list) else ""
    lines = list(islice(differences(want, got, root), MAX_LINES + 1))
    if len(lines) > MAX_LINES:
        total = sum(1 for _ in differences(want, got, root))
        lines[MAX_LINES:] = [f"... and {total - MAX_LINES} more differences"]
    return [f"{relative}: {line}" for line in lines]


def _load(relative: str, data: bytes, election: Election) -> Any:
    if relative.endswith(".json"):
        return json.loads(data)
    if relative.endswith(".csv"):
        return read_csv(data, election)
    if relative.endswith(".parquet"):
        return read_parquet(data)
    raise ValueError(f"no reader for {relative}")


def differences(expected: Any, found: Any, where: str) -> Iterator[str]:
    """Every place where `found` differs from `expected` (nested JSON-like values)."""
    if isinstance(expected, dict) and isinstance(found, dict):
        for key in sorted(expected.keys() | found.keys(), key=str):
            here = f"{where}.{key}" if where else str(key)
            if key not in found:
                yield f"{here} is missing; the log gives {_short(expected[key])}"
            elif key not in expected:
                yield f"{here} should not be there"
            else:
                yield from differences(expected[key], found[key], here)
    elif isinstance(expected, list) and isinstance(found, list):
        field = _id_field(expected, found)
        if field is not None:
            want_by = {str(item[field]): item for item in expected}
            got_by = {str(item[field]): item for item in found}
            yield from _keyed_differences(want_by, got_by, where)
            return
        if len(expected) != len(found):
            yield f"{where} has {len(found)} items; the log gives {len(expected)}"
        for index, (want, got) in enumerate(zip(expected, found, strict=False)):
            yield from differences(want, got, f"{where}[{index}]")
    elif type(expected) is not type(found) or expected != found:
        yield f"{where} is {_short(found)}; the log gives {_short(expected)}"


def _keyed_differences(expected: dict[str, Any], found: dict[str, Any], where: str) -> Iterator[str]:
    for key in sorted(expected.keys() | found.keys()):
        here = f"{where}[{key}]"
        if key not in found:
            yield f"{here} is missing"
        elif key not in expected:
            yield f"{here} should not be there: the log has no such item"
        else:
            yield from differences(expected[key], found[key], here)


def _id_field(*lists: list[Any]) -> str | None:
    """The first id field present, and unique, in every item of every list."""
    for field in _ID_FIELDS:
        if all(
            all(isinstance(item, dict) and field in item for item in items)
            and len({str(item[field]) for item in items}) == len(items)
            for items in lists
        ) and any(lists):
            return field
    return None


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."
