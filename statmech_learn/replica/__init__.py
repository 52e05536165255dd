"""Replica theory of teacher-student generalised linear models."""

from .amp import AMPRun, CommitteeAMPRun, CommitteeStateEvolution, StateEvolution, amp, state_evolution
from .committee import CommitteeCurve, CommitteeTransitions, committee_transitions, solve_committee
from .covariates import (
    GaussianCovariate,
    RandomFeatureMap,
    RandomFeatures,
    StructuredInputs,
)
from .erm import (
    DataSimulation,
    ERMSimulation,
    data_simulation,
    erm_simulation,
    ridge_test_error,
)
from .glm import (
    FeaturesCurve,
    ReplicaCurve,
    Transitions,
    solve,
    solve_branches,
    transitions,
)
from .large_committee import (
    LargeCommitteeCurve,
    LargeCommitteeTransition,
    large_committee_transition,
    solve_large_committee,
)
from .models import ERM, BayesOptimal, Gibbs, TeacherStudent
from .ridge import ridge_applicable, ridge_saddle_point
from .sampling import GibbsSimulation, gibbs_simulation

__all__ = [
    "GaussianCovariate",
    "RandomFeatureMap",
    "RandomFeatures",
    "StructuredInputs",
    "FeaturesCurve",
    "TeacherStudent",
    "BayesOptimal",
    "Gibbs",
    "ERM",
    "ReplicaCurve",
    "Transitions",
    "solve",
    "solve_branches",
    "transitions",
    "AMPRun",
    "StateEvolution",
    "CommitteeAMPRun",
    "CommitteeStateEvolution",
    "amp",
    "state_evolution",
    "ERMSimulation",
    "erm_simulation",
    "DataSimulation",
    "data_simulation",
    "GibbsSimulation",
    "gibbs_simulation",
    "CommitteeCurve",
    "CommitteeTransitions",
    "solve_committee",
    "committee_transitions",
    "LargeCommitteeCurve",
    "LargeCommitteeTransition",
    "solve_large_committee",
    "large_committee_transition",
    "ridge_test_error",
    "ridge_applicable",
    "ridge_saddle_point",
]
