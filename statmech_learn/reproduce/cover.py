"""Cover's theorem: the exact finite-n separable fraction against Monte Carlo
linear separability of Gaussian points with random labels, at several n."""

from __future__ import annotations

import numpy as np

from .. import capacity
from ..capacity.transition import half_crossing
from .._validation import as_rng
from .base import Panel, Reproduction, ReproductionResult, Series, Timer


def compute(quick: bool = False, workers: int = 1, rng=0) -> ReproductionResult:
    """Cover's fraction C(P, N)/2^P (lines) and Monte Carlo (points) at several N."""
    sizes = [10, 25, 50] if quick else [10, 25, 50, 100, 200]
    n_samples = 100 if quick else 300
    alphas = np.round(np.linspace(0.5, 3.5, 31), 10)
    rng = as_rng(rng)
    timer = Timer()
    series: list[Series] = []
    checks: dict = {}
    dense = np.linspace(0.5, 3.5, 601)
    series.append(Series("N → ∞", "theory", "a", [0.5, 2.0, 2.0, 3.5], [1.0, 1.0, 0.0, 0.0], group="inf", style="k--"))
    with timer.stage("monte_carlo"):
        for n in sizes:
            grid = np.unique(np.round(alphas * n)) / n
            curve = capacity.separability_curve(grid, n=n, n_samples=n_samples, rng=rng, workers=workers)
            exact = capacity.cover_fraction(np.round(grid * n).astype(int), n)
            series.append(Series(f"Cover, N={n}", "theory", "a", dense,
                                 capacity.cover_fraction(np.maximum(np.round(dense * n), 1).astype(int), n),
                                 group=f"n{n}"))
            series.append(Series(f"Monte Carlo, N={n}", "simulation", "a", grid, curve.p, yerr=curve.stderr,
                                 group=f"n{n}", extra={"n": np.full(grid.shape, n),
                                                      "n_samples": np.full(grid.shape, n_samples),
                                                      "cover_exact": exact}))
            sigma = np.sqrt(exact * (1 - exact) / n_samples)
            z = np.abs(curve.p - exact) / np.maximum(sigma, 1.0 / n_samples)
            a_half, a_err = half_crossing(grid, curve.p, curve.stderr)
            checks[f"n{n}"] = {"max_abs_z_vs_cover": float(z.max()), "alpha_half": a_half,
                               "alpha_half_err": a_err, "width_10_90": capacity.cover_transition_width(n)}
    panels = [Panel("a", r"$\alpha = P/N$", "P(separable)", "Cover (1965): C(P,N)/2^P vs Monte Carlo",
                    vlines=[(2.0, r"$\alpha_c=2$")])]
    params = dict(sizes=sizes, n_samples=n_samples, alphas=alphas.tolist(), quick=quick, workers=workers)
    return ReproductionResult("cover", "Cover's function counting vs. linear-programming separability", params,
                              series, panels, timer.timings, checks)


REPRODUCTION = Reproduction(
    "cover", "Cover's exact finite-N separable fraction vs Monte Carlo separability at several N", compute
)
