"""Reviewers measured on known sheets: how often their typing is right, how fast, how often they disagree.

Every crowd transcription (KawalPemilu, Actas Abiertas, INE's PREP) learned
that reviewers must be measured, not trusted. Among the unreadable sheets a
reviewer is handed, a share the admin sets (`MeasureSettings.rate`) are
*known sheets*: sheets whose figures testigo already holds — one whose QR code
was read into its mesa's accepted record, shown without that reading, or one
typed by hand whose record an admin confirmed. The reviewer cannot tell them
apart: same page, same address shape (``/review/unreadable/<item>``), listed
among their unreadable sheets with the same reason and no entries.

What they type on a known sheet is compared with its record, figure by figure
(the mesa, each card, the null votes), and stored apart from the ordinary
entries (`testigo.store.known`): it never settles a sheet, makes a record or
reaches the log. Admins see per reviewer the accuracy (figures right /
figures typed), the median time from being handed a known sheet to typing it,
and on ordinary sheets how many of their entries another reviewer typed
differently (`scores`); nothing of it is public, and nothing names anyone.

A reviewer whose accuracy is shown to be below the admin's threshold stops
counting as an independent entry: their entries are kept, but no longer make
or confirm a record (`not_counting`), until an admin re-checks them and lets
them count again (`reinstate`, recorded as an admin action). The judgement
waits for `MeasureSettings.min_sheets` typed known sheets and then uses the
one-sided upper Wilson score bound of the figure accuracy at 95%
(`wilson_upper`): the reviewer is set aside only when even that optimistic
bound is below the threshold, so a slip or two does not bench an honest
reviewer. Only the known sheets typed since the last reinstatement judge.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from scipy.stats import binomtest
from sqlalchemy.orm import Session

from testigo.ledger.entries import MANUAL_ENTRY
from testigo.store import known, reviews, users
from testigo.store.records import ACCEPTED
from testigo.store.schema import RecordRow
from testigo.store.workspace import Store
from testigo.web.accounts import REVIEWER, Account, find_account
from testigo.web.i18n import CatalogError

#: A reviewer is benched when this sure (one-sided) that their accuracy is below the threshold.
CONFIDENCE = 0.95
#: The `meta` keys of the admin's settings.
RATE_KEY, MIN_ACCURACY_KEY, MIN_SHEETS_KEY = "known_sheet_rate", "known_min_accuracy", "known_min_sheets"
#: The most known sheets a rate may ask for: a queue of only known sheets would transcribe nothing.
MAX_RATE = 0.5


class MeasureError(CatalogError):
    """A measurement setting or admin action that cannot be taken as asked (422; 404 for no such sheet)."""


@dataclass(frozen=True)
class MeasureSettings:
    """What the admin set: the share of known sheets, the accuracy below which a reviewer stops counting, and how
    many known sheets a reviewer types before being judged."""

    rate: float = 0.05
    min_accuracy: float = 0.98
    min_sheets: int = 5

    def to_json(self) -> dict[str, object]:
        return {"rate": self.rate, "min_accuracy": self.min_accuracy, "min_sheets": self.min_sheets}


def settings(store: Store) -> MeasureSettings:
    """The admin's settings, the defaults where never set."""
    with store.sessions() as session:
        return _settings(session)


def _settings(session: Session) -> MeasureSettings:
    default = MeasureSettings()
    rate = known.setting(session, RATE_KEY)
    accuracy = known.setting(session, MIN_ACCURACY_KEY)
    sheets = known.setting(session, MIN_SHEETS_KEY)
    return MeasureSettings(
        float(rate) if rate is not None else default.rate,
        float(accuracy) if accuracy is not None else default.min_accuracy,
        int(sheets) if sheets is not None else default.min_sheets,
    )


def save_settings(store: Store, admin: Account, wanted: MeasureSettings) -> MeasureSettings:
    """Store the admin's settings (recorded as an admin action with the new values)."""
    if not 0 <= wanted.rate <= MAX_RATE:
        raise MeasureError("measure_bad_rate", max=MAX_RATE)
    if not 0 < wanted.min_accuracy <= 1:
        raise MeasureError("measure_bad_accuracy")
    if wanted.min_sheets < 1:
        raise MeasureError("measure_bad_sheets")
    with store.sessions.begin() as session:
        known.set_setting(session, RATE_KEY, repr(wanted.rate))
        known.set_setting(session, MIN_ACCURACY_KEY, repr(wanted.min_accuracy))
        known.set_setting(session, MIN_SHEETS_KEY, str(wanted.min_sheets))
        detail = f"rate={wanted.rate} min_accuracy={wanted.min_accuracy} min_sheets={wanted.min_sheets}"
        users.record_admin_action(
            session, admin_id=admin.id, action=users.MEASURE_SETTINGS, user_id=admin.id, detail=detail
        )
    return wanted


def wilson_upper(right: int, total: int, confidence: float = CONFIDENCE) -> float:
    """The one-sided upper Wilson score bound of the proportion `right` / `total` (1.0 for no trials), by SciPy.

    Wilson's interval stays inside [0, 1] and keeps its coverage near 0 and 1,
    where an accuracy lives (the plain normal interval is too narrow there:
    with no error seen it has no width at all). The upper end of the
    two-sided interval at 2·confidence − 1 is the one-sided bound:
    (p + z²/2n + z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n), z the normal quantile.
    """
    if total <= 0:
        return 1.0
    interval = binomtest(right, total).proportion_ci(confidence_level=2 * confidence - 1, method="wilson")
    return float(interval.high)


# --- handing out known sheets ----------------------------------------------------------------------------------

#: Draws whether the next sheet is a known one, and which; the system's randomness, so no reviewer can predict it.
_draw: random.Random = random.SystemRandom()


def hand_out(store: Store, reviewer: Account) -> int | None:
    """With the admin's probability, hand the reviewer a known sheet they never saw; its item id, or None.

    Drawn afresh for each sheet asked for, so known sheets arrive at the
    rate on average and in no pattern a reviewer could learn.
    """
    rate = settings(store).rate
    if rate <= 0 or _draw.random() >= rate:
        return None
    with store.sessions.begin() as session:
        found = known.pick(session, reviewer.id, _draw.randrange(1_000_003))
        if found is None:
            return None
        known.hand_out(session, reviewer.id, *found)
    return found[0]


def enter_known(
    session: Session, reviewer: Account, item_id: int, mesa_id: str, counts: Sequence[int], nulls: int
) -> bool:
    """Score the reviewer's typing if `item_id` is a known sheet handed to them; False if it is not one.

    Called inside the entry's transaction (`testigo.web.decisions.enter_manual`)
    before anything about ordinary sheets: the entry is stored and scored
    here, and nothing else happens. A second typing of the same known sheet
    is refused as a settled sheet's would be.
    """
    row = known.pending(session, reviewer.id, item_id)
    if row is None:
        if known.handed(session, reviewer.id, item_id):
            raise MeasureError("decision_already_settled", status_code=409)
        return False
    truth = session.get(RecordRow, row.record_id)
    assert truth is not None  # a foreign key
    expected = [int(v) for v in truth.counts.split(",")]
    right = (mesa_id == truth.mesa_id) + (nulls == truth.null_votes)
    right += sum(a == b for a, b in zip(counts, expected, strict=False))
    if not known.complete(session, row, mesa_id=mesa_id, counts=counts, null_votes=nulls, right=right):
        raise MeasureError("decision_already_settled", status_code=409)
    return True


def set_aside_known(session: Session, reviewer: Account, item_id: int) -> bool:
    """Record that the reviewer set a known sheet handed to them aside as not an acta; False if it is not one."""
    row = known.pending(session, reviewer.id, item_id)
    if row is None:
        return False
    known.set_aside(session, row)
    return True


# --- judging -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewerScore:
    """One reviewer's measurement (admins only): on the known sheets typed since `since` (their last
    reinstatement, None: ever), and on the ordinary sheets they typed."""

    username: str
    reviewer_id: int
    sheets: int  # known sheets typed
    figures: int
    figures_right: int
    set_aside: int  # known sheets set aside as not an acta
    waiting: int  # known sheets handed out, not typed yet
    median_seconds: float | None  # from being handed a known sheet to typing it
    ordinary: int  # ordinary sheets typed
    disagreements: int  # of which another reviewer typed something else
    since: datetime | None
    upper: float  # the upper Wilson bound of the accuracy
    counting: bool

    @property
    def accuracy(self) -> float | None:
        return self.figures_right / self.figures if self.figures else None

    def to_json(self) -> dict[str, object]:
        return {
            "username": self.username,
            "known_sheets": self.sheets,
            "figures": self.figures,
            "figures_right": self.figures_right,
            "accuracy": round(self.accuracy, 4) if self.accuracy is not None else None,
            "accuracy_upper_bound": round(self.upper, 4),
            "set_aside": self.set_aside,
            "waiting": self.waiting,
            "median_seconds": round(self.median_seconds, 1) if self.median_seconds is not None else None,
            "ordinary_entries": self.ordinary,
            "disagreements": self.disagreements,
            "since": self.since.isoformat() if self.since else None,
            "counting": self.counting,
        }


def _judge(
    lines: Sequence[known.KnownLine], since: datetime | None, rules: MeasureSettings
) -> tuple[list[known.KnownLine], float, bool]:
    """The typed known sheets that judge a reviewer (since `since`), the upper bound of their accuracy, and whether
    they still count as an independent entry."""
    typed = [
        line
        for line in lines
        if line.entered_at is not None and (since is None or users.aware(line.entered_at) > since)
    ]
    upper = wilson_upper(sum(line.figures_right or 0 for line in typed), sum(line.figures or 0 for line in typed))
    return typed, upper, len(typed) < rules.min_sheets or upper >= rules.min_accuracy


def not_counting(session: Session, reviewer_ids: Sequence[int]) -> set[int]:
    """Those of `reviewer_ids` whose entries do not count as independent now (benched, not reinstated since)."""
    if not reviewer_ids:
        return set()
    rules = _settings(session)
    reinstated = users.last_action_on(session, users.REINSTATE)
    lines = known.lines(session, reviewer_ids)
    return {
        r for r in reviewer_ids if not _judge([x for x in lines if x.reviewer_id == r], reinstated.get(r), rules)[2]
    }


def scores(store: Store) -> list[ReviewerScore]:
    """Every reviewer's measurement, those who no longer count first, then by name."""
    rules = settings(store)
    with store.sessions() as session:
        reinstated = users.last_action_on(session, users.REINSTATE)
        lines = known.lines(session)
        split = known.disagreements(session)
        reviewers = [Account.of(row) for row in users.all_users(session)]
    found: list[ReviewerScore] = []
    for row in (account for account in reviewers if account.may(REVIEWER)):
        own = [line for line in lines if line.reviewer_id == row.id]
        typed, upper, counting = _judge(own, reinstated.get(row.id), rules)
        seconds = [
            (users.aware(line.entered_at) - users.aware(line.assigned_at)).total_seconds()
            for line in typed
            if line.entered_at is not None
        ]
        ordinary, disagreements = split.get(row.id, (0, 0))
        found.append(
            ReviewerScore(
                username=row.username,
                reviewer_id=row.id,
                sheets=len(typed),
                figures=sum(line.figures or 0 for line in typed),
                figures_right=sum(line.figures_right or 0 for line in typed),
                set_aside=sum(line.set_aside_at is not None for line in own),
                waiting=sum(line.entered_at is None and line.set_aside_at is None for line in own),
                median_seconds=statistics.median(seconds) if seconds else None,
                ordinary=ordinary,
                disagreements=disagreements,
                since=reinstated.get(row.id),
                upper=upper,
                counting=counting,
            )
        )
    return sorted(found, key=lambda s: (s.counting, s.username))


def reinstate(store: Store, admin: Account, username: str) -> Account:
    """An admin re-checked a reviewer and lets their entries count again; only known sheets typed from now judge
    them. Recorded as an admin action (who, when, on whom)."""
    reviewer = find_account(store, username)
    if not reviewer.may(REVIEWER):
        raise MeasureError("measure_not_reviewer", username=reviewer.username)
    with store.sessions.begin() as session:
        users.record_admin_action(session, admin_id=admin.id, action=users.REINSTATE, user_id=reviewer.id, detail=None)
    return reviewer


def confirm_known(store: Store, admin: Account, item_id: int) -> None:
    """An admin confirms the figures of a sheet typed by hand, so it may be handed out as a known sheet."""
    with store.sessions.begin() as session:
        decided = reviews.decision_for_item(session, item_id, MANUAL_ENTRY)
        record = session.get(RecordRow, decided.record_id) if decided and decided.record_id else None
        if record is None or record.status != ACCEPTED:
            raise MeasureError("measure_not_typed", status_code=404, item=item_id)
        if reviews.decision_for_item(session, item_id, known.CONFIRM_KNOWN) is None:
            reviews.add_decision(
                session,
                action=known.CONFIRM_KNOWN,
                reviewer_id=admin.id,
                reviewers=[admin.id],
                mesa_id=record.mesa_id,
                item_id=item_id,
                record_id=record.id,
            )
