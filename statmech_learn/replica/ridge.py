r"""Square-loss ERM (ridge regression and least-squares classification) in closed form.

With the square loss :math:`\ell = (y - z)^2/2` and the penalty :math:`\lambda|w|^2/2`
the channel's proximal map is linear, :math:`p = (\omega + Vy)/(1+V)`, so the
channel integrals of the replica equations involve the teacher only through two
label moments, :math:`\kappa_1 = \mathbb E[y z^*]/\rho` and :math:`\kappa_2 = \mathbb E y^2`
(:meth:`~statmech_learn.gibbs.Channel.label_moments`):

.. math::
    \hat V = \frac{\alpha}{1+V},\quad \hat m = \frac{\alpha\kappa_1}{1+V},\quad
    \hat q = \frac{\alpha\,(\kappa_2 - 2\kappa_1 m + q)}{(1+V)^2},

and with the prior side :math:`V = 1/(\hat V + \lambda)`,
:math:`m = \hat m\rho V`, :math:`q = (\hat m^2\rho + \hat q)V^2` the fixed point is
explicit.  V is the positive root of :math:`\lambda V^2 + (\alpha + \lambda - 1)V - 1 = 0`;
with :math:`r = V/(1+V)`,

.. math::
    m = \alpha\kappa_1\rho\, r, \qquad
    q = \frac{r^2\,[\alpha^2\kappa_1^2\rho + \alpha(\kappa_2 - 2\kappa_1 m)]}{1/(1+V) + \lambda V r},

the denominator being :math:`1 - \alpha r^2` written without cancellation.  At
:math:`\lambda = 0` this is the least-squares solution for :math:`\alpha > 1`
(:math:`V = 1/(\alpha-1)`) and the least-norm interpolator for :math:`\alpha < 1`
(:math:`V = \infty`, :math:`r = 1`, :math:`\lambda V \to 1 - \alpha`):
:math:`q = \alpha(\kappa_2 - \alpha\kappa_1^2\rho)/(1-\alpha)`, which for a Gaussian
teacher is the random-matrix result of Hastie, Montanari, Rosset & Tibshirani
(2022, Ann. Stat. 50, 949).  The free entropy is minus the regularised training
loss, :math:`\Phi = -\alpha\,\mathbb E(y-\omega)^2/(2(1+V)^2) - \lambda q/2`.

The generic quadrature path (``solve(..., method="iterate")``) solves the same
equations numerically and is the check of this module in the tests.
"""

from __future__ import annotations

import numpy as np

from ..gibbs.losses import LossChannel, SquareLoss
from ..gibbs.priors import L2Penalty
from .models import ERM, TeacherStudent

__all__ = ["ridge_applicable", "ridge_saddle_point"]


def ridge_applicable(model: TeacherStudent) -> bool:
    """True for a square-loss ERM student with an l2 penalty and a teacher channel whose
    label moments are known in closed form."""
    return (isinstance(model.student, ERM) and isinstance(model.student.loss_, SquareLoss)
            and isinstance(model.student_prior, L2Penalty) and isinstance(model.student_channel, LossChannel)
            and model.channel.label_moments(model.rho) is not None)


def ridge_saddle_point(model: TeacherStudent, alpha: np.ndarray) -> dict[str, np.ndarray]:
    r"""The replica fixed point of square-loss ERM on an alpha grid, in closed form (module docstring).

    Returns the raw dict of :mod:`statmech_learn.replica.glm` (m, q, V, conjugates,
    ``phi``, ``converged``, ``n_iter`` = 0, ``residual`` = 0).  ``l2 = 0`` is the
    least-squares / least-norm limit; at :math:`\alpha = 1` with ``l2 = 0`` the norm
    diverges (q = inf: the interpolation peak).
    """
    if not ridge_applicable(model):
        raise ValueError(f"the closed form needs a square-loss ERM student and a teacher channel with label "
                         f"moments, got {model!r}")
    alpha = np.asarray(alpha, dtype=float)
    lam = model.student.l2
    rho = model.rho
    k1, k2 = model.channel.label_moments(rho)
    b = alpha + lam - 1.0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if lam > 0:
            root = np.sqrt(b * b + 4.0 * lam)
            V = np.where(b > 0, 2.0 / (b + root), (root - b) / (2.0 * lam))
            lam_v = lam * V
        else:
            V = np.where(alpha > 1.0, 1.0 / (alpha - 1.0), np.inf)
            lam_v = np.where(alpha > 1.0, 0.0, 1.0 - alpha)
        finite = np.isfinite(V)
        s_inv = np.where(finite, 1.0 / (1.0 + V), 0.0)  # 1/(1+V)
        r = np.where(finite, V * s_inv, 1.0)
        m = alpha * k1 * rho * r
        num = r * r * (alpha**2 * k1 * k1 * rho + alpha * (k2 - 2.0 * k1 * m))
        den = s_inv + lam_v * r
        q = np.where(den > 0, num / den, np.inf)
        err2 = k2 - 2.0 * k1 * m + q  # E (y - omega)^2
        Vhat = alpha * s_inv
        mhat = alpha * k1 * s_inv
        qhat = alpha * err2 * s_inv * s_inv
        train = np.where(np.isfinite(q), 0.5 * err2 * s_inv * s_inv, np.inf)
        phi = -(alpha * train + 0.5 * lam * q)
    conv = np.isfinite(m) & ~np.isnan(q)
    zeros = np.zeros(alpha.shape)
    # training error P(y p <= 0) = P(y omega <= -V): one quadrature pass for classification
    # (0 for the interpolator, V = inf, whose training outputs are the labels themselves)
    train_err = np.full(alpha.shape, np.nan)
    if model.task == "classification":
        train_err = np.where(finite, np.nan, 0.0)
        ok = finite & np.isfinite(q)
        if np.any(ok):
            train_err[ok] = model.student_channel.rs_train(m[ok], q[ok], V[ok], model.channel, rho)[1]
    return dict(m=m, q=q, V=V, mhat=mhat, qhat=qhat, Vhat=Vhat, phi=phi, converged=conv,
                n_iter=zeros.astype(int), residual=zeros, train_loss=train, train_error=train_err)
