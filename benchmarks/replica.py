"""Benchmark: the Bayes-optimal binary-perceptron curve (200 loads) against a scipy.quad reference.

The reference evaluates the same RS equations point by point with
``scipy.integrate.quad``: for each alpha it scans h(u) = log F_alpha(e^u) - u on
a coarse grid of u = log V and refines the largest downward crossing (the
uninformed branch) with ``brentq``.  The project's solver
(:mod:`statmech_learn.replica.bayes`) tabulates the alpha-independent channel
function once and polishes all roots together.

Run:  python benchmarks/replica.py [--quick]
Also runs benchmarks/replica_erm.py (logistic ERM) when present.
"""

from __future__ import annotations

import argparse
import os
import runpy
import time

import numpy as np
from scipy.integrate import quad
from scipy.optimize import brentq

import statmech_learn as sml
from statmech_learn.gaussian import hazard, phi


def _g_hat(V: float) -> float:
    """Channel conjugate per unit load, sign channel, Bayes-optimal, rho = 1, q = 1 - V."""
    q = 1.0 - V
    sv, sq = np.sqrt(V), np.sqrt(q)

    def f(xi):
        x = sq * xi / sv  # label y = +1; y = -1 is the mirror image.  phi(x)^2/H(-x) = phi(x) hazard(-x)
        return 2.0 * phi(xi) * phi(x) * hazard(-x) / V

    w = sv / sq
    cuts = [-np.inf, -50 * w, -w, 0.0, w, 50 * w, np.inf]
    return sum(quad(f, a, b, epsabs=0, epsrel=1e-13, limit=400)[0] for a, b in zip(cuts[:-1], cuts[1:]))


def _v_prior(qh: float) -> float:
    """E sech^2(qh + sqrt(qh) xi): posterior variance of a ±1 weight (teacher +1 by symmetry)."""
    s = np.sqrt(qh)

    def f(xi):
        return phi(xi) / np.cosh(min(abs(qh + s * xi), 350.0)) ** 2

    c = -s  # where the argument vanishes
    return sum(
        quad(f, a, b, epsabs=1e-300, epsrel=1e-13, limit=400)[0]
        for a, b in [(-np.inf, c - 1), (c - 1, c + 1), (c + 1, np.inf)]
    )


def reference_uninformed_q(alpha: float) -> float:
    def h(u):
        V = np.exp(u)
        vn = _v_prior(alpha * _g_hat(V))
        return np.log(vn) - u if vn > 0 else -np.inf

    grid = np.linspace(np.log(1e-6), 0.0, 40)[::-1]  # from V = 1 downwards
    vals = [h(u) for u in grid]
    for k in range(1, len(grid)):
        if vals[k] > 0 > vals[k - 1]:
            u = brentq(h, grid[k], grid[k - 1], xtol=1e-14, rtol=1e-14)
            return 1.0 - np.exp(u)
    return 1.0  # no uninformed fixed point: AMP reaches perfect recovery


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="reference on 10 loads only")
    args = ap.parse_args()
    bo = sml.TeacherStudent(prior="binary", channel="sign")
    alphas = np.linspace(0.05, 2.0, 200)
    sml.replica.solve(bo, alphas[:3], init="uninformed")  # warm caches
    t0 = time.perf_counter()
    curve = sml.replica.solve(bo, alphas, init="uninformed")
    t_fast = time.perf_counter() - t0
    idx = np.arange(0, 200, 20) if args.quick else np.arange(200)
    t0 = time.perf_counter()
    q_ref = np.array([reference_uninformed_q(a) for a in alphas[idx]])
    t_ref = (time.perf_counter() - t0) * 200 / idx.size
    err = np.max(np.abs(curve.q[idx] - q_ref))
    print("Bayes-optimal binary perceptron, uninformed branch, 200 loads in [0.05, 2]")
    print(f"{'method':<40} {'time (s)':>10} {'per load (ms)':>14} {'speed-up':>9}")
    print(f"{'scipy.quad point by point (reference)':<40} {t_ref:10.2f} {1e3 * t_ref / 200:14.2f} {1.0:9.1f}")
    print(f"{'statmech_learn.replica.solve':<40} {t_fast:10.3f} {1e3 * t_fast / 200:14.3f} {t_ref / t_fast:9.1f}")
    print(f"max |q - q_ref| over {idx.size} loads: {err:.2e}; all converged: {bool(np.all(curve.converged))}")
    if args.quick:
        print("(--quick: reference time extrapolated from 10 loads)")
    erm = os.path.join(os.path.dirname(__file__), "replica_erm.py")
    if os.path.exists(erm):
        print()
        runpy.run_path(erm, run_name="__main__")


if __name__ == "__main__":
    main()
