"""Cover's theorem: the exact finite-n separable fraction against Monte Carlo
linear separability of Gaussian points with random labels, at several n.

Every Monte Carlo point is an exact decision on ``n_samples`` independent
instances, so its count of separable instances is exactly
Binomial(n_samples, C(P, n)/2^P) (Cover 1965); :func:`binomial_agreement`
turns that into a pass/fail verdict.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from .. import capacity
from ..capacity import separable_prefixes
from ..capacity.transition import half_crossing
from ..sweep import Grid
from . import prefix_curve
from .base import Panel, Reproduction, ReproductionResult, RunContext, Series, Timer

#: Family-wise false-alarm probability of one theory-vs-simulation verdict.
FAMILY_ALPHA = 0.01


def binomial_agreement(k, n_samples: int, p_exact, family_alpha: float = FAMILY_ALPHA) -> dict:
    r"""Verdict on Monte Carlo counts ``k`` (of ``n_samples`` each) against exact probabilities.

    Each point gets its exact two-sided binomial p-value
    :math:`\pi_i = \min(1, 2\min(\Pr[X\le k_i], \Pr[X\ge k_i]))`, X ~ Bin(n_samples, p_i),
    reported as the equivalent normal score :math:`z_i = \Phi^{-1}(1-\pi_i/2)`.  The curve
    passes if :math:`\max_i z_i \le z_{tol} = \Phi^{-1}(1 - \text{family\_alpha}/(2m))`
    for m points (Bonferroni), i.e. if every :math:`\pi_i \ge` family_alpha/m.  Valid
    for dependent points too (nested prefixes): a correct simulation fails with
    probability at most ``family_alpha``.

    Returns
    -------
    dict
        ``max_z, tolerance_z, n_points, n_samples, family_alpha, pass``.
    """
    from scipy.stats import binom, norm

    k = np.asarray(k, dtype=float)
    p_exact = np.clip(np.asarray(p_exact, dtype=float), 0.0, 1.0)
    lower = binom.cdf(k, n_samples, p_exact)
    upper = binom.sf(k - 1, n_samples, p_exact)
    pval = np.minimum(1.0, 2.0 * np.minimum(lower, upper))
    z = norm.isf(np.maximum(pval / 2.0, 1e-300))  # 37.5 at most: finite in the JSON
    m = int(k.size)
    tol = float(norm.isf(family_alpha / (2 * m)))
    return {
        "max_z": float(z.max()),
        "tolerance_z": tol,
        "n_points": m,
        "n_samples": int(n_samples),
        "family_alpha": family_alpha,
        "pass": bool(z.max() <= tol),
    }


def compute(quick: bool = False, ctx: RunContext | None = None) -> ReproductionResult:
    """Cover's fraction C(P, n)/2^P (lines) and Monte Carlo (points) at several n."""
    ctx = ctx or RunContext(reproduction="cover")
    sizes = [10, 25, 50] if quick else [10, 25, 50, 100, 200]
    n_samples = 100 if quick else 300
    per_chunk = 10
    alphas = np.round(np.linspace(0.5, 3.5, 31), 10)
    timer = Timer()
    series: list[Series] = []
    checks: dict = {}
    dense = np.linspace(0.5, 3.5, 601)
    series.append(Series("n → ∞", "theory", "a", [0.5, 2.0, 2.0, 3.5], [1.0, 1.0, 0.0, 0.0], group="inf", style="--"))
    grid = Grid.zip(n=sizes, p_max=[int(round(alphas.max() * n)) for n in sizes], base_seed=ctx.seed) * Grid(
        seed=range(n_samples // per_chunk)
    )
    with timer.stage("monte_carlo"):
        table = ctx.sweep(partial(separable_prefixes, n_instances=per_chunk), grid, "prefixes")
    for n in sizes:
        prefixes = np.concatenate([r["prefixes"] for r in table.select(n=n).records])
        grid_n = np.unique(np.round(alphas * n)) / n
        p, err = prefix_curve(prefixes, grid_n, n)
        exact = capacity.cover_fraction(np.round(grid_n * n).astype(int), n)
        series.append(
            Series(
                f"Cover, n={n}",
                "theory",
                "a",
                dense,
                capacity.cover_fraction(np.maximum(np.round(dense * n), 1).astype(int), n),
                group=f"n{n}",
            )
        )
        series.append(
            Series(
                f"Monte Carlo, n={n}",
                "simulation",
                "a",
                grid_n,
                p,
                yerr=err,
                group=f"n{n}",
                extra={
                    "n": np.full(grid_n.shape, n),
                    "n_samples": np.full(grid_n.shape, prefixes.size),
                    "cover_exact": exact,
                },
            )
        )
        a_half, a_err = half_crossing(grid_n, p, err)
        checks[f"n{n}"] = {
            "vs_cover": binomial_agreement(np.round(p * prefixes.size), prefixes.size, exact),
            "alpha_half": a_half,
            "alpha_half_err": a_err,
            "width_10_90": capacity.cover_transition_width(n),
        }
    panels = [
        Panel(
            "a",
            r"$\alpha = P/n$",
            "P(separable)",
            "Cover (1965): C(P,n)/2^P vs Monte Carlo",
            vlines=[(2.0, r"$\alpha_c=2$")],
        )
    ]
    params = dict(sizes=sizes, n_samples=n_samples, alphas=alphas.tolist(), quick=quick, seed=ctx.seed)
    return ReproductionResult(
        "cover",
        "Cover's function counting vs. linear-programming separability",
        params,
        series,
        panels,
        timer.timings,
        checks,
    )


REPRODUCTION = Reproduction(
    "cover", "Cover's exact finite-n separable fraction vs Monte Carlo separability at several n", compute
)
