"""Teacher-student perceptron: generalisation error against alpha for five students.

Gaussian teacher, sign channel.  Replica-symmetric theory (lines) for the
Bayes-optimal student, Gibbs learning at temperature 0.5, and ERM with
logistic, hinge and square (ridge-classifier) losses with an l2 penalty;
simulations (points, mean ± standard error over instances): AMP for the
Bayes-optimal student and scipy optimisers for ERM, on generated data.
Gibbs learning is shown as theory only, and its legend says so (sampling its
posterior needs Monte Carlo, not an optimiser).

Every simulated curve gets a pass/fail verdict in the JSON
(:func:`~statmech_learn.reproduce.base.mean_agreement`): Student-t bound on the
mean over instances, Bonferroni over the simulated loads at family level 1%,
plus a finite-size allowance ``FINITE_SIZE / n`` on the 0-1 error (its
:math:`O(1/n)` bias from the overlaps of finite instances).
"""

from __future__ import annotations

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

L2 = 0.01
#: bound c on the finite-size bias c/n of the mean 0-1 error of ERM and AMP estimators
FINITE_SIZE = 2.0
STYLES = {"Bayes-optimal": "-.", "Gibbs, T = 0.5": ":"}
STUDENTS = {
    "Bayes-optimal": R.BayesOptimal(),
    "Gibbs, T = 0.5": R.Gibbs(0.5),
    "logistic": R.ERM("logistic", L2),
    "hinge": R.ERM("hinge", L2),
    "square (ridge)": R.ERM("square", L2),
}


def _model(student):
    return R.TeacherStudent(prior="gaussian", channel="sign", student=student)


def simulation_point(student: str, alpha: float, n: int, seed: int) -> dict:
    """One instance (a sweep point): AMP for the Bayes-optimal student, ERM fit otherwise."""
    model = _model(STUDENTS[student])
    if student == "Bayes-optimal":
        run = R.amp(model, n=n, alpha=alpha, rng=seed, n_iter=300)
        return {"generalization_error": run.generalization_error, "m": run.m, "q": run.q, "converged": run.converged}
    fit = R.erm_simulation(model, n=n, alpha=alpha, n_samples=1, rng=seed)
    return {
        "generalization_error": fit.generalization_error,
        "m": fit.m,
        "q": fit.q,
        "converged": bool(fit.converged_all),
    }


def compute(quick: bool = False, ctx: RunContext | None = None) -> ReproductionResult:
    """Theory curves of the five students and simulation points."""
    ctx = ctx or RunContext(reproduction="teacher-student")
    alphas = np.geomspace(0.2, 10.0, 25 if quick else 60)
    sim_alphas = [0.5, 1.0, 2.0, 4.0] if quick else [0.5, 1.0, 2.0, 4.0, 8.0]
    n = 200 if quick else 1000
    n_seeds = 4 if quick else 10
    timer = Timer()
    series: list[Series] = []
    checks: dict = {}
    with timer.stage("theory"):
        theory = {name: R.solve(_model(st), alphas) for name, st in STUDENTS.items()}
        at_sim = {name: R.solve(_model(st), np.array(sim_alphas)) for name, st in STUDENTS.items()}
    # the Bayes-optimal curve is drawn last: it lies just below the logistic one at large alpha
    for name, curve in sorted(theory.items(), key=lambda kv: kv[0] == "Bayes-optimal"):
        label = f"{name} (theory only)" if name.startswith("Gibbs") else name
        series.append(
            Series(
                label, "theory", "a", alphas, np.asarray(curve.generalization_error), group=name, style=STYLES.get(name)
            )
        )
        checks[f"theory_converged_{name}"] = bool(np.all(np.asarray(curve.converged)))
    sim_students = [s for s in STUDENTS if not s.startswith("Gibbs")]
    grid = Grid(student=sim_students, alpha=sim_alphas, n=[n], seed=range(n_seeds), base_seed=ctx.seed)
    with timer.stage("simulation"):
        table = ctx.sweep(simulation_point, grid, "instances")
    for name in sim_students:
        means, errs = means_over_instances(table, "generalization_error", "alpha", sim_alphas, student=name)
        series.append(
            Series(
                f"{name} (simulation, n={n})",
                "simulation",
                "a",
                sim_alphas,
                means,
                yerr=errs,
                group=name,
                extra={"n": np.full(len(sim_alphas), n), "n_instances": np.full(len(sim_alphas), n_seeds)},
            )
        )
        checks[f"simulation_vs_theory_{name}"] = mean_agreement(
            means, errs, at_sim[name].generalization_error, n_seeds, allowance=FINITE_SIZE / n
        )
    panels = [
        Panel(
            "a",
            r"$\alpha = P/N$",
            r"generalisation error $\varepsilon_g$",
            f"Gaussian teacher, sign labels; ERM with l2 = {L2:g}",
        )
    ]
    params = dict(
        alphas=alphas.tolist(), sim_alphas=sim_alphas, n=n, n_seeds=n_seeds, l2=L2, quick=quick, seed=ctx.seed
    )
    return ReproductionResult(
        "teacher-student",
        "Teacher-student perceptron: generalisation error of five students",
        params,
        series,
        panels,
        timer.timings,
        checks,
    )


REPRODUCTION = Reproduction(
    "teacher-student",
    "generalisation error vs alpha: Bayes-optimal (AMP), Gibbs, logistic, hinge and ridge (ERM), theory vs simulation",
    compute,
)
