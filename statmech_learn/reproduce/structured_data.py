r"""Salient and weak features: how input structure shapes learning curves and which loss uses it.

Inputs :math:`x\sim N(0, \Sigma)` with :math:`\Sigma = \mathrm{diag}(\sigma_1 I_{\phi_1 d}, \sigma_2 I_{\phi_2 d})`,
:math:`\phi_1 = 0.3` salient directions of variance 2.5 and :math:`\phi_2 = 0.7` weak ones
(:math:`\mathrm{tr}\,\Sigma/d = 1`); the teacher's weights have variance 1 : 0.1 on the two blocks
(*aligned* with the salient block), 0.1 : 1 (*misaligned*) or 1 : 1, rescaled so that
:math:`\rho = \mathbb E z^{*2} = 1` in every case (:class:`~statmech_learn.replica.StructuredInputs`;
Gerace et al. 2020, ICML; Loureiro et al. 2021, NeurIPS, sec. 3).

Panel a: noisy linear teacher (:math:`\Delta = 0.05`), ridge regression at l2 = 1e-4: test error
against alpha = n/d for the three teachers and isotropic inputs.  The seed's first finding,
*the structure is detected before the interpolation peak*: with the aligned teacher the error
has a local minimum at :math:`\alpha^* < 1` (reported with its error and the isotropic error at
the same load), before the peak at alpha = 1.
Panel b: sign teacher, aligned, l2 = 0.01: 0-1 error of square, logistic and hinge losses, with
(solid) and without (dotted) structure.  The second finding, *the logistic loss takes most
advantage of structure*: the gain (isotropic error / structured error) at alpha = 1, 2, 4 is
largest for the logistic loss (reported per loss).

Simulations (points): real fits (:func:`~statmech_learn.replica.erm_simulation`) on Gaussian inputs
with the block covariance, d = 200 (quick) or 400, checked with
:func:`~.base.mean_agreement` (Student-t, family level 1 %, finite-size allowance
``FINITE_SIZE`` x error / d).
"""

from __future__ import annotations

import numpy as np

from .. import replica as R
from ..gibbs.channels import GaussianNoise
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

BLOCKS = [(0.3, 2.5), (0.7, 0.25 / 0.7)]
TEACHERS = {"aligned": [1.0, 0.1], "misaligned": [0.1, 1.0], "isotropic teacher": [1.0, 1.0]}
DELTA = 0.05
L2_REGRESSION = 1e-4
L2_CLASSIFICATION = 1e-2
LOSSES = ("square", "logistic", "hinge")
FINITE_SIZE = 3.0


def inputs(teacher: str) -> R.StructuredInputs:
    """The block inputs with the teacher's weights rescaled to rho = 1."""
    raw = R.StructuredInputs(BLOCKS, teacher_weights=TEACHERS[teacher])
    return R.StructuredInputs(BLOCKS, teacher_weights=np.array(TEACHERS[teacher]) / raw.spectrum(1.0).rho)


def _model(task: str, loss: str, teacher: str | None):
    ins = None if teacher is None else inputs(teacher)
    if task == "regression":
        return R.TeacherStudent("gaussian", GaussianNoise(DELTA), R.ERM(loss, L2_REGRESSION), inputs=ins)
    return R.TeacherStudent("gaussian", "sign", R.ERM(loss, L2_CLASSIFICATION), inputs=ins)


#: the simulated curves: name -> (task, loss, teacher)
SIM_CASES = {
    "ridge-aligned": ("regression", "square", "aligned"),
    "logistic-aligned": ("classification", "logistic", "aligned"),
}


def simulation_point(case: str, alpha: float, d: int, seed: int) -> dict:
    """One instance with block-covariance inputs (a sweep point): its measured test error."""
    task, loss, teacher = SIM_CASES[case]
    sim = R.erm_simulation(_model(task, loss, teacher), d=d, alpha=alpha, n_samples=1, rng=seed, n_test=4000)
    return {"test_error": sim.generalization_error_test, "converged": bool(sim.converged_all)}


def _local_minima(x, y):
    i = np.flatnonzero((y[1:-1] < y[:-2]) & (y[1:-1] < y[2:])) + 1
    return x[i], y[i]


def compute(quick: bool = False, ctx: RunContext | None = None) -> ReproductionResult:
    """Theory curves, the two findings as numbers, and simulation points."""
    ctx = ctx or RunContext(reproduction="structured-data")
    alphas = np.geomspace(0.05, 5.0, 100 if quick else 240)
    sim = {
        "ridge-aligned": [0.3, 0.62, 2.0] if quick else [0.2, 0.4, 0.62, 1.5, 2.0, 4.0],
        "logistic-aligned": [0.5, 1.0, 2.0] if quick else [0.5, 1.0, 2.0, 4.0],
    }
    d = 200 if quick else 400
    n_seeds = 6 if quick else 12
    timer = Timer()
    series: list[Series] = []
    checks: dict = {}
    with timer.stage("theory"):
        reg = {t: R.solve(_model("regression", "square", t), alphas) for t in TEACHERS}
        reg["isotropic inputs"] = R.solve(_model("regression", "square", None), alphas)
        cls_alphas = alphas[::2]
        cls = {
            (loss, s): R.solve(_model("classification", loss, "aligned" if s else None), cls_alphas)
            for loss in LOSSES
            for s in (True, False)
        }
        gain_alphas = np.array([1.0, 2.0, 4.0])
        gains = {
            loss: (
                np.asarray(R.solve(_model("classification", loss, None), gain_alphas).generalization_error)
                / np.asarray(R.solve(_model("classification", loss, "aligned"), gain_alphas).generalization_error)
            )
            for loss in LOSSES
        }
    for name, c in reg.items():
        series.append(
            Series(
                name,
                "theory",
                "a",
                alphas,
                np.asarray(c.generalization_error),
                group=name,
                style=":" if name == "isotropic inputs" else None,
            )
        )
        checks[f"theory_converged_regression_{name}"] = bool(np.all(np.asarray(c.converged)))
    for (loss, s), c in cls.items():
        series.append(
            Series(
                f"{loss}, {'structured (aligned)' if s else 'isotropic'}",
                "theory",
                "b",
                cls_alphas,
                np.asarray(c.generalization_error),
                group=f"cls-{loss}",
                style=None if s else ":",
            )
        )
        checks[f"theory_converged_classification_{loss}_{'aligned' if s else 'isotropic'}"] = bool(
            np.all(np.asarray(c.converged))
        )
    # finding 1: a local minimum of the aligned curve before the peak at alpha = 1
    aligned_error = np.asarray(reg["aligned"].generalization_error)
    a_min, e_min = _local_minima(alphas, aligned_error)
    before = a_min < 1.0
    iso_there = np.interp(a_min[before], alphas, np.asarray(reg["isotropic inputs"].generalization_error))
    peak = alphas[np.argmax(np.where(alphas > a_min[before][0] if before.any() else True, aligned_error, -np.inf))]
    checks["structure_detected_before_peak"] = {
        "alpha_local_minimum": a_min[before].tolist(),
        "error_there": e_min[before].tolist(),
        "isotropic_error_there": iso_there.tolist(),
        "alpha_peak": float(peak),
        "pass": bool(before.any() and abs(peak - 1.0) < 0.05 and np.all(e_min[before] < iso_there)),
    }
    # finding 2: the logistic loss gains most from the structure
    checks["logistic_gains_most"] = {
        "alpha": gain_alphas.tolist(),
        **{f"gain_{loss}": g.tolist() for loss, g in gains.items()},
        "pass": bool(np.all(gains["logistic"] > gains["hinge"]) and np.all(gains["logistic"] > gains["square"])),
    }
    grid_parts = [
        Grid(case=[case], alpha=a, d=[d], base_seed=ctx.seed) * Grid(seed=range(n_seeds)) for case, a in sim.items()
    ]
    with timer.stage("simulation"):
        tables = {case: ctx.sweep(simulation_point, g, f"instances-{case}") for case, g in zip(sim, grid_parts)}
    for case, (task, loss, teacher) in SIM_CASES.items():
        a = np.array(sim[case])
        theory = R.solve(_model(task, loss, teacher), a).generalization_error
        means, errs = means_over_instances(tables[case], "test_error", "alpha", a)
        group = teacher if task == "regression" else f"cls-{loss}"
        series.append(
            Series(
                f"{loss}, {teacher} (simulation, d = {d})",
                "simulation",
                "a" if task == "regression" else "b",
                a,
                means,
                yerr=errs,
                group=group,
                extra={"d": np.full(a.size, d), "n_instances": np.full(a.size, n_seeds)},
            )
        )
        checks[f"simulation_vs_theory_{case}"] = mean_agreement(
            means, errs, theory, n_seeds, allowance=FINITE_SIZE * np.asarray(theory) / d
        )
    panels = [
        Panel(
            "a",
            r"$\alpha = n/d$",
            "test error (MSE)",
            f"(a) ridge (l2 = {L2_REGRESSION:g}), linear teacher, noise {DELTA:g}",
            xscale="log",
            yscale="log",
            vlines=[(1.0, "n = d")],
            legend="lower left",
        ),
        Panel(
            "b",
            r"$\alpha = n/d$",
            "0-1 test error",
            f"(b) sign teacher aligned with the salient block, l2 = {L2_CLASSIFICATION:g}",
            xscale="log",
            legend="lower left",
        ),
    ]
    params = dict(
        blocks=BLOCKS,
        teachers=TEACHERS,
        delta=DELTA,
        l2_regression=L2_REGRESSION,
        l2_classification=L2_CLASSIFICATION,
        alphas=alphas.tolist(),
        simulated_alphas=sim,
        d=d,
        n_seeds=n_seeds,
        quick=quick,
        seed=ctx.seed,
    )
    return ReproductionResult(
        "structured-data",
        "Salient and weak features: structure, double descent and losses",
        params,
        series,
        panels,
        timer.timings,
        checks,
    )


REPRODUCTION = Reproduction(
    "structured-data",
    "salient/weak features: error vs alpha for square, logistic and hinge, aligned and misaligned teacher",
    compute,
)
