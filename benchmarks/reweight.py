"""Reweighting and stochastic dynamics: sampler, SGD and Langevin throughput.

Usage::

    python benchmarks/reweight.py [--quick]

1. *Error-carry sampler.*  ``reweight.AdjustedBatchSampler`` over 10^6 samples with log-normal
   weights (DeltaH ~ N(0, 0.5^2)), weights scaled to mean 1, target adjusted size 64: batches per
   second over one epoch (best of 3).  Target: more than 10^4 batches per second.
2. *Minibatch SGD.*  ``dynamics.simulate_sgd`` on a linear regression (n = 2000 samples, d = 10,
   batch size 8, learning rate 0.05) with 64 chains, against a plain single-chain Python loop written
   here (one minibatch gradient per step with numpy): chain-steps per second.  Target: at least 10x.
3. *Langevin (MALA).*  ``dynamics.langevin`` on a 10-dimensional Gaussian energy with 64 chains,
   against a plain single-chain MALA loop written here: chain-steps per second.  Target: at least 10x.

``--quick`` takes fewer steps and one repeat.  Timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

try:
    import statmech_learn  # noqa: F401
except ImportError:  # running from a source checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _tables import best_of, markdown

from statmech_learn import dynamics
from statmech_learn.reweight import AdjustedBatchSampler

N_SAMPLER, TARGET_BATCH = 10**6, 64.0
D, N_DATA, BATCH, LR, CHAINS = 10, 2000, 8, 0.05, 64


def sampler_rate(repeats: int) -> tuple[float, int]:
    delta_h = 0.5 * np.random.default_rng(0).standard_normal(N_SAMPLER)
    sampler = AdjustedBatchSampler(delta_h, TARGET_BATCH, scale="mean", rng=0)

    def epoch():
        return sum(1 for _ in sampler)

    wall, count = best_of(epoch, repeats)
    return count / wall, count


def plain_sgd(X, y, steps: int, rng) -> np.ndarray:
    """Single-chain minibatch SGD on (1/2n)|y - Xw|^2, batches drawn with replacement."""
    w = np.zeros(X.shape[1])
    for _ in range(steps):
        idx = rng.integers(0, X.shape[0], BATCH)
        xb = X[idx]
        w -= LR * xb.T @ (xb @ w - y[idx]) / BATCH
    return w


def plain_mala(precision: np.ndarray, steps: int, step: float, rng) -> float:
    """Single-chain MALA for exp(-w.A.w/2): the acceptance rate."""
    w = np.zeros(precision.shape[0])
    accepted = 0
    for _ in range(steps):
        g = precision @ w
        prop = w - step * g + math.sqrt(2.0 * step) * rng.standard_normal(w.size)
        gp = precision @ prop
        log_q_fwd = -np.sum((prop - w + step * g) ** 2) / (4.0 * step)
        log_q_bwd = -np.sum((w - prop + step * gp) ** 2) / (4.0 * step)
        log_a = -0.5 * prop @ gp + 0.5 * w @ g + log_q_bwd - log_q_fwd
        if math.log(rng.random()) < log_a:
            w, accepted = prop, accepted + 1
    return accepted / steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    repeats = 1 if args.quick else 3
    steps = 2000 if args.quick else 10_000
    plain_steps = 1000 if args.quick else 5000
    t0 = time.perf_counter()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, {os.cpu_count()} CPUs, load average {load:.2f}")

    rate, count = sampler_rate(repeats)
    print("\n## Error-carry sampler: 10^6 samples, target 64\n")
    print(
        markdown(("case", "batches per epoch", "batches/s"), [("AdjustedBatchSampler", f"{count:,}", f"{rate:,.0f}")])
    )
    print(f"\nsampler: {rate:,.0f} batches/s; target > 10,000: {'PASS' if rate > 1e4 else 'MISS'}")

    rng = np.random.default_rng(1)
    problem = dynamics.LinearRegression.random(n=N_DATA, d=D, noise=0.5, rng=rng)
    X, y = problem.X, problem.y
    wall_vec, _ = best_of(
        lambda: dynamics.simulate_sgd(problem, LR, steps, batch_size=BATCH, n_chains=CHAINS, rng=2), repeats
    )
    wall_plain, _ = best_of(lambda: plain_sgd(X, y, plain_steps, np.random.default_rng(3)), repeats)
    sgd_vec, sgd_plain = steps * CHAINS / wall_vec, plain_steps / wall_plain
    precision = np.diag(np.linspace(1.0, 4.0, D))
    energy = dynamics.GaussianEnergy(precision)
    wall_lv, run = best_of(lambda: dynamics.langevin(energy, 1.0, steps, rng=4, n_chains=CHAINS), repeats)
    wall_lp, acc = best_of(lambda: plain_mala(precision, plain_steps, 0.3, np.random.default_rng(5)), repeats)
    lv_vec, lv_plain = steps * CHAINS / wall_lv, plain_steps / wall_lp
    print(f"\n## Vectorised chains ({CHAINS}) against plain single-chain loops, d = {D}\n")
    rows = [
        ("simulate_sgd, linear regression", f"{sgd_vec:,.0f}", f"{sgd_plain:,.0f}", f"{sgd_vec / sgd_plain:.1f}x"),
        ("langevin (MALA), Gaussian energy", f"{lv_vec:,.0f}", f"{lv_plain:,.0f}", f"{lv_vec / lv_plain:.1f}x"),
    ]
    print(markdown(("case", "vectorised chain-steps/s", "plain loop chain-steps/s", "speed-up"), rows))
    print(f"\nMALA acceptance: vectorised {run.acceptance_rate:.3f}, plain loop {acc:.3f}")
    for name, ratio in (("SGD", sgd_vec / sgd_plain), ("Langevin", lv_vec / lv_plain)):
        print(f"{name} speed-up {ratio:.1f}x; target >= 10x: {'PASS' if ratio >= 10 else 'MISS'}")
    print(f"\ntotal wall time: {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
