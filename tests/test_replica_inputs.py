"""Bad input to the replica engine gets a clear ValueError naming the parameter; results print.

Regression tests: each case once returned a converged-looking wrong answer, ran for
minutes, or failed with an unrelated exception.
"""

import math
import warnings

import numpy as np
import pytest

import statmech_learn as sml
from statmech_learn import replica

BO = sml.TeacherStudent("gaussian", "sign")
BINARY = sml.TeacherStudent("binary", "sign")
GIBBS = sml.TeacherStudent("gaussian", "sign", student=sml.Gibbs(0.5))
LOGISTIC = sml.TeacherStudent("gaussian", "sign", student=sml.ERM("logistic", 0.1))


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(tol=float("nan")), "tol"),
        (dict(tol=0.0), "tol"),
        (dict(tol=-1e-3), "tol"),
        (dict(tol=1e-300), "tol"),
        (dict(tol=float("inf")), "tol"),
        (dict(tol="1e-8"), "tol"),
        (dict(max_iter="abc"), "max_iter"),
        (dict(max_iter=0), "max_iter"),
        (dict(max_iter=1e300), "max_iter"),
        (dict(max_iter=2.5), "max_iter"),
        (dict(damping=-5), "damping"),
        (dict(damping=1.0), "damping"),
        (dict(damping=float("nan")), "damping"),
        (dict(damping=True), "damping"),
        (dict(init="sideways"), "init"),
        (dict(method="newton"), "method"),
        (dict(strict="yes"), "strict"),
    ],
)
@pytest.mark.parametrize("model", [BO, BINARY, GIBBS, LOGISTIC], ids=["bo", "binary", "gibbs", "erm"])
def test_solve_refuses_bad_options(model, kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        replica.solve(model, 1.0, **kwargs)


@pytest.mark.parametrize("alpha", [0.0, -1.0, float("nan"), float("inf"), 1e300, 1e-300, True, "1"])
def test_solve_refuses_bad_loads(alpha):
    with pytest.raises(ValueError, match="^alpha must"):
        replica.solve(BO, alpha)


@pytest.mark.parametrize("func", [replica.solve, replica.solve_branches, replica.transitions])
def test_functions_refuse_non_models(func):
    args = (1.0,) if func is replica.transitions else (1.0, 1.0)
    with pytest.raises(ValueError, match="^model must be a TeacherStudent, got 1.0"):
        func(*args)


@pytest.mark.parametrize("xtol", [0.0, 1e-300, float("nan"), -1.0, 2.0])
def test_transitions_refuse_unreachable_tolerances(xtol):
    with pytest.raises(ValueError, match="^xtol must"):
        replica.transitions(BINARY, (1.0, 2.0), xtol=xtol)


@pytest.mark.parametrize("rng_", [(2.0, 1.0), (0.0, 1.0), (1.0,), 3.0])
def test_transitions_refuse_bad_ranges(rng_):
    with pytest.raises(ValueError, match="alpha"):
        replica.transitions(BINARY, rng_)


def test_state_evolution_and_simulations_refuse_absurd_sizes():
    with pytest.raises(ValueError, match="^n_iter must be <= "):
        replica.state_evolution(BO, 1.0, n_iter=1e300)
    with pytest.raises(ValueError, match="^tol must"):
        replica.state_evolution(BO, 1.0, tol=0)
    ridge = sml.TeacherStudent("gaussian", "gaussian", student=sml.ERM("square", 0.1))
    with pytest.raises(ValueError, match="^n_test must be <= "):
        replica.erm_simulation(ridge, n=10, alpha=1.0, n_test=1e300)
    with pytest.raises(ValueError, match="input entries exceed"):
        replica.amp(BO, n=10**6, alpha=10.0)
    with pytest.raises(ValueError, match="^n must be <= "):
        replica.amp(BO, n=1e300, alpha=1.0)


@pytest.mark.parametrize(
    "make, name",
    [
        (lambda: sml.TeacherStudent(student_prior=5), "student_prior"),
        (lambda: sml.TeacherStudent(student_channel="nope"), "student_channel"),
        (lambda: sml.Gibbs(True), "temperature"),
        (lambda: sml.ERM(l2=True), "l2"),
        (lambda: sml.ERM(l2="0.1"), "l2"),
        (lambda: sml.ERM(l2=float("nan")), "l2"),
    ],
)
def test_model_constructors_name_the_bad_parameter(make, name):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        make()


def test_curve_repr_with_branch_labels():
    """repr of a multi-load curve once failed on the string branch labels."""
    curve = replica.solve(BINARY, np.linspace(1, 2, 7))
    text = repr(curve)
    assert text.startswith("ReplicaCurve(") and "'informed'" in text and "'uninformed'" in text
    # the perfect-recovery conjugates are infinite: the summary says so
    assert "non-finite" in text


def test_extreme_but_valid_loads_do_not_raise_linalg_errors():
    """SVD failures in Anderson's least squares (non-finite histories) now fall back to damping;
    at the smallest supported load every order parameter is at its alpha -> 0 limit."""
    for loss in ("hinge", "logistic", "square"):
        tiny = sml.TeacherStudent("gaussian", "sign", student=sml.ERM(loss, 1e10))
        c = replica.solve(tiny, 1e-8)
        assert c.converged and c.generalization_error == pytest.approx(0.5, abs=1e-4), loss
    c = replica.solve(BO, 1e-10)
    # alpha -> 0: q = (2/pi) alpha for the sign channel with a Gaussian prior (first order in alpha)
    assert c.q == pytest.approx(2 / math.pi * 1e-10, rel=1e-6)


def test_unregularised_logistic_is_refused_with_the_reason():
    """Regression: l2 = 0 once returned all NaN after 8-13 s.  On separable data the logistic
    minimiser does not exist: a clear error, at once, pointing to the max-margin limit."""
    model = sml.TeacherStudent("gaussian", "sign", student=sml.ERM("logistic", 0.0))
    for func in (replica.solve, replica.solve_branches):
        with pytest.raises(ValueError, match=r"^l2 must be > 0 for the logistic .* separable.*max-margin"):
            func(model, 2.0)


@pytest.mark.slow
def test_gibbs_at_huge_load_reports_instead_of_raising_linalg_error():
    """Regression: T = 1e-2 at alpha = 1e4 raised 'LinAlgError: SVD did not converge' inside the
    Anderson step.  Now the load is either converged or flagged, with a finite error near the
    T -> 0 asymptote alpha eps_g -> 0.625 (Engel & Van den Broeck 2001, ch. 4; a factor 2 margin)."""
    model = sml.TeacherStudent("gaussian", "sign", student=sml.Gibbs(1e-2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sml.ConvergenceWarning)
        c = replica.solve(model, 1e4)
    assert np.isfinite(c.generalization_error)
    assert 0.3 < 1e4 * c.generalization_error < 1.3
