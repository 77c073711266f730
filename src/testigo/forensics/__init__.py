"""Statistical forensics over per-mesa results: one module per family of tests, plus the report.

Every test takes a `MesaTable` and returns a `TestResult`; `run_all` runs them
all and `to_json` shapes the output. `testigo.forensics.html.render_html` draws
the HTML report (it imports matplotlib, so it is not imported here).
"""

from testigo.domain.table import MesaTable
from testigo.forensics.digits import benford2, last_digit
from testigo.forensics.duplicates import duplicates
from testigo.forensics.fingerprint import fingerprint
from testigo.forensics.impossible import impossible
from testigo.forensics.integer_peaks import integer_peaks
from testigo.forensics.report_data import REPORT_IDS, TEST_IDS, flagged_mesas, run_all, to_json
from testigo.forensics.result import Flag, TestResult
from testigo.forensics.siblings import siblings

__all__ = [
    "REPORT_IDS",
    "TEST_IDS",
    "Flag",
    "MesaTable",
    "TestResult",
    "benford2",
    "duplicates",
    "fingerprint",
    "flagged_mesas",
    "impossible",
    "integer_peaks",
    "last_digit",
    "run_all",
    "siblings",
    "to_json",
]
