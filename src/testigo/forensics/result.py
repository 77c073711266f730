"""What every forensic test returns: one summary plus the mesas it points at."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Flag:
    """One mesa a test points at.

    `score` is test-specific and documented by each test (for `siblings` it is the
    Benjamini–Hochberg q-value, so lower is stronger); `reason` says in plain words
    what was seen, with the numbers, in English. Where a test also gives `code`
    and `params` (see `testigo.forensics.i18n.coded_flag`), the reason can be
    rendered in other languages; neither takes part in equality or in the JSON.
    """

    mesa: str
    reason: str
    score: float
    code: str = field(default="", compare=False)
    params: Mapping[str, object] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, object]:
        return {"mesa": self.mesa, "reason": self.reason, "score": self.score}


@dataclass(frozen=True)
class TestResult:
    """Outcome of one test over the whole table.

    `statistic` and `p_value` summarise the test (None where a test has no such
    thing, e.g. a rule check or a model fit); `estimate` carries effect sizes and
    the per-candidate detail, so a reader sees *how much*, not only *how unlikely*;
    `caveat` states in plain words what the test cannot tell.
    """

    __test__ = False  # not a pytest test class, despite the name

    id: str
    statistic: float | None
    p_value: float | None
    estimate: dict[str, object]
    flagged: list[Flag] = field(default_factory=list)
    caveat: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "statistic": self.statistic,
            "p_value": self.p_value,
            "estimate": self.estimate,
            "flagged": [flag.to_json() for flag in self.flagged],
            "caveat": self.caveat,
        }
