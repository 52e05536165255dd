"""Parameter sweeps: the machinery's own cost, and speed-up on executors.

Usage::

    python benchmarks/sweep.py [--quick]

Three groups of rows:

1. *Overhead*: a trivial function ``{"y": x}`` swept in-process over a grid of
   ``--points`` points, without and with a checkpoint (one ``write``, ``flush``
   and ``fsync`` per point), against a plain loop calling the function.  The
   overhead per point is (sweep time - loop time) / points; the target is
   under 2 ms.
2. *Monte Carlo*: a CPU-bound estimate of the Gaussian tail H(t) from 4e6
   draws per point, in-process, on ``ProcessPoolExecutor(2)`` and on a Dask
   ``LocalCluster`` of 2 single-threaded worker processes (its start-up, and
   a first tiny sweep that makes the workers import the package, are
   excluded and timed separately); a bare ``client.map`` of the same points
   is timed alongside, to separate Dask's own cost from the sweep's.  The three tables are checked to be
   equal record by record, ``_wall_time`` aside.
3. *Separability*: ``statmech_learn.capacity.separability_point`` over alpha
   in linspace(1, 3, 21) x n = [100] x seed = range(4) (range(1) with
   ``--quick``) with n_samples = 50, in-process and on 2 processes; skipped
   with a note if that function is not available.

Speed-up is relative to the in-process row of the same group.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

try:
    import statmech_learn  # noqa: F401
except ImportError:  # running from a source checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from statmech_learn.sweep import Grid, sweep


def trivial(x: int) -> dict:
    return {"y": x}


def gaussian_tail(t: float, n_samples: int, seed: int) -> dict:
    """Monte Carlo H(t) = Pr[z > t] from ``n_samples`` standard normal draws (in blocks of 1e5)."""
    rng = np.random.default_rng(seed)
    hits = 0
    for start in range(0, n_samples, 100_000):
        hits += int(np.count_nonzero(rng.standard_normal(min(100_000, n_samples - start)) > t))
    p = hits / n_samples
    return {"p": p, "stderr": (p * (1 - p) / n_samples) ** 0.5}


def bare_point(point: dict) -> dict:
    """:func:`gaussian_tail` at a grid point with its seed, without the sweep's record keeping."""
    params = {k: v for k, v in point.items() if k != "seed"}
    return gaussian_tail(**params, seed=Grid.point_seed(point))


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def without_wall_time(table):
    return [{k: v for k, v in r.items() if k != "_wall_time"} for r in table.records]


def overhead_rows(n_points: int) -> list[dict]:
    grid = Grid(x=range(n_points))
    points = list(grid)
    sweep(trivial, Grid(x=range(100)), progress=False)  # warm up imports and caches
    _, loop = timed(lambda: [trivial(**p) for p in points])
    _, plain = timed(lambda: sweep(trivial, grid, progress=False))
    with tempfile.TemporaryDirectory() as tmp:
        _, ckpt = timed(lambda: sweep(trivial, grid, checkpoint=os.path.join(tmp, "c.jsonl"), progress=False))
    rows = [{"case": "plain loop (no sweep)", "points": n_points, "wall": loop}]
    for case, wall in (("sweep in-process", plain), ("sweep in-process + checkpoint", ckpt)):
        rows.append({"case": case, "points": n_points, "wall": wall, "overhead_ms": (wall - loop) / n_points * 1e3})
    return rows


def monte_carlo_rows(n_seeds: int) -> tuple[list[dict], list[str]]:
    grid = Grid(t=[0.5, 1.0, 1.5, 2.0], n_samples=[4_000_000], seed=range(n_seeds))
    notes = []
    reference, wall = timed(lambda: sweep(gaussian_tail, grid, progress=False))
    rows = [{"case": "Monte Carlo, in-process", "points": len(grid), "wall": wall, "base": wall}]
    with ProcessPoolExecutor(2) as ex:
        ex.submit(int).result()  # start the workers before timing
        table, wall = timed(lambda: sweep(gaussian_tail, grid, executor=ex, progress=False))
    rows.append(
        {"case": "Monte Carlo, ProcessPoolExecutor(2)", "points": len(grid), "wall": wall, "base": rows[0]["wall"]}
    )
    same = [without_wall_time(table) == without_wall_time(reference)]
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        notes.append("Dask row skipped: dask.distributed is not installed")
    else:
        start = time.perf_counter()
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        with cluster, Client(cluster) as client:
            executor = client.get_executor()
            sweep(trivial, Grid(x=range(4)), executor=executor, progress=False)  # workers import the package
            notes.append(
                f"Dask LocalCluster start-up and warm-up: {time.perf_counter() - start:.2f} s (not in the row)"
            )
            table, wall = timed(lambda: sweep(gaussian_tail, grid, executor=executor, progress=False))
            _, raw = timed(lambda: client.gather(client.map(bare_point, list(grid), pure=False)))
            notes.append(
                f"the same points through a bare client.map (no sweep machinery): {raw:.3f} s; "
                f"time in the function summed over the Dask workers {sum(table.column('_wall_time')):.2f} s "
                f"against {sum(reference.column('_wall_time')):.2f} s in-process"
            )
        rows.append(
            {"case": "Monte Carlo, Dask LocalCluster(2)", "points": len(grid), "wall": wall, "base": rows[0]["wall"]}
        )
        same.append(without_wall_time(table) == without_wall_time(reference))
    notes.append(f"Monte Carlo tables equal to the in-process one: {all(same)}")
    return rows, notes


def separability_rows(n_seeds: int) -> tuple[list[dict], list[str]]:
    try:
        from statmech_learn.capacity import separability_point
    except ImportError:
        return [], ["separability row skipped: statmech_learn.capacity.separability_point is not available"]
    grid = Grid(alpha=np.linspace(1, 3, 21), n=[100], seed=range(n_seeds), n_samples=[50])
    reference, wall = timed(lambda: sweep(separability_point, grid, progress=False))
    rows = [{"case": "separability_point, in-process", "points": len(grid), "wall": wall, "base": wall}]
    with ProcessPoolExecutor(2) as ex:
        ex.submit(int).result()
        table, wall = timed(lambda: sweep(separability_point, grid, executor=ex, progress=False))
    rows.append(
        {
            "case": "separability_point, ProcessPoolExecutor(2)",
            "points": len(grid),
            "wall": wall,
            "base": rows[0]["wall"],
        }
    )
    same = without_wall_time(table) == without_wall_time(reference)
    return rows, [f"separability tables equal to the in-process one: {same}"]


def print_table(rows: list[dict]) -> None:
    header = f"{'case':<44} {'points':>7} {'wall [s]':>9} {'points/s':>10} {'speed-up':>9} {'overhead/pt':>12}"
    print(header)
    print("-" * len(header))
    for r in rows:
        speed = f"{r['base'] / r['wall']:.2f}x" if "base" in r else ""
        over = f"{r['overhead_ms'] * 1e3:.1f} us" if "overhead_ms" in r else ""
        print(
            f"{r['case']:<44} {r['points']:>7} {r['wall']:>9.3f} {r['points'] / r['wall']:>10.1f} {speed:>9} {over:>12}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller grids (about half a minute)")
    parser.add_argument("--points", type=int, default=None, help="points of the overhead grid")
    args = parser.parse_args(argv)
    n_points = args.points or (2_000 if args.quick else 20_000)

    print(
        f"python {sys.version.split()[0]}, numpy {np.__version__}, {os.cpu_count()} CPUs"
        + (", --quick" if args.quick else "")
    )
    rows = overhead_rows(n_points)
    mc, notes = monte_carlo_rows(4 if args.quick else 8)
    sep, sep_notes = separability_rows(1 if args.quick else 4)
    print_table(rows + mc + sep)
    worst = max(r["overhead_ms"] for r in rows if "overhead_ms" in r)
    print(f"\nworst overhead per point: {worst * 1e3:.1f} us (target < 2 ms: {'met' if worst < 2 else 'NOT met'})")
    for note in notes + sep_notes:
        print(note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
