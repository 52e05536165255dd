r"""SGD as a sampler of a Gibbs distribution (seed 002).

SGD on a quadratic loss :math:`L = \tfrac12 (w - w^*)^\top H (w - w^*)` with gradient noise of
covariance :math:`\Sigma` per step, :math:`w \leftarrow w - \eta(H(w - w^*) + \xi)`, has a Gaussian
stationary law (:func:`~statmech_learn.dynamics.sgd_stationary`).

(a) One parameter (h = 2, :math:`\sigma^2` = 0.7): the stationary variance against the learning rate,
the exact discrete-time value :math:`\eta\sigma^2/(h(2 - \eta h))` and its small-lr limit
:math:`\eta\sigma^2/(2h)` (the seed's Gibbs law :math:`e^{-2L/(\eta\sigma^2)}`), with SGD points (mean ±
standard error over chains, :func:`~statmech_learn.dynamics.simulate_sgd`).
(b) Two independent parameters with :math:`H = I` and :math:`\sigma_x^2 = 4 \ne \sigma_y^2 = 1`: the
histogram of plain SGD (:math:`\eta = 0.1`) with the contours of its exact stationary law (two
temperatures, :math:`T_x/T_y = 4` to first order) and of the Gibbs law :math:`e^{-L/T}` at the mean
temperature; (c) the same with the learning rates :math:`\eta_i = \eta'/\sigma_i^2`
(:func:`~statmech_learn.dynamics.gibbs_learning_rates`, :math:`\eta' = 0.1`), whose law is Gibbs
to first order in :math:`\eta'`.

Checks in ``NAME.json``: ``variance_vs_lr``: every SGD variance within 3.5 standard errors of the exact
value (Bonferroni over the points at about 1 % in all); ``two_temperatures``: plain SGD's ratio of
temperatures (variances, H = I) is within 4 standard errors of its exact value and above 3;
``gibbs_fix``: with the rescaled rates the ratio is within 4 standard errors of its exact value
(:math:`(2 - \eta_y)/(2 - \eta_x)` = 0.962) and within 0.1 of 1.
"""

from __future__ import annotations

import numpy as np

from ..sweep import Grid
from .base import Panel, Reproduction, ReproductionResult, RunContext, Series, Timer

H1, SIGMA2 = 2.0, 0.7
LRS = (0.02, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8)
SIG2D = (4.0, 1.0)
LR2D = 0.1
SETTINGS = {True: dict(steps=6000, chains=64), False: dict(steps=40000, chains=128)}


def variance_point(lr: float, steps: int, chains: int, seed: int) -> dict:
    """Stationary variance of 1-D SGD at learning rate ``lr`` with its standard error over chains."""
    from .. import dynamics

    problem = dynamics.QuadraticProblem(np.array([[H1]]), np.array([[SIGMA2]]))
    run = dynamics.simulate_sgd(problem, lr, int(steps), n_chains=int(chains), rng=int(seed))
    return {"variance": float(run.covariance[0, 0]), "stderr": float(run.covariance_stderr[0, 0])}


def two_d(rescaled: bool, steps: int, chains: int, seed: int) -> dict:
    """2-D SGD with unequal noise: samples, variances and their errors, and the exact covariance."""
    from .. import dynamics

    noise = np.array(SIG2D)
    lr = dynamics.gibbs_learning_rates(noise_var=noise * 1.0, base_lr=LR2D) if rescaled else LR2D
    problem = dynamics.QuadraticProblem(np.eye(2), np.diag(noise))
    run = dynamics.simulate_sgd(problem, lr, int(steps), n_chains=int(chains), rng=int(seed))
    pts = run.samples.reshape(-1, 2)
    return {
        "samples": pts[:: max(1, pts.shape[0] // 20000)].tolist(),
        "var": np.diag(run.covariance).tolist(),
        "var_err": np.diag(run.covariance_stderr).tolist(),
        "exact": np.diag(run.covariance_exact).tolist(),
    }


def _gauss(xg, yg, var_x, var_y):
    X, Y = np.meshgrid(xg, yg)
    return np.exp(-0.5 * (X**2 / var_x + Y**2 / var_y))


def compute(quick: bool = False, ctx: RunContext | None = None) -> ReproductionResult:
    """Panels (a) variance against lr, (b) plain SGD in 2-D, (c) rescaled learning rates; the checks."""
    ctx = ctx or RunContext(reproduction="sgd-temperature")
    st = SETTINGS[bool(quick)]
    timer = Timer()
    grid = Grid(lr=list(LRS), base_seed=ctx.seed) * Grid(steps=[st["steps"]], chains=[st["chains"]], seed=[0])
    with timer.stage("variance"):
        table = ctx.sweep(variance_point, grid, "variance")
    lrs = np.asarray(LRS)
    var = np.array([r["variance"] for r in table.records])
    err = np.array([r["stderr"] for r in table.records])
    lr_fine = np.linspace(0.01, 0.9, 120)
    exact = lr_fine * SIGMA2 / (H1 * (2.0 - lr_fine * H1))
    small = lr_fine * SIGMA2 / (2.0 * H1)
    series = [
        Series("exact: lr s^2 / (h (2 - lr h))", "theory", "a", lr_fine, exact, group="exact"),
        Series("small lr (seed): lr s^2 / (2h)", "theory", "a", lr_fine, small, group="small", style="--"),
        Series("SGD", "simulation", "a", lrs, var, yerr=err, group="sgd"),
    ]
    exact_pts = lrs * SIGMA2 / (H1 * (2.0 - lrs * H1))
    z = np.abs(var - exact_pts) / err
    grid2 = Grid(rescaled=[False, True], base_seed=ctx.seed) * Grid(
        steps=[st["steps"]], chains=[st["chains"]], seed=[1]
    )
    with timer.stage("two_d"):
        recs = {bool(r["rescaled"]): r for r in ctx.sweep(two_d, grid2, "two_d").records}
    checks: dict = {"variance_vs_lr": {"max_z": float(z.max()), "tolerance_z": 3.5, "pass": bool(z.max() < 3.5)}}
    panels = [
        Panel(
            "a",
            "learning rate",
            "stationary variance",
            f"(a) 1-D: h = {H1:g}, noise variance {SIGMA2:g}",
            xscale="log",
            yscale="log",
            legend="upper left",
        )
    ]
    edges = np.linspace(-1.6, 1.6, 41)
    grid_xy = np.linspace(-1.6, 1.6, 81)
    for name, rescaled in (("b", False), ("c", True)):
        r = recs[rescaled]
        pts = np.asarray(r["samples"])
        counts, _, _ = np.histogram2d(pts[:, 0], pts[:, 1], bins=[edges, edges])
        vx, vy = r["exact"]
        t_mean = 0.5 * (vx + vy)
        contours = [
            (grid_xy, grid_xy, _gauss(grid_xy, grid_xy, vx, vy), "exact SGD law"),
            (grid_xy, grid_xy, _gauss(grid_xy, grid_xy, t_mean, t_mean), "Gibbs law at the mean T"),
        ]
        ratio = r["var"][0] / r["var"][1]
        ratio_err = ratio * float(np.hypot(r["var_err"][0] / r["var"][0], r["var_err"][1] / r["var"][1]))
        exact_ratio = vx / vy
        key = "gibbs_fix" if rescaled else "two_temperatures"
        ok = abs(ratio - exact_ratio) < 4 * ratio_err and (abs(ratio - 1) < 0.1 if rescaled else ratio > 3)
        checks[key] = {"ratio": ratio, "ratio_err": ratio_err, "exact_ratio": exact_ratio, "pass": bool(ok)}
        title = (
            "(c) rates lr'/s_i^2: one temperature"
            if rescaled
            else f"(b) plain SGD, lr = {LR2D:g}: T_x/T_y = {ratio:.2f}"
        )
        panels.append(
            Panel(name, "x", "y", title, histogram2d=(edges, edges, counts), contours=contours, legend="upper right")
        )
    params = dict(
        st,
        h=H1,
        noise_variance=SIGMA2,
        lrs=list(LRS),
        noise_2d=list(SIG2D),
        lr_2d=LR2D,
        quick=bool(quick),
        seed=ctx.seed,
    )
    return ReproductionResult(
        "sgd-temperature",
        "SGD as a sampler: stationary variance, temperatures, the Gibbs fix",
        params,
        series,
        panels,
        timer.timings,
        checks,
    )


REPRODUCTION = Reproduction(
    "sgd-temperature",
    "SGD's stationary law (seed 002): variance against lr, two temperatures in 2-D and the rescaled-rate fix",
    compute,
)
