"""Pairwise Gibbs measures: naive mean field and TAP written once over the unit priors, exact
enumeration, Monte Carlo, and the replica solution of the SK model.

- :mod:`~statmech_learn.meanfield.measures`: the Ising and SK measures over any unit prior.
- :mod:`~statmech_learn.meanfield.tap`: naive mean field and TAP through the prior's A, f_a, f_v.
- :mod:`~statmech_learn.meanfield.replica_sk`: the replica-symmetric SK solution and the AT line.
"""

from .measures import SK, UNITS, Ising
from .replica_sk import AT_FIELD_MAX, SKReplica, at_line, replica_sk
from .tap import MeanFieldResult, naive_mean_field, tap, tap_free_entropy, tap_hessian

__all__ = ["SK", "UNITS", "Ising", "MeanFieldResult", "naive_mean_field", "tap", "tap_free_entropy",
           "tap_hessian", "SKReplica", "replica_sk", "at_line", "AT_FIELD_MAX"]
