r"""The plateau of online learning in a soft committee machine (Saad & Solla 1995).

A student with K = 3 erf units learns a teacher with M = 3 erf units, both
second layers fixed to 1, by online SGD at learning rate 0.8 from a small random
start (:meth:`~statmech_learn.online.TwoLayer.initial_state` with squared norm
1e-4 per unit, ``rng=0``), shared by theory and simulation.  One panel,
:math:`\varepsilon_g(t)` on a log scale: the overlap ODEs of
:mod:`statmech_learn.online.committee` (line) with their symmetric plateau
(dashed: its height; dotted: half of it, the exit threshold; dotted verticals:
its entry and exit from :func:`~statmech_learn.online.plateau`), and online SGD at two input sizes
(points, mean ± standard error over seeds): real SGD on the weights at the
smaller N and the exact overlap process (``method="overlaps"``) at the larger.
Finite-N runs leave the plateau earlier than the ODE: their fluctuations break
the symmetry between student units, so the escape time grows like
:math:`\log N` (Saad & Solla 1995, Phys. Rev. E 52, 4225; Biehl, Riegler &
Wohler 1996, J. Phys. A 29, 4769).

Parameters.  At learning rate 0.8 the ODE stays within 2 % of its plateau
(0.054) from t = 8 to t = 100 and falls below half of it at t = 171; at 0.5 the
plateau lasts until t = 300 (twice the simulation cost), above 0.9 it tilts.
Quick: N = 100 (weights) and 500 (overlaps), 32 seeds each, t <= 190; full:
N = 500 (weights) and 5000 (overlaps), 32 seeds each, t <= 220.  Errors are
recorded every 2.5 and drawn every 5.

Checks in ``NAME.json``, each with a verdict:
``plateau_ode``: the ODE has a plateau, and its height is within 2 % of the
error at the symmetric fixed point (:func:`~statmech_learn.online.symmetric_plateau`:
identical student units, :math:`Q_{ik} = Q`, :math:`R_{in} = R`, a root of the reduced
ODEs; as :math:`\eta\to 0` it is :math:`Q = 1/(2K-1)`, :math:`R = 1/\sqrt{K(2K-1)}`);
``simulation_vs_ode_N<n>``: :func:`~statmech_learn.reproduce.base.mean_agreement`
of the simulated mean error with the ODE on :math:`0 < t \le` the ODE's plateau
exit (later, finite-N runs have escaped and the ODE no longer describes their
mean), with a finite-size allowance ``FINITE_N / N`` (the fluctuations of the
overlaps, of order :math:`N^{-1/2}`, shift the mean error at second order; the
bias measured on this window at N = 100 to 1000 is about 0.1/N);
``exit_time_grows_with_N``: the mean over seeds of the exit time (first recorded
time after the plateau entry with the error below half the ODE's plateau
height; a seed that never gets there counts as the last recorded time, and the
number of such seeds is reported) is larger at the larger N by more than two
standard errors.
"""

from __future__ import annotations

import numpy as np

from ..online import SoftCommittee, plateau, simulate, symmetric_plateau
from ..sweep import Grid
from .base import Panel, Reproduction, ReproductionResult, RunContext, Series, Timer, mean_agreement

K = M = 3
LR = 0.8
#: squared norm per student unit at the start (``initial_state(overlap=OVERLAP, rng=0)``)
OVERLAP = 1e-4
#: finite-size allowance c / N on the mean error
FINITE_N = 0.25
#: relative tolerance between the ODE's plateau height and the symmetric fixed point
PLATEAU_TOL = 0.02
#: recording interval of the simulations (in t = steps / N); every SHOW-th record is drawn and compared
DT = 2.5
SHOW = 2
#: simulation series: (N, method, seeds per block, blocks); the larger N first (it runs longest)
RUNS = {
    True: ((500, "overlaps", 32, 1), (100, "weights", 32, 1)),
    False: ((5000, "overlaps", 16, 2), (500, "weights", 16, 2)),
}
T_MAX = {True: 190.0, False: 220.0}


def _model() -> SoftCommittee:
    return SoftCommittee(K=K, M=M, activation="erf", lr=LR)


def _init(model: SoftCommittee):
    return model.initial_state(overlap=OVERLAP, rng=0)


def simulation_point(n: int, method: str, n_seeds: int, t_max: float, seed: int) -> dict:
    """``n_seeds`` online-SGD runs at input size ``n`` (a sweep point): per-seed errors every ``DT``."""
    model = _model()
    init = _init(model)
    grid = np.arange(0.0, t_max + DT / 2, DT)
    sim = simulate(model, N=n, t_max=t_max, n_seeds=n_seeds, rng=seed, init=init, t=grid, method=method, progress=False)
    eps = model.eps_g(sim.Q, sim.R, init.T, sim.v)  # (seeds, n_t)
    return {"t": sim.t.tolist(), "eps_seeds": eps.tolist()}


def theory(t_max: float, t=None) -> dict:
    """The ODE solution on ``t`` (default 0.5-spaced), its plateau and the symmetric fixed point."""
    model = _model()
    init = _init(model)
    grid = np.arange(0.0, t_max + 0.25, 0.5) if t is None else np.asarray(t, dtype=float)
    traj = model.integrate(init, t_max=float(grid[-1]), t=grid)
    return {"traj": traj, "plateau": plateau(traj), "fixed_point": symmetric_plateau(model)}


def _exit_times(t, eps, threshold: float, after: float) -> np.ndarray:
    """First time after ``after`` with eps below ``threshold``, per row; rows that never get there: t[-1]."""
    below = (eps < threshold) & (t > after)
    first = np.argmax(below, axis=-1)
    return np.where(below.any(axis=-1), t[first], t[-1])


def compute(quick: bool = False, ctx: RunContext | None = None) -> ReproductionResult:
    """ODE learning curve with its plateau, online SGD at two N, and the checks."""
    ctx = ctx or RunContext(reproduction="saad-solla")
    t_max = T_MAX[quick]
    runs = RUNS[quick]
    timer = Timer()
    series: list[Series] = []
    checks: dict = {}
    sim_t = np.arange(0.0, t_max + DT / 2, DT)
    with timer.stage("theory"):
        th = theory(t_max, np.union1d(np.arange(0.0, t_max + 0.25, 0.5), sim_t))
    traj, plat, fp = th["traj"], th["plateau"], th["fixed_point"]
    rel = abs(plat.height - fp.eps_g) / fp.eps_g if plat.found else float("inf")
    checks["plateau_ode"] = {
        "found": plat.found,
        "height": plat.height,
        "entry": plat.entry,
        "exit": plat.exit,
        "specialisation_time": plat.specialisation_time,
        "symmetric_fixed_point": fp.to_dict(),
        "relative_difference": rel,
        "tolerance": PLATEAU_TOL,
        "pass": bool(plat.found and fp.converged and rel <= PLATEAU_TOL),
    }
    half = plat.height / 2
    ode_exit = float(_exit_times(traj.t, traj.eps_g, half, plat.entry))
    series.append(Series("ODE (N → ∞)", "theory", "a", traj.t, traj.eps_g, group="ode"))
    series.append(
        Series(
            f"ODE plateau height {plat.height:.4f}",
            "theory",
            "a",
            np.array([0.0, t_max]),
            np.full(2, plat.height),
            group="plateau",
            style="--",
        )
    )
    series.append(
        Series(
            "half the plateau height (exit)",
            "theory",
            "a",
            np.array([0.0, t_max]),
            np.full(2, half),
            group="plateau",
            style=":",
        )
    )

    grid = Grid.zip(
        n=[r[0] for r in runs for _ in range(r[3])],
        method=[r[1] for r in runs for _ in range(r[3])],
        n_seeds=[r[2] for r in runs for _ in range(r[3])],
        seed=[b for r in runs for b in range(r[3])],
        base_seed=ctx.seed,
    ) * Grid(t_max=[t_max])
    with timer.stage("simulation"):
        table = ctx.sweep(simulation_point, grid, "simulations")
    exits = {}
    for n, method, _, _ in sorted(runs):
        recs = table.select(n=n).records
        t = np.asarray(recs[0]["t"])
        eps = np.concatenate([np.asarray(r["eps_seeds"]) for r in recs], axis=0)  # (seeds, n_t)
        s = eps.shape[0]
        shown = np.arange(t.size) % SHOW == 0
        mean = eps[:, shown].mean(axis=0)
        err = eps[:, shown].std(axis=0, ddof=1) / np.sqrt(s)
        ts = t[shown]
        how = "SGD on the weights" if method == "weights" else "overlap process"
        series.append(
            Series(
                f"simulation, N = {n} ({how}, {s} seeds)",
                "simulation",
                "a",
                ts,
                mean,
                yerr=err,
                group=f"N{n}",
                style="o" if method == "weights" else "s",
                extra={"n": np.full(ts.size, n), "n_seeds": np.full(ts.size, s)},
            )
        )
        ode = np.interp(ts, traj.t, traj.eps_g)
        window = (ts > 0) & (ts <= plat.exit)
        agree = mean_agreement(mean[window], err[window], ode[window], s, allowance=FINITE_N / n)
        agree["allowance"] = FINITE_N / n
        agree["t_window"] = [float(ts[window][0]), float(ts[window][-1])]
        agree["method"] = method
        checks[f"simulation_vs_ode_N{n}"] = agree
        ex = _exit_times(t, eps, half, plat.entry)
        exits[n] = {
            "mean": float(ex.mean()),
            "stderr": float(ex.std(ddof=1) / np.sqrt(s)),
            "censored": int(np.sum(~((eps < half) & (t > plat.entry)).any(axis=1))),
            "mean_curve_exit": float(_exit_times(t, eps.mean(axis=0), half, plat.entry)),
            "n_seeds": s,
        }
    (n1, e1), (n2, e2) = sorted(exits.items())
    diff = e2["mean"] - e1["mean"]
    checks["exit_time_grows_with_N"] = {
        "threshold": half,
        "n": [n1, n2],
        "exit": [e1, e2],
        "ode_exit": ode_exit,
        "difference": diff,
        "difference_over_stderr": diff / float(np.hypot(e1["stderr"], e2["stderr"])),
        "pass": bool(diff > 2 * np.hypot(e1["stderr"], e2["stderr"])),
    }
    panels = [
        Panel(
            "a",
            "t = examples / N",
            r"generalisation error $\varepsilon_g$",
            f"K = M = {K}, erf, learning rate {LR:g}: ODE against online SGD",
            vlines=[(plat.entry, "plateau entry (ODE)"), (plat.exit, "plateau exit (ODE)")],
            yscale="log",
            legend="lower left",
        )
    ]
    params = dict(
        K=K,
        M=M,
        activation="erf",
        lr=LR,
        noise=0.0,
        initial_overlap=OVERLAP,
        initial_state_rng=0,
        t_max=t_max,
        record_interval=DT,
        simulations=[dict(n=r[0], method=r[1], seeds=r[2] * r[3]) for r in runs],
        finite_n=FINITE_N,
        quick=quick,
        seed=ctx.seed,
    )
    return ReproductionResult(
        "saad-solla",
        "The plateau of a soft committee machine (Saad & Solla)",
        params,
        series,
        panels,
        timer.timings,
        checks,
    )


REPRODUCTION = Reproduction(
    "saad-solla",
    "soft committee machine K = M = 3: the symmetric plateau, ODE vs online SGD at two N, escape time vs N",
    compute,
)
