"""What `testigo verify` found: every check with its outcome, and every problem, one line each."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CheckResult:
    check: str
    ok: bool
    detail: str


@dataclass
class VerifyReport:
    """Every check with its outcome, and every problem found, one line each."""

    checks: list[CheckResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    not_decoded: int = 0
    """Images with a logged reading that were hashed but not decoded again (a `sample` was asked for): what
    their entries log rests on the log alone. 0 when every one was decoded."""

    @property
    def ok(self) -> bool:
        return not self.problems and all(check.ok for check in self.checks)

    def add(self, check: str, detail: str, problems: list[str]) -> None:
        self.checks.append(CheckResult(check, not problems, detail))
        self.problems.extend(problems)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checks": [{"check": c.check, "ok": c.ok, "detail": c.detail} for c in self.checks],
            "problems": self.problems,
            "not_decoded": self.not_decoded,
        }
