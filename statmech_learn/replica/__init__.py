"""Replica theory of teacher-student generalised linear models."""

from .glm import ReplicaCurve, Transitions, solve, solve_branches, transitions
from .models import ERM, BayesOptimal, Gibbs, TeacherStudent

__all__ = ["TeacherStudent", "BayesOptimal", "Gibbs", "ERM", "ReplicaCurve", "Transitions", "solve",
           "solve_branches", "transitions"]
