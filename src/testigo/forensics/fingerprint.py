"""Test `fingerprint`: the turnout × vote-share fingerprint with a fitted ballot-stuffing model.

Klimek, Yegorov, Hanel & Thurner (2012, PNAS 109:16469) observed that in clean
elections the 2D histogram of (turnout, winner's share) over polling stations is
one roughly Gaussian blob, while ballot stuffing smears it towards high turnout
and high share and extreme fraud piles mesas up near (100%, 100%). Their model:

* fair: turnout ~ N(t0, st), share ~ N(v0, sv), independent, within [0, 1];
* with probability f_i a mesa gets *incremental* fraud: a fraction x of its
  non-voters is added to the winner (x ~ |N(0, theta)|) and a fraction x^alpha of
  the opponents' votes is moved to the winner;
* with probability f_e *extreme* fraud: the same with x = 1 - |N(0, 0.075)|.

f_i and f_e are fitted, as in the paper, by least squares between the observed
2D histogram and the model's simulated one over a grid (weighted by the
expected count, Pearson-style); theta over a short list, alpha fixed. The fair
parameters start from the side of the blob that stuffing cannot reach (see
`fair_model`) and are refitted in turn with the fraud (see `fit_fraud`).

Fitting the whole grid is cheap because the draws are shared (common random
numbers): a mesa is incremental when its uniform draw u < f_i and extreme when
f_i <= u < f_i + f_e, so sorting mesas into slabs of u and accumulating one
histogram per slab and per scenario gives every grid point's histogram as a
sum of three differences of cumulative histograms.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass

import numpy as np
from scipy import ndimage, optimize, stats

from testigo.domain.table import MesaTable
from testigo.forensics.result import TestResult

CAVEAT = (
    "The fitted fractions say how much of the turnout × share pattern this simple model attributes to ballot "
    "stuffing; they are not counts of fraudulent mesas. Honest elections can produce the same smear: regions "
    "where turnout and support for one candidate rise together (strongholds, rural areas, mobilisation), or a "
    "turnout distribution that is not Gaussian. Read it with the map and the sibling test, not alone. The "
    "examined candidate is the caller's choice (by default the most voted one in these data)."
)

BINS = 40
STEP = 0.01
MAX_INCREMENTAL = 0.6
MAX_EXTREME = 0.2
THETAS = (0.1, 0.2, 0.3)
ALPHA = 2.0
EXTREME_SD = 0.075
REPLICATES = 8
#: Most simulated mesas per model evaluation. Beyond some 60,000 mesas the
#: replicates are thinned to this many draws: a 40 × 40 histogram of half a
#: million draws is already smooth (about 300 per occupied cell), and the fit's
#: cost stays flat instead of growing with the election (1M mesas × 8 would be
#: 8M draws per evaluation, minutes of fitting for no visible gain).
MAX_DRAWS = 500_000
#: Below this many usable mesas (known register, some valid vote) the histogram is too sparse to fit.
MIN_MESAS = 100
ROUNDS = 1


@dataclass(frozen=True)
class FairModel:
    """Means and standard deviations of turnout and share in a clean election."""

    turnout_mean: float
    turnout_sd: float
    share_mean: float
    share_sd: float


@dataclass(frozen=True)
class Fit:
    """A fraud setting and its loss (weighted sum of squares) against the observed histogram."""

    incremental_fraction: float
    extreme_fraction: float
    theta: float
    loss: float = np.nan


@dataclass(frozen=True)
class FingerprintFit:
    """The best fit, its fair blob, and the loss of the best blob without any fraud."""

    fit: Fit
    fair: FairModel
    loss_no_fraud: float


def fingerprint(
    table: MesaTable,
    candidate: str | None = None,
    *,
    bins: int = BINS,
    alpha: float = ALPHA,
    thetas: tuple[float, ...] = THETAS,
    replicates: int = REPLICATES,
    seed: int = 0,
) -> TestResult:
    """Fit f_i (incremental) and f_e (extreme) stuffing fractions for `candidate`'s share.

    Mesas with unknown registered voters, no valid vote, or more ballots than
    registered are left out. No p-value: this is an estimate, not a test.
    """
    key = candidate or table.leaders()[0]
    turnout, share = observed(table, key)
    if len(turnout) < MIN_MESAS:
        skipped = {"candidate": key, "mesas": len(turnout), "skipped": f"fewer than {MIN_MESAS} usable mesas"}
        return TestResult("fingerprint", None, None, skipped, [], CAVEAT)
    result = fit_fraud(turnout, share, bins=bins, alpha=alpha, thetas=thetas, replicates=replicates, seed=seed)
    fit = result.fit
    estimate: dict[str, object] = {
        "candidate": key,
        "incremental_fraction": fit.incremental_fraction,
        "extreme_fraction": fit.extreme_fraction,
        "theta": fit.theta,
        "stealing_exponent": alpha,
        "fair_model": vars(result.fair),
        "loss": fit.loss,
        "loss_no_fraud": result.loss_no_fraud,
        "fit_improvement": 1 - fit.loss / result.loss_no_fraud if result.loss_no_fraud > 0 else 0.0,
        "turnout_share_spearman": float(stats.spearmanr(turnout, share)[0]) if len(turnout) > 2 else None,
        "mesas": len(turnout),
        "bins": bins,
    }
    return TestResult("fingerprint", fit.incremental_fraction, None, estimate, [], CAVEAT)


def observed(table: MesaTable, candidate: str) -> tuple[np.ndarray, np.ndarray]:
    """Turnout and `candidate`'s share of valid votes for the mesas the model can use."""
    turnout, share = table.turnout, table.share(candidate)
    usable = ~np.isnan(turnout) & ~np.isnan(share) & (turnout <= 1)
    return turnout[usable], share[usable]


def fair_model(turnout: np.ndarray, share: np.ndarray) -> FairModel:
    """The clean blob, estimated from the side that stuffing cannot reach.

    Stuffing only moves mesas towards higher turnout and share, so, following
    Klimek et al., the centre is the peak of the distribution (a kernel density
    mode) and the spread comes from the mesas below it.
    """

    def below_mode(x: np.ndarray) -> tuple[float, float]:
        mode = density_mode(x)
        lower = x[x < mode] - mode
        return mode, max(float(np.sqrt(np.mean(lower**2))) if len(lower) else 0.0, 1e-3)

    return FairModel(*below_mode(turnout), *below_mode(share))


def density_mode(x: np.ndarray, grid: int = 1000) -> float:
    """Peak of a Gaussian kernel density on [0, 1] (Silverman's bandwidth), binned for speed."""
    spread = min(float(np.std(x)), float(np.subtract(*np.percentile(x, [75, 25]))) / 1.34)
    bandwidth = max(0.9 * spread * len(x) ** -0.2, 1 / grid)
    counts = np.histogram(x, bins=grid, range=(0.0, 1.0))[0].astype(float)
    return float((np.argmax(ndimage.gaussian_filter1d(counts, bandwidth * grid)) + 0.5) / grid)


def histogram(turnout: np.ndarray, share: np.ndarray, bins: int) -> np.ndarray:
    """Flattened bins × bins histogram of (turnout, share) over [0, 1]²."""
    return np.bincount(_bin(turnout, share, bins), minlength=bins * bins).astype(float)


def fit_fraud(
    turnout: np.ndarray,
    share: np.ndarray,
    *,
    bins: int = BINS,
    alpha: float = ALPHA,
    thetas: tuple[float, ...] = THETAS,
    replicates: int = REPLICATES,
    rounds: int = ROUNDS,
    seed: int = 0,
) -> FingerprintFit:
    """Fit (f_i, f_e, theta) over the grid, alternating with a refit of the fair blob.

    A fair blob estimated a little off centre is otherwise "corrected" by
    spurious incremental fraud of small theta, which acts like a shift; so the
    four fair parameters are refitted (Nelder–Mead) with the fraud held, then
    the fraud on the grid with the blob held, `rounds` times. Two starts — no
    fraud, and the grid's best for the blob estimated from the data — guard
    against a poor local optimum; the better one wins.
    """
    simulator = _Simulator(histogram(turnout, share, bins), len(turnout), bins, alpha, replicates, seed)
    initial = fair_model(turnout, share)
    no_fraud = Fit(0.0, 0.0, thetas[0])
    clean_blob = simulator.refit_fair(initial, no_fraud)
    results = [
        simulator.alternate(start_fair, simulator.grid(start_fair, thetas), thetas, rounds)
        for start_fair in (clean_blob, initial)
    ]
    fit, fair = min(results, key=lambda pair: pair[0].loss)
    return FingerprintFit(fit, fair, simulator.loss(clean_blob, no_fraud))


class _Simulator:
    """The model's random draws, fixed once (common random numbers), and the fits they allow."""

    def __init__(self, observed_hist: np.ndarray, mesas: int, bins: int, alpha: float, replicates: int, seed: int):
        rng = np.random.default_rng(seed)
        n = min(mesas * replicates, max(MAX_DRAWS, mesas))
        self.observed, self.bins, self.alpha = observed_hist, bins, alpha
        self.per_draw = mesas / n  # simulated counts are scaled to the observed number of mesas
        self.z_turnout, self.z_share = rng.standard_normal(n), rng.standard_normal(n)
        self.slabs = round((MAX_INCREMENTAL + MAX_EXTREME) / STEP)
        self.u = rng.random(n)
        self.slab = np.minimum((self.u / STEP).astype(np.int64), self.slabs)
        self.magnitude = np.abs(rng.standard_normal(n))
        self.extreme = np.clip(1 - EXTREME_SD * np.abs(rng.standard_normal(n)), 0.0, 1.0)

    def fair(self, fair: FairModel) -> tuple[np.ndarray, np.ndarray]:
        """Fair turnout and share; clipped (not redrawn) into [0, 1] so they move smoothly with the parameters."""
        turnout = np.clip(fair.turnout_mean + fair.turnout_sd * self.z_turnout, 0.0, 1.0)
        return turnout, np.clip(fair.share_mean + fair.share_sd * self.z_share, 0.0, 1.0)

    def objective(self, simulated: np.ndarray) -> np.ndarray:
        """Least squares weighted by the expected count (Pearson), over the last axis."""
        loss: np.ndarray = ((simulated - self.observed) ** 2 / (simulated + 1)).sum(axis=-1)
        return loss

    def loss(self, fair: FairModel, fit: Fit) -> float:
        """Objective of one model: `fair` with the fraud of `fit`."""
        x = np.where(self.u < fit.incremental_fraction, np.minimum(fit.theta * self.magnitude, 1.0), 0.0)
        x = np.where(
            (self.u >= fit.incremental_fraction) & (self.u < fit.incremental_fraction + fit.extreme_fraction),
            self.extreme,
            x,
        )
        t, v = _stuff(*self.fair(fair), x, self.alpha)
        return float(self.objective(histogram(t, v, self.bins) * self.per_draw))

    def alternate(self, fair: FairModel, fit: Fit, thetas: tuple[float, ...], rounds: int) -> tuple[Fit, FairModel]:
        """Refit the fair blob with the fraud of `fit` held, then the fraud on the grid; `rounds` times."""
        for _ in range(rounds):
            fair = self.refit_fair(fair, fit)
            fit = self.grid(fair, thetas)
        return fit, fair

    def refit_fair(self, fair: FairModel, fit: Fit) -> FairModel:
        """The fair blob (starting at `fair`) that best fits the data with the fraud of `fit`."""
        result = optimize.minimize(
            lambda params: self.loss(FairModel(*params), fit),
            np.array(astuple(fair)),
            method="Nelder-Mead",
            bounds=[(0.0, 1.0), (1e-3, 0.5), (0.0, 1.0), (1e-3, 0.5)],
            options={"xatol": 1e-3, "fatol": 0.5},
        )
        return FairModel(*(float(v) for v in result.x))

    def grid(self, fair: FairModel, thetas: tuple[float, ...]) -> Fit:
        """Best (f_i, f_e, theta) on the grid for this fair blob."""
        t0, v0 = self.fair(fair)
        cells = self.bins * self.bins

        def cumulative(x: np.ndarray) -> np.ndarray:
            """Histograms of the mesas in the slabs below each slab index, with fraud x applied to all."""
            t, v = _stuff(t0, v0, x, self.alpha)
            counts = np.bincount(self.slab * cells + _bin(t, v, self.bins), minlength=(self.slabs + 1) * cells)
            per_slab = counts.reshape(self.slabs + 1, cells).astype(float) * self.per_draw
            return np.concatenate([np.zeros((1, cells)), np.cumsum(per_slab, axis=0)])

        fair_cum, extreme_cum = cumulative(np.zeros_like(t0)), cumulative(self.extreme)
        i = np.arange(round(MAX_INCREMENTAL / STEP) + 1)[:, None]
        j = np.arange(round(MAX_EXTREME / STEP) + 1)[None, :]

        def best_for(theta: float) -> Fit:
            incremental_cum = cumulative(np.minimum(theta * self.magnitude, 1.0))
            simulated = incremental_cum[i] + extreme_cum[i + j] - extreme_cum[i] + fair_cum[-1] - fair_cum[i + j]
            loss = self.objective(simulated)
            bi, bj = np.unravel_index(np.argmin(loss), loss.shape)
            return Fit(round(float(bi * STEP), 4), round(float(bj * STEP), 4), theta, float(loss[bi, bj]))

        return min((best_for(theta) for theta in thetas), key=lambda fit: fit.loss)


def _stuff(turnout: np.ndarray, share: np.ndarray, x: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Klimek et al.'s fraud: x of the non-voters and x^alpha of the opponents' votes go to the winner."""
    winner = turnout * share + x * (1 - turnout) + x**alpha * turnout * (1 - share)
    new_turnout = turnout + x * (1 - turnout)
    return new_turnout, np.divide(winner, new_turnout, out=np.zeros_like(winner), where=new_turnout > 0)


def _bin(turnout: np.ndarray, share: np.ndarray, bins: int) -> np.ndarray:
    t = np.minimum((turnout * bins).astype(np.int64), bins - 1)
    v = np.minimum((share * bins).astype(np.int64), bins - 1)
    return t * bins + v
