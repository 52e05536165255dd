"""Teacher-student perceptron: replica theory against AMP and ERM on finite instances.

Run:  python examples/teacher_student.py
"""

import numpy as np

import statmech_learn as sml

# Bayes-optimal binary perceptron: both branches, the first-order transition and the spinodal
bo = sml.TeacherStudent(prior="binary", channel="sign")
pt = sml.replica.transitions(bo)
print(f"alpha_it = {pt.alpha_it:.4f} (Gyorgyi: 1.245), alpha_spinodal = {pt.alpha_spinodal:.4f} (1.493)")
curve = sml.replica.solve(bo, np.array([1.0, 1.3, 1.6]))
for a, q, b in zip(curve.alpha, curve.q, curve.branch):
    print(f"  alpha = {a:.2f}: q = {q:.4f} ({b} branch)")

# AMP on one instance against its state evolution
run = sml.replica.amp(bo, n=2000, alpha=1.0, rng=0)
se = sml.replica.state_evolution(bo, alpha=1.0, n_iter=50)
print(f"AMP m = {run.m:.4f} after {run.n_iter} iterations; state evolution q = {se.q:.4f}")

# Logistic regression: replica prediction against a real optimiser on generated data
erm = sml.TeacherStudent(prior="gaussian", channel="sign", student=sml.ERM(loss="logistic", l2=0.1))
theory = sml.replica.solve(erm, alpha=3.0)
fit = sml.replica.erm_simulation(erm, n=1000, alpha=3.0, n_samples=5, rng=0)
print(
    f"logistic, alpha = 3: replica eps_g = {theory.generalization_error:.4f}, "
    f"simulation {fit.generalization_error:.4f} ± {fit.generalization_error_stderr:.4f}"
)
