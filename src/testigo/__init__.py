"""testigo: verified, tamper-evident, auditable election results from tally-sheet photos.

The public Python API is exactly the names in `__all__`, documented in
docs/api.md: one-call functions for what the command line does, taking a
workspace as a path, a `Workspace` (from `open` or `init`) or an open store,
and returning typed results and Arrow tables::

    import testigo

    testigo.results("./eleccion", level="state").to_pandas()
    with testigo.open("./eleccion") as ws:
        ws.forensics().flagged
    published = testigo.read_bundle("https://example.org/bundle/", key="...")  # verified, or NotVerified
    published.results("state")

Everything else is internal and may change in any release without notice:
every subpackage (``testigo.store``, ``testigo.pipeline``, ``testigo.tally``...),
the modules of ``testigo.api`` that implement the API, and any name not in
`__all__`.

Names are imported on first use (PEP 562), so ``import testigo`` loads no
NumPy, OpenCV, SQLAlchemy, PyArrow or Typer, and ``testigo --help`` stays
fast. Three public functions share their name with an internal subpackage
(`verify`, `publish`, `forensics`): ``testigo.verify`` is always the function,
even after the subpackage has been imported; reach the subpackages with
``from testigo.verify import ...``, as testigo's own modules do.
"""

from __future__ import annotations

import sys
import types
from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Where each public name is defined; `__getattr__` imports it from there on first use.
_EXPORTS: dict[str, str] = {
    "LEVELS": "testigo.domain",
    "TestigoError": "testigo.errors",
    "UserError": "testigo.errors",
    "Workspace": "testigo.api.workspace",
    "open": "testigo.api.workspace",
    "init": "testigo.api.workspace",
    "ingest": "testigo.api.ingest",
    "IngestReport": "testigo.api.ingest",
    "import_table": "testigo.api.importing",
    "ImportReport": "testigo.api.importing",
    "status": "testigo.api.items",
    "Overview": "testigo.pipeline.overview",
    "items": "testigo.api.items",
    "results": "testigo.api.results",
    "coverage": "testigo.api.results",
    "contests": "testigo.api.results",
    "Coverage": "testigo.tally",
    "records": "testigo.api.results",
    "forensics": "testigo.api.forensics",
    "ForensicsReport": "testigo.api.forensics",
    "TestResult": "testigo.forensics",
    "projection": "testigo.api.projection",
    "bounds": "testigo.api.bounds",
    "Bounds": "testigo.api.bounds",
    "Projection": "testigo.api.projection",
    "compare": "testigo.api.compare",
    "Comparison": "testigo.api.compare",
    "publish": "testigo.api.bundles",
    "PublishReport": "testigo.publish",
    "verify": "testigo.api.bundles",
    "VerifyReport": "testigo.verify",
    "read_bundle": "testigo.api.bundles",
    "PublishedResults": "testigo.api.bundles",
    "NotVerified": "testigo.api.bundles",
    "audit_plan": "testigo.api.audit",
    "audit_record": "testigo.api.audit",
    "audit_status": "testigo.api.audit",
    "AuditStatus": "testigo.audit",
    "check_boletins": "testigo.api.boletins",
    "BoletimReport": "testigo.pipeline.boletins",
    "read_sheets": "testigo.api.sheets",
    "ReadReport": "testigo.pipeline.sheets",
}

__all__ = [
    "LEVELS",
    "AuditStatus",
    "BoletimReport",
    "Bounds",
    "Comparison",
    "Coverage",
    "ForensicsReport",
    "ImportReport",
    "IngestReport",
    "NotVerified",
    "Overview",
    "Projection",
    "PublishReport",
    "PublishedResults",
    "ReadReport",
    "TestResult",
    "TestigoError",
    "UserError",
    "VerifyReport",
    "Workspace",
    "__version__",
    "audit_plan",
    "audit_record",
    "audit_status",
    "bounds",
    "check_boletins",
    "compare",
    "contests",
    "coverage",
    "forensics",
    "import_table",
    "ingest",
    "init",
    "items",
    "open",
    "projection",
    "publish",
    "read_bundle",
    "read_sheets",
    "records",
    "results",
    "status",
    "verify",
]

if TYPE_CHECKING:  # what type checkers and editors see; at run time `__getattr__` imports each on first use
    from testigo.api.audit import audit_plan as audit_plan
    from testigo.api.audit import audit_record as audit_record
    from testigo.api.audit import audit_status as audit_status
    from testigo.api.boletins import check_boletins as check_boletins
    from testigo.api.bounds import Bounds as Bounds
    from testigo.api.bounds import bounds as bounds
    from testigo.api.bundles import NotVerified as NotVerified
    from testigo.api.bundles import PublishedResults as PublishedResults
    from testigo.api.bundles import publish as publish
    from testigo.api.bundles import read_bundle as read_bundle
    from testigo.api.bundles import verify as verify
    from testigo.api.compare import Comparison as Comparison
    from testigo.api.compare import compare as compare
    from testigo.api.forensics import ForensicsReport as ForensicsReport
    from testigo.api.forensics import forensics as forensics
    from testigo.api.importing import ImportReport as ImportReport
    from testigo.api.importing import import_table as import_table
    from testigo.api.ingest import IngestReport as IngestReport
    from testigo.api.ingest import ingest as ingest
    from testigo.api.items import items as items
    from testigo.api.items import status as status
    from testigo.api.projection import Projection as Projection
    from testigo.api.projection import projection as projection
    from testigo.api.results import contests as contests
    from testigo.api.results import coverage as coverage
    from testigo.api.results import records as records
    from testigo.api.results import results as results
    from testigo.api.sheets import read_sheets as read_sheets
    from testigo.api.workspace import Workspace as Workspace
    from testigo.api.workspace import init as init
    from testigo.api.workspace import open as open
    from testigo.audit import AuditStatus as AuditStatus
    from testigo.domain import LEVELS as LEVELS
    from testigo.errors import TestigoError as TestigoError
    from testigo.errors import UserError as UserError
    from testigo.forensics import TestResult as TestResult
    from testigo.pipeline.boletins import BoletimReport as BoletimReport
    from testigo.pipeline.overview import Overview as Overview
    from testigo.pipeline.sheets import ReadReport as ReadReport
    from testigo.publish import PublishReport as PublishReport
    from testigo.tally import Coverage as Coverage
    from testigo.verify import VerifyReport as VerifyReport


def __getattr__(name: str) -> Any:
    """Import a public name from the module that defines it, the first time it is used."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'testigo' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later uses find it at once
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


class _Package(types.ModuleType):
    """The `testigo` module, keeping its public names when a subpackage of the same name is imported.

    Importing a subpackage binds it on its parent (``testigo.verify = <module>``),
    which would hide the public function `verify` (likewise `publish` and
    `forensics`). Such a binding is dropped: the subpackage stays reachable
    through ``sys.modules`` and ``from testigo.verify import ...``.
    """

    def __setattr__(self, name: str, value: object) -> None:
        if name in _EXPORTS and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
