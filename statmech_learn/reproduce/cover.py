"""Cover's theorem: the exact finite-n separable fraction against Monte Carlo
linear separability of Gaussian points with random labels, at several n."""

from __future__ import annotations

import numpy as np

from functools import partial

from .. import capacity
from ..capacity import separable_prefixes
from ..capacity.transition import half_crossing
from ..sweep import Grid
from . import prefix_curve
from .base import Panel, Reproduction, ReproductionResult, RunContext, Series, Timer


def compute(quick: bool = False, ctx: RunContext | None = None) -> ReproductionResult:
    """Cover's fraction C(P, N)/2^P (lines) and Monte Carlo (points) at several N."""
    ctx = ctx or RunContext(reproduction="cover")
    sizes = [10, 25, 50] if quick else [10, 25, 50, 100, 200]
    n_samples = 100 if quick else 300
    per_chunk = 10
    alphas = np.round(np.linspace(0.5, 3.5, 31), 10)
    timer = Timer()
    series: list[Series] = []
    checks: dict = {}
    dense = np.linspace(0.5, 3.5, 601)
    series.append(Series("N → ∞", "theory", "a", [0.5, 2.0, 2.0, 3.5], [1.0, 1.0, 0.0, 0.0], group="inf", style="--"))
    grid = Grid.zip(n=sizes, p_max=[int(round(alphas.max() * n)) for n in sizes], base_seed=ctx.seed) * Grid(
        seed=range(n_samples // per_chunk))
    with timer.stage("monte_carlo"):
        table = ctx.sweep(partial(separable_prefixes, n_instances=per_chunk), grid, "prefixes")
    for n in sizes:
        prefixes = np.concatenate([r["prefixes"] for r in table.select(n=n).records])
        grid_n = np.unique(np.round(alphas * n)) / n
        p, err = prefix_curve(prefixes, grid_n, n)
        exact = capacity.cover_fraction(np.round(grid_n * n).astype(int), n)
        series.append(Series(f"Cover, N={n}", "theory", "a", dense,
                             capacity.cover_fraction(np.maximum(np.round(dense * n), 1).astype(int), n),
                             group=f"n{n}"))
        series.append(Series(f"Monte Carlo, N={n}", "simulation", "a", grid_n, p, yerr=err, group=f"n{n}",
                             extra={"n": np.full(grid_n.shape, n), "n_samples": np.full(grid_n.shape, n_samples),
                                    "cover_exact": exact}))
        sigma = np.sqrt(exact * (1 - exact) / n_samples)
        z = np.abs(p - exact) / np.maximum(sigma, 1.0 / n_samples)
        a_half, a_err = half_crossing(grid_n, p, err)
        checks[f"n{n}"] = {"max_abs_z_vs_cover": float(z.max()), "alpha_half": a_half,
                           "alpha_half_err": a_err, "width_10_90": capacity.cover_transition_width(n)}
    panels = [Panel("a", r"$\alpha = P/N$", "P(separable)", "Cover (1965): C(P,N)/2^P vs Monte Carlo",
                    vlines=[(2.0, r"$\alpha_c=2$")])]
    params = dict(sizes=sizes, n_samples=n_samples, alphas=alphas.tolist(), quick=quick, seed=ctx.seed)
    return ReproductionResult("cover", "Cover's function counting vs. linear-programming separability", params,
                              series, panels, timer.timings, checks)


REPRODUCTION = Reproduction(
    "cover", "Cover's exact finite-N separable fraction vs Monte Carlo separability at several N", compute
)
