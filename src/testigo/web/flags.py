"""What record flags mean to people: which ones wait for a reviewer, and how each reads in the page's language.

Which flags need a reviewer — the decision, and why:

- *informational* (never queued): ``per-candidate only`` and ``null votes
  not in the source``. `testigo import` puts them on every row of a table
  that gives only per-candidate votes (both 2024 tables: about 24,500 rows);
  they say what the source lacks, not that anything is wrong with the figures,
  and no reviewer could fix them by looking at a sheet. Queuing them would
  bury the few records that need eyes under tens of thousands that do not.
- *needs review* (queued): every other flag — an acta id with an unusual
  suffix, a fourth field that differs from the null votes (ve2024 sheets),
  declared ballots or valid votes that differ from the sum of the figures
  (imported tables). Each is a discrepancy on the sheet itself that a person
  should check against the image. A flag not known here is queued too: new
  kinds of flags must be looked at until someone decides otherwise.

The flag texts are written (in English) by the profiles and the importer,
which store them with the record; they are translated here when shown, by the
patterns below. A flag matching no pattern is shown as written.
"""

from __future__ import annotations

import re

from testigo.pipeline.importer import NO_NULL_VOTES, PER_CANDIDATE_ONLY
from testigo.web.i18n import Translator

#: Flags that only inform: kept on the record and shown on its page, never put in the review queue.
INFORMATIONAL_FLAGS: tuple[str, ...] = (PER_CANDIDATE_ONLY, NO_NULL_VOTES)

#: (pattern of a stored flag, catalog key whose parameters are the pattern's named groups).
_TEXTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(re.escape(PER_CANDIDATE_ONLY)), "flag_per_candidate_only"),
    (re.compile(re.escape(NO_NULL_VOTES)), "flag_no_null_votes"),
    (
        re.compile(r"unusual acta id suffix \.(?P<suffix>\S+) \(every known acta has \.(?P<usual>\S+)\)"),
        "flag_unusual_suffix",
    ),
    (re.compile(r"fourth field (?P<second>-?\d+) differs from null votes (?P<nulls>-?\d+)"), "flag_second_count"),
    (re.compile(r"ballots (?P<ballots>-?\d+) differ from votes plus invalid (?P<total>-?\d+)"), "flag_ballots"),
    (
        re.compile(r"(?P<column>.+) (?P<declared>-?\d+) differs from the candidates' sum (?P<total>-?\d+)"),
        "flag_valid_votes",
    ),
)


def flag_text(flag: str, language: str) -> str:
    """A stored flag in `language`; as written when no pattern knows it."""
    for pattern, key in _TEXTS:
        found = pattern.fullmatch(flag)
        if found:
            return Translator(language)(key, **found.groupdict())
    return flag
