"""Teacher-student perceptron: generalisation error against alpha for five students.

Gaussian teacher, sign channel.  Replica-symmetric theory (lines) for the
Bayes-optimal student, Gibbs learning at temperature 0.5, and ERM with
logistic, hinge and square (ridge-classifier) losses with an l2 penalty;
simulations (points, mean ± standard error over instances): AMP for the
Bayes-optimal student, scipy optimisers for ERM, and for Gibbs learning exact
Hamiltonian Monte Carlo of its posterior
(:func:`~statmech_learn.replica.gibbs_simulation`, two chains per instance, the
mean Gibbs error of the samples), on generated data.  The Gibbs chains are
smaller (n = 100 quick, 200 full) and stop at alpha = 4: the cost of a
trajectory grows with the number of walls it meets.

Every simulated curve gets a pass/fail verdict in the JSON (``gibbs_chains_converged``,
the number of Gibbs instances whose two chains agree by split R-hat, is informative)
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


#: sweeps of each Gibbs chain (the first half discarded)
GIBBS_SWEEPS = 160


def simulation_point(student: str, alpha: float, n: int, seed: int) -> dict:
    """One instance (a sweep point): AMP for the Bayes-optimal student, Monte Carlo for Gibbs
    learning, an ERM fit otherwise."""
    model = _model(STUDENTS[student])
    if isinstance(model.student, R.Gibbs):
        sim = R.gibbs_simulation(model, n=n, alpha=alpha, n_samples=1, rng=seed, n_sweeps=GIBBS_SWEEPS)
        return {
            "generalization_error": sim.generalization_error,
            "m": sim.m,
            "q": sim.q,
            "converged": bool(sim.converged_all),
        }
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
    gibbs_alphas = [0.5, 1.0, 2.0, 4.0]
    n_gibbs = 100 if quick else 200
    timer = Timer()
    series: list[Series] = []
    checks: dict = {}
    with timer.stage("theory"):
        theory = {name: R.solve(_model(st), alphas) for name, st in STUDENTS.items()}
        at_sim = {name: R.solve(_model(st), np.array(sim_alphas)) for name, st in STUDENTS.items()}
        at_gibbs = {name: R.solve(_model(st), np.array(gibbs_alphas)) for name, st in STUDENTS.items()}
    # the Bayes-optimal curve is drawn last: it lies just below the logistic one at large alpha
    for name, curve in sorted(theory.items(), key=lambda kv: kv[0] == "Bayes-optimal"):
        series.append(
            Series(
                name, "theory", "a", alphas, np.asarray(curve.generalization_error), group=name, style=STYLES.get(name)
            )
        )
        checks[f"theory_converged_{name}"] = bool(np.all(np.asarray(curve.converged)))
    gibbs = [s for s in STUDENTS if s.startswith("Gibbs")]
    others = [s for s in STUDENTS if s not in gibbs]
    grid = Grid(student=others, alpha=sim_alphas, n=[n], seed=range(n_seeds), base_seed=ctx.seed)
    grid_gibbs = Grid(student=gibbs, alpha=gibbs_alphas, n=[n_gibbs], seed=range(n_seeds), base_seed=ctx.seed + 1)
    with timer.stage("simulation"):
        table = ctx.sweep(simulation_point, grid, "instances")
    with timer.stage("gibbs_monte_carlo"):
        table_gibbs = ctx.sweep(simulation_point, grid_gibbs, "gibbs_instances")
    for names, tab, loads, size in ((others, table, sim_alphas, n), (gibbs, table_gibbs, gibbs_alphas, n_gibbs)):
        for name in names:
            means, errs = means_over_instances(tab, "generalization_error", "alpha", loads, student=name)
            series.append(
                Series(
                    f"{name} (simulation, n={size})",
                    "simulation",
                    "a",
                    loads,
                    means,
                    yerr=errs,
                    group=name,
                    extra={"n": np.full(len(loads), size), "n_instances": np.full(len(loads), n_seeds)},
                )
            )
            theory_at = at_sim[name].generalization_error if tab is table else at_gibbs[name].generalization_error
            checks[f"simulation_vs_theory_{name}"] = mean_agreement(
                means, errs, theory_at, n_seeds, allowance=FINITE_SIZE / size
            )
    converged = table_gibbs.column("converged")
    # informative: a chain pair with split R-hat above 1.1 is still a correct, if noisier, sample
    checks["gibbs_chains_converged"] = {"instances": int(converged.size), "converged": int(np.sum(converged))}
    panels = [
        Panel(
            "a",
            r"$\alpha = P/N$",
            r"generalisation error $\varepsilon_g$",
            f"Gaussian teacher, sign labels; ERM with l2 = {L2:g}",
        )
    ]
    params = dict(
        alphas=alphas.tolist(),
        sim_alphas=sim_alphas,
        gibbs_alphas=gibbs_alphas,
        n=n,
        n_gibbs=n_gibbs,
        gibbs_sweeps=GIBBS_SWEEPS,
        n_seeds=n_seeds,
        l2=L2,
        quick=quick,
        seed=ctx.seed,
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
