r"""Hinge-loss ERM without regularisation: the max-margin (hard-margin SVM) limit.

For :math:`\lambda \to 0` on linearly separable data the minimiser of
:math:`\sum_\mu \max(0, 1 - y_\mu z_\mu) + \tfrac\lambda2|w|^2` is the max-margin
solution, :math:`\min |w|^2` subject to :math:`y_\mu z_\mu \ge 1` (reached exactly
below a finite :math:`\lambda`).  In the replica equations of the hinge loss the
student variance diverges as :math:`V = v/\lambda`; every pattern with
:math:`y\omega < 1` is then projected onto the margin, :math:`g_{out} = y(1 - y\omega)_+/V`,
and with :math:`\hat V = \lambda\tilde v`, :math:`\hat m = \lambda\tilde m`,
:math:`\hat q = \lambda^2\tilde q` the equations close on (m, q) alone:

.. math::
    m = \alpha\rho\, M_1,\qquad q = \alpha^2\rho\, M_1^2 + \alpha\, G_2,\qquad
    v = 1 - \alpha P_1 > 0,

    P_1 = \mathbb E\,\theta(1 - y\omega),\quad
    G_2 = \mathbb E\,(1 - y\omega)_+^2,\quad
    M_1 = \mathbb E_\xi\!\int\! dy\, \partial_{\omega^*} Z^*_{out}\, y(1 - y\omega)_+,

with :math:`\omega = \sqrt q\,\xi`, :math:`\omega^* = (m/\sqrt q)\xi` as in
:meth:`~statmech_learn.gibbs.Channel.rs_teacher_student` (Gardner 1988's
optimal-stability calculation with a teacher; Aubin et al. 2020, NeurIPS,
sec. 4, the max-margin limit of the hinge loss).  :math:`\alpha P_1` is the
number of support vectors per weight; :math:`v \le 0` means the data are not
separable at that load (a noisy teacher beyond its separability threshold),
where no max-margin solution exists and the load is reported unconverged.
The training loss and error are 0 and the free entropy (minus the regularised
training loss) is 0.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import root

from ..gaussian import normal_nodes
from ..gibbs.losses import HingeLoss
from .models import ERM, TeacherStudent

__all__ = ["max_margin_applicable", "max_margin_saddle_point"]


def max_margin_applicable(model: TeacherStudent) -> bool:
    """True for an unregularised hinge-loss ERM student on ±1 labels with isotropic inputs."""
    return (
        isinstance(model.student, ERM)
        and isinstance(model.student.loss_, HingeLoss)
        and model.student.l2 == 0
        and model.task == "classification"
        and model.inputs is None
    )


def _integrals(model: TeacherStudent, m: float, q: float, panel_order: int = 16):
    """(P1, G2, M1) at overlaps (m, q): composite rule in xi with breaks at y omega = 1."""
    rho = model.rho
    sq = np.sqrt(q)
    Vs = max(rho - m * m / q, 1e-300)
    a = m / sq
    width = min(1.0, np.sqrt(Vs) / max(abs(a), 1e-300))
    xi, wxi = normal_nodes(0.0, width, panel_order, extra_breaks=np.array([-1.0 / sq, 1.0 / sq]))
    y, wy, dwy = model.channel.label_nodes(a * xi, np.full(xi.shape, Vs))  # (N, 2)
    gap = np.maximum(1.0 - y * (sq * xi)[:, None], 0.0)
    W = wxi[:, None] * wy
    DW = wxi[:, None] * dwy
    return float(np.sum(W * (gap > 0))), float(np.sum(W * gap * gap)), float(np.sum(DW * y * gap))


def max_margin_saddle_point(model: TeacherStudent, alpha: np.ndarray, tol: float = 1e-12) -> dict[str, np.ndarray]:
    r"""The max-margin fixed point (module docstring) on an alpha grid.

    Solves :math:`F(\log m, \log q) = 0` per load by MINPACK's hybrid method,
    warm-started along the grid.  Returns the raw dict of
    :mod:`statmech_learn.replica.glm` with ``V = inf`` and zero conjugates (their
    :math:`\lambda \to 0` limits), training loss and error 0, ``phi = 0``,
    and the residual :math:`\max(|\Delta m|/m, |\Delta q|/q)` of one application
    of the map.
    """
    if not max_margin_applicable(model):
        raise ValueError(f"the max-margin limit needs an unregularised hinge student on ±1 labels, got {model!r}")
    alpha = np.asarray(alpha, dtype=float)
    rho = model.rho
    out = {k: np.full(alpha.shape, np.nan) for k in ("m", "q", "residual")}
    conv = np.zeros(alpha.shape, dtype=bool)
    n_iter = np.zeros(alpha.shape, dtype=int)
    order = np.argsort(alpha)
    z = None
    for k in order:
        a = float(alpha[k])

        def new(mq):
            m, q = np.exp(mq)
            _, g2, m1 = _integrals(model, m, q)
            return np.array([a * rho * m1, a * a * rho * m1 * m1 + a * g2])

        def F(mq):
            with np.errstate(all="ignore"):
                return np.log(np.maximum(new(mq), 1e-300)) - mq

        start = z if z is not None else np.log([a * rho * np.sqrt(2 / np.pi), a + a * a * 2 / np.pi])
        sol = root(F, start, method="hybr", options={"xtol": 1e-14, "maxfev": 400})
        n_iter[k] = int(sol.nfev)
        if not np.all(np.isfinite(sol.x)):
            continue
        m, q = np.exp(sol.x)
        p1, _, _ = _integrals(model, m, q)
        fx = new(sol.x)
        res = float(max(abs(fx[0] - m) / m, abs(fx[1] - q) / q))
        out["m"][k], out["q"][k], out["residual"][k] = m, q, res
        separable = 1.0 - a * p1 > 0
        conv[k] = bool(res <= max(tol, 1e-12) and separable and m > 0)
        if conv[k]:
            z = sol.x
    zeros = np.zeros(alpha.shape)
    return dict(
        m=out["m"],
        q=out["q"],
        V=np.full(alpha.shape, np.inf),
        mhat=zeros,
        qhat=zeros,
        Vhat=zeros.copy(),
        phi=np.where(conv, 0.0, np.nan),
        converged=conv,
        n_iter=n_iter,
        residual=out["residual"],
        train_loss=np.where(conv, 0.0, np.nan),
        train_error=np.where(conv, 0.0, np.nan),
    )
