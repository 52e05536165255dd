"""Gardner's capacity diagram: alpha_c(kappa) for spherical and +-1 weights,
against the Monte Carlo separability transition of finite instances.

Panels
------
(a) alpha_c(kappa): spherical (Gardner 1988), +-1 weights (zero RS entropy,
    Krauth & Mezard 1989) and the RS q -> 1 point of +-1 weights (Gardner &
    Derrida 1988); Monte Carlo half-crossing points at finite n.
(b) spherical weights, kappa = 0: separable fraction against alpha at two
    sizes, Monte Carlo points against Cover's exact finite-n fraction.
(c) +-1 weights, kappa = 0: separable fraction by exhaustive enumeration at
    growing n.
(d) +-1 weights: the load where the finite-n fraction crosses 1/2, against
    1/n, drifting toward alpha_c = 0.833 as n grows.
"""

from __future__ import annotations

import numpy as np

from .. import capacity
from ..capacity.transition import half_crossing
from .._validation import as_rng
from .base import Panel, Reproduction, ReproductionResult, Series, Timer


def _settings(quick: bool) -> dict:
    if quick:
        return dict(
            kappas_theory=np.linspace(0.0, 2.0, 11),
            sph_sizes=[25, 50],
            sph_alphas=np.round(np.linspace(1.0, 3.0, 21), 10),
            sph_samples=100,
            margin_kappas=[0.5, 1.0],
            margin_n=None,
            margin_samples=60,
            bin_sizes=[8, 12, 16],
            bin_alphas=np.round(np.linspace(0.25, 1.5, 26), 10),
            bin_samples=60,
        )
    return dict(
        kappas_theory=np.linspace(0.0, 2.0, 41),
        sph_sizes=[50, 100],
        sph_alphas=np.round(np.linspace(1.0, 3.0, 21), 10),
        sph_samples=200,
        margin_kappas=[0.5, 1.0],
        margin_n=None,
        margin_samples=200,
        bin_sizes=[8, 12, 16, 20],
        bin_alphas=np.round(np.linspace(0.25, 1.5, 51), 10),
        bin_samples=200,
    )


def compute(quick: bool = False, workers: int = 1, rng=0) -> ReproductionResult:
    """Theory curves and Monte Carlo points of the capacity diagram."""
    cfg = _settings(quick)
    rng = as_rng(rng)
    timer = Timer()
    series: list[Series] = []
    checks: dict = {}

    kappas = cfg["kappas_theory"]
    with timer.stage("theory"):
        ac_sph = np.array([capacity.gardner_capacity(k) for k in kappas])
        ac_bin = np.array([capacity.gardner_capacity(k, "binary", xtol=1e-10) for k in kappas])
        ac_gd = np.array([capacity.gardner_derrida_capacity(k) for k in kappas])
    series += [
        Series("spherical: Gardner", "theory", "a", kappas, ac_sph, group="sph"),
        Series("±1: zero RS entropy (KM)", "theory", "a", kappas, ac_bin, group="bin"),
        Series("±1: RS q→1 (Gardner-Derrida)", "theory", "a", kappas, ac_gd, group="bin", style="--"),
    ]
    checks["alpha_c_spherical_kappa0"] = float(ac_sph[0])
    checks["alpha_c_binary_kappa0"] = float(ac_bin[0])

    # (b) spherical weights, kappa = 0, against Cover's finite-n fraction
    alphas = cfg["sph_alphas"]
    cross_k, cross_a, cross_e = [], [], []
    with timer.stage("monte_carlo_spherical"):
        for n in cfg["sph_sizes"]:
            curve = capacity.separability_curve(
                alphas, n=n, n_samples=cfg["sph_samples"], kappa=0.0, rng=rng, workers=workers
            )
            p_cover = capacity.cover_fraction(np.round(alphas * n).astype(int), n)
            dense = np.linspace(alphas[0], alphas[-1], 401)
            series.append(Series(f"Cover, n={n}", "theory", "b", dense,
                                 capacity.cover_fraction(np.round(dense * n).astype(int), n), group=f"n{n}"))
            series.append(Series(f"Monte Carlo, n={n}", "simulation", "b", alphas, curve.p, yerr=curve.stderr,
                                 group=f"n{n}", extra={"n": np.full(alphas.shape, n),
                                                      "n_samples": np.full(alphas.shape, cfg["sph_samples"])}))
            sigma = np.sqrt(np.maximum(p_cover * (1 - p_cover), 0.0) / cfg["sph_samples"])
            z = np.abs(curve.p - p_cover) / np.maximum(sigma, 1.0 / cfg["sph_samples"])
            a_half, a_err = half_crossing(alphas, curve.p, curve.stderr)
            checks[f"spherical_n{n}"] = {"max_abs_z_vs_cover": float(z.max()), "alpha_half": a_half,
                                         "alpha_half_err": a_err}
            if n == max(cfg["sph_sizes"]):
                cross_k.append(0.0), cross_a.append(a_half), cross_e.append(a_err)

    # margins kappa > 0 (spherical): half-crossing at one size
    n = cfg["margin_n"] = max(cfg["sph_sizes"])
    with timer.stage("monte_carlo_margin"):
        for k in cfg["margin_kappas"]:
            ac = capacity.gardner_capacity(k)
            grid = np.round(np.linspace(0.5 * ac, 1.5 * ac, 21), 10)
            curve = capacity.separability_curve(grid, n=n, n_samples=cfg["margin_samples"], kappa=k, rng=rng,
                                                workers=workers)
            a_half, a_err = half_crossing(grid, curve.p, curve.stderr)
            cross_k.append(k), cross_a.append(a_half), cross_e.append(a_err)
            checks[f"spherical_kappa{k:g}_n{n}"] = {"alpha_half": a_half, "alpha_half_err": a_err,
                                                    "alpha_c": ac}
    series.append(Series(f"spherical MC ½-crossing, n={n}", "simulation", "a",
                         cross_k, cross_a, yerr=cross_e, group="sph", style="s"))

    # (c) +-1 weights, exhaustive enumeration
    alphas_b = cfg["bin_alphas"]
    bk, ba, be = [], [], []
    with timer.stage("monte_carlo_binary"):
        for n in cfg["bin_sizes"]:
            grid = np.unique(np.round(alphas_b * n)) / n  # distinct pattern counts only
            grid = grid[grid > 0]
            curve = capacity.separability_curve(grid, n=n, n_samples=cfg["bin_samples"], kappa=0.0,
                                                weights="binary", rng=rng, workers=workers)
            series.append(Series(f"±1 enumeration, n={n}", "simulation", "c", grid, curve.p, yerr=curve.stderr,
                                 group=f"b{n}", style="o-",
                                 extra={"n": np.full(grid.shape, n),
                                        "n_samples": np.full(grid.shape, cfg["bin_samples"])}))
            a_half, a_err = half_crossing(grid, curve.p, curve.stderr)
            bk.append(1.0 / n), ba.append(a_half), be.append(a_err)
            checks[f"binary_n{n}"] = {"alpha_half": a_half, "alpha_half_err": a_err}
    series.append(Series("±1 enumeration: ½-crossing", "simulation", "d", bk, ba, yerr=be, group="bin", style="D",
                         extra={"n": np.array(cfg["bin_sizes"])}))
    series.append(Series("Krauth-Mézard α_c (n → ∞)", "theory", "d", [0.0, 1.05 * max(bk)], [ac_bin[0], ac_bin[0]],
                         group="bin", style="--"))

    panels = [
        Panel("a", r"margin $\kappa$", r"capacity $\alpha_c$", "(a) storage capacity",
              ylim=(0.0, 2.2)),
        Panel("b", r"$\alpha = P/N$", "P(separable)", r"(b) spherical, $\kappa=0$: MC vs Cover",
              vlines=[(2.0, r"$\alpha_c=2$")]),
        Panel("c", r"$\alpha = P/N$", "P(separable)", r"(c) $\pm1$ weights, $\kappa=0$: enumeration",
              vlines=[(float(ac_bin[0]), r"$\alpha_c=0.833$"), (4 / np.pi, r"$4/\pi$")]),
        Panel("d", r"$1/n$", r"$\alpha$ where P(separable) = 1/2", r"(d) $\pm1$ weights: finite-$n$ drift"),
    ]
    params = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in cfg.items()}
    params.update(quick=quick, workers=workers)
    return ReproductionResult("gardner", "Perceptron capacity: Gardner's replica volume vs. finite-size Monte Carlo",
                              params, series, panels, timer.timings, checks)


REPRODUCTION = Reproduction(
    "gardner",
    "alpha_c(kappa) for spherical and ±1 weights (replica theory) vs Monte Carlo separability of finite instances",
    compute,
)
