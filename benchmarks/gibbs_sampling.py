"""Benchmark: sampling a Gibbs student, exact Hamiltonian Monte Carlo against single-weight Metropolis.

Model: Gaussian teacher and weights, sign labels, Gibbs learning at T = 0.5 (error-counting
energy).  For each (n, alpha), ``replica.gibbs_simulation`` with 4 instances (two chains each,
one from the teacher and one from a prior draw) and ``SWEEPS`` sweeps, the first half discarded,
run once with the default sampler (``truncated_gaussian_hmc``) and once with
``metropolis_within_gibbs`` forced (the baseline: single-weight proposals from the prior, the
plain way to sample such a posterior).  Columns: wall time, time per sweep and chain, the largest
split R-hat of the teacher overlap over the instances, and m and the Gibbs error against the
replica prediction of ``replica.solve`` (in standard errors over the instances).

Target: the HMC sampler converged (R-hat <= 1.1 on every instance) at every point, within
3 standard errors + 1.5/n of the theory.  No timing target: the cost of a trajectory grows with
the number of walls it meets (the ``bounces`` column).

Run:  python benchmarks/gibbs_sampling.py [--quick]
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
import warnings
from pathlib import Path

try:
    import statmech_learn  # noqa: F401
except ImportError:  # running from a source checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _tables import markdown

import statmech_learn as sml
from statmech_learn.errors import ConvergenceWarning

SWEEPS = 200
#: the module of gibbs_simulation, whose sampler choice the baseline overrides
gs = importlib.import_module("statmech_learn.replica.sampling")
TEMPERATURE = 0.5


def _run(model, n, alpha, sampler):
    forced = gs._sampler
    if sampler == "metropolis":
        gs._sampler = lambda m: "metropolis"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            start = time.perf_counter()
            sim = sml.replica.gibbs_simulation(model, n=n, alpha=alpha, n_samples=4, rng=0, n_sweeps=SWEEPS)
            return time.perf_counter() - start, sim
    finally:
        gs._sampler = forced


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n = 100 only")
    args = parser.parse_args()
    sizes = [100] if args.quick else [100, 200]
    loads = [1.0, 2.0, 4.0]
    model = sml.TeacherStudent("gaussian", "sign", student=sml.replica.Gibbs(TEMPERATURE))
    print(f"load average {os.getloadavg()[0]:.2f}; Gibbs learning at T = {TEMPERATURE}, {SWEEPS} sweeps, 4 instances\n")
    rows, ok = [], True
    for n in sizes:
        for alpha in loads:
            theory = sml.replica.solve(model, alpha=alpha)
            for sampler in ("hmc", "metropolis"):
                wall, sim = _run(model, n, alpha, sampler)
                dm = (sim.m - theory.m) / sim.m_stderr
                de = (sim.generalization_error - theory.generalization_error) / sim.generalization_error_stderr
                if sampler == "hmc":
                    tol_m = 3 * sim.m_stderr + 1.5 / n
                    tol_e = 3 * sim.generalization_error_stderr + 1.5 / n
                    ok &= bool(
                        sim.converged_all
                        and abs(sim.m - theory.m) <= tol_m
                        and abs(sim.generalization_error - theory.generalization_error) <= tol_e
                    )
                rows.append(
                    (
                        f"n = {n}, alpha = {alpha:g}",
                        sampler,
                        f"{wall:.1f} s",
                        f"{1e3 * wall / (SWEEPS * 8):.2f} ms",
                        "—" if sampler == "metropolis" else f"{sim.bounces:.0f}",
                        f"{max(sim.rhat):.2f}",
                        f"{sim.m:.3f} ({theory.m:.3f}, {dm:+.1f} se)",
                        f"{sim.generalization_error:.3f} ({theory.generalization_error:.3f}, {de:+.1f} se)",
                    )
                )
    header = ("point", "sampler", "wall", "per sweep and chain", "bounces", "max R-hat", "m (theory)", "eps_g (theory)")
    print(markdown(header, rows, left=2))
    print(f"\ntarget (HMC converged and within 3 se + 1.5/n of theory everywhere): {'PASS' if ok else 'MISS'}")


if __name__ == "__main__":
    main()
