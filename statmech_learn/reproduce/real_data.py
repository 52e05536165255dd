r"""Real data: ridge regression on handwritten digits against the Gaussian covariate model.

The 1797 8 x 8 digits of scikit-learn (the ``data`` extra) with labels +1 for even and -1 for
odd digits.  Two feature maps of the pixels: the 64 raw grey levels, and P = 256 relu random
features of the standardised pixels, :math:`\max(0, Fz/8)` with F a fixed Gaussian matrix of rows
normalised to norm 8.  The data set is the population: its covariance, the least-squares teacher
of the labels and the residual variance (:meth:`~statmech_learn.replica.GaussianCovariate.from_samples`)
define the Gaussian covariate model whose replica equations give the test error against
n (lines).  Points: ridge regressions (l2 = 0.1) trained on n rows drawn with replacement from
the data set and tested on all of it (:func:`~statmech_learn.replica.data_simulation`), mean ±
standard error over resamples (Loureiro et al. 2021, NeurIPS, sec. 3.3, did this for MNIST and
CIFAR-10).

The tolerance.  Resampling from the data set makes the theory's population exact: no
finite-population or test-sample error remains.  What remains is (i) the finite-sample spread,
the standard error over resamples (Student-t, family level 1 %), (ii) the finite-size bias of a
d-dimensional problem, O(1/d), bounded by ``FINITE_SIZE`` x error / d, and (iii) the
non-Gaussianity of the features, which the Gaussian equivalence neglects and the check bounds by
``NON_GAUSSIAN`` = 3 % of the error: the test fails if the real data are further from the Gaussian
prediction than that.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .. import replica as R
from ..sweep import Grid
from .base import (
    Panel,
    Reproduction,
    ReproductionResult,
    RunContext,
    Series,
    Timer,
    mean_agreement,
    means_over_instances,
)

L2 = 0.1
N_RANDOM_FEATURES = 256
FINITE_SIZE = 3.0
NON_GAUSSIAN = 0.03
KINDS = ("pixels", "relu random features")


@lru_cache(maxsize=4)
def dataset(kind: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Features (N, d) and ±1 parity labels of the digits."""
    from ..meanfield.datasets import digits

    X, digit = digits(binarize=False)
    y = np.where(digit % 2 == 0, 1.0, -1.0)
    if kind == "pixels":
        return X, y
    Z = X - X.mean(axis=0)
    Z /= np.sqrt(np.mean(np.sum(Z * Z, axis=1)) / Z.shape[1])  # unit mean variance per pixel
    F = np.random.default_rng(seed).standard_normal((N_RANDOM_FEATURES, Z.shape[1]))
    F *= np.sqrt(Z.shape[1]) / np.linalg.norm(F, axis=1, keepdims=True)
    return np.maximum(Z @ F.T / np.sqrt(Z.shape[1]), 0.0), y


def theory(kind: str, n: np.ndarray, seed: int = 0):
    """The Gaussian-covariate learning curve of the data set's features."""
    V, y = dataset(kind, seed)
    gcm = R.GaussianCovariate.from_samples(V, labels=y)
    model = R.TeacherStudent(inputs=gcm, student=R.ERM("square", L2))
    return R.solve(model, np.asarray(n, dtype=float) / V.shape[1]), gcm


def simulation_point(kind: str, n: int, seed: int, features_seed: int) -> dict:
    """One resampled training set (a sweep point): its population test error."""
    V, y = dataset(kind, features_seed)
    sim = R.data_simulation(V, y, R.ERM("square", L2), [n], n_samples=1, rng=seed)
    return {"test_error": float(sim.test_error[0]), "converged": bool(sim.converged.all())}


def compute(quick: bool = False, ctx: RunContext | None = None) -> ReproductionResult:
    """Theory lines and resampled regressions for the two feature maps."""
    ctx = ctx or RunContext(reproduction="real-data")
    n_grid = np.geomspace(10, 1800, 60)
    sim_n = [50, 200, 800] if quick else [25, 50, 100, 200, 400, 800, 1600]
    n_seeds = 12 if quick else 40
    timer = Timer()
    series: list[Series] = []
    checks: dict = {}
    with timer.stage("theory"):
        curves = {k: theory(k, n_grid, ctx.seed) for k in KINDS}
        at_sim = {k: theory(k, np.array(sim_n), ctx.seed)[0] for k in KINDS}
    for k, (c, gcm) in curves.items():
        series.append(
            Series(
                f"{k} (d = {gcm.d}): Gaussian covariate model", "theory", "a", n_grid, c.generalization_error, group=k
            )
        )
        checks[f"theory_converged_{k}"] = bool(np.all(c.converged))
        checks[f"label_noise_{k}"] = gcm.noise_variance
    grid = Grid(kind=list(KINDS), n=sim_n, features_seed=[ctx.seed], base_seed=ctx.seed) * Grid(seed=range(n_seeds))
    with timer.stage("simulation"):
        table = ctx.sweep(simulation_point, grid, "resamples")
    for k in KINDS:
        means, errs = means_over_instances(table, "test_error", "n", sim_n, kind=k)
        d = curves[k][1].d
        th = np.asarray(at_sim[k].generalization_error)
        series.append(
            Series(
                f"{k}: ridge on resampled digits",
                "simulation",
                "a",
                sim_n,
                means,
                yerr=errs,
                group=k,
                extra={
                    "d": np.full(len(sim_n), d),
                    "n_resamples": np.full(len(sim_n), n_seeds),
                    "relative_deviation": (np.array(means) - th) / th,
                },
            )
        )
        checks[f"data_vs_theory_{k}"] = mean_agreement(
            means, errs, th, n_seeds, allowance=th * (FINITE_SIZE / d + NON_GAUSSIAN)
        )
    panels = [
        Panel(
            "a",
            "n (training samples)",
            "test error (MSE on ±1 parity labels)",
            f"digits, even vs odd; ridge, l2 = {L2:g}",
            xscale="log",
            yscale="log",
            legend="upper right",
        )
    ]
    params = dict(
        l2=L2,
        n_random_features=N_RANDOM_FEATURES,
        n_grid=n_grid.tolist(),
        simulated_n=sim_n,
        n_resamples=n_seeds,
        finite_size=FINITE_SIZE,
        non_gaussian=NON_GAUSSIAN,
        quick=quick,
        seed=ctx.seed,
    )
    return ReproductionResult(
        "real-data",
        "Digits: ridge learning curves against the Gaussian covariate model",
        params,
        series,
        panels,
        timer.timings,
        checks,
    )


REPRODUCTION = Reproduction(
    "real-data",
    "handwritten digits: ridge learning curves of pixels and random features vs the Gaussian covariate model",
    compute,
)
