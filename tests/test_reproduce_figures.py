"""The teacher-student and binary-perceptron reproductions: their figures say what they show and
every theory-vs-simulation check carries a verdict that passes at the quick size."""

import numpy as np
import pytest

from statmech_learn.reproduce import binary_perceptron, teacher_student
from statmech_learn.reproduce.base import mean_agreement


def _verdicts(checks):
    return {k: v["pass"] for k, v in checks.items() if isinstance(v, dict) and "pass" in v}


def test_mean_agreement_verdict_follows_its_rule():
    """Student-t quantile (2 dof, Bonferroni over 2 points at 1%: t = 14.089) times the standard
    error plus the allowance: a deviation just inside passes, just outside fails."""
    t = 14.08904727
    ok = mean_agreement([1.0 + 0.99 * (t * 0.01 + 0.001)] * 2, [0.01, 0.01], [1.0, 1.0], 3, allowance=0.001)
    bad = mean_agreement([1.0 + 1.01 * (t * 0.01 + 0.001), 1.0], [0.01, 0.01], [1.0, 1.0], 3, allowance=0.001)
    assert ok["pass"] and not bad["pass"]
    assert ok["tolerance_t"] == pytest.approx(t, rel=1e-8)
    assert mean_agreement([1.0], [0.0], [1.1], 3)["pass"] is False  # no error bar, no allowance: exact only


@pytest.mark.slow
def test_binary_perceptron_quick_figure_and_checks():
    r = binary_perceptron.compute(quick=True)
    verdicts = _verdicts(r.checks)
    assert len(verdicts) >= 5 and all(verdicts.values()), r.checks
    thermo = next(s for s in r.series if s.label.startswith("thermodynamic"))
    a_it = r.checks["alpha_it"]["value"]
    jump = np.flatnonzero(thermo.x == a_it)
    assert jump.size == 2 and thermo.y[jump[0]] < 0.9 and thermo.y[jump[1]] == 1.0  # a vertical jump
    assert all("uninformed branch" not in s.label for s in r.series)
    assert any(s.label.startswith("metastable") and s.style in ("--", ":") for s in r.series)


@pytest.mark.slow
def test_teacher_student_quick_figure_and_checks():
    r = teacher_student.compute(quick=True)
    verdicts = _verdicts(r.checks)
    assert len(verdicts) == 4 and all(verdicts.values()), r.checks
    gibbs = [s for s in r.series if s.label.startswith("Gibbs")]
    assert gibbs and all("theory only" in s.label for s in gibbs)
    theory = [s for s in r.series if s.kind == "theory"]
    assert theory[-1].label == "Bayes-optimal"  # drawn last, on top of the close logistic curve


def test_perceptron_rules_quick_checks_pass():
    """Exponents of the three rules from the ODE (-1/2, -1/3, -1; Engel & Van den Broeck 2001,
    ch. 9) and simulation against the ODE, each with a verdict; log-log panel."""
    from statmech_learn.reproduce import perceptron_rules

    r = perceptron_rules.compute(quick=True)
    verdicts = _verdicts(r.checks)
    assert len(verdicts) == 6 and all(verdicts.values()), r.checks
    assert r.panels[0].xscale == "log" and r.panels[0].yscale == "log"
