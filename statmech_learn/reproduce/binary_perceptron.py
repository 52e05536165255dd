"""The binary perceptron (teacher and student with ±1 weights, sign channel), Bayes-optimal.

Panels
------
(a) RS free entropy of the fixed point reached from an uninformed start (m ~ 0.56-0.85,
    where AMP stops) and of perfect recovery (-log 2):
    they cross at the first-order transition alpha_it = 1.245 (Gyorgyi 1990).
(b) Overlap m: the thermodynamic solution jumps to 1 at alpha_it; the
    uninformed fixed point, where AMP from an uninformed start stops, survives
    until the spinodal alpha_sp = 1.493 (Barbier et al. 2019); points are AMP
    on finite instances (mean ± standard error over instances).
"""

from __future__ import annotations

from functools import partial

import numpy as np

from .. import replica as R
from ..sweep import Grid
from .base import Panel, Reproduction, ReproductionResult, RunContext, Series, Timer, mean_agreement

MODEL = R.TeacherStudent(prior="binary", channel="sign")


def amp_point(alpha: float, n: int, seed: int, n_iter: int = 300) -> dict:
    """GAMP on one binary-perceptron instance (a sweep point): final overlaps and convergence."""
    run = R.amp(MODEL, n=n, alpha=alpha, rng=seed, n_iter=n_iter)
    return {
        "m": run.m,
        "q": run.q,
        "generalization_error": run.generalization_error,
        "converged": run.converged,
        "amp_iterations": run.n_iter,
    }


def compute(quick: bool = False, ctx: RunContext | None = None) -> ReproductionResult:
    """Theory branches, transitions and AMP points of the binary perceptron."""
    ctx = ctx or RunContext(reproduction="binary-perceptron")
    n = 800 if quick else 4000
    n_seeds = 2 if quick else 4
    alphas = np.round(np.linspace(0.2, 2.0, 91 if quick else 181), 10)
    amp_alphas = [0.4, 0.8, 1.0, 1.2, 1.3, 1.4, 1.45, 1.55, 1.7, 2.0]
    timer = Timer()
    with timer.stage("theory"):
        br = R.solve_branches(MODEL, alphas)
        tr = R.transitions(MODEL, (1.0, 2.0))
    u, i = br["uninformed"], br["informed"]
    u_m = np.asarray(u.m)
    exists = np.asarray(u.q) < 1.0  # the uninformed branch beyond the spinodal is perfect recovery itself
    with timer.stage("amp"):
        grid = Grid(alpha=amp_alphas, n=[n], seed=range(n_seeds), base_seed=ctx.seed)
        table = ctx.sweep(partial(amp_point), grid, "amp")
    am, ae, ac = [], [], []
    for a in amp_alphas:
        recs = table.select(alpha=a).records
        m = np.array([r["m"] for r in recs])
        am.append(m.mean())
        ae.append(m.std(ddof=1) / np.sqrt(m.size) if m.size > 1 else 0.0)
        ac.append(all(r["converged"] for r in recs))
    # thermodynamic overlap: the AMP fixed point below alpha_it, perfect recovery above, with the
    # first-order jump drawn vertically at alpha_it; the metastable continuations are dashed
    m_it = float(np.asarray(R.solve_branches(MODEL, tr.alpha_it)["uninformed"].m))
    below_it = alphas < tr.alpha_it
    thermo_x = np.concatenate([alphas[below_it], [tr.alpha_it, tr.alpha_it], alphas[~below_it]])
    thermo_m = np.concatenate([u_m[below_it], [m_it, 1.0], np.ones(np.count_nonzero(~below_it))])
    meta_u = exists & ~below_it
    series = [
        Series(
            "fixed point from an uninformed start (AMP)",
            "theory",
            "a",
            alphas[exists],
            np.asarray(u.free_entropy)[exists],
            group="u",
        ),
        Series("perfect recovery (−log 2)", "theory", "a", alphas, np.asarray(i.free_entropy), group="i", style="--"),
        Series("thermodynamic (Bayes-optimal)", "theory", "b", thermo_x, thermo_m, group="i"),
        Series(
            "metastable: AMP fixed point above alpha_it",
            "theory",
            "b",
            alphas[meta_u],
            u_m[meta_u],
            group="u",
            style="--",
        ),
        Series(
            "metastable: perfect recovery below alpha_it",
            "theory",
            "b",
            alphas[below_it],
            np.ones(np.count_nonzero(below_it)),
            group="i",
            style=":",
        ),
        Series(
            f"AMP, n={n} ({n_seeds} instances)",
            "simulation",
            "b",
            amp_alphas,
            am,
            yerr=ae,
            group="amp",
            style="o",
            extra={"n": np.full(len(amp_alphas), n), "all_converged": np.array(ac)},
        ),
    ]
    vl = [
        (tr.alpha_it, rf"$\alpha_{{IT}}$={tr.alpha_it:.3f}"),
        (tr.alpha_spinodal, rf"$\alpha_{{sp}}$={tr.alpha_spinodal:.3f}"),
    ]
    panels = [
        Panel(
            "a", r"$\alpha = P/N$", "free entropy per weight", "(a) RS free entropy of the two fixed points", vlines=vl
        ),
        Panel(
            "b",
            r"$\alpha = P/N$",
            r"overlap $m$",
            "(b) overlap: thermodynamics vs AMP",
            vlines=vl,
            ylim=(0.0, 1.05),
            legend="center right",
        ),
    ]
    below = [k for k, a in enumerate(amp_alphas) if tr.alpha_it < a < tr.alpha_spinodal]
    above = [k for k, a in enumerate(amp_alphas) if a > tr.alpha_spinodal + 0.05]
    easy = [k for k, a in enumerate(amp_alphas) if a < tr.alpha_it - 0.05]
    se_easy = R.solve_branches(MODEL, np.array([amp_alphas[k] for k in easy]))["uninformed"].m
    stuck = float(max(am[k] for k in below)) if below else float("nan")
    solved = float(min(am[k] for k in above)) if above else float("nan")
    checks = {
        "alpha_it": {
            "value": tr.alpha_it,
            "published": 1.245,
            "tolerance": 5e-4,
            "pass": bool(abs(tr.alpha_it - 1.245) <= 5e-4),
        },
        "alpha_spinodal": {
            "value": tr.alpha_spinodal,
            "published": 1.493,
            "tolerance": 5e-4,
            "pass": bool(abs(tr.alpha_spinodal - 1.493) <= 5e-4),
        },
        # O(1/sqrt(n)) fluctuations of one instance's overlap: 4/sqrt(n) bounds the finite-size bias
        "amp_vs_state_evolution_below_alpha_it": mean_agreement(
            [am[k] for k in easy], [ae[k] for k in easy], se_easy, n_seeds, allowance=4.0 / np.sqrt(n)
        ),
        "amp_stuck_between_transitions": {"max_m": stuck, "bound": 0.95, "pass": bool(stuck < 0.95)},
        "amp_recovers_above_spinodal": {"min_m": solved, "bound": 0.99, "pass": bool(solved > 0.99)},
    }
    params = dict(n=n, n_seeds=n_seeds, amp_alphas=amp_alphas, quick=quick, seed=ctx.seed)
    return ReproductionResult(
        "binary-perceptron",
        "Binary perceptron: first-order transition (1.245) and AMP spinodal (1.493)",
        params,
        series,
        panels,
        timer.timings,
        checks,
    )


REPRODUCTION = Reproduction(
    "binary-perceptron",
    "±1 teacher/student, sign channel: RS branches, the jump at alpha_it = 1.245, AMP stuck until 1.493",
    compute,
)
