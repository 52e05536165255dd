"""Replica theory of teacher-student generalised linear models."""

from .amp import AMPRun, StateEvolution, amp, state_evolution
from .committee import CommitteeCurve, solve_committee
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
from .models import ERM, BayesOptimal, Gibbs, TeacherStudent
from .ridge import ridge_applicable, ridge_saddle_point

__all__ = ["GaussianCovariate", "RandomFeatureMap", "RandomFeatures", "StructuredInputs", "FeaturesCurve",
           "TeacherStudent", "BayesOptimal", "Gibbs", "ERM", "ReplicaCurve", "Transitions", "solve",
           "solve_branches", "transitions", "AMPRun", "StateEvolution", "amp", "state_evolution",
           "ERMSimulation", "erm_simulation", "DataSimulation",
           "data_simulation", "CommitteeCurve", "solve_committee", "ridge_test_error", "ridge_applicable",
           "ridge_saddle_point"]
