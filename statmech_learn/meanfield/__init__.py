"""Pairwise Gibbs measures: naive mean field and TAP written once over the unit priors, exact
enumeration, Monte Carlo, and the replica solution of the SK model.

- :mod:`~statmech_learn.meanfield.measures`: the Ising, SK and bipartite (RBM) measures over any unit priors.
- :mod:`~statmech_learn.meanfield.tap`: naive mean field and TAP through the prior's A, f_a, f_v.
- :mod:`~statmech_learn.meanfield.replica_sk`: the replica-symmetric SK solution and the AT line.
- :mod:`~statmech_learn.meanfield.exact`: exact enumeration of discrete units (up to 24).
- :mod:`~statmech_learn.meanfield.monte_carlo`: heat-bath and Metropolis sampling, chains vectorised.
- :mod:`~statmech_learn.meanfield.partition`: log Z of RBMs by exact layer sums and annealed importance sampling.
- :mod:`~statmech_learn.meanfield.rbm`: the RBM estimator, trained by exact gradients, CD, PCD, naive MF or TAP.
- :mod:`~statmech_learn.meanfield.datasets`: the digits (scikit-learn's bundled copy, the ``data`` extra).
"""

from . import datasets
from .exact import MAX_UNITS, ExactResult, exact
from .measures import SK, UNITS, Bipartite, Ising, Ising2D
from .monte_carlo import MonteCarloResult, integrated_autocorrelation_time, monte_carlo
from .partition import LogPartition, ais, exact_log_partition, log_marginal_visible, model_moments
from .rbm import RBM, LearningCurve, TAPFixedPoints, mean_field_gradient
from .renormalization import RGvsKL, rg_vs_kl
from .replica_sk import AT_FIELD_MAX, SKReplica, at_line, replica_sk
from .tap import MeanFieldResult, naive_mean_field, tap, tap_free_entropy, tap_hessian, tap_stability

__all__ = [
    "SK",
    "UNITS",
    "Bipartite",
    "Ising",
    "Ising2D",
    "MeanFieldResult",
    "naive_mean_field",
    "tap",
    "tap_free_entropy",
    "tap_hessian",
    "tap_stability",
    "SKReplica",
    "replica_sk",
    "at_line",
    "AT_FIELD_MAX",
    "ExactResult",
    "exact",
    "MAX_UNITS",
    "MonteCarloResult",
    "monte_carlo",
    "integrated_autocorrelation_time",
]
__all__ += [
    "datasets",
    "LogPartition",
    "ais",
    "exact_log_partition",
    "log_marginal_visible",
    "model_moments",
    "RBM",
    "LearningCurve",
    "TAPFixedPoints",
    "mean_field_gradient",
]
__all__ += ["rg_vs_kl", "RGvsKL"]
