r"""Committee machines: the specialisation transition and the computational gap.

The Bayes-optimal sign committee :math:`y = \mathrm{sign}(\sum_{k\le K}\mathrm{sign}(z_k))` with K = 2 hidden
units (y = 0 at a tie), Gaussian and ±1 weights (Aubin, Maillard, Barbier, Krzakala, Macris & Zdeborova
2018, NeurIPS).  Panels (a, b): the generalisation error :math:`\tfrac12\mathbb E(y - \hat y)^2` of the
Bayes-optimal estimator against :math:`\alpha = P/N` (:func:`~statmech_learn.replica.solve_committee`): the
thermodynamic curve, the branch AMP follows (state evolution from AMP's start) and committee AMP on finite
instances (mean ± standard error over instances).  Vertical lines: the specialisation (where the
non-specialised fixed point loses stability) and, for ±1 weights, the first-order transition to perfect
recovery and AMP's threshold; between them AMP is suboptimal.  Panel (c): K = 3 with ±1 weights, the
non-specialised branch (AMP's, stable up to alpha ~ 13), perfect recovery (exact) and the first-order transition
between them at alpha = 3.77, with committee AMP against state evolution.  Panel (d): the large-K limit,
:math:`\tilde\alpha = \alpha/K` (:func:`~statmech_learn.replica.solve_large_committee`), whose specialisation
is first order with AMP stuck on the non-specialised plateau at every :math:`\tilde\alpha`.

``--quick`` solves 24 loads with the cheaper channel rule (panel order 4, ~1e-6), locates the transitions on
that grid (the first load of each branch change) and runs AMP on n = 400 (K = 2) and n = 200 (K = 3) at two
loads before the specialisation; the full run locates them to 1e-4
(:func:`~statmech_learn.replica.committee_transitions`) and runs AMP at n = 2000 (K = 2) on both sides and
n = 1000 (K = 3).
The AMP points are checked against state evolution with the tolerance of the sample: Student-t over
instances (Bonferroni, 1 %) plus a finite-size allowance 1.3/sqrt(n) (the instance spread measured at
n = 2000).
"""

from __future__ import annotations

import warnings
from typing import cast

import numpy as np

from .. import replica as R
from ..errors import ConvergenceWarning
from ..gibbs.committee import Committee
from ..replica.committee import SPECIALIZED
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

PRIORS = ("gaussian", "binary")
#: finite-size spread of committee AMP's overlaps, times 1/sqrt(n) (measured at n = 2000, K = 2, alpha = 3)
FINITE_SIZE = 1.3


def model(prior: str, K: int = 2) -> R.TeacherStudent:
    return R.TeacherStudent(prior=prior, channel=Committee(K))


def amp_point(prior: str, alpha: float, n: int, seed: int, K: int = 2) -> dict:
    """Committee AMP on one instance (a sweep point)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # amp() is annotated -> AMPRun; for a committee channel it returns a CommitteeAMPRun
        run = cast(R.CommitteeAMPRun, R.amp(model(prior, K), n=n, alpha=alpha, rng=seed, n_iter=600, tol=1e-7))
    return {
        "error": run.generalization_error,
        "q_diagonal": run.q_diagonal,
        "q_offdiagonal": run.q_offdiagonal,
        "converged": bool(run.converged),
        "n_iter": run.n_iter,
    }


def _combine(inf, uni) -> tuple[dict, dict]:
    """The thermodynamic curve from the two branches (the larger free entropy), and the transitions located on
    the grid: the first specialised load, the first load where the informed branch wins while the two differ
    (first order), and the first load after the last difference where the uninformed branch has joined it."""
    a = np.asarray(uni.alpha)
    both = inf.converged & uni.converged
    differ = both & (np.max(np.abs(inf.q - uni.q), axis=(-2, -1)) > 1e-6)
    pick = inf.converged & (~uni.converged | (inf.free_entropy > uni.free_entropy))
    curve = {
        k: np.where(pick, getattr(inf, k), getattr(uni, k))
        for k in ("generalization_error", "q_diagonal", "q_offdiagonal", "free_entropy", "converged")
    }
    curve["converged"] = inf.converged | uni.converged
    specialized = curve["q_diagonal"] > SPECIALIZED
    it_mask = differ & pick
    tr = {
        "alpha_specialization": float(a[np.argmax(specialized)]) if np.any(specialized) else np.nan,
        "alpha_it": float(a[np.argmax(it_mask)]) if np.any(it_mask) else np.nan,
        "alpha_spinodal": np.nan,
    }
    if np.any(differ):
        after = np.flatnonzero((np.arange(a.size) > np.flatnonzero(differ)[-1]) & both & ~differ)
        tr["alpha_spinodal"] = float(a[after[0]]) if after.size else np.nan
    return curve, tr


def _three_units(quick: bool, ctx: RunContext, series: list, panels: list, checks: dict) -> None:
    """Panel (c), K = 3 with ±1 weights: the non-specialised branch (the line q_d = 0, one-dimensional integrals)
    up to the load where it loses stability (beyond the plotted range), perfect recovery (exact, free entropy
    -3 log 2), the first-order transition between them and committee AMP against state evolution on the line."""
    m = model("binary", 3)
    alpha = np.linspace(0.5, 8.0, 16 if quick else 46)
    uni = R.solve_committee(m, alpha, init="uninformed")
    inf = R.solve_committee(m, alpha, init="informed")
    curve, grid_tr = _combine(inf, uni)
    series.append(
        Series(
            "K = 3, ±1 weights: Bayes-optimal (replica)",
            "theory",
            "c",
            alpha,
            curve["generalization_error"],
            group="K3",
            extra={
                "q_diagonal": curve["q_diagonal"],
                "q_offdiagonal": curve["q_offdiagonal"],
                "free_entropy": curve["free_entropy"],
            },
        )
    )
    series.append(
        Series(
            "K = 3, ±1 weights: AMP branch (state evolution)",
            "theory",
            "c",
            alpha,
            np.where(np.asarray(uni.converged), np.asarray(uni.generalization_error), np.nan),
            group="K3",
            style="--",
        )
    )
    checks["replica_converged_K3"] = bool(np.all(curve["converged"]))
    if quick:  # the first grid load where perfect recovery wins
        a_it = grid_tr["alpha_it"]
    else:
        a_it = R.committee_transitions(m, (1.0, 8.0), n_grid=8).alpha_it
    checks["transitions_K3"] = {"alpha_it": a_it}
    amp_alpha = [1.0, 3.0] if quick else [1.0, 2.0, 3.0, 5.0]
    n_amp, n_seeds = (200, 2) if quick else (1000, 4)
    grid = Grid(prior=["binary"], K=[3], alpha=amp_alpha, n=[n_amp], base_seed=ctx.seed) * Grid(seed=range(n_seeds))
    table = ctx.sweep(amp_point, grid, "amp instances (K = 3)")
    # state_evolution() is annotated -> StateEvolution; for a committee channel it returns a CommitteeStateEvolution
    se = cast(R.CommitteeStateEvolution, R.state_evolution(m, np.array(amp_alpha), n_iter=800))
    for key in ("q_offdiagonal", "error"):
        means, errs = means_over_instances(table, key, "alpha", amp_alpha, prior="binary")
        ref = se.generalization_error if key == "error" else getattr(se, key)
        checks[f"amp_vs_state_evolution_{key}_K3"] = mean_agreement(
            means, errs, ref, n_seeds, allowance=FINITE_SIZE / np.sqrt(n_amp)
        )
        if key == "error":
            series.append(
                Series(
                    f"K = 3, ±1 weights: committee AMP, n = {n_amp}",
                    "simulation",
                    "c",
                    amp_alpha,
                    means,
                    yerr=errs,
                    group="K3",
                    extra={"state_evolution": ref},
                )
            )
    panels.append(
        Panel(
            "c",
            "alpha = P / N",
            "generalisation error",
            "K = 3, ±1 weights",
            vlines=[(a_it, "first order (IT)")] if np.isfinite(a_it) else [],
            legend="upper right",
        )
    )


def compute(quick: bool = False, ctx: RunContext | None = None) -> ReproductionResult:
    """Replica branches, transitions and AMP points for K = 2 and K = 3 (±1 weights); the large-K limit."""
    ctx = ctx or RunContext(reproduction="committee")
    alpha = np.linspace(0.1, 4.0, 24 if quick else 80)
    order = 4 if quick else None  # panel order of the channel rule: ~1e-6 in quick mode, ~1e-8 otherwise
    n_amp = 400 if quick else 2000
    amp_alpha = [0.5, 1.5] if quick else [0.5, 1.0, 1.5, 2.5, 3.0, 3.5]
    n_seeds = 3 if quick else 4
    timer = Timer()
    series: list[Series] = []
    panels: list[Panel] = []
    checks: dict = {}
    transitions = {}
    with timer.stage("replica"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for p, name in zip(PRIORS, "ab"):
            m = model(p)
            inf = R.solve_committee(m, alpha, init="informed", order=order)
            uni = R.solve_committee(m, alpha, init="uninformed", order=order)
            curve, grid_tr = _combine(inf, uni)
            series.append(
                Series(
                    f"{p} weights: Bayes-optimal (replica)",
                    "theory",
                    name,
                    alpha,
                    curve["generalization_error"],
                    group=p,
                    extra={
                        "q_diagonal": curve["q_diagonal"],
                        "q_offdiagonal": curve["q_offdiagonal"],
                        "free_entropy": curve["free_entropy"],
                    },
                )
            )
            series.append(
                Series(
                    f"{p} weights: AMP branch (state evolution)",
                    "theory",
                    name,
                    alpha,
                    np.where(np.asarray(uni.converged), np.asarray(uni.generalization_error), np.nan),
                    group=p,
                    style="--",
                )
            )
            checks[f"replica_converged_{p}"] = bool(np.all(curve["converged"]))
            if quick:
                tr = grid_tr
            else:
                t = R.committee_transitions(m, (1.0, 3.0), n_grid=21)
                tr = {
                    "alpha_specialization": t.alpha_specialization,
                    "alpha_it": t.alpha_it,
                    "alpha_spinodal": t.alpha_spinodal,
                }
            transitions[p] = tr
            vlines = [(tr["alpha_specialization"], "specialisation")]
            if np.isfinite(tr["alpha_it"]):
                vlines += [(tr["alpha_it"], "first order (IT)"), (tr["alpha_spinodal"], "AMP threshold")]
            panels.append(
                Panel(
                    name,
                    "alpha = P / N",
                    "generalisation error",
                    f"K = 2, {p} weights",
                    vlines=[v for v in vlines if np.isfinite(v[0])],
                    legend="upper right",
                )
            )
    checks["transitions"] = transitions
    grid = Grid(prior=list(PRIORS), alpha=amp_alpha, n=[n_amp], base_seed=ctx.seed) * Grid(seed=range(n_seeds))
    with timer.stage("amp"):
        table = ctx.sweep(amp_point, grid, "amp instances")
    with timer.stage("state evolution"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for p, name in zip(PRIORS, "ab"):
            se = cast(R.CommitteeStateEvolution, R.state_evolution(model(p), np.array(amp_alpha), n_iter=800))
            for key in ("q_diagonal", "q_offdiagonal", "error"):
                means, errs = means_over_instances(table, key, "alpha", amp_alpha, prior=p)
                ref = se.generalization_error if key == "error" else getattr(se, key)
                checks[f"amp_vs_state_evolution_{key}_{p}"] = mean_agreement(
                    means, errs, ref, n_seeds, allowance=FINITE_SIZE / np.sqrt(n_amp)
                )
                if key == "error":
                    series.append(
                        Series(
                            f"{p} weights: committee AMP, n = {n_amp}",
                            "simulation",
                            name,
                            amp_alpha,
                            means,
                            yerr=errs,
                            group=p,
                            extra={"state_evolution": ref},
                        )
                    )
            conv = [r["converged"] for r in table.select(prior=p).records]
            checks[f"amp_converged_fraction_{p}"] = float(np.mean(conv))
    with timer.stage("K = 3"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        _three_units(quick, ctx, series, panels, checks)
    with timer.stage("large K"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        at = np.linspace(0.5, 12.0, 60)
        for p in PRIORS:
            lk = R.solve_large_committee(p, at)
            ns = R.solve_large_committee(p, at, init="non-specialized")
            lk_tr = R.large_committee_transition(p)
            series.append(
                Series(
                    f"{p} weights: K -> infinity (replica)", "theory", "d", at, np.asarray(lk.squared_error), group=p
                )
            )
            series.append(
                Series(
                    f"{p} weights: K -> infinity, AMP (non-specialised)",
                    "theory",
                    "d",
                    at,
                    np.asarray(ns.squared_error),
                    group=p,
                    style="--",
                )
            )
            checks[f"large_k_alpha_tilde_spec_{p}"] = lk_tr.alpha_tilde_spec
        panels.append(
            Panel(
                "d",
                "alpha / K",
                "generalisation error",
                "K -> infinity",
                vlines=[(checks[f"large_k_alpha_tilde_spec_{p}"], f"specialisation ({p})") for p in PRIORS],
                legend="upper right",
            )
        )
    params = dict(
        K=2,
        alpha=alpha.tolist(),
        panel_order=order or 6,
        amp_alpha=amp_alpha,
        n_amp=n_amp,
        n_instances=n_seeds,
        finite_size=FINITE_SIZE,
        quick=quick,
        seed=ctx.seed,
    )
    return ReproductionResult(
        "committee",
        "Committee machines: specialisation and the computational gap (K = 2, 3)",
        params,
        series,
        panels,
        timer.timings,
        checks,
    )


REPRODUCTION = Reproduction(
    "committee",
    "committee machine K = 2 (Gaussian and ±1 weights): specialisation, first-order transition, AMP vs state "
    "evolution; large K",
    compute,
)
