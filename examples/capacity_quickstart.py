"""Perceptron capacity: Cover's counting, Gardner's volume and Monte Carlo in one script.

Run:  python examples/capacity_quickstart.py
"""

import numpy as np

from statmech_learn import capacity

# Cover: exact counts and the separable fraction at finite n
print("C(4, 2) =", capacity.cover_count(4, 2))
print("fraction at p = 2n, n = 100:", capacity.cover_fraction(200, 100))

# Gardner: capacity and the RS volume
print("alpha_c(kappa=0.5) =", capacity.gardner_capacity(kappa=0.5))
print("alpha_c(+-1 weights) =", capacity.gardner_capacity(weights="binary"))
vol = capacity.gardner_volume(alpha=np.array([0.5, 1.0, 1.5, 1.9]), kappa=0.0)
for a, q, s in zip(vol.alpha, vol.q, vol.entropy):
    print(f"  alpha = {a:.2f}: q = {q:.6f}, entropy per weight = {s:.6f}")

# Monte Carlo: separability of random instances, against Cover's finite-n fraction
est = capacity.separability(alpha=1.8, n=100, n_samples=200, rng=0)
print(est, " Cover:", capacity.cover_fraction(180, 100))
