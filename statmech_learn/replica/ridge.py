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

Structured inputs (a :class:`~statmech_learn.gibbs.spectra.SpectralPrior` student,
spectrum :math:`(\omega_k, w_k, \bar\tau_k)`): the prior side becomes the resolvent sums
:math:`g = \sum_k w_k\omega_k/(\lambda+\hat V\omega_k)` and their kin
(:meth:`~statmech_learn.gibbs.spectra.Spectrum.sums`), and the fixed point is one
monotone scalar equation for :math:`\hat V`,

.. math::
    \hat V\,(1 + g(\hat V)) = \alpha,\qquad V = g(\hat V),\qquad \hat m = \kappa_1\hat V,\qquad
    m = \hat m\, t_1,\qquad
    q = \frac{\hat V s_2\,(\kappa_2 - 2\kappa_1 m) + \alpha\kappa_1^2\hat V t_2}{1 + \lambda n_2},

(the left side has derivative :math:`1 + \lambda n_2 > 0`), solved by bracketed Newton
iteration to machine precision.  At :math:`\lambda = 0` below the interpolation threshold
(:math:`\alpha < \sum_k w_k`, the rank fraction) V is infinite and :math:`u = \lim \hat V/\lambda`
solves :math:`u\sum_k w_k\omega_k/(1+u\omega_k) = \alpha`; then
:math:`m = u\kappa_1\sum_k w_k\bar\tau_k/(1+u\omega_k)` and
:math:`q = u\,(S(\kappa_2 - 2\kappa_1m) + \alpha\kappa_1^2T)/N` with
:math:`S, T, N = \sum_k w_k(\omega_k^2, \bar\tau_k\omega_k, \omega_k)/(1+u\omega_k)^2`: the
least-norm interpolator.  One atom at :math:`\omega = 1` gives the isotropic formulas above.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_positive
from ..gibbs.losses import LossChannel, SquareLoss
from ..gibbs.priors import L2Penalty
from ..gibbs.spectra import SpectralPrior, Spectrum
from .models import ERM, TeacherStudent

__all__ = ["ridge_applicable", "ridge_saddle_point"]


def ridge_applicable(model: TeacherStudent) -> bool:
    """True for a square-loss ERM student with an l2 penalty and a teacher channel whose
    label moments are known in closed form."""
    if not isinstance(model, TeacherStudent):
        raise ValueError(f"model must be a TeacherStudent, got {model!r}")
    sp = model.student_prior
    penalty = isinstance(sp, L2Penalty) or (isinstance(sp, SpectralPrior) and isinstance(sp.base, L2Penalty))
    return (
        isinstance(model.student, ERM)
        and isinstance(model.student.loss_, SquareLoss)
        and penalty
        and isinstance(model.student_channel, LossChannel)
        and model.channel.label_moments(model.rho) is not None
    )


def ridge_saddle_point(model: TeacherStudent, alpha: np.ndarray) -> dict[str, np.ndarray]:
    r"""The replica fixed point of square-loss ERM on an alpha grid, in closed form (module docstring).

    Returns the raw dict of :mod:`statmech_learn.replica.glm` (m, q, V, conjugates,
    ``phi``, ``converged``, ``n_iter`` = 0, ``residual`` = 0).  ``l2 = 0`` is the
    least-squares / least-norm limit; at :math:`\alpha = 1` with ``l2 = 0`` the norm
    diverges (q = inf: the interpolation peak), and for :math:`\alpha \le 1` with ``l2 = 0``
    V = inf (the loss is flat along the null space of the data).
    """
    if not ridge_applicable(model):
        raise ValueError(
            f"model must have a square-loss ERM student and a teacher channel with label moments "
            f"(the closed form), got {model!r}"
        )
    alpha = np.asarray(check_positive("alpha", alpha), dtype=float)
    sp = model.student_prior
    if isinstance(sp, L2Penalty):
        lam = sp.l2
    else:
        assert isinstance(sp, SpectralPrior) and isinstance(sp.base, L2Penalty)  # checked by ridge_applicable
        lam = sp.base.l2
    rho = model.rho
    moments = model.channel.label_moments(rho)
    assert moments is not None  # checked by ridge_applicable: the label moments have a closed form
    k1, k2 = moments
    if isinstance(model.student_prior, SpectralPrior):
        out = _spectral_ridge(model.student_prior, alpha, lam, k1, k2)
        return _finish(model, alpha, out)
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
    return _finish(model, alpha, dict(m=m, q=q, V=V, mhat=mhat, qhat=qhat, Vhat=Vhat, phi=phi, train_loss=train))


def _finish(model, alpha, out):
    """Convergence flags and the training error (one quadrature pass for classification)."""
    m, q, V = out["m"], out["q"], out["V"]
    finite = np.isfinite(V)
    rho = model.rho
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
    out.update(converged=conv, n_iter=zeros.astype(int), residual=zeros, train_error=train_err)
    return out


def _newton_root(F, lo, hi, max_iter: int = 200):
    """Root of increasing F on [lo, hi] (arrays, F(lo) < 0 < F(hi)): Newton steps kept inside the bracket
    (bisection otherwise), to a relative width of 4 ulp.  ``F(x)`` returns (value, derivative)."""
    lo, hi = np.array(lo, dtype=float), np.array(hi, dtype=float)
    x = 0.5 * (lo + hi)
    for _ in range(max_iter):
        f, df = F(x)
        lo = np.where(f < 0, x, lo)
        hi = np.where(f > 0, x, hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = x - f / df
        inside = np.isfinite(step) & (step > lo) & (step < hi)
        new = np.where(f == 0, x, np.where(inside, step, 0.5 * (lo + hi)))
        done = np.all(np.abs(new - x) <= 4e-16 * np.abs(x)) or np.all(hi - lo <= 4e-16 * np.abs(x))
        x = new
        if done:
            break
    return x


def _spectral_ridge(sp: SpectralPrior, alpha, lam, k1, k2):
    """The structured-input fixed point (module docstring)."""
    spec: Spectrum = sp.spectrum
    om, wt, te = spec.omega, spec.weight, spec.teacher
    rank = float(np.sum(wt))
    interp = (alpha <= rank) if lam == 0 else np.zeros(alpha.shape, dtype=bool)
    res = {k: np.full(alpha.shape, np.nan) for k in ("m", "q", "V", "mhat", "qhat", "Vhat", "phi", "train_loss")}
    reg = ~interp
    if np.any(reg):
        a = alpha[reg]

        def F(vh):
            s = spec.sums(lam, vh)
            return vh * (1.0 + s["g"]) - a, 1.0 + lam * s["n2"]

        lo = a / (1.0 + float(np.sum(wt * om)) / lam) if lam > 0 else np.maximum(a - rank, 0.0) * 0.5
        Vh = _newton_root(F, lo, a)
        s = spec.sums(lam, Vh)
        V = s["g"]
        mh = k1 * Vh
        m = mh * s["t1"]
        eps = k2 - 2.0 * k1 * m
        q = (Vh * s["s2"] * eps + a * k1 * k1 * Vh * s["t2"]) / (1.0 + lam * s["n2"])
        err2 = eps + q
        qh = Vh * Vh * err2 / a
        train = 0.5 * err2 / (1.0 + V) ** 2
        norm2 = sp.squared_norm(mh, qh, Vh)
        for k, v in dict(
            m=m, q=q, V=V, mhat=mh, qhat=qh, Vhat=Vh, train_loss=train, phi=-(a * train + 0.5 * lam * norm2)
        ).items():
            res[k][reg] = v
    if np.any(interp):  # least-norm interpolator: V = inf, u = lim Vhat / lambda
        a = alpha[interp]
        with np.errstate(divide="ignore", invalid="ignore"):

            def G(u):
                inv = 1.0 / (1.0 + u[..., None] * om)
                return u * np.sum(wt * om * inv, axis=-1) - a, np.sum(wt * om * inv * inv, axis=-1)

            hi = a / np.maximum(rank - a, 1e-300) / float(np.min(om))
            u = np.where(a < rank, _newton_root(G, np.zeros(a.shape), np.where(a < rank, hi, 1.0)), np.inf)
            inv = 1.0 / (1.0 + u[..., None] * om)
            m = u * k1 * np.sum(wt * te * inv, axis=-1)
            S = np.sum(wt * (om * inv) ** 2, axis=-1)
            T = np.sum(wt * te * om * inv * inv, axis=-1)
            N = np.sum(wt * om * inv * inv, axis=-1)
            q = np.where(np.isfinite(u), u * (S * (k2 - 2.0 * k1 * m) + a * k1 * k1 * T) / N, np.inf)
            m = np.where(np.isfinite(u), m, k1 * spec.explained_variance(om, wt, te))
        zeros = np.zeros(a.shape)
        for k, v in dict(
            m=m,
            q=q,
            V=np.full(a.shape, np.inf),
            mhat=zeros,
            qhat=zeros,
            Vhat=zeros,
            train_loss=np.where(np.isfinite(q), 0.0, np.inf),
            phi=zeros,
        ).items():
            res[k][interp] = v
    return res
