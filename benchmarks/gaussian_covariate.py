"""The Gaussian covariate model: double-descent and logistic random-features curves.

Usage::

    python benchmarks/gaussian_covariate.py [--quick]

Three measurements for :mod:`statmech_learn.replica.covariates` in one run.

1. *Square loss, theory.*  An 80-point double-descent curve: relu random features, noisy linear
   teacher (Delta = 0.1), ridge l2 = 1e-4, alpha = n/D = 1, P/D from 0.1 to 4: one spectral closed
   form per ratio (:mod:`statmech_learn.replica.ridge`), including the Marchenko-Pastur quadrature of
   each ratio.  Target: under 1 s.
2. *Logistic loss, theory.*  A 50-point curve of logistic random features (sign teacher, l2 = 0.01,
   P/D = 2, alpha from 0.2 to 5), iterated on the whole alpha grid at once.  Target: under 5 s, i.e.
   over 100x faster per point than the public GCMProject code, which takes about 13 s per alpha for
   the logistic loss on this machine (the anchor of the issue; not rerun here).
3. *Simulation of curve 1.*  Real relu random-features regressions at D = 400 (P = ratio x 400,
   n = 400) on 8 of the 80 ratios, 4 instances each (2 in quick mode), for scale: the theory curve
   costs less than a single simulated point.

Wall times are the best of 3 runs (1 in quick mode); the machine's load varies.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _tables import best_of, markdown

import statmech_learn as sml


def main(quick: bool = False) -> str:
    repeats = 1 if quick else 3
    rows = []
    ratios = np.linspace(0.1, 4.0, 80)

    def square():
        rf = sml.RandomFeatures("relu", ratios, sml.channels.GaussianNoise(0.1), sml.ERM("square", 1e-4))
        return sml.replica.solve(rf, 1.0)

    t, c = best_of(square, repeats)
    rows.append(
        (
            "double descent, square loss, 80 ratios (theory)",
            f"{t:.3f} s",
            f"{1e3 * t / 80:.1f} ms",
            "< 1 s " + ("PASS" if t < 1 else "MISS"),
            f"all converged: {bool(np.all(c.converged))}",
        )
    )

    def logistic():
        rf = sml.RandomFeatures("relu", 2.0, "sign", sml.ERM("logistic", 0.01))
        return sml.replica.solve(rf, np.linspace(0.2, 5.0, 50))

    t, c = best_of(logistic, repeats)
    rows.append(
        (
            "logistic random features, 50 loads (theory)",
            f"{t:.3f} s",
            f"{1e3 * t / 50:.1f} ms",
            "< 5 s " + ("PASS" if t < 5 else "MISS"),
            f"all converged: {bool(np.all(c.converged))}; {13.0 / (t / 50):.0f}x GCMProject per point",
        )
    )

    sim_ratios = ratios[::10]
    n_inst = 2 if quick else 4

    def simulate():
        rf = sml.RandomFeatures("relu", sim_ratios, sml.channels.GaussianNoise(0.1), sml.ERM("square", 1e-4))
        return sml.replica.erm_simulation(rf, d=400, alpha=1.0, n_samples=n_inst, rng=0, n_test=4000)

    t, sim = best_of(simulate, 1)
    theory = sml.replica.solve(
        sml.RandomFeatures("relu", sim_ratios, sml.channels.GaussianNoise(0.1), sml.ERM("square", 1e-4)), 1.0
    ).generalization_error
    z = np.abs(sim.generalization_error_test - theory) / sim.generalization_error_test_stderr
    rows.append(
        (
            f"simulation, D = 400, {sim_ratios.size} ratios x {n_inst} instances",
            f"{t:.2f} s",
            f"{1e3 * t / (sim_ratios.size * n_inst):.0f} ms",
            "—",
            f"max |z| = {np.max(z):.2f}",
        )
    )
    return markdown(("case", "wall time", "per point", "target", "notes"), rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    print(main(parser.parse_args().quick))
