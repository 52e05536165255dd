r"""Bayes-optimal compressed sensing: Gauss-Bernoulli prior, small Gaussian noise.

The teacher's weights are i.i.d. :math:`w^*_i \sim (1-\rho)\,\delta_0 + \rho\,\mathcal N(0, 1)`
with density :math:`\rho` = 0.1, the measurements are
:math:`y = X w^*/\sqrt N + \sqrt\Delta\,\xi` with :math:`\Delta = 10^{-4}`, and the
student is Bayes-optimal (Krzakala, Mezard, Sausset, Sun & Zdeborova 2012, PRX 2,
021005 and J. Stat. Mech. P08009; Barbier et al. 2019, PNAS 116, 5451).

Panels
------
(a) MMSE against :math:`\alpha = P/N` (log axis): the two fixed points of the
    replica-symmetric equations (:func:`statmech_learn.replica.solve_branches`).
    Solid: the thermodynamic (Bayes-optimal) MMSE, i.e. the uninformed branch
    below :math:`\alpha_{IT}` and the informed branch above; dashed: their
    metastable continuations (informed from :math:`\alpha_{sp}^{inf}` to
    :math:`\alpha_{IT}`, uninformed from :math:`\alpha_{IT}` to the spinodal
    :math:`\alpha_{sp}`).  For these parameters
    :math:`\alpha_{sp}^{inf} = 0.1781 < \alpha_{IT} = 0.1930 < \alpha_{sp} = 0.2088`
    (:func:`statmech_learn.replica.transitions`).  Points: the MSE of GAMP from
    its uninformed start on finite instances (mean ± standard error over
    instances), which follows the uninformed branch, i.e. the state evolution
    from the uninformed start, and so stays at the large MSE throughout the
    metastable interval.  The branch curves stop at a relative distance
    ``EDGE`` = 2e-3 from the spinodals, where :func:`solve_branches` still
    resolves both fixed points.
(b) Phase diagram against :math:`\rho` at the same :math:`\Delta`: the
    information-theoretic transition :math:`\alpha_{IT}(\rho)`, the algorithmic
    threshold :math:`\alpha_{sp}(\rho)` (end of the uninformed branch, where AMP
    starts to succeed), the informed spinodal, and the noiseless
    information-theoretic bound :math:`\alpha = \rho` for reference.

Simulated loads
---------------
The sample-to-sample fluctuation of an instance is dominated by its number of
non-zero weights, :math:`N\rho \pm \sqrt{N\rho(1-\rho)}`; an instance with an
effective density :math:`\rho'` has its own spinodal :math:`\alpha_{sp}(\rho')`
(panel b).  The loads are chosen so that this does not move them to the other
side of a transition: below the metastable interval at 0.10 and 0.15 (and
0.125 in the full run), in its middle at 0.1935 (0.015 from both spinodals),
and above it at 0.30 (and 0.25 and 0.275 in the full run, n = 4000).  At
n = 1000 (``--quick``) the load 0.30 is the spinodal of :math:`\rho' \approx 0.16`,
six standard deviations of the density above 0.1, and 0.15 that of
:math:`\rho' \approx 0.07`, three below, whereas 0.23-0.25 is within two or
three standard deviations of the spinodal, where some finite instances stay
stuck (GAMP then wanders at MSE ~ 1e-2 without converging); at n = 4000, 0.25
is six standard deviations away.  Loads within 0.005 of a spinodal would not
test anything at these sizes.

Checks (``NAME.json``)
----------------------
``transitions``: :math:`\alpha_{sp}^{inf} < \alpha_{IT} < \alpha_{sp}`, all located
(``converged``), a first-order transition; ``above_noiseless_bound``: the informed
branch appears above the noiseless bound :math:`\alpha = \rho` at every density;
``phase_diagram``: the same ordering at
every :math:`\rho` of panel (b).

``amp_vs_state_evolution``: at the loads outside the metastable interval, the
mean GAMP MSE against the state evolution from the uninformed start
(:func:`statmech_learn.replica.state_evolution`, 500 steps), through
:func:`~statmech_learn.reproduce.base.mean_agreement`:
:math:`|\overline{\mathrm{MSE}} - \mathrm{SE}| \le t\,s + c\,\mathrm{SE}/\sqrt{N\rho}`
with :math:`s` the standard error over instances, :math:`t` the Bonferroni
Student-t quantile (family false-alarm probability 0.01) and ``FINITE_N`` =
:math:`c` = 2: the finite-size bias is allowed two relative standard deviations
of the number of non-zero weights (at n = 1000 the mean deviations seen over
several seeds are within about ±10 % below the transition and up to +8 % above
it, where single instances scatter by ±30 %).

``amp_stuck_in_metastable_interval``: at the loads strictly between the two
spinodals GAMP must stay on the uninformed branch: the mean MSE must exceed
``STUCK_FACTOR`` = 10 times the informed-branch MMSE at that load.
"""

from __future__ import annotations

import warnings
from functools import partial
from typing import cast

import numpy as np

from .. import replica as R
from ..errors import ConvergenceWarning
from ..gibbs import GaussBernoulliPrior, GaussianNoise
from ..sweep import Grid
from .base import Panel, Reproduction, ReproductionResult, RunContext, Series, Timer, mean_agreement

RHO = 0.1
DELTA = 1e-4
#: loads scanned by transitions() at every rho of the phase diagram
ALPHA_RANGE = (0.05, 1.0)
#: alpha axis of panel (a)
ALPHA_MIN, ALPHA_MAX = 0.08, 0.32
#: relative distance from the spinodals at which the branch curves stop
EDGE = 2e-3
#: transitions at RHO, DELTA (this library, xtol 1e-6), and the tolerance of the regression check
#: finite-size allowance c of the AMP check, in units of SE / sqrt(n rho)
FINITE_N = 2.0
#: inside the metastable interval AMP must stay above STUCK_FACTOR x the informed MMSE
STUCK_FACTOR = 10.0
#: steps of state evolution and maximum GAMP iterations
SE_STEPS = 500
AMP_ITER = 400


def _model(rho: float = RHO, delta: float = DELTA):
    return R.TeacherStudent(GaussBernoulliPrior(rho), GaussianNoise(delta))


def transition_point(rho: float, delta: float) -> dict:
    """Spinodals and first-order transition at one density (a sweep point)."""
    tr = R.transitions(_model(rho, delta), ALPHA_RANGE)
    return {
        "alpha_spinodal_informed": tr.alpha_spinodal_informed,
        "alpha_it": tr.alpha_it,
        "alpha_spinodal": tr.alpha_spinodal,
        "first_order": tr.first_order,
        "converged": tr.converged,
        "message": tr.message,
    }


def _pieces(
    part: str, alpha_spinodal_informed: float, alpha_it: float, alpha_spinodal: float, n_side: int, n_meta: int
) -> dict[str, np.ndarray]:
    """The alpha grids of panel (a): ``part`` "low" is the piece below the metastable interval and its
    lower half (up to alpha_it), "high" its upper half (from alpha_it) and the piece above it."""
    si, sp = alpha_spinodal_informed, alpha_spinodal
    if part == "low":
        return {
            "below": np.linspace(ALPHA_MIN, si * (1 - EDGE), n_side),
            "meta_lo": np.linspace(si * (1 + EDGE), alpha_it, n_meta),
        }
    if part == "high":
        return {
            "meta_hi": np.linspace(alpha_it, sp * (1 - EDGE), n_meta),
            "above": np.linspace(sp * (1 + EDGE), ALPHA_MAX, n_side),
        }
    raise ValueError(f"part must be 'low' or 'high', got {part!r}")


def branch_point(
    part: str,
    alpha_spinodal_informed: float,
    alpha_it: float,
    alpha_spinodal: float,
    n_side: int,
    n_meta: int,
    rho: float,
    delta: float,
) -> dict:
    """Both RS branches (MMSE = V) on the two alpha pieces of ``part`` (a sweep point; see :func:`_pieces`)."""
    pieces = _pieces(part, alpha_spinodal_informed, alpha_it, alpha_spinodal, n_side, n_meta)
    alphas = np.concatenate(list(pieces.values()))
    br = R.solve_branches(_model(rho, delta), alphas)
    u, i = br["uninformed"], br["informed"]
    return {
        "alphas": alphas,
        "mmse_uninformed": u.V,
        "mmse_informed": i.V,
        "converged": bool(np.all(np.asarray(u.converged)) and np.all(np.asarray(i.converged))),
    }


def amp_point(alpha: float, n: int, seed: int, rho: float = RHO, delta: float = DELTA, n_iter: int = AMP_ITER) -> dict:
    """GAMP from the uninformed start on one instance (a sweep point): MSE and convergence.

    A run that does not converge within ``n_iter`` iterations is recorded
    (``converged`` False, its last MSE kept), not warned about.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        run = R.amp(_model(rho, delta), n=n, alpha=alpha, rng=seed, n_iter=n_iter)
    return {"mse": run.mse, "converged": bool(run.converged), "amp_iterations": run.n_iter}


def _stats(values) -> tuple[float, float]:
    v = np.asarray(values, dtype=float)
    return float(v.mean()), float(v.std(ddof=1) / np.sqrt(v.size)) if v.size > 1 else 0.0


def compute(quick: bool = False, ctx: RunContext | None = None) -> ReproductionResult:
    """MMSE branches, transitions, AMP points and the rho phase diagram of compressed sensing."""
    ctx = ctx or RunContext(reproduction="compressed-sensing")
    n = 1000 if quick else 4000
    n_seeds = 10 if quick else 16
    amp_alphas = [0.1, 0.15, 0.1935, 0.3] if quick else [0.1, 0.125, 0.15, 0.1935, 0.25, 0.275, 0.3]
    rhos = [0.05, 0.1, 0.2, 0.3, 0.45, 0.6] if quick else np.round(np.linspace(0.05, 0.6, 23), 6).tolist()
    n_side, n_meta = (16, 8) if quick else (40, 20)
    timer = Timer()

    with timer.stage("transitions"):
        phase = ctx.sweep(transition_point, Grid(rho=rhos, delta=[DELTA]), "transitions")
    rec = phase.select(rho=RHO).records[0]
    a_si, a_it, a_sp = rec["alpha_spinodal_informed"], rec["alpha_it"], rec["alpha_spinodal"]
    ordered = bool(a_si < a_it < a_sp)
    if not (ordered and rec["converged"]):
        raise RuntimeError(f"transitions at rho={RHO}, Delta={DELTA} not located: {rec['message']}")

    with timer.stage("branches"):
        grid = Grid(
            part=["low", "high"],
            alpha_spinodal_informed=[a_si],
            alpha_it=[a_it],
            alpha_spinodal=[a_sp],
            n_side=[n_side],
            n_meta=[n_meta],
            rho=[RHO],
            delta=[DELTA],
        )
        table = ctx.sweep(branch_point, grid, "branches")
    br, pieces = {}, {}
    for r in table.records:
        start = 0
        for name, grid_x in _pieces(r["part"], a_si, a_it, a_sp, n_side, n_meta).items():
            stop = start + grid_x.size
            br[name] = {
                k: np.asarray(r[k], dtype=float)[start:stop] for k in ("alphas", "mmse_uninformed", "mmse_informed")
            }
            pieces[name] = [float(grid_x[0]), float(grid_x[-1]), int(grid_x.size)]
            start = stop
    branches_converged = all(r["converged"] for r in table.records)

    with timer.stage("amp"):
        grid = Grid(alpha=amp_alphas, n=[n], seed=range(n_seeds), base_seed=ctx.seed)
        amp_table = ctx.sweep(partial(amp_point, n_iter=AMP_ITER), grid, "amp")
    inside = [k for k, a in enumerate(amp_alphas) if a_si < a < a_sp]
    outside = [k for k in range(len(amp_alphas)) if k not in inside]
    with timer.stage("state_evolution"):
        # from the uninformed start (V0 = rho) at every load; from an informed start (V0 = 1e-6 rho) at the
        # loads inside the metastable interval, where it converges to the informed branch
        a_se = np.array(amp_alphas + [amp_alphas[k] for k in inside])
        v0 = np.concatenate([np.full(len(amp_alphas), RHO), np.full(len(inside), 1e-6 * RHO)])
        se = cast(R.StateEvolution, R.state_evolution(_model(), a_se, n_iter=SE_STEPS, V0=v0))
        v_end = np.asarray(se.V_history)[..., -1]
        se_mse, informed_mse = v_end[: len(amp_alphas)], v_end[len(amp_alphas) :]
        se_converged = bool(np.all(np.asarray(se.converged)))

    am_list, ae_list, n_conv = [], [], []
    for a in amp_alphas:
        recs = amp_table.select(alpha=a).records
        mean, err = _stats([r["mse"] for r in recs])
        am_list.append(mean)
        ae_list.append(err)
        n_conv.append(sum(bool(r["converged"]) for r in recs))
    am, ae = np.array(am_list), np.array(ae_list)

    # ---- series
    lo, hi, ab, be = br["meta_lo"], br["meta_hi"], br["above"], br["below"]
    # a piece where solve_branches returned one fixed point for both branches is dropped
    distinct_lo = np.abs(lo["mmse_uninformed"] - lo["mmse_informed"]) > 1e-6 * lo["mmse_uninformed"]
    distinct_hi = np.abs(hi["mmse_uninformed"] - hi["mmse_informed"]) > 1e-6 * hi["mmse_uninformed"]
    series = [
        Series(
            "MMSE, uninformed branch (AMP's fixed point)",
            "theory",
            "a",
            np.concatenate([be["alphas"], lo["alphas"]]),
            np.concatenate([be["mmse_uninformed"], lo["mmse_uninformed"]]),
            group="u",
        ),
        Series(
            "uninformed branch, metastable",
            "theory",
            "a",
            hi["alphas"][distinct_hi],
            hi["mmse_uninformed"][distinct_hi],
            group="u",
            style="--",
        ),
        Series(
            "MMSE, informed branch",
            "theory",
            "a",
            np.concatenate([hi["alphas"], ab["alphas"]]),
            np.concatenate([hi["mmse_informed"], ab["mmse_informed"]]),
            group="i",
        ),
        Series(
            "informed branch, metastable",
            "theory",
            "a",
            lo["alphas"][distinct_lo],
            lo["mmse_informed"][distinct_lo],
            group="i",
            style="--",
        ),
        Series(
            f"GAMP, n={n} ({n_seeds} instances)",
            "simulation",
            "a",
            amp_alphas,
            am,
            yerr=ae,
            group="amp",
            style="o",
            extra={
                "n": np.full(len(amp_alphas), n),
                "n_instances": np.full(len(amp_alphas), n_seeds),
                "n_converged": np.array(n_conv),
                "state_evolution_mse": se_mse,
            },
        ),
    ]
    pr = np.array([r["rho"] for r in phase.records])
    ok = np.array([bool(r["converged"] and r["first_order"]) for r in phase.records])

    def col(key):
        return np.array([r[key] for r in phase.records], dtype=float)[ok]

    series += [
        Series(
            r"$\alpha_{sp}(\rho)$: algorithmic threshold (AMP)",
            "theory",
            "b",
            pr[ok],
            col("alpha_spinodal"),
            group="u",
            style=".-",
        ),
        Series(r"$\alpha_{IT}(\rho)$", "theory", "b", pr[ok], col("alpha_it"), group="i", style=".-"),
        Series(
            r"$\alpha_{sp}^{inf}(\rho)$: informed branch appears",
            "theory",
            "b",
            pr[ok],
            col("alpha_spinodal_informed"),
            group="si",
            style="--",
        ),
        Series(
            r"$\alpha = \rho$ (noiseless IT bound)",
            "theory",
            "b",
            [0.0, max(rhos)],
            [0.0, max(rhos)],
            group="ref",
            style=":",
        ),
    ]
    vl = [(a_si, r"$\alpha_{sp}^{inf}$"), (a_it, r"$\alpha_{IT}$"), (a_sp, r"$\alpha_{sp}$")]
    panels = [
        Panel(
            "a",
            r"$\alpha = P/N$",
            "mean-squared error",
            rf"(a) MMSE branches and GAMP, $\rho$={RHO:g}, $\Delta$={DELTA:g}",
            vlines=vl,
            yscale="log",
            ylim=(2e-5, 0.5),
            legend="lower left",
        ),
        Panel(
            "b",
            r"density $\rho$",
            r"$\alpha = P/N$",
            rf"(b) phase diagram, $\Delta$={DELTA:g}",
            vlines=[(RHO, rf"$\rho$={RHO:g} (panel a)")],
            legend="lower right",
        ),
    ]

    # ---- checks
    tr_check = {
        "alpha_spinodal_informed": a_si,
        "alpha_it": a_it,
        "alpha_spinodal": a_sp,
        "first_order": bool(rec["first_order"]),
        "converged": bool(rec["converged"]),
        "ordered": ordered,
        "message": rec["message"],
        "pass": bool(ordered and rec["converged"] and rec["first_order"]),
    }
    # the informed branch needs more measurements than nonzero unknowns (the noiseless
    # information-theoretic bound alpha = rho, Wu & Verdu 2012), at every density of panel (b)
    above_bound = [bool(r["alpha_spinodal_informed"] > rho_) for r, rho_ in zip(phase.records, pr)]
    ref_check = {
        "rule": "alpha_spinodal_informed(rho) > rho",
        "rho": pr.tolist(),
        "alpha_spinodal_informed": [r["alpha_spinodal_informed"] for r in phase.records],
        "pass": bool(all(above_bound)),
    }
    ordered_all = [bool(r["alpha_spinodal_informed"] < r["alpha_it"] < r["alpha_spinodal"]) for r in phase.records]
    phase_check = {
        "rho": pr.tolist(),
        "alpha_it": [r["alpha_it"] for r in phase.records],
        "alpha_spinodal": [r["alpha_spinodal"] for r in phase.records],
        "converged": [bool(r["converged"]) for r in phase.records],
        "ordered": ordered_all,
        "pass": bool(np.all(ok) and all(ordered_all)),
    }

    allowance = FINITE_N * se_mse[outside] / np.sqrt(n * RHO)
    agree = mean_agreement(am[outside], ae[outside], se_mse[outside], n_seeds, allowance=allowance)
    agree.update(
        alpha=[amp_alphas[k] for k in outside],
        amp_mse_mean=am[outside].tolist(),
        amp_mse_stderr=ae[outside].tolist(),
        state_evolution_mse=se_mse[outside].tolist(),
        relative_deviation=((am[outside] - se_mse[outside]) / se_mse[outside]).tolist(),
        n_converged=[n_conv[k] for k in outside],
        finite_n_constant=FINITE_N,
        rule="|mean - SE| <= t * stderr + c * SE / sqrt(n * rho)",
    )
    stuck = {
        "alpha": [amp_alphas[k] for k in inside],
        "amp_mse_mean": am[inside].tolist(),
        "amp_mse_stderr": ae[inside].tolist(),
        "informed_mmse": informed_mse.tolist(),
        "state_evolution_mse": se_mse[inside].tolist(),
        "n_converged": [n_conv[k] for k in inside],
        "factor": STUCK_FACTOR,
        "rule": "mean > factor * informed MMSE",
        "pass": bool(inside) and bool(np.all(am[inside] > STUCK_FACTOR * informed_mse)),
    }
    checks = {
        "transitions": tr_check,
        "above_noiseless_bound": ref_check,
        "phase_diagram": phase_check,
        "theory_converged": {
            "branches": branches_converged,
            "state_evolution": se_converged,
            "pass": branches_converged and se_converged,
        },
        "amp_vs_state_evolution": agree,
        "amp_stuck_in_metastable_interval": stuck,
    }

    params = dict(
        rho=RHO,
        delta=DELTA,
        n=n,
        n_seeds=n_seeds,
        amp_alphas=amp_alphas,
        amp_iterations=AMP_ITER,
        state_evolution_steps=SE_STEPS,
        rhos=rhos,
        alpha_range=list(ALPHA_RANGE),
        branch_pieces=pieces,
        quick=quick,
        seed=ctx.seed,
    )
    return ReproductionResult(
        "compressed-sensing",
        rf"Compressed sensing, Gauss-Bernoulli prior $\rho$={RHO:g}, noise $\Delta$={DELTA:g}: "
        r"$\alpha_{sp}^{inf}$=%.4f < $\alpha_{IT}$=%.4f < $\alpha_{sp}$=%.4f (AMP threshold)" % (a_si, a_it, a_sp),
        params,
        series,
        panels,
        timer.timings,
        checks,
    )


REPRODUCTION = Reproduction(
    "compressed-sensing",
    "sparse (rho = 0.1) Gauss-Bernoulli prior, Delta = 1e-4: MMSE branches, alpha_it = 0.193, AMP stuck until "
    "0.209, phase diagram against rho",
    compute,
)
