"""Projection: the full result estimated from the mesas covered so far, with 95% intervals.

Estimator — a stratified ratio estimator (Cochran 1977, ch. 6): within each
parish, the covered mesas' votes per registered voter, times the registered
voters of the whole parish in the registry. A parish with no covered mesa
borrows the ratio of the smallest area around it that has covered mesas: its
municipality, else its state, else the country. Weighting by registered voters
makes a parish count in proportion to its size, and stratifying by parish
removes the bias of a coverage that differs between places (more actas from
cities than from the countryside, more from opposition strongholds) — as long
as, *within* a parish, the covered mesas vote like the uncovered ones. Nothing
in the data can correct a coverage that depends on how a mesa voted inside its
own parish; the benchmark measures what that costs.

The ratios are Beale's (1962) rather than the plain ratio of sums: the plain
ratio is biased by O(1/n) in each parish, and over a thousand parishes with a
dozen covered mesas each those biases add up (in 2024's data, to about half a
standard error of the shares); Beale's removes the O(1/n) term.

Intervals — analytic, by linearisation (Taylor / influence values, Särndal,
Swensson & Wretman 1992): every estimate is a smooth function of
per-area sums, so its error is approximately a sum over covered mesas of
influence values z_i, whose variance under sampling within parishes is
sum_h (1 - n_h/N_h) n_h s_h^2, s_h^2 the sample variance of z in parish h.
The finite-population correction matters: with 80% of a parish covered only
the remaining 20% is uncertain. A parish with a single covered mesa has no
spread of its own; such parishes are pooled per state (collapsed strata,
Cochran 1977 ch. 5A), each contributing its projected total's deviation from
what the pool's ratio predicts, which errs on the safe side. A parish that
borrowed a ratio adds the spread between the covered parishes of the area it
borrowed from (see `_Geography.borrowing_rows`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from testigo.domain import Registry
from testigo.domain.table import MesaTable

#: Where an uncovered parish borrows its ratio from, in order of preference (the first is the parish itself).
LEVELS = ("parish", "municipality", "state", "country")


@dataclass(frozen=True)
class Strata:
    """The whole registry as arrays: the population a projection extrapolates to.

    `registered` is imputed where the registry has no figure (the median of the
    known mesas of the same parish, else state, else country); `imputed` counts them.
    """

    mesa_ids: np.ndarray
    parish_ids: np.ndarray
    municipality_ids: np.ndarray
    state_ids: np.ndarray
    registered: np.ndarray
    imputed: int

    @classmethod
    def from_registry(cls, registry: Registry) -> Strata:
        mesas = sorted(registry.mesas.values(), key=lambda m: m.id)
        areas = {m.center_id: [registry.area_of(m, level) for level in LEVELS[:3]] for m in mesas}
        parish, municipality, state = (np.array([areas[m.center_id][k] for m in mesas], dtype=str) for k in range(3))
        registered = np.array([m.registered or np.nan for m in mesas], dtype=float)
        return cls.build(np.array([m.id for m in mesas], dtype=str), parish, municipality, state, registered)

    @classmethod
    def build(
        cls,
        mesa_ids: np.ndarray,
        parish_ids: np.ndarray,
        municipality_ids: np.ndarray,
        state_ids: np.ndarray,
        registered: np.ndarray,
    ) -> Strata:
        """From arrays; NaN or non-positive `registered` entries are imputed."""
        registered = np.where(registered > 0, registered, np.nan)
        missing = np.isnan(registered)
        filled = registered.copy()
        for groups in (parish_ids, state_ids, np.zeros(len(registered), dtype=int)):
            codes = np.unique(groups, return_inverse=True)[1]
            for code in np.unique(codes[np.isnan(filled)]):
                known = (codes == code) & ~missing
                if known.any():
                    filled[(codes == code) & np.isnan(filled)] = np.median(registered[known])
        return cls(mesa_ids, parish_ids, municipality_ids, state_ids, filled, int(missing.sum()))


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float

    def to_json(self) -> dict[str, float]:
        return {"estimate": self.estimate, "low": self.low, "high": self.high}


@dataclass(frozen=True)
class Projection:
    """Projected totals for the whole registry, with intervals at `confidence`.

    `votes` per candidate and ``null``; `shares` of valid votes; `margin` is the
    leader's share minus the runner-up's (leader by the point estimate);
    `turnout` is projected ballots over registered voters. `parishes_by_level`
    counts the parishes by the area their ratio comes from (see LEVELS).
    """

    confidence: float
    votes: dict[str, Interval]
    shares: dict[str, Interval]
    leader: str
    runner_up: str
    margin: Interval
    turnout: Interval
    mesas_covered: int
    mesas_total: int
    registered_covered: float
    registered_total: float
    parishes_by_level: dict[str, int]

    def to_json(self) -> dict[str, object]:
        return {
            "confidence": self.confidence,
            "votes": {k: v.to_json() for k, v in self.votes.items()},
            "shares": {k: v.to_json() for k, v in self.shares.items()},
            "leader": self.leader,
            "runner_up": self.runner_up,
            "margin": self.margin.to_json(),
            "turnout": self.turnout.to_json(),
            "coverage": {
                "mesas_covered": self.mesas_covered,
                "mesas_total": self.mesas_total,
                "registered_covered": self.registered_covered,
                "registered_total": self.registered_total,
                "parishes_by_level": self.parishes_by_level,
            },
        }


def project(covered: MesaTable, strata: Strata, confidence: float = 0.95) -> Projection:
    """Project `covered` (mesas of `strata`, each at most once) to every mesa of `strata`."""
    rows = _rows(covered, strata)
    geo = _Geography.of(strata, rows)
    x = strata.registered[rows]
    y = np.column_stack([covered.votes, covered.null_votes]).astype(float)
    total, influence, ratio = _ratio_estimate(x, y, geo.parish[rows], geo.weights(), geo.sampled())
    variance = _Variance(geo, rows)
    influence[variance.pooled] += variance.collapsed_influence(x, y)
    # rows after the mesas: the uncertainty of the parishes that borrowed a ratio
    z = np.vstack([influence, geo.borrowing_rows(ratio)])

    candidates = covered.candidates
    c = len(candidates)
    valid, z_valid = total[:c].sum(), z[:, :c].sum(axis=1)
    share = total[:c] / valid
    z_share = (z[:, :c] - np.outer(z_valid, share)) / valid
    order = np.argsort(-share, kind="stable")
    lead, second = int(order[0]), int(order[min(1, c - 1)])
    registered_total = float(strata.registered.sum())
    critical = float(stats.norm.ppf(0.5 + confidence / 2))

    def interval(estimate: float, z: np.ndarray, low: float = -np.inf, high: float = np.inf) -> Interval:
        half = critical * np.sqrt(variance(z))
        return Interval(float(estimate), float(max(low, estimate - half)), float(min(high, estimate + half)))

    keys = [*candidates, "null"]
    return Projection(
        confidence=confidence,
        votes={k: interval(total[i], z[:, i], low=0.0) for i, k in enumerate(keys)},
        shares={k: interval(share[i], z_share[:, i], 0.0, 1.0) for i, k in enumerate(candidates)},
        leader=candidates[lead],
        runner_up=candidates[second],
        margin=interval(share[lead] - share[second], z_share[:, lead] - z_share[:, second], -1.0, 1.0),
        turnout=interval(total.sum() / registered_total, z.sum(axis=1) / registered_total, 0.0),
        mesas_covered=len(rows),
        mesas_total=len(strata.mesa_ids),
        registered_covered=float(x.sum()),
        registered_total=registered_total,
        parishes_by_level=dict(zip(LEVELS, np.bincount(geo.source, minlength=len(LEVELS)).tolist(), strict=True)),
    )


@dataclass(frozen=True)
class _Geography:
    """Parishes, the areas around them, and where each parish's ratio comes from.

    `parish`: parish code of every registry mesa; `area[level]`: the code of the
    area at that level around each parish; `source`: the level whose covered
    mesas give a parish its ratio (0 = the parish itself).
    """

    parish: np.ndarray
    area: list[np.ndarray]
    registered: np.ndarray
    mesas: np.ndarray
    covered: np.ndarray
    source: np.ndarray

    @classmethod
    def of(cls, strata: Strata, rows: np.ndarray) -> _Geography:
        ids = (strata.parish_ids, strata.municipality_ids, strata.state_ids, np.zeros(len(strata.mesa_ids), dtype=int))
        codes = [np.unique(level_ids, return_inverse=True)[1] for level_ids in ids]
        parish = codes[0]
        n = int(parish.max()) + 1
        area = []
        for code in codes:
            around = np.zeros(n, dtype=np.int64)
            around[parish] = code
            area.append(around)
        covered = np.bincount(parish[rows], minlength=n)
        source = np.full(n, len(LEVELS) - 1)
        for level in reversed(range(len(LEVELS) - 1)):
            has_cover = np.bincount(area[level], weights=covered) > 0
            source = np.where(has_cover[area[level]], level, source)
        registered = np.bincount(parish, weights=strata.registered, minlength=n)
        return cls(parish, area, registered, np.bincount(parish, minlength=n), covered, source)

    def sampled(self) -> np.ndarray:
        """Covered fraction of each parish's mesas."""
        fraction: np.ndarray = self.covered / self.mesas
        return fraction

    def weights(self) -> np.ndarray:
        """Registered voters each covered parish's ratio is applied to: its own, plus its part of the
        uncovered parishes that borrow from its area, shared out in proportion to registered voters."""
        own = np.where(self.source == 0, self.registered, 0.0)
        weights = own.copy()
        for level in range(1, len(LEVELS)):
            area = self.area[level]
            lent = np.bincount(area, weights=np.where(self.source == level, self.registered, 0.0))
            covered = np.bincount(area, weights=own)
            share_out = np.divide(lent, covered, out=np.zeros_like(lent), where=covered > 0)
            weights += own * share_out[area]
        return weights

    def borrowing_rows(self, ratio: np.ndarray) -> np.ndarray:
        """Pseudo-influence rows for the error of the parishes that borrowed a ratio.

        An uncovered parish h is predicted by the registered-weighted mean ratio of
        the covered parishes of its area, so its error R_h (r_h - rbar) has the
        between-parish spread S of those ratios: a variance sum_h R_h^2 S per area.
        Rows sqrt(L w_j k/(k-1)) (r_j - rbar), one per covered parish j of the area
        (w_j its share of their registered voters, L = sum_h R_h^2), reproduce it
        for any linear combination of the columns. An area with a single covered
        parish uses the spread over the whole country.
        """
        covered = self.source == 0
        blocks = [np.zeros((0, ratio.shape[1]))]
        for level in range(1, len(LEVELS)):
            area = self.area[level]
            for code in np.unique(area[self.source == level]):
                members = covered & (area == code)
                members = members if members.sum() >= 2 else covered
                k = int(members.sum())
                if k < 2:
                    continue
                w = self.registered[members] / self.registered[members].sum()
                load = float((self.registered[(self.source == level) & (area == code)] ** 2).sum())
                deviation = ratio[members] - w @ ratio[members]
                blocks.append(np.sqrt(load * w * k / (k - 1))[:, None] * deviation)
        return np.vstack(blocks)


class _Variance:
    """Variance of a sum of influence values under sampling within parishes.

    Strata: each parish with two or more covered mesas; parishes with a single
    covered mesa pooled per state (a state's pool of one joins a national pool).
    Rows beyond the covered mesas are independent error terms added as squares.
    """

    def __init__(self, geo: _Geography, rows: np.ndarray) -> None:
        n = len(geo.covered)
        singleton = geo.covered == 1
        state = geo.area[2]
        group = np.where(singleton, n + state, np.arange(n))
        alone = singleton & (np.bincount(group, minlength=2 * n + 1)[group] == 1)
        group = np.where(alone, 2 * n + 1, group)
        has = geo.covered > 0
        codes = np.full(n, -1)
        codes[has] = np.unique(group[has], return_inverse=True)[1]
        self.rows = len(rows)
        self.group = codes[geo.parish[rows]]
        self.pooled = singleton[geo.parish[rows]]
        self.parish_registered = geo.registered[geo.parish[rows]]
        mesas = np.bincount(codes[has], weights=geo.mesas[has])
        self.fpc = 1 - np.bincount(self.group, minlength=len(mesas)) / mesas

    def collapsed_influence(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Influence of the lone covered mesa of each pooled parish: its projected parish total's
        deviation from what its pool's ratio predicts, R_h (y_i / x_i - r_pool)."""
        pool, x, y = self.group[self.pooled], x[self.pooled], y[self.pooled]
        size = len(self.fpc)
        y_sum = np.zeros((size, y.shape[1]))
        np.add.at(y_sum, pool, y)
        x_sum = np.bincount(pool, weights=x, minlength=size)[:, None]
        ratio = np.divide(y_sum, x_sum, out=np.zeros_like(y_sum), where=x_sum > 0)
        influence: np.ndarray = (self.parish_registered[self.pooled] / x)[:, None] * (y - ratio[pool] * x[:, None])
        return influence

    def __call__(self, z: np.ndarray) -> float:
        """sum_g (1 - f_g) n_g s_g^2 over the strata, plus the squares of the extra rows."""
        mesa_z, extra = z[: self.rows], z[self.rows :]
        size = len(self.fpc)
        n = np.bincount(self.group, minlength=size)
        mean = np.bincount(self.group, weights=mesa_z, minlength=size) / np.maximum(n, 1)
        ss = np.bincount(self.group, weights=(mesa_z - mean[self.group]) ** 2, minlength=size)
        within = np.divide(ss, n - 1, out=np.zeros_like(ss), where=n > 1)
        return float((self.fpc * n * within).sum() + (extra**2).sum())


def _rows(covered: MesaTable, strata: Strata) -> np.ndarray:
    """Positions of the covered mesas in the strata (each at most once)."""
    if not len(covered):
        raise ValueError("no covered mesa: nothing to project from")
    position = {m: i for i, m in enumerate(strata.mesa_ids.tolist())}
    missing = [m for m in covered.mesa_ids.tolist() if m not in position]
    if missing:
        raise KeyError(f"{len(missing)} covered mesa(s) not in the strata, e.g. {missing[0]!r}")
    rows = np.array([position[m] for m in covered.mesa_ids.tolist()], dtype=np.int64)
    if len(np.unique(rows)) != len(rows):
        raise ValueError("a mesa appears more than once among the covered ones")
    return rows


def _ratio_estimate(
    x: np.ndarray, y: np.ndarray, groups: np.ndarray, weights: np.ndarray, sampled: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sum over parishes g of weights[g] × Beale's ratio r_g of y to x in g; each mesa's influence on
    it; and the ratios (0 for a parish without covered mesas).

    Beale's ratio: (ybar + c s_xy / xbar) / (xbar + c s_x^2 / xbar), c = (1 - f) / n,
    with f = `sampled[g]` the covered fraction of the parish. Influence
    (linearisation of a ratio): weights[g] / X_g × (y_i - r_g x_i).
    """
    size = len(weights)
    n = np.bincount(groups, minlength=size).astype(float)
    x_sum = np.bincount(groups, weights=x, minlength=size)
    used = (weights > 0) & (x_sum > 0)
    y_sum, xy_sum = np.zeros((size, y.shape[1])), np.zeros((size, y.shape[1]))
    np.add.at(y_sum, groups, y)
    np.add.at(xy_sum, groups, x[:, None] * y)
    spread = n > 1
    safe_n = np.maximum(n, 1)
    x_mean, y_mean = np.where(used, x_sum / safe_n, 1.0), y_sum / safe_n[:, None]
    c = np.divide(1 - sampled, safe_n, out=np.zeros(size), where=spread)
    s_xx = np.divide(
        np.bincount(groups, weights=x * x, minlength=size) - n * x_mean**2, n - 1, out=np.zeros(size), where=spread
    )
    s_xy = np.divide(
        xy_sum - n[:, None] * x_mean[:, None] * y_mean,
        (n - 1)[:, None],
        out=np.zeros_like(y_sum),
        where=spread[:, None],
    )
    ratio = (y_mean + (c / x_mean)[:, None] * s_xy) / (x_mean + c * s_xx / x_mean)[:, None]
    ratio[~used] = 0.0
    total = (weights[:, None] * ratio).sum(axis=0)
    scale = np.divide(weights, x_sum, out=np.zeros_like(x_sum), where=used)
    influence = scale[groups, None] * (y - ratio[groups] * x[:, None])
    return total, influence, ratio
