r"""Stochastic dynamics of learning: the stationary law of SGD and Langevin sampling of Gibbs densities.

* ``stationary``: :func:`sgd_stationary` (Lyapunov covariances, temperatures, Gibbs test),
  :func:`hessian_normalised` (the density in Hessian-normalised coordinates),
  :func:`gibbs_learning_rates` (per-parameter / preconditioned rates giving one temperature);
* ``minibatch``: :func:`simulate_sgd` on a :class:`QuadraticProblem` (Gaussian gradient noise) or a
  :class:`LinearRegression` (real minibatch noise), compared with the prediction;
* ``langevin``: :func:`langevin` (MALA / ULA) on a :class:`GaussianEnergy` or a finite teacher-student
  instance :class:`TeacherStudentEnergy`, comparable with :func:`statmech_learn.replica.solve`;
* ``linear_regression``: :func:`least_squares`, exact :func:`gradient_flow`, :func:`gradient_descent`,
  learning curve.

See ``docs/theory/dynamics.md``.
"""

from .energies import GaussianEnergy, TeacherStudentEnergy
from .langevin import LangevinRun, langevin
from .linear_regression import (
    GradientDescentRun,
    GradientFlow,
    LeastSquaresFit,
    gradient_descent,
    gradient_flow,
    gradient_flow_test_error,
    least_squares,
    stability_bound,
)
from .minibatch import LinearRegression, QuadraticProblem, SGDSimulation, simulate_sgd
from .stationary import (
    SEED_FACTOR,
    HessianNormalised,
    SGDStationary,
    gibbs_learning_rates,
    hessian_normalised,
    sgd_stationary,
)

__all__ = [
    "sgd_stationary",
    "SGDStationary",
    "hessian_normalised",
    "HessianNormalised",
    "gibbs_learning_rates",
    "SEED_FACTOR",
    "simulate_sgd",
    "SGDSimulation",
    "QuadraticProblem",
    "LinearRegression",
    "langevin",
    "LangevinRun",
    "GaussianEnergy",
    "TeacherStudentEnergy",
    "least_squares",
    "LeastSquaresFit",
    "gradient_flow",
    "GradientFlow",
    "gradient_descent",
    "GradientDescentRun",
    "stability_bound",
    "gradient_flow_test_error",
]
