r"""Over-parametrised students: final error against student size, second layer fixed or learned.

A teacher with M = 2 erf units (second layer 1) and output noise sigma = 0.05
teaches students with K = 2, 3, 4, 6 units (K = 2, 4 in quick mode) by online
SGD at learning rate 0.5, from the default small random start of
:meth:`~statmech_learn.online.TwoLayer.initial_state` (squared norms 1e-3, ``rng=0``;
a learned second layer starts at 0.5 + 1e-3 x normal), (i) with the second
layer fixed to 1 (:class:`~statmech_learn.online.SoftCommittee`) and (ii) with
it learned at the same rate (:class:`~statmech_learn.online.TwoLayer`).
Panel a: the final error :math:`\varepsilon_g` against K from the overlap ODEs
(lines) and from online SGD (points, mean ± standard error over seeds) at
K = M and K = 2M; panel b: the ODE learning curves at K = M and 2M, which
leave their plateaus by t = 1000 and are flat at the end.  With the second
layer fixed the final error grows with K; learned, it does not, because the
surplus units share the teacher's units with smaller second-layer weights and
average the noise out (Goldt, Advani, Saxe, Krzakala & Zdeborova 2019,
NeurIPS, "Dynamics of stochastic gradient descent for two-layer neural networks
in the teacher-student setup").

Parameters.  In the asymptotic regime the error is proportional to
:math:`\eta\sigma^2` (it grows fourfold from sigma = 0.05 to 0.1 at K = 2).
Sigma is small because, with the second layer fixed and K >= M + 2, pairs of
surplus units with :math:`w_a \approx -w_b` cancel exactly (erf is odd): a flat
direction along which the noise drives the norms up, at a rate
:math:`\propto\eta^2\sigma^2`, so that the error keeps creeping down and has
no limit.  At sigma = 0.5 this drift reorders the final errors of K = 3 and 4
between t = 2000 and 5000; at sigma = 0.05 it is 0.9 % (K = 4) and 4.8 % (K = 6)
over the last tenth of t_max = 2000 (reported per curve), the other curves are
flat to 0.7 %.  The final error is the ODE's mean over
:math:`t \in [t_{max} - 10, t_{max}]`.

Simulations (``method="overlaps"``, exact in law at N): the plateaus before
convergence last about 10^3 in t, i.e. 10^3 N steps, so each run starts from
the ODE's state at :math:`t_{max} - 20` (realised exactly as a Gram matrix)
and runs to t_max; its final error is each seed's mean over the same last 10
time units, recorded every 0.5.  Without the noise the error would fall by
40 to 80 % within 2 time units, so the window tests the stationary,
noise-driven error of the ODE, not its start.  N = 1000 with 16 seeds (quick),
N = 10^4 with 32 seeds (full).

Checks in ``NAME.json``, each with a verdict:
``ode_converged``: every ODE curve has left its plateau (final error below a
tenth of the error at t = 10) and changes by at most 5 % over the last 10 %
of the time; ``fixed_error_grows_with_K``: with the second layer fixed the
ODE's final error is strictly increasing over the K grid;
``learned_error_does_not_grow``: with it learned no K > M has a final error
above that at K = M by more than 5 % (the convergence tolerance: a final error
is known to that precision); ``simulation_vs_ode_fixed``,
``simulation_vs_ode_learned``: :func:`~statmech_learn.reproduce.base.mean_agreement`
of the simulated final errors at K = M and 2M with the ODE, with a finite-size
allowance ``FINITE_N * eps / N`` (fluctuations of the overlaps of order
:math:`N^{-1/2}` shift the stationary error, itself of order
:math:`\eta\sigma^2`, by a relative O(1/N); c measured at N = 50 to 300 with 64
seeds is within ±2).
"""

from __future__ import annotations

import json

import numpy as np

from ..online import SoftCommittee, TwoLayer, simulate
from ..sweep import Grid
from .base import Panel, Reproduction, ReproductionResult, RunContext, Series, Timer, mean_agreement

M = 2
LR = 0.5
SIGMA = 0.05
OVERLAP = 1e-3
T_MAX = 2000.0
#: the simulations run over the last SIM_SPAN of time and average over its last AVG_SPAN
SIM_SPAN = 20.0
AVG_SPAN = 10.0
RECORD = 0.5
#: relative change over the last 10 % of t_max accepted as converged
CONVERGENCE_TOL = 0.05
#: finite-size allowance c * eps / N on the mean final error
FINITE_N = 5.0
#: ODE tolerances (a final error changes by < 1e-4 relative against rtol = 1e-8)
RTOL, ATOL = 1e-6, 1e-9
K_GRID = {True: (2, 4), False: (2, 3, 4, 6)}
SIM_N = {True: 1000, False: 10_000}
SIM_SEEDS = {True: 16, False: 32}


def _model(K: int, learned: bool) -> TwoLayer:
    if learned:
        return TwoLayer(K=K, M=M, activation="erf", lr=LR, lr_second=LR, noise=SIGMA)
    return SoftCommittee(K=K, M=M, activation="erf", lr=LR, noise=SIGMA)


def simulation_point(K: int, learned: bool, n: int, start: str, t_start: float, n_seeds: int, seed: int) -> dict:
    """``n_seeds`` online-SGD runs (a sweep point) from the overlaps ``start`` (JSON) at time ``t_start``
    to T_MAX: per-seed errors every RECORD."""
    model = _model(K, learned)
    s = json.loads(start)
    init = model.initial_state(Q=np.array(s["Q"]), R=np.array(s["R"]), T=np.eye(M), v=np.array(s["v"]))
    span = T_MAX - t_start
    grid = np.arange(0.0, span + RECORD / 2, RECORD)
    sim = simulate(
        model, N=n, t_max=span, n_seeds=n_seeds, rng=seed, init=init, t=grid, method="overlaps", progress=False
    )
    eps = model.eps_g(sim.Q, sim.R, init.T, sim.v)  # (seeds, n_t)
    return {"t": (t_start + sim.t).tolist(), "eps_seeds": eps.tolist()}


def theory(K: int, learned: bool, t=None) -> dict:
    """The ODE from the default start to T_MAX: trajectory, final error, convergence diagnostics."""
    model = _model(K, learned)
    init = model.initial_state(overlap=OVERLAP, rng=0)
    grid = _ode_grid() if t is None else np.asarray(t, dtype=float)
    traj = model.integrate(init, t_max=T_MAX, t=grid, rtol=RTOL, atol=ATOL)
    t, eps = traj.t, traj.eps_g
    final = float(np.interp(np.arange(T_MAX - AVG_SPAN, T_MAX + RECORD / 2, RECORD), t, eps).mean())
    tail = t >= 0.9 * T_MAX
    rel = float(abs(eps[-1] - eps[tail][0]) / eps[-1])
    early = float(np.interp(10.0, t, eps))
    return {
        "traj": traj,
        "final": final,
        "relative_change_last_10pct": rel,
        "eps_t10": early,
        "converged": bool(
            traj.success and not traj.blew_up and t[-1] == T_MAX and rel <= CONVERGENCE_TOL and final <= 0.1 * early
        ),
    }


def _ode_grid() -> np.ndarray:
    return np.unique(
        np.concatenate(
            [
                [0.0],
                np.geomspace(0.1, T_MAX, 300),
                np.linspace(0.9 * T_MAX, T_MAX, 41),
                np.arange(T_MAX - SIM_SPAN, T_MAX + RECORD / 2, RECORD),
            ]
        )
    )


def _state_json(traj, t: float) -> str:
    i = int(np.argmin(np.abs(traj.t - t)))
    if abs(traj.t[i] - t) > 1e-9:
        raise RuntimeError(f"time {t} is not on the ODE grid")
    return json.dumps({"Q": traj.Q[i].tolist(), "R": traj.R[i].tolist(), "v": traj.v[i].tolist()})


def compute(quick: bool = False, ctx: RunContext | None = None) -> ReproductionResult:
    """Final errors against K from the ODEs, two learning-curve families, simulations at K = M and 2M."""
    ctx = ctx or RunContext(reproduction="overparametrization")
    ks = K_GRID[quick]
    n, n_seeds = SIM_N[quick], SIM_SEEDS[quick]
    sim_ks = (M, 2 * M)
    timer = Timer()
    series: list[Series] = []
    checks: dict = {}
    names = {False: "second layer fixed", True: "second layer learned"}
    with timer.stage("theory"):
        th = {(k, learned): theory(k, learned) for learned in (False, True) for k in ks}
    checks["ode_converged"] = {
        "tolerance": CONVERGENCE_TOL,
        "curves": {
            f"{'learned' if lr2 else 'fixed'}_K{k}": {
                "final": v["final"],
                "relative_change_last_10pct": v["relative_change_last_10pct"],
                "eps_at_t10": v["eps_t10"],
                "converged": v["converged"],
            }
            for (k, lr2), v in th.items()
        },
        "pass": all(v["converged"] for v in th.values()),
    }
    fixed = np.array([th[(k, False)]["final"] for k in ks])
    learned = np.array([th[(k, True)]["final"] for k in ks])
    checks["fixed_error_grows_with_K"] = {
        "K": list(ks),
        "final": fixed.tolist(),
        "ratios": (fixed[1:] / fixed[:-1]).tolist(),
        "pass": bool(np.all(np.diff(fixed) > 0)),
    }
    ratio = learned[1:] / learned[0]
    checks["learned_error_does_not_grow"] = {
        "K": list(ks),
        "final": learned.tolist(),
        "ratio_to_K_M": ratio.tolist(),
        "tolerance": CONVERGENCE_TOL,
        "pass": bool(np.all(ratio <= 1 + CONVERGENCE_TOL)),
    }
    for lr2, finals in ((False, fixed), (True, learned)):
        series.append(
            Series(f"ODE, {names[lr2]}", "theory", "a", np.array(ks, dtype=float), finals, group=names[lr2], style=".-")
        )
    for k, style in zip(sim_ks, ("-", "--")):
        for lr2 in (False, True):
            traj = th[(k, lr2)]["traj"]
            pos = traj.t > 0
            series.append(
                Series(
                    f"ODE, {names[lr2]}, K = {k}",
                    "theory",
                    "b",
                    traj.t[pos],
                    traj.eps_g[pos],
                    group=names[lr2],
                    style=style,
                )
            )

    t_start = T_MAX - SIM_SPAN
    cases = [(k, lr2) for lr2 in (False, True) for k in sim_ks]
    grid = Grid.zip(
        K=[c[0] for c in cases],
        learned=[c[1] for c in cases],
        start=[_state_json(th[c]["traj"], t_start) for c in cases],
        base_seed=ctx.seed,
    ) * Grid(n=[n], t_start=[t_start], n_seeds=[n_seeds])
    with timer.stage("simulation"):
        table = ctx.sweep(simulation_point, grid, "simulations")
    for lr2 in (False, True):
        mean_list, err_list, ode_list = [], [], []
        for k in sim_ks:
            rec = table.select(K=k, learned=lr2).records[0]
            t = np.asarray(rec["t"])
            eps = np.asarray(rec["eps_seeds"])
            per_seed = eps[:, t >= T_MAX - AVG_SPAN - 1e-9].mean(axis=1)
            mean_list.append(per_seed.mean())
            err_list.append(per_seed.std(ddof=1) / np.sqrt(per_seed.size))
            ode_list.append(th[(k, lr2)]["final"])
        means, errs, odes = np.array(mean_list), np.array(err_list), np.array(ode_list)
        label = f"simulation, {names[lr2]} (overlap process, N = {n}, {n_seeds} seeds)"
        series.append(
            Series(
                label,
                "simulation",
                "a",
                np.array(sim_ks, dtype=float),
                means,
                yerr=errs,
                group=names[lr2],
                style="D",
                extra={"n": np.full(len(sim_ks), n), "n_seeds": np.full(len(sim_ks), n_seeds)},
            )
        )
        agree = mean_agreement(means, errs, odes, n_seeds, allowance=FINITE_N * odes / n)
        agree.update(
            K=list(sim_ks),
            simulated=means.tolist(),
            ode=odes.tolist(),
            n=n,
            window=[T_MAX - AVG_SPAN, T_MAX],
            started_at=t_start,
        )
        checks[f"simulation_vs_ode_{'learned' if lr2 else 'fixed'}"] = agree
    panels = [
        Panel(
            "a",
            "student hidden units K",
            r"final generalisation error $\varepsilon_g$",
            f"teacher M = {M}, noise {SIGMA:g}, learning rate {LR:g}",
            yscale="log",
            legend="best",
        ),
        Panel(
            "b",
            "t = examples / N",
            r"generalisation error $\varepsilon_g$",
            "ODE learning curves, K = M and 2M",
            vlines=[(t_start, "simulations")],
            xscale="log",
            yscale="log",
            legend="lower left",
        ),
    ]
    params = dict(
        M=M,
        activation="erf",
        lr=LR,
        lr_second_learned=LR,
        noise=SIGMA,
        initial_overlap=OVERLAP,
        initial_state_rng=0,
        t_max=T_MAX,
        K=list(ks),
        simulation_K=list(sim_ks),
        n=n,
        seeds=n_seeds,
        simulation_start=t_start,
        average_over=[T_MAX - AVG_SPAN, T_MAX],
        record_interval=RECORD,
        ode_rtol=RTOL,
        ode_atol=ATOL,
        finite_n=FINITE_N,
        quick=quick,
        seed=ctx.seed,
    )
    return ReproductionResult(
        "overparametrization",
        "Over-parametrised two-layer students: final error against K",
        params,
        series,
        panels,
        timer.timings,
        checks,
    )


REPRODUCTION = Reproduction(
    "overparametrization",
    "teacher M = 2, students K >= M: final error grows with K if the second layer is fixed, not if learned",
    compute,
)
