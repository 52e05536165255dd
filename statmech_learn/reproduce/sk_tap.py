r"""TAP equations against exact enumeration and the replica-symmetric solution in the SK model.

The Sherrington-Kirkpatrick model (±1 spins, :math:`J_{ij} = J_{ji} \sim N(0, 1/n)`,
uniform field h = ``FIELD`` = 0.3) at temperature T = 1/beta.  Three panels:

(a) the mean absolute error :math:`\frac1n\sum_i |m_i - m_i^{exact}|` of naive mean field and of the
TAP equations (Thouless, Anderson & Palmer 1977, Phil. Mag. 35, 593; solved by
:func:`~statmech_learn.meanfield.tap` with damping 0.5 and at most 1000 iterations, since the
undamped iteration oscillates on such small instances at T <= 1) against T, on small instances
(n = 18) whose magnetisations are computed exactly by enumeration; points are means ± standard error
over instances, each instance keeping its couplings at every T.  The fraction of instances where TAP
converged is a CSV column and the check ``small_tap_convergence`` (informative, no verdict): below
T ~ 1 some do not; TAP is drawn as a line only at temperatures where it converged on every instance,
and elsewhere as separate crosses (the last iterates), labelled as not converged.  The Onsager
reaction term (the second order of Plefka's expansion in beta) puts the TAP error far below that of
naive mean field at high T; both grow towards the AT temperature (dotted vertical), below which TAP
has many solutions and the RS picture fails.

(b) the TAP self-overlap :math:`q = \frac1n\sum_i m_i^2` on large instances (quick n = 1000, full
n = 3000; mean ± standard error over instances; undamped TAP, which converges there) against the RS overlap of
:func:`~statmech_learn.meanfield.replica_sk` (Sherrington & Kirkpatrick 1975), only at temperatures
above the AT line (all simulated T >= 0.9 > T_AT(0.3) = 0.652); the RS curve is dotted below T_AT where
it is unstable (de Almeida & Thouless 1978, J. Phys. A 11, 983).  A temperature where TAP fails to
converge on some instance is not drawn; it is listed in the check ``tap_converges_above_at``.

(c) the AT line :math:`T_{AT}(h)` (:func:`~statmech_learn.meanfield.at_line`) for h in [0, 1.5],
separating the replica-symmetric paramagnet (above) from the spin glass (below), with the
zero-field transition T = 1 marked.

Parameters.  Quick: (a) 10 instances at 6 temperatures in [0.6, 3], (b) n = 1000, 4 instances at
T = 1, 1.25, 1.5, 2, 3; full: (a) 40 instances at 13 temperatures (0.6 to 3 by 0.2), (b) n = 3000, 6 instances at
T = 0.9, 1, 1.25, 1.5, 2, 2.5, 3.  Instance seeds come from the sweep grid (``ctx.seed``).

Checks in ``NAME.json``, each with a verdict:
``tap_beats_naive_high_T``: per instance, d = mean over T >= 1.5 of (naive error - TAP error); the mean of
d over instances is positive by more than the one-sided Student-t quantile at 1 % times its standard
error (a paired test: the difference is about tenfold, so the test is far from its threshold), and TAP
converged on every instance at those temperatures;
``tap_q_vs_rs``: :func:`~statmech_learn.reproduce.base.mean_agreement` of the mean TAP q with the RS q at
the drawn temperatures, Student-t over instances with Bonferroni at 1 %, plus an allowance
``FINITE_N / n`` (the finite-size bias of q is O(1/n); instance-to-instance fluctuations, O(n^{-1/2}),
are in the standard error).  With 4 instances (quick) the Bonferroni Student-t factor is 10.2 standard
errors, with 6 (full) 6.4; the JSON also gives ``max_t``, the largest deviation in standard errors
(about 1 in both modes, i.e. well inside the 4 standard errors one would ask of many instances);
``at_line``: ``at_line(0) == 1`` (to 1e-9) and T_AT strictly decreasing on the h grid;
``tap_converges_above_at``: TAP converged on every instance at every simulated temperature of (b), all
above the AT line.
"""

from __future__ import annotations

import warnings
from typing import TypedDict

import numpy as np

from .. import meanfield
from ..sweep import Grid
from .base import Panel, Reproduction, ReproductionResult, RunContext, Series, Timer, mean_agreement

FIELD = 0.3
#: spins of the exactly enumerated instances of panel (a)
N_SMALL = 18
#: TAP damping and iteration cap on the small instances (undamped TAP oscillates at n = 18 for T <= 1)
SMALL_DAMPING = 0.5
SMALL_MAX_ITER = 1000
#: temperatures at which TAP must beat naive mean field
HIGH_T = 1.5
#: finite-size allowance c / n on the TAP overlap
FINITE_N = 1.0
#: one-sided significance of the TAP-vs-naive paired test
ALPHA = 0.01


class _Instances(TypedDict):
    """Instances and temperatures of one panel (quick or full)."""

    instances: int
    temperatures: list[float]


class _LargeInstances(_Instances):
    """The same, with the number of spins of the large instances."""

    n: int


SMALL: dict[bool, _Instances] = {
    True: dict(instances=10, temperatures=[0.6, 0.8, 1.0, 1.5, 2.0, 3.0]),
    False: dict(instances=40, temperatures=np.round(np.linspace(0.6, 3.0, 13), 2).tolist()),
}
LARGE: dict[bool, _LargeInstances] = {
    True: dict(n=1000, instances=4, temperatures=[1.0, 1.25, 1.5, 2.0, 3.0]),
    False: dict(n=3000, instances=6, temperatures=[0.9, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0]),
}
#: field grid of the AT line, denser near h = 0 where T_AT(h) ~ 1 - (3h^2/4)^(1/3) has a cusp
H_GRID = 1.5 * np.linspace(0.0, 1.0, 36) ** 2


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def _csv(values) -> str:
    return ",".join(f"{float(v):g}" for v in values)


def _temperatures(temperatures: str) -> list[float]:
    return [float(v) for v in temperatures.split(",")]


def small_point(temperatures: str, field: float, seed: int) -> dict:
    """One n = 18 instance (a sweep point): naive-MF and TAP errors against exact magnetisations at each T
    (``temperatures`` comma-separated)."""
    sk = meanfield.SK(n=N_SMALL, beta=1.0, field=field, rng=seed)
    naive, tap, conv = [], [], []
    for T in _temperatures(temperatures):
        m = sk.with_beta(1.0 / T)
        ex = meanfield.exact(m).m
        t = _quiet(meanfield.tap, m, damping=SMALL_DAMPING, max_iter=SMALL_MAX_ITER)
        nm = _quiet(meanfield.naive_mean_field, m)
        naive.append(float(np.mean(np.abs(nm.m - ex))))
        tap.append(float(np.mean(np.abs(t.m - ex))))
        conv.append(bool(t.converged))
    return {"naive_error": naive, "tap_error": tap, "tap_converged": conv}


def large_point(n: int, temperatures: str, field: float, seed: int) -> dict:
    """One large instance (a sweep point): TAP self-overlap, convergence and iterations at each T
    (``temperatures`` comma-separated)."""
    sk = meanfield.SK(n=n, beta=1.0, field=field, rng=seed)
    q, conv, iters = [], [], []
    for T in _temperatures(temperatures):
        t = _quiet(meanfield.tap, sk.with_beta(1.0 / T))
        q.append(float(np.mean(t.m**2)))
        conv.append(bool(t.converged))
        iters.append(int(t.n_iter))
    return {"q": q, "converged": conv, "n_iter": iters}


def at_line_panel(h=H_GRID) -> tuple[np.ndarray, np.ndarray]:
    """The AT temperature on the field grid ``h``."""
    h = np.asarray(h, dtype=float)
    return h, np.asarray(meanfield.at_line(h), dtype=float)


def _stack(table, key: str) -> np.ndarray:
    return np.asarray([r[key] for r in table.records], dtype=float)  # (instances, temperatures)


def compute(quick: bool = False, ctx: RunContext | None = None) -> ReproductionResult:
    """Panels (a) TAP and naive MF vs exact, (b) TAP q vs RS, (c) AT line, and the checks."""
    ctx = ctx or RunContext(reproduction="sk-tap")
    small, large = SMALL[quick], LARGE[quick]
    timer = Timer()
    series: list[Series] = []
    checks: dict = {}
    t_at = float(meanfield.at_line(FIELD))

    # (a) small instances against exact enumeration
    Ts = np.asarray(small["temperatures"], dtype=float)
    grid = Grid(seed=range(small["instances"]), base_seed=ctx.seed) * Grid(temperatures=[_csv(Ts)], field=[FIELD])
    with timer.stage("small_instances"):
        table = ctx.sweep(small_point, grid, "small")
    naive, tap = _stack(table, "naive_error"), _stack(table, "tap_error")
    small_conv = _stack(table, "tap_converged").mean(axis=0)
    k = naive.shape[0]
    # TAP is drawn as converged only where it converged on every instance; elsewhere its last iterates
    # are drawn apart, marked as not converged
    done = small_conv == 1.0
    for label, err, group, style, sel in (
        ("naive mean field", naive, "naive", "s-", np.ones(Ts.size, dtype=bool)),
        ("TAP", tap, "tap", "o-", done),
        ("TAP not converged on all (last iterates)", tap, "tap_unconverged", "x", ~done),
    ):
        if not sel.any():
            continue
        series.append(
            Series(
                f"{label} (n = {N_SMALL}, {k} instances)",
                "simulation",
                "a",
                Ts[sel],
                err.mean(axis=0)[sel],
                yerr=err.std(axis=0, ddof=1)[sel] / np.sqrt(k),
                group=group,
                style=style,
                extra={
                    "n": np.full(sel.sum(), N_SMALL),
                    "instances": np.full(sel.sum(), k),
                    "tap_converged_fraction": small_conv[sel],
                },
            )
        )
    from scipy.stats import t as student_t

    high = Ts >= HIGH_T
    d = (naive[:, high] - tap[:, high]).mean(axis=1)
    d_se = float(d.std(ddof=1) / np.sqrt(k))
    t_crit = float(student_t.isf(ALPHA, k - 1))
    checks["tap_beats_naive_high_T"] = {
        "temperatures": Ts[high].tolist(),
        "naive_error": naive[:, high].mean(axis=0).tolist(),
        "tap_error": tap[:, high].mean(axis=0).tolist(),
        "mean_difference": float(d.mean()),
        "stderr": d_se,
        "t": float(d.mean() / d_se) if d_se > 0 else float("inf"),
        "t_threshold": t_crit,
        "n_instances": k,
        "tap_converged_fraction": small_conv[high].tolist(),
        "pass": bool(d.mean() > t_crit * d_se and np.all(small_conv[high] == 1.0)),
    }
    checks["small_tap_convergence"] = {
        "temperatures": Ts.tolist(),
        "converged_fraction": small_conv.tolist(),
        "damping": SMALL_DAMPING,
        "max_iter": SMALL_MAX_ITER,
    }

    # (b) TAP overlap at large n against RS
    n = large["n"]
    Tl = np.asarray(large["temperatures"], dtype=float)
    grid = Grid(seed=range(large["instances"]), base_seed=ctx.seed) * Grid(
        n=[n], temperatures=[_csv(Tl)], field=[FIELD]
    )
    with timer.stage("large_instances"):
        table = ctx.sweep(large_point, grid, "large")
    q, conv, iters = _stack(table, "q"), _stack(table, "converged").astype(bool), _stack(table, "n_iter")
    kl = q.shape[0]
    with timer.stage("theory"):
        T_th = np.union1d(np.linspace(0.5, 3.0, 51), [t_at])
        rs_q = np.asarray(meanfield.replica_sk(1.0 / T_th, FIELD).q, dtype=float)
        rs_at_T = np.asarray(meanfield.replica_sk(1.0 / Tl, FIELD).q, dtype=float)
        h, T_at_h = at_line_panel()
    above = T_th >= t_at
    series.append(Series("RS replica q (stable)", "theory", "b", T_th[above], rs_q[above], group="rs"))
    below = T_th <= t_at
    series.append(
        Series("RS q below the AT line (unstable)", "theory", "b", T_th[below], rs_q[below], group="rs", style=":")
    )
    ok_T = conv.all(axis=0) & (Tl > t_at)
    q_mean, q_se = q.mean(axis=0), q.std(axis=0, ddof=1) / np.sqrt(kl)
    series.append(
        Series(
            f"TAP, n = {n} ({kl} instances)",
            "simulation",
            "b",
            Tl[ok_T],
            q_mean[ok_T],
            yerr=q_se[ok_T],
            group="tap",
            style="o",
            extra={
                "n": np.full(ok_T.sum(), n),
                "instances": np.full(ok_T.sum(), kl),
                "mean_iterations": iters.mean(axis=0)[ok_T],
            },
        )
    )
    agree = mean_agreement(q_mean[ok_T], q_se[ok_T], rs_at_T[ok_T], kl, allowance=FINITE_N / n)
    agree.update(
        allowance=FINITE_N / n,
        temperatures=Tl[ok_T].tolist(),
        tap_q=q_mean[ok_T].tolist(),
        rs_q=rs_at_T[ok_T].tolist(),
        n=n,
    )
    agree["pass"] = bool(agree["pass"] and ok_T.sum() >= 2)
    checks["tap_q_vs_rs"] = agree
    failed = [
        {"T": float(T), "instances_not_converged": int((~conv[:, j]).sum())}
        for j, T in enumerate(Tl)
        if not conv[:, j].all()
    ]
    checks["tap_converges_above_at"] = {
        "temperatures": Tl.tolist(),
        "at_temperature": t_at,
        "all_above_at": bool(np.all(Tl > t_at)),
        "not_converged": failed,
        "mean_iterations": iters.mean(axis=0).tolist(),
        "pass": bool(not failed and np.all(Tl > t_at)),
    }

    # (c) the AT line
    series.append(Series("AT line T_AT(h): paramagnet above, spin glass below", "theory", "c", h, T_at_h, group="at"))
    series.append(
        Series(
            "T = 1 at h = 0 (paramagnet / spin glass)",
            "theory",
            "c",
            np.array([0.0]),
            np.array([1.0]),
            group="t1",
            style="*",
        )
    )
    series.append(
        Series(
            f"h = {FIELD:g} used in (a), (b)",
            "theory",
            "c",
            np.array([FIELD, FIELD]),
            np.array([0.0, 3.0]),
            group="field",
            style="--",
        )
    )
    t0 = float(meanfield.at_line(0.0))
    checks["at_line"] = {
        "T_at_h0": t0,
        "strictly_decreasing": bool(np.all(np.diff(T_at_h) < 0)),
        "T_at_field": t_at,
        "field": FIELD,
        "pass": bool(abs(t0 - 1.0) < 1e-9 and np.all(np.diff(T_at_h) < 0)),
    }

    panels = [
        Panel(
            "a",
            "temperature T",
            r"mean $|m_i - m_i^{exact}|$",
            f"(a) SK n = {N_SMALL}, h = {FIELD:g}: mean field vs exact",
            vlines=[(t_at, "AT")],
            yscale="log",
            legend="lower left",
        ),
        Panel(
            "b",
            "temperature T",
            r"self-overlap $q = \langle m_i^2 \rangle$",
            f"(b) TAP at n = {n} vs replica symmetry, h = {FIELD:g}",
            vlines=[(t_at, "AT")],
            legend="upper right",
        ),
        Panel("c", "field h", "temperature T", "(c) de Almeida-Thouless line", ylim=(0.0, 1.6), legend="upper right"),
    ]
    params = dict(
        field=FIELD,
        n_small=N_SMALL,
        small_instances=small["instances"],
        small_temperatures=Ts.tolist(),
        n_large=n,
        large_instances=large["instances"],
        large_temperatures=Tl.tolist(),
        at_temperature=t_at,
        high_T=HIGH_T,
        finite_n=FINITE_N,
        h_grid=[float(H_GRID[0]), float(H_GRID[-1]), int(H_GRID.size)],
        quick=quick,
        seed=ctx.seed,
    )
    return ReproductionResult(
        "sk-tap",
        "SK model: TAP vs naive mean field, exact and replica symmetry",
        params,
        series,
        panels,
        timer.timings,
        checks,
    )


REPRODUCTION = Reproduction(
    "sk-tap",
    "SK model: TAP and naive mean field vs exact (n = 18), TAP overlap vs RS above the AT line, the AT line",
    compute,
)
