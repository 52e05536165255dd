r"""Double descent of random-features regression and its cancellation by the optimal penalty.

A noisy linear teacher :math:`y = \beta\cdot x/\sqrt D + \sqrt\Delta\,\xi` (:math:`\Delta = 0.1`,
Gaussian inputs) is learned by ridge regression on P relu random features
:math:`\sigma(Fx/\sqrt D)`, from n = D samples (alpha = n/D = 1).  Panel a: the test error
(mean squared error on a fresh noisy label) against P/n for several penalties, from the
replica / Gaussian-covariate equations (lines; :class:`~statmech_learn.replica.RandomFeatures`,
whose square-loss case is Mei & Montanari's 2022 closed form) and from real random-features
regressions (points, mean ± standard error over instances; a linear solve on real relu
features, not Gaussian surrogates).  At small l2 the error peaks at the interpolation
threshold P = n; at the optimal penalty (``ERM(l2="optimal")``) the curve is monotone.
Panel b: the same for a sign teacher with 10 % label noise (0-1 error), square loss and
logistic loss: the peak is mild for the square loss and absent for the logistic loss at
its penalty.

Checks: every simulated curve against theory (:func:`~.base.mean_agreement`, Student-t at
family level 1 % plus a finite-size allowance ``FINITE_SIZE`` x error / D: the relu mean
:math:`\mu_0` adds one direction to the features, an O(1/P) effect the theory leaves out);
the argmax of the small-l2 curve at P = n; the optimal-l2 curve monotone.
"""

from __future__ import annotations

from typing import cast

import numpy as np

from .. import replica as R
from ..gibbs.channels import GaussianNoise, NoisySign
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

DELTA = 0.1
FLIP = 0.1
ALPHA = 1.0
L2_VALUES = (1e-4, 1e-2, 1e-1)
#: relative finite-size allowance c / D on the mean test error
FINITE_SIZE = 3.0


def _rf(ratio, task: str, loss: str, l2) -> R.RandomFeatures:
    teacher = GaussianNoise(DELTA) if task == "regression" else NoisySign(FLIP)
    return R.RandomFeatures("relu", ratio, teacher=teacher, student=R.ERM(loss, l2))


def _solve(rf: R.RandomFeatures) -> R.FeaturesCurve:
    """Replica curve of ``rf`` at n/D = ALPHA: :func:`~statmech_learn.replica.solve` returns a
    :class:`~statmech_learn.replica.FeaturesCurve` for a random-features model."""
    # solve() is annotated for TeacherStudent only, but dispatches RandomFeatures to _solve_features
    return cast(R.FeaturesCurve, R.solve(rf, ALPHA))  # type: ignore[arg-type]


#: the simulated curves: name -> (task, loss, l2)
SIM_CASES = {
    "ridge-small": ("regression", "square", L2_VALUES[0]),
    "ridge": ("regression", "square", L2_VALUES[2]),
    "logistic": ("classification", "logistic", 1e-2),
}


def simulation_point(case: str, ratio: float, d: int, seed: int) -> dict:
    """One random-features instance (a sweep point): its measured test error."""
    task, loss, l2 = SIM_CASES[case]
    sim = R.erm_simulation(_rf(ratio, task, loss, l2), d=d, alpha=ALPHA, n_samples=1, rng=seed, n_test=4000)
    return {"test_error": sim.generalization_error_test, "converged": bool(sim.converged_all)}


def compute(quick: bool = False, ctx: RunContext | None = None) -> ReproductionResult:
    """Theory curves against P/n and simulation points."""
    ctx = ctx or RunContext(reproduction="double-descent")
    ratios = np.linspace(0.1, 3.0, 59 if quick else 117)  # contains P/n = 1
    sim_ratios = [0.5, 1.0, 2.0] if quick else [0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0]
    d = 150 if quick else 400
    n_seeds = 6 if quick else 12
    timer = Timer()
    series: list[Series] = []
    checks: dict = {}
    curves: dict[tuple[str, str, float | str], R.FeaturesCurve] = {}
    with timer.stage("theory"):
        for l2 in L2_VALUES + ("optimal",):
            ratio_grid = ratios if l2 != "optimal" else ratios[::4]
            curves[("regression", "square", l2)] = _solve(_rf(ratio_grid, "regression", "square", l2))
        for loss, l2 in (("square", 1e-4), ("logistic", 1e-2)):
            curves[("classification", loss, l2)] = _solve(_rf(ratios[::2], "classification", loss, l2))
    for (task, loss, l2), c in curves.items():
        panel = "a" if task == "regression" else "b"
        label = f"{loss}, l2 = {l2}" if l2 == "optimal" else f"{loss}, l2 = {l2:g}"
        series.append(
            Series(
                label,
                "theory",
                panel,
                np.asarray(c.features_ratio) / ALPHA,
                np.asarray(c.generalization_error),
                group=f"{task}-{loss}-{l2}",
                style="--" if l2 == "optimal" else None,
                extra={"l2": c.l2},
            )
        )
        checks[f"theory_converged_{task}_{loss}_{l2}"] = bool(np.all(np.asarray(c.converged)))
    small = curves[("regression", "square", L2_VALUES[0])]
    small_ratio, small_error = np.asarray(small.features_ratio), np.asarray(small.generalization_error)
    checks["peak_at_interpolation"] = {
        "argmax_P_over_n": float(small_ratio[np.argmax(small_error)] / ALPHA),
        "pass": bool(abs(small_ratio[np.argmax(small_error)] - ALPHA) < 1e-9),
    }
    opt_error = np.asarray(curves[("regression", "square", "optimal")].generalization_error)
    checks["optimal_l2_monotone"] = {
        "max_increase": float(np.max(np.diff(opt_error))),
        "pass": bool(np.all(np.diff(opt_error) < 1e-9)),
    }
    grid = Grid(case=list(SIM_CASES), ratio=sim_ratios, d=[d], base_seed=ctx.seed) * Grid(seed=range(n_seeds))
    with timer.stage("simulation"):
        table = ctx.sweep(simulation_point, grid, "instances")
    for case, (task, loss, l2) in SIM_CASES.items():
        theory = _solve(_rf(np.array(sim_ratios), task, loss, l2)).generalization_error
        means, errs = means_over_instances(table, "test_error", "ratio", sim_ratios, case=case)
        series.append(
            Series(
                f"{loss}, l2 = {l2:g} (simulation, D = {d})",
                "simulation",
                "a" if task == "regression" else "b",
                np.array(sim_ratios) / ALPHA,
                means,
                yerr=errs,
                group=f"{task}-{loss}-{l2}",
                extra={"d": np.full(len(sim_ratios), d), "n_instances": np.full(len(sim_ratios), n_seeds)},
            )
        )
        checks[f"simulation_vs_theory_{task}_{loss}_{l2:g}"] = mean_agreement(
            means, errs, theory, n_seeds, allowance=FINITE_SIZE * np.asarray(theory) / d
        )
    panels = [
        Panel(
            "a",
            "P / n (features per sample)",
            "test error (MSE)",
            f"(a) relu random features, linear teacher, noise {DELTA:g}",
            vlines=[(1.0, "P = n")],
            yscale="log",
            legend="upper right",
        ),
        Panel(
            "b",
            "P / n (features per sample)",
            r"0-1 test error",
            f"(b) sign teacher, {FLIP:.0%} label flips",
            vlines=[(1.0, "P = n")],
            legend="upper right",
        ),
    ]
    params = dict(
        alpha=ALPHA,
        delta=DELTA,
        flip=FLIP,
        l2_values=list(L2_VALUES),
        ratios=ratios.tolist(),
        sim_ratios=sim_ratios,
        d=d,
        n_seeds=n_seeds,
        activation="relu",
        quick=quick,
        seed=ctx.seed,
    )
    return ReproductionResult(
        "double-descent", "Double descent of random-features regression", params, series, panels, timer.timings, checks
    )


REPRODUCTION = Reproduction(
    "double-descent",
    "random-features ridge and logistic regression: test error vs P/n for several l2 (theory vs simulation)",
    compute,
)
