"""Checking the counted records against the registry rules, as `verify` recomputes them from the log.

The live system validates each sheet when it arrives (votes within the mesa's
registered voters, not all zero, the center's total within the center's
registered voters). A reviewer's decision can change a mesa afterwards, and a
log can be altered; so `verify` runs the profile's own validation again on
every counted record, with the center totals of the final result, and names
each mesa that fails.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from testigo.profiles import CheckContext
from testigo.publish.model import Publication
from testigo.verify.report import VerifyReport


def check_rules(
    report: VerifyReport, publications: Sequence[Publication], cap: Callable[[list[str], str], list[str]]
) -> None:
    """Add the ``rules`` check: `Profile.check` on every counted record of every contest, one problem line per
    failure and mesa (center totals are a contest's own)."""
    problems = []
    for publication in publications:
        results = publication.mesas.values()
        center_votes: Counter[str] = Counter()
        for result in results:
            center_votes[result.mesa.center_id] += result.record.total_votes
        for result in results:
            elsewhere = center_votes[result.mesa.center_id] - result.record.total_votes
            for problem in publication.profile.check(result.record, CheckContext(publication.registry, elsewhere)):
                problems.append(f"mesa {result.mesa.id} (log entry {result.accepted.seq}): {problem}")
    profile = publications[0].profile.name
    detail = (
        f"{sum(len(p.mesas) for p in publications)} counted records validated again by profile {profile}: "
        "votes within the mesa's registered voters, not all zero, center totals within the center's"
    )
    report.add("rules", detail, cap(problems, "records that break the rules"))
