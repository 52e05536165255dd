r"""Finite-size simulation of Gibbs learning: Monte Carlo samples of the student's posterior.

:func:`gibbs_simulation` draws teacher-student instances and samples the student's Gibbs
measure

.. math:: p(\mathbf w) \propto \prod_i P_0(w_i)\, \prod_\mu e^{-\beta\,\theta(-y_\mu z_\mu)}

(a :class:`~statmech_learn.replica.models.Gibbs` student; or the posterior of a
:class:`~statmech_learn.replica.models.BayesOptimal` student whose channel has a finite
likelihood) by :func:`~statmech_learn.gibbs.sampling.metropolis_within_gibbs`, for comparison
with :func:`statmech_learn.replica.solve`: the overlaps m, q, Q, the Gibbs generalisation
error and the training error (Engel & Van den Broeck 2001, ch. 4; Seung, Sompolinsky & Tishby
1992, Phys. Rev. A 45, 6056).

Each instance runs two chains, one started from a draw of the student's prior (overlap about
0 with the teacher) and one from the teacher itself (overlap 1).  They are independent samples
of the posterior once both have forgotten their starts, so that their overlap estimates q, and
the split :math:`\hat R` of the teacher overlap across the two (Gelman et al. 2013) says whether
they have: chains started on both sides of the answer that agree have converged.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import cast

import numpy as np

from .._validation import as_rng, check_bool, check_int, check_positive
from ..citations import _cites
from ..errors import ConvergenceError, ConvergenceWarning
from ..gibbs.priors import GaussianPrior
from ..gibbs.sampling import (
    MAX_SWEEPS,
    metropolis_within_gibbs,
    sign_channel_weights,
    split_rhat,
    truncated_gaussian_hmc,
)
from ..results import Result
from .amp import MAX_WEIGHTS, check_patterns
from .erm import MAX_INSTANCES, _mean_se
from .glm import _generalization
from .models import BayesOptimal, Gibbs, TeacherStudent

__all__ = ["GibbsSimulation", "gibbs_simulation"]


@dataclass(frozen=True, repr=False)
class GibbsSimulation(Result):
    r"""Monte Carlo samples of a Gibbs student on finite instances: means and standard errors.

    Attributes
    ----------
    alpha, n, n_patterns, n_samples : load, number of weights N, of patterns P = round(alpha N),
        of instances.
    n_sweeps, burn_in : sweeps per chain, and the first sweeps left out of every average.
    m : posterior mean of :math:`\mathbf w\cdot\mathbf w^*/N`.
    q : overlap of two independent samples, :math:`\mathbf w^a\cdot\mathbf w^b/N` (the two chains).
    Q : posterior mean of :math:`|\mathbf w|^2/N`.
    generalization_error : Gibbs students, labels ±1: the Gibbs error, the posterior mean of
        :math:`\arccos(\mathbf w\cdot\mathbf w^*/|\mathbf w||\mathbf w^*|)/\pi` (exact for Gaussian
        inputs); real labels: the posterior mean of :math:`(|\mathbf w^*|^2 - 2\mathbf w\cdot\mathbf w^*
        + |\mathbf w|^2)/N + \Delta`, the test error on a fresh noisy label.  Bayes-optimal
        students: the error of the posterior mean, from each instance's m and q
        (:math:`\arccos(m/\sqrt{\rho_N q})/\pi`, :math:`\rho_N = |\mathbf w^*|^2/N`; or
        :math:`\rho_N - 2m + q + \Delta`), as :func:`~statmech_learn.replica.solve` reports it.
    train_error : Gibbs students, labels ±1: posterior mean of the fraction of training patterns
        with :math:`y z \le 0` (NaN otherwise, as in the replica curve).
    *_stderr : standard errors over instances (NaN for one instance).
    sampler : 'hmc' (:func:`~statmech_learn.gibbs.sampling.truncated_gaussian_hmc`: a Gaussian
        student prior and a sign, noisy-sign or error-counting channel) or 'metropolis'
        (:func:`~statmech_learn.gibbs.sampling.metropolis_within_gibbs`: any other).
    acceptance : fraction of accepted proposals (1 for 'hmc', which rejects nothing).
    bounces : 'hmc': mean number of wall reflections per trajectory (NaN for 'metropolis').
    rhat : per instance, the split :math:`\hat R` of the teacher overlap over the two chains.
    converged : per instance, ``rhat <= rhat_tol``.
    converged_all : every instance converged.
    rhat_tol : the threshold.
    model : repr of the model.
    """

    alpha: float
    n: int
    n_patterns: int
    n_samples: int
    n_sweeps: int
    burn_in: int
    m: float
    m_stderr: float
    q: float
    q_stderr: float
    Q: float
    Q_stderr: float
    generalization_error: float
    generalization_error_stderr: float
    train_error: float
    train_error_stderr: float
    sampler: str
    acceptance: float
    bounces: float
    rhat: np.ndarray
    converged: np.ndarray
    converged_all: bool
    rhat_tol: float
    model: str


def _sampler(model: TeacherStudent) -> str:
    """'hmc' for a Gaussian student prior and a sign-type channel, else 'metropolis'."""
    hmc = isinstance(model.student_prior, GaussianPrior) and sign_channel_weights(model.student_channel) is not None
    return "hmc" if hmc else "metropolis"


def _check_model(model) -> TeacherStudent:
    if not isinstance(model, TeacherStudent) or not isinstance(model.student, (Gibbs, BayesOptimal)):
        raise ValueError(f"model must be a TeacherStudent with a Gibbs or Bayes-optimal student, got {model!r}")
    if model.inputs is not None or model.K != 1:
        raise ValueError(f"gibbs_simulation takes isotropic single-layer models only, got {model!r}")
    try:
        model.student_prior.sample(1, np.random.default_rng(0))
        model.prior.sample(1, np.random.default_rng(0))
    except NotImplementedError as exc:
        raise ValueError(f"the priors of {model!r} must be samplable: {exc}") from None
    if _sampler(model) == "hmc":
        return model
    probe = np.asarray(model.student_channel.log_likelihood(np.array([1.0, -1.0]), np.array([-1.0, 1.0])))
    if not np.all(np.isfinite(probe)):
        raise ValueError(
            f"the student's channel {model.student_channel!r} has an infinite log-likelihood (a hard "
            "constraint); use a Gibbs student at a small temperature, or a noisy channel"
        )
    return model


@_cites
def gibbs_simulation(
    model: TeacherStudent,
    n: int,
    alpha: float,
    n_samples: int = 4,
    rng=None,
    *,
    n_sweeps: int = 300,
    burn_in: int | None = None,
    rhat_tol: float = 1.1,
    strict: bool = False,
) -> GibbsSimulation:
    r"""Sample the student's posterior on ``n_samples`` finite instances and measure its overlaps and errors.

    Each instance: teacher :math:`\mathbf w^* \sim` ``model.prior`` (N = ``n`` weights), inputs
    :math:`x_{\mu i} \sim N(0, 1)` for P = round(alpha N) patterns, labels
    :math:`y = ` ``model.channel.sample`` :math:`(X\mathbf w^*/\sqrt N)`.  Two chains of
    :func:`~statmech_learn.gibbs.sampling.metropolis_within_gibbs` sample the student's posterior
    (``model.student_prior`` times ``model.student_channel``), one from a prior draw and one from
    :math:`\mathbf w^*`, for ``n_sweeps`` sweeps; the first ``burn_in`` are discarded and every
    later sweep is one draw.  All instances run as one batch.

    Parameters
    ----------
    model : TeacherStudent
        Isotropic inputs; a :class:`~statmech_learn.replica.models.Gibbs` student, or a
        Bayes-optimal one whose channel has a finite likelihood (noisy sign, probit, Gaussian
        noise).  Separable priors only: use 'gaussian' for the spherical perceptron (the same
        thermodynamic limit).
    n : int
        Number of weights N.
    alpha : float
        Load P/N > 0.
    n_samples : int
        Number of independent instances (the standard errors are over them).
    rng : None, int, SeedSequence or Generator
        Normalised by ``np.random.default_rng``: it draws the instances first, then the chains.
    n_sweeps : int
        Sweeps per chain, >= 8.
    burn_in : int, optional
        Sweeps discarded (default ``n_sweeps // 2``); at least 4 must remain.
    rhat_tol : float
        An instance has converged when the split :math:`\hat R` of its teacher overlap is at most
        this (>= 1; 1.1 is the threshold of Gelman et al. 2013).  With a few dozen draws per
        chain, :math:`\hat R` of converged chains scatters by a few percent above 1.
    strict : bool
        Raise :class:`~statmech_learn.errors.ConvergenceError` when an instance has not converged
        (otherwise a :class:`~statmech_learn.errors.ConvergenceWarning`).

    Returns
    -------
    GibbsSimulation

    Examples
    --------
    >>> import statmech_learn as sml
    >>> model = sml.TeacherStudent("gaussian", "sign", student=sml.replica.Gibbs(0.5))
    >>> sim = sml.replica.gibbs_simulation(model, n=100, alpha=2.0, rng=0)  # doctest: +SKIP
    >>> theory = sml.replica.solve(model, alpha=2.0)                          # doctest: +SKIP
    """
    model = _check_model(model)
    n = check_int("n", n, minimum=2, maximum=MAX_WEIGHTS)
    alpha = check_positive("alpha", alpha, scalar=True)
    n_samples = check_int("n_samples", n_samples, minimum=1, maximum=MAX_INSTANCES)
    n_sweeps = check_int("n_sweeps", n_sweeps, minimum=8, maximum=MAX_SWEEPS)
    burn_in = n_sweeps // 2 if burn_in is None else check_int("burn_in", burn_in, minimum=0, maximum=n_sweeps - 4)
    rhat_tol = check_positive("rhat_tol", rhat_tol, scalar=True)
    if rhat_tol < 1.0:
        raise ValueError(f"rhat_tol must be >= 1, got {rhat_tol:g}")
    strict = check_bool("strict", strict)
    P = check_patterns(alpha, n)
    if n_samples * P * n > 2 * 10**8:
        raise ValueError(
            f"n_samples * P * n = {n_samples * P * n:.3g} pattern entries exceed 2e8; "
            "use fewer instances or a smaller n"
        )

    g = as_rng(rng)
    S = n_samples
    w_star = np.asarray(model.prior.sample((S, n), g), dtype=float)
    X = g.standard_normal((S, P, n))
    y = np.asarray(model.channel.sample(np.einsum("spn,sn->sp", X, w_star) / np.sqrt(n), g), dtype=float)
    w0 = np.stack([np.asarray(model.student_prior.sample((S, n), g), dtype=float), w_star], axis=1)  # (S, 2, n)

    classification = model.task == "classification"
    kept = n_sweeps - burn_in
    trace = {k: np.empty((S, 2, kept)) for k in ("m", "Q", "eg", "et")}
    q_trace = np.empty((S, kept))
    norm_star = np.sqrt(np.sum(w_star**2, axis=1))  # (S,)
    noise = getattr(model.channel, "variance", 0.0)
    sweep = 0

    def observe(w, z):
        nonlocal sweep
        t = sweep - burn_in
        sweep += 1
        if t < 0:
            return
        w = w.reshape(S, 2, n)
        dot = np.einsum("scn,sn->sc", w, w_star)
        sq = np.einsum("scn,scn->sc", w, w)
        trace["m"][..., t] = dot / n
        trace["Q"][..., t] = sq / n
        if classification:
            cos = dot / np.maximum(np.sqrt(sq) * norm_star[:, None], 1e-300)
            trace["eg"][..., t] = np.arccos(np.clip(cos, -1.0, 1.0)) / np.pi
            trace["et"][..., t] = np.mean(y[:, None, :] * z.reshape(S, 2, P) <= 0, axis=-1)
        else:
            trace["eg"][..., t] = (norm_star[:, None] ** 2 - 2.0 * dot + sq) / n + noise
            trace["et"][..., t] = np.nan
        q_trace[:, t] = np.einsum("sn,sn->s", w[:, 0], w[:, 1]) / n

    Xb = np.repeat(X, 2, axis=0)  # chain c of instance s is row 2 s + c
    yb = np.repeat(y, 2, axis=0)
    sampler = _sampler(model)
    args = (model.student_channel, Xb, yb, w0.reshape(2 * S, n), n_sweeps, g, observe)
    if sampler == "hmc":
        _, bounces = truncated_gaussian_hmc(cast(GaussianPrior, model.student_prior), *args)
        acceptance = 1.0
    else:
        _, acceptance = metropolis_within_gibbs(model.student_prior, *args)
        bounces = float("nan")
    rhat = split_rhat(trace["m"])
    converged = rhat <= rhat_tol
    if not np.all(converged):
        message = (
            f"Gibbs sampling did not converge on {np.sum(~converged)} of {S} instances (split R-hat of the "
            f"teacher overlap up to {np.max(rhat):.3g} > {rhat_tol:g}) for {model!r} at alpha = {alpha:g}, "
            f"n = {n}; run more sweeps"
        )
        if strict:
            raise ConvergenceError(message)
        warnings.warn(message, ConvergenceWarning, stacklevel=3)
    per_instance = {k: np.mean(v, axis=(1, 2)) for k, v in trace.items()}
    q_inst = np.mean(q_trace, axis=1)
    if isinstance(model.student, BayesOptimal):  # the error of the posterior mean, from its overlaps m and q
        rho_n = norm_star**2 / n
        per_instance["eg"] = _generalization(model, per_instance["m"], np.maximum(q_inst, 0.0), 0.0, rho=rho_n)
        per_instance["et"] = np.full(S, np.nan)
    stats = {k: _mean_se(v) for k, v in per_instance.items()}
    q_mean, q_se = _mean_se(q_inst)
    return GibbsSimulation(
        alpha=alpha,
        n=n,
        n_patterns=P,
        n_samples=S,
        n_sweeps=n_sweeps,
        burn_in=burn_in,
        m=stats["m"][0],
        m_stderr=stats["m"][1],
        q=q_mean,
        q_stderr=q_se,
        Q=stats["Q"][0],
        Q_stderr=stats["Q"][1],
        generalization_error=stats["eg"][0],
        generalization_error_stderr=stats["eg"][1],
        train_error=stats["et"][0],
        train_error_stderr=stats["et"][1],
        sampler=sampler,
        acceptance=float(acceptance),
        bounces=float(bounces),
        rhat=rhat,
        converged=converged,
        converged_all=bool(np.all(converged)),
        rhat_tol=rhat_tol,
        model=repr(model),
    )
