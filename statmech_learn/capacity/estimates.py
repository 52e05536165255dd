r"""Results of the Monte Carlo separability estimates, with Wilson score intervals.

:func:`~statmech_learn.capacity.separability` returns a :class:`SeparabilityEstimate`
and :func:`~statmech_learn.capacity.separability_curve` a :class:`SeparabilityCurve`
(one estimate per load).  Of :math:`N_{samples}` independent instances,
:math:`k` are stored; the estimate and its binomial standard error are

.. math:: \hat p = k/N_{samples}, \qquad \mathrm{stderr} = \sqrt{\hat p(1-\hat p)/N_{samples}},

and the Wilson score interval at z standard deviations [Wilson1927] is

.. math:: \frac{\hat p + z^2/2N \pm z\sqrt{\hat p(1-\hat p)/N + z^2/4N^2}}{1 + z^2/N},

clipped to [0, 1].  Unlike :math:`\hat p \pm z\,\mathrm{stderr}` it has non-zero
width at :math:`\hat p = 0` and 1, where the standard error is 0.

References
----------
* [Wilson1927] E. B. Wilson, J. Am. Stat. Assoc. 22, 209-212 (1927).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_positive
from ..results import Result

__all__ = ["SeparabilityEstimate", "SeparabilityCurve"]


def _wilson(p: np.ndarray | float, n_samples: int, z: float):
    z = check_positive("z", z, scalar=True)
    z2n = z * z / n_samples
    center = (p + z2n / 2) / (1 + z2n)
    half = z / (1 + z2n) * np.sqrt(p * (1 - p) / n_samples + z2n / (4 * n_samples))
    return np.clip(center - half, 0.0, 1.0), np.clip(center + half, 0.0, 1.0)


@dataclass(frozen=True, repr=False)
class SeparabilityEstimate(Result):
    r"""Monte Carlo estimate of the probability that random patterns are stored.

    Attributes
    ----------
    alpha : float
        Load :math:`\alpha`; the instances have ``n_patterns = round(alpha * n)`` patterns.
    n : int
        Input dimension.
    n_patterns : int
        Number of patterns P per instance.
    kappa : float
        Margin :math:`\kappa \ge 0`.
    weights : str
        ``'spherical'`` or ``'binary'``.
    p : float
        Fraction of the instances that are stored, ``n_separable / n_samples``.
    stderr : float
        Binomial standard error of the mean, :math:`\sqrt{p(1-p)/N_{samples}}`.
        It is 0 at p = 0 or 1, where it says nothing about the uncertainty;
        use :meth:`interval` (Wilson score interval) there.
    n_samples : int
        Number of independent instances.
    n_separable : int
        Number of instances that are stored.
    """

    alpha: float
    n: int
    n_patterns: int
    kappa: float
    weights: str
    p: float
    stderr: float
    n_samples: int
    n_separable: int

    def interval(self, z: float = 3.0) -> tuple[float, float]:
        r"""Wilson score interval of the separability probability [Wilson1927]_.

        .. math:: \frac{\hat p + z^2/2N \pm z\sqrt{\hat p(1-\hat p)/N + z^2/4N^2}}{1 + z^2/N}

        Unlike ``p ± z * stderr`` it has non-zero width at p = 0 and p = 1.

        Parameters
        ----------
        z : float
            Number of standard deviations (3 gives about 99.7 % coverage).

        Returns
        -------
        low, high : float

        References
        ----------
        .. [Wilson1927] E. B. Wilson, J. Am. Stat. Assoc. 22, 209-212 (1927).
        """
        low, high = _wilson(self.p, self.n_samples, z)
        return float(low), float(high)

    def __str__(self) -> str:
        extra = ""
        if self.kappa != 0:
            extra += f", kappa={self.kappa:g}"
        if self.weights != "spherical":
            extra += f", {self.weights} weights"
        return (
            f"p = {self.p:.3f} ± {self.stderr:.3f} (alpha={self.alpha:g}, n={self.n}{extra}, {self.n_samples} samples)"
        )


@dataclass(frozen=True, repr=False, eq=False)
class SeparabilityCurve(Result):
    r"""Separability probability as a function of the load :math:`\alpha`.

    Attributes
    ----------
    alpha : ndarray
        Loads, in the order given.
    p : ndarray
        Fraction of stored instances at each alpha.
    stderr : ndarray
        Binomial standard errors :math:`\sqrt{p(1-p)/N_{samples}}` (0 at p in {0, 1};
        see :meth:`interval`).
    n_separable : ndarray of int
        Number of stored instances at each alpha.
    n : int
        Input dimension.
    kappa : float
        Margin.
    weights : str
        ``'spherical'`` or ``'binary'``.
    n_samples : int
        Instances per alpha.
    """

    alpha: np.ndarray
    p: np.ndarray
    stderr: np.ndarray
    n_separable: np.ndarray
    n: int
    kappa: float
    weights: str
    n_samples: int

    def interval(self, z: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
        """Wilson score intervals (low, high) at every alpha; see :meth:`SeparabilityEstimate.interval`."""
        return _wilson(self.p, self.n_samples, z)
