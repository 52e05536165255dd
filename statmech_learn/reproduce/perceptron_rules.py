r"""Online learning of a perceptron from a sign teacher: Hebb, perceptron and AdaTron rules.

Learning curves :math:`\varepsilon_g(\alpha)` on log-log axes: the order-parameter
ODEs of :mod:`statmech_learn.online.perceptron` (lines), their large-:math:`\alpha`
asymptotes (dashed: :math:`1/\sqrt{2\pi\alpha}`, :math:`(2/3)^{1/3}\alpha^{-1/3}/\pi`,
:math:`4/(3\alpha)` for the AdaTron at its optimal rate 3/2), and online learning
simulated at finite N (points, mean ± standard error over seeds)
(Biehl & Schwarze 1995, J. Phys. A 28, 643; Engel & Van den Broeck 2001, ch. 9).

Checks in ``NAME.json``, each with a verdict:
``exponent_<rule>``: the log-log slope of the ODE solution over
:math:`\alpha \in [10^3, 10^4]` within 0.02 of -1/2, -1/3, -1;
``simulation_vs_ode_<rule>``: :func:`~statmech_learn.reproduce.base.mean_agreement`
of the simulated mean error with the ODE, with a finite-size allowance
``FINITE_N / sqrt(N)`` (one seed's error fluctuates by O(N^{-1/2})).
"""

from __future__ import annotations

import numpy as np

from ..online.perceptron import Perceptron, simulate_perceptron
from ..sweep import Grid
from .base import Panel, Reproduction, ReproductionResult, RunContext, Series, Timer, mean_agreement

RULES = {"hebb": 1.0, "perceptron": 1.0, "adatron": 1.5}
EXPONENTS = {"hebb": -0.5, "perceptron": -1.0 / 3.0, "adatron": -1.0}
#: finite-size allowance c / sqrt(N) on the mean error
FINITE_N = 0.05
Q0 = 1.0


def simulation_point(rule: str, n: int, alpha_max: float, seed: int, n_seeds: int = 4) -> dict:
    """``n_seeds`` online-learning runs of one rule (a sweep point): per-seed errors on the grid."""
    perc = Perceptron(rule=rule, lr=RULES[rule])
    grid = _sim_grid(alpha_max)
    sim = simulate_perceptron(perc, N=n, n_seeds=n_seeds, rng=seed, R0=0.0, Q0=Q0, alpha=grid)
    eps = np.arccos(np.clip(sim.R_seeds / np.sqrt(sim.Q_seeds), -1.0, 1.0)) / np.pi
    return {"alpha": sim.alpha.tolist(), "eps_seeds": eps.tolist()}


def _sim_grid(alpha_max: float) -> np.ndarray:
    return np.geomspace(0.25, alpha_max, 6)


def compute(quick: bool = False, ctx: RunContext | None = None) -> ReproductionResult:
    """ODE learning curves, asymptotes and simulation points of the three rules."""
    ctx = ctx or RunContext(reproduction="perceptron-rules")
    n = 1000 if quick else 4000
    alpha_max_sim = 4.0 if quick else 16.0
    blocks = 2 if quick else 4
    timer = Timer()
    series: list[Series] = []
    checks: dict = {}
    alphas = np.geomspace(0.1, 1e4, 300)
    with timer.stage("theory"):
        trajs = {r: Perceptron(rule=r, lr=lr).integrate(R0=0.0, Q0=Q0, alpha=alphas) for r, lr in RULES.items()}
    for rule, traj in trajs.items():
        lr = RULES[rule]
        series.append(Series(f"{rule} (lr = {lr:g}), ODE", "theory", "a", traj.alpha, traj.eps_g, group=rule))
        tail = alphas >= 1.0  # the asymptote drawn from alpha = 1 shows where it takes over
        perc = Perceptron(rule=rule, lr=lr)
        series.append(
            Series(
                f"{rule}: asymptote",
                "theory",
                "a",
                alphas[tail],
                perc.asymptotic_eps_g(alphas[tail]),
                group=rule,
                style="--",
            )
        )
        fit = (traj.alpha >= 1e3) & (traj.alpha <= 1e4)
        slope = float(np.polyfit(np.log(traj.alpha[fit]), np.log(traj.eps_g[fit]), 1)[0])
        checks[f"exponent_{rule}"] = {
            "slope": slope,
            "expected": EXPONENTS[rule],
            "tolerance": 0.02,
            "pass": bool(abs(slope - EXPONENTS[rule]) <= 0.02),
        }
    grid = Grid(rule=list(RULES), n=[n], alpha_max=[alpha_max_sim], seed=range(blocks), base_seed=ctx.seed)
    with timer.stage("simulation"):
        table = ctx.sweep(simulation_point, grid, "simulations")
    for rule in RULES:
        recs = table.select(rule=rule).records
        a = np.asarray(recs[0]["alpha"])
        eps = np.concatenate([np.asarray(r["eps_seeds"]) for r in recs], axis=0)  # (seeds, n_alpha)
        mean = eps.mean(axis=0)
        err = eps.std(axis=0, ddof=1) / np.sqrt(eps.shape[0])
        series.append(
            Series(
                f"{rule}: simulation, N={n}",
                "simulation",
                "a",
                a,
                mean,
                yerr=err,
                group=rule,
                extra={"n": np.full(a.size, n), "n_seeds": np.full(a.size, eps.shape[0])},
            )
        )
        ode = Perceptron(rule=rule, lr=RULES[rule]).integrate(R0=0.0, Q0=Q0, alpha=a)
        checks[f"simulation_vs_ode_{rule}"] = mean_agreement(
            mean, err, ode.eps_g, eps.shape[0], allowance=FINITE_N / np.sqrt(n)
        )
    panels = [
        Panel(
            "a",
            r"$\alpha$ = examples / N",
            r"generalisation error $\varepsilon_g$",
            "sign teacher: Hebb, perceptron and AdaTron rules",
            xscale="log",
            yscale="log",
            legend="lower left",
        )
    ]
    params = dict(
        rules=RULES, n=n, alpha_max_simulation=alpha_max_sim, seeds=4 * blocks, Q0=Q0, quick=quick, seed=ctx.seed
    )
    return ReproductionResult(
        "perceptron-rules",
        "Online perceptron learning: three rules, ODE against simulation",
        params,
        series,
        panels,
        timer.timings,
        checks,
    )


REPRODUCTION = Reproduction(
    "perceptron-rules",
    "online learning of a sign-teacher perceptron: Hebb, perceptron, AdaTron; ODE vs simulation, asymptotes",
    compute,
)
