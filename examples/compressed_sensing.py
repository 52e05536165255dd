"""Compressed sensing: a sparse Gauss-Bernoulli signal measured with small Gaussian noise.

Both MMSE branches, the two spinodals and the information-theoretic transition,
then GAMP on one instance inside the metastable interval (stuck on the
uninformed branch) and above the algorithmic threshold (recovery).

Run:  python examples/compressed_sensing.py
"""

import numpy as np

import statmech_learn as sml
from statmech_learn.gibbs import GaussBernoulliPrior, GaussianNoise

cs = sml.TeacherStudent(prior=GaussBernoulliPrior(0.1), channel=GaussianNoise(1e-4))
tr = sml.replica.transitions(cs)
print(
    f"informed branch appears at {tr.alpha_spinodal_informed:.4f}, alpha_it = {tr.alpha_it:.4f}, "
    f"AMP threshold (uninformed branch ends) = {tr.alpha_spinodal:.4f}"
)

alphas = np.array([0.15, 0.5 * (tr.alpha_it + tr.alpha_spinodal), 0.3])
branches = sml.replica.solve_branches(cs, alphas)
for a, vi, vu in zip(alphas, branches["informed"].V, branches["uninformed"].V):
    print(f"  alpha = {a:.3f}: MMSE informed {vi:.3e}, uninformed {vu:.3e}")

for a in alphas[1:]:
    run = sml.replica.amp(cs, n=2000, alpha=a, rng=1, n_iter=400)
    print(f"GAMP at alpha = {a:.3f}, n = 2000: MSE {run.mse:.3e} ({run.message})")

# the square loss in closed form, ridgeless limit included (least-norm interpolator below alpha = 1)
ridge = sml.TeacherStudent("gaussian", GaussianNoise(0.5), student=sml.ERM("square", 0.0))
print("ridgeless test error:", sml.replica.solve(ridge, np.array([0.5, 2.0])).generalization_error)
