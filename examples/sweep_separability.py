"""A resumable parameter sweep on both cores: Monte Carlo separability on a grid.

Run:  python examples/sweep_separability.py     (kill it and run again: it resumes)
"""

from concurrent.futures import ProcessPoolExecutor

import statmech_learn as sml
from statmech_learn.capacity import separability_point

if __name__ == "__main__":
    grid = sml.Grid(alpha=[1.5, 2.0, 2.5], n=[50, 100], seed=range(4), n_samples=[50])
    with ProcessPoolExecutor(2) as ex:
        table = sml.sweep(separability_point, grid, executor=ex, checkpoint="runs/separability.jsonl")
    table.to_csv("separability.csv")
    for n in (50, 100):
        for a in (1.5, 2.0, 2.5):
            p = table.select(n=n, alpha=a).column("p")
            cover = sml.capacity.cover_fraction(int(a * n), n)
            print(f"n = {n:3d}, alpha = {a}: p = {p.mean():.3f}  (Cover: {cover:.3f})")
