"""Pairwise measures: exact enumeration and Monte Carlo throughput.

Usage::

    python benchmarks/meanfield.py [--quick]

Measurements for :mod:`statmech_learn.meanfield`.

1. *Exact enumeration.*  ``exact`` on SK instances (±1 spins, beta = 0.5, field
   0.2) of n = 16 .. 24 spins: wall time (best of 3) and configurations per
   second.  Target: n = 22 (4.2 million configurations) under 5 s on 2 cores.
2. *Monte Carlo throughput.*  ``monte_carlo`` on SK, n = 200, beta = 0.5,
   field 0.2, 64 chains, heat bath and Metropolis (sequential sweeps, the
   default measurements included: energies, magnetisations, the n x n second
   moments), against a plain single-chain Metropolis loop written here (one
   site at a time, the local field as one numpy row-vector product, one
   uniform draw per proposal).  Throughput is site updates (sweeps x n x
   chains) per second of wall time, best of 3 runs (the three alternate, so
   that a change of machine load hits all).  Target: a speed-up of at least
   50x.  One more row, not part of the target, shows that the throughput is
   flat beyond 64 chains (256 chains).  The floor: a site update of a dense
   model costs n multiply-adds for the field update plus about 4.5 x 32 for
   the block iteration (module docstring of ``monte_carlo``), some 350
   multiply-adds at n = 200; at the few GFLOP/s of small single-threaded
   matrix products that is 7-10 million updates per second, 40-50x the plain
   loop's 0.2 million.  Beyond it needs compiled code, not numpy.
3. *TAP.*  ``tap`` on SK (±1 spins, beta = 0.6, field 0.3, above the AT line)
   at n = 2000 and n = 10000: wall time of the solve (best of 3; the couplings
   and their squares are built beforehand), iterations and the self-overlap
   mean(m^2) against the replica-symmetric q.  Target: n = 2000 under 1 s.

``--quick`` runs each case once, with fewer sweeps, and skips n = 24.  Timings
depend on the machine and on its load (the load average is printed);
OPENBLAS_NUM_THREADS may matter on a shared machine.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import scipy

try:
    import statmech_learn  # noqa: F401
except ImportError:  # running from a source checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _tables import best_of, markdown

from statmech_learn.meanfield.exact import exact
from statmech_learn.meanfield.measures import SK
from statmech_learn.meanfield.monte_carlo import monte_carlo

BETA, FIELD = 0.5, 0.2
EXACT_SIZES = (16, 18, 20, 22, 24)
EXACT_TARGET_N, EXACT_TARGET_S = 22, 5.0

MC_N, MC_CHAINS, MC_MANY_CHAINS = 200, 64, 256
MC_SWEEPS, MC_SWEEPS_QUICK = 500, 100
PLAIN_SWEEPS, PLAIN_SWEEPS_QUICK = 200, 40
SPEEDUP_TARGET = 50.0


# -- 1. exact enumeration --------------------------------------------------------------------------------------
def exact_rows(sizes, repeats: int) -> list[dict]:
    rows = []
    for n in sizes:
        measure = SK(n, beta=BETA, field=FIELD, rng=n)
        wall, res = best_of(lambda m=measure: exact(m), repeats)
        rows.append(
            {
                "n": n,
                "n_states": res.n_states,
                "wall_s": wall,
                "states_per_s": res.n_states / wall,
                "free_entropy": res.free_entropy,
                "energy_per_spin": res.energy / n,
            }
        )
    return rows


def exact_table(rows: list[dict]) -> str:
    header = ("n", "configurations", "wall time [s]", "configurations/s", "log Z / n", "<E> / n")
    body = [
        (
            str(r["n"]),
            f"{r['n_states']:,}",
            f"{r['wall_s']:.3f}",
            f"{r['states_per_s']:,.0f}",
            f"{r['free_entropy']:.6f}",
            f"{r['energy_per_spin']:.6f}",
        )
        for r in rows
    ]
    return markdown(header, body)


# -- 2. Monte Carlo -------------------------------------------------------------------------------------------------
def plain_metropolis(J: np.ndarray, h: np.ndarray, beta: float, n_sweeps: int, rng) -> tuple[np.ndarray, list]:
    """Single-chain Metropolis for ±1 spins, one site at a time: accept s_i -> -s_i with probability
    min(1, exp(-beta dE)), dE = 2 s_i (J_i . s + h_i).  Returns the final state and the energy after each sweep."""
    rng = np.random.default_rng(rng)
    n = len(h)
    s = 2.0 * rng.integers(0, 2, n) - 1.0
    energies = []
    for _ in range(n_sweeps):
        for i in range(n):
            d_e = 2.0 * s[i] * (J[i] @ s + h[i])
            if d_e <= 0.0 or rng.random() < math.exp(-beta * d_e):
                s[i] = -s[i]
        energies.append(-0.5 * s @ J @ s - h @ s)
    return s, energies


def mc_rows(repeats: int, quick: bool) -> tuple[list[dict], list[str]]:
    measure = SK(MC_N, beta=BETA, field=FIELD, rng=0)
    n_sweeps = MC_SWEEPS_QUICK if quick else MC_SWEEPS
    plain_sweeps = PLAIN_SWEEPS_QUICK if quick else PLAIN_SWEEPS
    monte_carlo(measure, 20, MC_CHAINS, rng=0, progress=False)  # warm-up

    def run(method, chains, sweeps=n_sweeps):
        return monte_carlo(measure, sweeps, chains, method=method, rng=1, progress=False)

    walls = {"plain": math.inf, "heat-bath": math.inf, "metropolis": math.inf, "many": math.inf}
    results = {}
    for _ in range(repeats):
        wall, results["plain"] = best_of(lambda: plain_metropolis(measure.J, measure.h, BETA, plain_sweeps, 1), 1)
        walls["plain"] = min(walls["plain"], wall)
        for method in ("heat-bath", "metropolis"):
            wall, results[method] = best_of(lambda m=method: run(m, MC_CHAINS), 1)
            walls[method] = min(walls[method], wall)
    many_sweeps = max(20, n_sweeps // 4)
    walls["many"], results["many"] = best_of(lambda: run("heat-bath", MC_MANY_CHAINS, many_sweeps), 1)

    plain_rate = plain_sweeps * MC_N / walls["plain"]
    rows = [
        {
            "case": "plain single-chain Metropolis loop",
            "chains": 1,
            "sweeps": plain_sweeps,
            "wall_s": walls["plain"],
            "rate": plain_rate,
            "speedup": 1.0,
            "extra": "",
        }
    ]
    for method in ("heat-bath", "metropolis"):
        rate = n_sweeps * MC_N * MC_CHAINS / walls[method]
        extra = f"acceptance {results[method].acceptance_rate:.2f}" if method == "metropolis" else ""
        rows.append(
            {
                "case": f"monte_carlo, {method}",
                "chains": MC_CHAINS,
                "sweeps": n_sweeps,
                "wall_s": walls[method],
                "rate": rate,
                "speedup": rate / plain_rate,
                "extra": extra,
            }
        )
    rate = many_sweeps * MC_N * MC_MANY_CHAINS / walls["many"]
    rows.append(
        {
            "case": f"monte_carlo, heat-bath, {MC_MANY_CHAINS} chains (not the target)",
            "chains": MC_MANY_CHAINS,
            "sweeps": many_sweeps,
            "wall_s": walls["many"],
            "rate": rate,
            "speedup": rate / plain_rate,
            "extra": "one run",
        }
    )

    _, plain_e = results["plain"]
    tail = plain_e[len(plain_e) // 5 :]
    hb, mh = results["heat-bath"], results["metropolis"]
    note = (
        f"energy per spin (a check that all sample the same measure): heat bath {hb.energy / MC_N:.4f} "
        f"± {hb.energy_err / MC_N:.4f} (tau {hb.tau_energy:.2f} sweeps), Metropolis {mh.energy / MC_N:.4f} "
        f"± {mh.energy_err / MC_N:.4f} (tau {mh.tau_energy:.2f}), plain loop {np.mean(tail) / MC_N:.4f} "
        f"(mean of its last {len(tail)} sweeps, one chain, no error bar)"
    )
    return rows, [note]


def mc_table(rows: list[dict]) -> str:
    header = ("implementation", "chains", "sweeps", "wall time [s]", "site updates/s", "speed-up", "note")
    body = [
        (
            r["case"],
            str(r["chains"]),
            str(r["sweeps"]),
            f"{r['wall_s']:.3f}",
            f"{r['rate']:,.0f}",
            f"{r['speedup']:.1f}x",
            r["extra"],
        )
        for r in rows
    ]
    return markdown(header, body)


# -- 3. TAP (a row to be added) ------------------------------------------------------------------------------------
def tap_rows(quick: bool) -> None:
    """TAP on SK at n = 2000 and 10000 (beta 0.6, field 0.3): solve time, iterations, q against RS."""
    from statmech_learn.meanfield.replica_sk import replica_sk
    from statmech_learn.meanfield.tap import tap

    rs = replica_sk(0.6, 0.3)
    rows, t2000 = [], math.inf
    for n in (2000, 10_000):
        sk = SK(n=n, beta=0.6, field=0.3, rng=0)
        _ = sk.J2  # built once, outside the timing
        wall, res = best_of(lambda: tap(sk), 1 if (quick or n > 2000) else 3)
        rows.append(
            (
                str(n),
                f"{wall:.3f}",
                str(res.n_iter),
                "yes" if res.converged else "NO",
                f"{np.mean(res.m**2):.5f}",
                f"{rs.q:.5f}",
            )
        )
        if n == 2000:
            t2000 = wall
    print("\n## TAP: SK, beta = 0.6, field 0.3\n")
    print(markdown(("n", "wall time [s]", "iterations", "converged", "mean m^2", "RS q"), rows))
    print(f"\nTAP at n = 2000: {t2000:.3f} s; target < 1 s: {'PASS' if t2000 < 1.0 else 'MISS'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one run per case, fewer sweeps, no n = 24")
    args = parser.parse_args(argv)
    repeats = 1 if args.quick else 3
    t_start = time.perf_counter()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else math.nan
    print(
        f"python {sys.version.split()[0]}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"{os.cpu_count()} CPUs, load average {load:.2f}, OPENBLAS_NUM_THREADS="
        f"{os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}; wall times best of {repeats}"
        + (", --quick" if args.quick else "")
    )

    print(f"\n## Exact enumeration: SK, ±1 spins, beta = {BETA:g}, field {FIELD:g}\n")
    sizes = [n for n in EXACT_SIZES if not (args.quick and n > EXACT_TARGET_N)]
    rows = exact_rows(sizes, repeats)
    print(exact_table(rows))
    target = next(r for r in rows if r["n"] == EXACT_TARGET_N)
    print(
        f"\nn = {EXACT_TARGET_N}: {target['wall_s']:.3f} s; target < {EXACT_TARGET_S:g} s: "
        f"{'PASS' if target['wall_s'] < EXACT_TARGET_S else 'MISS'}"
    )

    print(f"\n## Monte Carlo: SK, n = {MC_N}, ±1 spins, beta = {BETA:g}, field {FIELD:g}, sequential sweeps\n")
    rows, notes = mc_rows(repeats, args.quick)
    print(mc_table(rows))
    print()
    for note in notes:
        print(note)
    for row in rows[1:3]:
        print(
            f"speed-up of {row['case']} ({MC_CHAINS} chains): {row['speedup']:.1f}x; target >= "
            f"{SPEEDUP_TARGET:g}x: {'PASS' if row['speedup'] >= SPEEDUP_TARGET else 'MISS'}"
        )

    print("\n## TAP\n")
    tap_rows(args.quick)
    print(f"\ntotal wall time: {time.perf_counter() - t_start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
