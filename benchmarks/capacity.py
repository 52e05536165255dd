"""Separability curve at kappa = 0: the project's decisions against a plain LP loop.

Usage::

    python benchmarks/capacity.py [--quick] [--n 100] [--samples 200] [--seed 2024]

Both sides decide the same random instances: the master instances that
``separability_curve(rng=seed)`` draws (documented in
``statmech_learn.capacity.separable``), rebuilt here from the seeds.  The
reference solves, for every (instance, alpha), one feasibility LP
``y_mu x_mu . w >= 1`` with ``scipy.optimize.linprog(method="highs")`` in a single
process; when HiGHS returns neither feasible nor infeasible (status 4) it is
re-solved with the interior-point method, and that extra solve is counted.

Rows of the table: the reference loop; ``max_separable_prefix`` called on each
master instance in one process (its decisions are compared one by one with the
reference); ``separability_curve`` with 1 and with ``--workers`` processes (its
counts per alpha are compared with the reference).  "instances/s" counts
master instances, each decided at every alpha.  LP and NNLS solves of the
project's code are counted in-process by wrapping the solver functions.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
import time
from pathlib import Path

import numpy as np
import scipy
from scipy.optimize import linprog

try:
    import statmech_learn  # noqa: F401
except ImportError:  # running from a source checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

sep = importlib.import_module("statmech_learn.capacity.separable")
# the module that calls the LP and NNLS solvers (spherical weights), wrapped by Counter
lp = importlib.import_module("statmech_learn.capacity.linear_programs")


def instances(seed: int, n_samples: int, n_patterns: int, n: int):
    """The master instances of ``separability_curve(..., rng=seed)``."""
    seeds = np.random.default_rng(seed).integers(2**63, size=n_samples)
    for s in seeds:
        g = np.random.default_rng(int(s))
        X = g.standard_normal((n_patterns, n))
        y = 2.0 * g.integers(0, 2, size=n_patterns) - 1.0
        yield X, y


def reference_loop(data, sizes):
    """One primal feasibility LP per (instance, alpha).  Returns decisions and counts."""
    decisions = np.zeros((len(data), len(sizes)), dtype=np.int8)
    solves = resolves = undecided = 0
    for i, (X, y) in enumerate(data):
        G = X * y[:, None]
        n = G.shape[1]
        for j, P in enumerate(sizes):
            res = linprog(np.zeros(n), A_ub=-G[:P], b_ub=-np.ones(P), bounds=(None, None), method="highs")
            solves += 1
            if res.status not in (0, 2):
                res = linprog(np.zeros(n), A_ub=-G[:P], b_ub=-np.ones(P), bounds=(None, None), method="highs-ipm")
                resolves += 1
            if res.status in (0, 2):
                decisions[i, j] = 1 if res.status == 0 else 0
            else:
                decisions[i, j] = -1
                undecided += 1
    return decisions, solves + resolves, resolves, undecided


class Counter:
    """Wrap the solver functions of the spherical decisions (``capacity.linear_programs``) and count calls."""

    def __init__(self):
        self.counts = {"linprog": 0, "nnls": 0}
        self._orig = {name: getattr(lp, name) for name in self.counts}

    def __enter__(self):
        for name, f in self._orig.items():

            def wrapped(*a, _f=f, _name=name, **k):
                self.counts[_name] += 1
                return _f(*a, **k)

            setattr(lp, name, wrapped)
        return self

    def __exit__(self, *exc):
        for name, f in self._orig.items():
            setattr(lp, name, f)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="40 instances instead of 200")
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--samples", type=int, default=None)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=2024)
    args = ap.parse_args(argv)
    n_samples = args.samples or (40 if args.quick else 200)
    n, seed = args.n, args.seed
    alphas = np.round(np.linspace(1.0, 3.0, 21), 10)
    sizes = [int(round(a * n)) for a in alphas]
    p_max = max(sizes)
    print(
        f"n = {n}, {len(alphas)} alphas in [1, 3] (P = {sizes[0]}..{p_max}), {n_samples} instances, "
        f"seed {seed}; scipy {scipy.__version__}, numpy {np.__version__}, {os.cpu_count()} CPUs"
    )

    data = list(instances(seed, n_samples, p_max, n))
    rows = []

    t = time.perf_counter()
    ref, ref_solves, resolves, undecided = reference_loop(data, sizes)
    t_ref = time.perf_counter() - t
    rows.append(("plain linprog loop, 1 process", ref_solves, 0, t_ref, None))

    with Counter() as c:
        t = time.perf_counter()
        prefix = np.array([sep.max_separable_prefix(X, y) for X, y in data])
        dt = time.perf_counter() - t
    mine = (np.array(sizes)[None, :] <= prefix[:, None]).astype(np.int8)
    same = int(np.sum(mine == ref))
    rows.append(
        ("max_separable_prefix, 1 process", c.counts["linprog"], c.counts["nnls"], dt, (same, ref.size, "decisions"))
    )

    ref_counts = (ref == 1).sum(axis=0)
    for workers in (1, args.workers):
        with Counter() if workers == 1 else contextlib.nullcontext() as c:
            t = time.perf_counter()
            curve = sep.separability_curve(alphas, n, n_samples=n_samples, rng=seed, workers=workers)
            dt = time.perf_counter() - t
        lp = c.counts["linprog"] if c else "as above"
        nn = c.counts["nnls"] if c else "as above"
        agree = int(np.sum(curve.n_separable == ref_counts))
        rows.append((f"separability_curve nested, workers={workers}", lp, nn, dt, (agree, len(alphas), "alpha counts")))

    header = ("method", "LP solves", "NNLS solves", "wall time", "instances/s", "speed-up", "agreement")
    table = [header] + [
        (
            name,
            str(lp),
            str(nn),
            f"{dt:.2f} s",
            f"{n_samples / dt:.1f}",
            f"{t_ref / dt:.1f}x",
            "reference" if agree is None else f"{agree[0]}/{agree[1]} {agree[2]}",
        )
        for name, lp, nn, dt, agree in rows
    ]
    widths = [max(len(r[k]) for r in table) for k in range(len(header))]
    for k, r in enumerate(table):
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths)))
        if k == 0:
            print("  ".join("-" * w for w in widths))
    print(
        f"reference: {resolves} LPs returned HiGHS status 4 and were re-solved by interior point; "
        f"{undecided} stayed undecided"
    )
    all_same = undecided == 0 and all(r[4][0] == r[4][1] for r in rows[1:])
    print("all decisions identical" if all_same else "DECISIONS DIFFER")
    return 0 if all_same else 1


if __name__ == "__main__":
    sys.exit(main())
