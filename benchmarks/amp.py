"""GAMP on finite instances of the binary perceptron against its state evolution.

Usage::

    python benchmarks/amp.py [--quick] [--seeds 4] [--sizes 1000 2000 4000]

For each size N and load alpha (binary prior, sign teacher) the table gives the
state-evolution fixed point from the uninformed start, the mean final overlap m
of GAMP over ``--seeds`` instances with its standard error, the number of
instances reaching m > 0.99, the mean number of iterations and the mean wall
time of a run (instance generation included; an iteration is two dense products
with X and two with X**2, O(alpha N^2)).  Dense products on a machine shared with
other jobs can be much slower with OpenBLAS's default thread count; set
OPENBLAS_NUM_THREADS to the free cores.
Loads: below the information-theoretic transition (1.0), in the hard phase
(1.35; alpha_IT = 1.245 < alpha < alpha_sp = 1.493, Barbier et al. 2019, PNAS
116, 5451), and above the spinodal (1.6, 2.0).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

try:
    import statmech_learn  # noqa: F401
except ImportError:  # running from a source checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from statmech_learn.errors import ConvergenceWarning
from statmech_learn.replica import TeacherStudent, amp, state_evolution

ALPHAS = (1.0, 1.35, 1.6, 2.0)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N = 1000 and 2 instances")
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 4000])
    args = parser.parse_args(argv)
    sizes, n_seeds = ([1000], 2) if args.quick else (args.sizes, args.seeds)

    model = TeacherStudent(prior="binary", channel="sign")
    se = state_evolution(model, np.array(ALPHAS), n_iter=2000)
    print(f"{'N':>6} {'alpha':>6} {'SE q':>8} {'AMP m':>16} {'m>0.99':>7} {'iters':>6} {'s/run':>7} {'not conv.':>9}")
    for n in sizes:
        for k, alpha in enumerate(ALPHAS):
            ms, iters, times, failed = [], [], [], 0
            for seed in range(n_seeds):
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    run = amp(model, n=n, alpha=alpha, rng=seed, n_iter=500, tol=1e-6)
                times.append(time.perf_counter() - start)
                ms.append(run.m)
                iters.append(run.n_iter)
                failed += not run.converged
            ms = np.array(ms)
            err = ms.std(ddof=1) / np.sqrt(ms.size) if ms.size > 1 else float("nan")
            print(
                f"{n:>6} {alpha:>6.2f} {se.q[k]:>8.4f} {ms.mean():>8.4f} ± {err:<6.4f} "
                f"{int(np.sum(ms > 0.99)):>4}/{n_seeds:<2} {np.mean(iters):>6.1f} "
                f"{np.mean(times):>7.2f} {failed:>9}"
            )


if __name__ == "__main__":
    main()
