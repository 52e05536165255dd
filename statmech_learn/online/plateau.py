r"""Plateau diagnostics of a learning curve: the symmetric plateau and the specialisation.

Online learning of a committee machine from a small random start first reaches
a *symmetric* fixed point, where every student unit has the same overlap with
every teacher unit; the error stalls on a plateau there until the symmetry
breaks and each student unit specialises on one teacher unit (Saad & Solla
1995, Phys. Rev. E 52, 4225; Biehl, Riegler & Wohler 1996, J. Phys. A 29, 4769).
:func:`plateau` reads these off any trajectory, theory or simulation:

- the plateau is the longest stretch where :math:`|d\log\varepsilon_g/d\log t|`
  stays below ``flat`` (the error changes by less than that fraction per
  e-fold of time), after the initial descent;
- its height is the median error on that stretch, its entry and exit the
  stretch's ends;
- the specialisation time is the first time after entry at which the overlaps
  :math:`R` (when given) stop being symmetric: the spread of each student
  unit's overlaps with the teacher units exceeds ``spread`` times their mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_finite, check_nonnegative
from ..citations import _cites
from ..results import Result

__all__ = ["Plateau", "plateau"]


@dataclass(frozen=True, repr=False)
class Plateau(Result):
    """The symmetric plateau of a learning curve.

    Attributes
    ----------
    found : a plateau was detected.
    height : median generalisation error on the plateau.
    entry, exit : times where it starts and ends.
    duration : exit - entry.
    specialisation_time : first time after entry when the teacher overlaps R stop being
        symmetric (NaN without R or if it does not happen).
    final_error : error at the last time.
    """

    found: bool
    height: float
    entry: float
    exit: float
    duration: float
    specialisation_time: float
    final_error: float


@_cites
def plateau(traj, *, flat: float = 0.05, spread: float = 0.5, min_duration: float = 0.0) -> Plateau:
    r"""Detect the plateau of ``traj`` (anything with ``t`` and ``eps_g``, optionally ``R``).

    Parameters
    ----------
    traj : OverlapTrajectory, OnlineSimulation or similar
        ``t`` (increasing) and ``eps_g`` of the same length; ``R`` of shape
        (n_t, K, M) (or (n_seeds, n_t, K, M), averaged over seeds) for the specialisation.
    flat : float
        Largest :math:`|d\log\varepsilon/d\log t|` on the plateau.
    spread : float
        Specialisation: :math:`\max_i (\max_n R_{in} - \min_n R_{in}) >` spread :math:`\times` mean :math:`|R|`.
    min_duration : float
        Shortest stretch (in t) accepted as a plateau.
    """
    if not (hasattr(traj, "t") and hasattr(traj, "eps_g")):
        raise ValueError(f"traj must have attributes t and eps_g (a trajectory or a simulation), got {traj!r}")
    t = np.asarray(check_finite("traj.t", traj.t), dtype=float)
    eps = np.asarray(check_finite("traj.eps_g", traj.eps_g), dtype=float)
    if t.ndim != 1 or eps.shape != t.shape or t.size < 3:
        raise ValueError(f"traj must have 1-d t and eps_g of the same length >= 3, got {t.shape} and {eps.shape}")
    flat = check_finite("flat", flat, scalar=True)
    if not 0 < flat < 1:
        raise ValueError(f"flat must be in (0, 1), got {flat}")
    spread = check_nonnegative("spread", spread, scalar=True)
    min_duration = check_nonnegative("min_duration", min_duration, scalar=True)
    nan = float("nan")
    pos = (t > 0) & (eps > 0)
    found, height, entry, exit_ = False, nan, nan, nan
    if np.count_nonzero(pos) >= 3:
        lt, le = np.log(t[pos]), np.log(eps[pos])
        slope = np.gradient(le, lt)
        ok = np.abs(slope) < flat
        tt = t[pos]
        best, start = (0, -1, -1), None
        for k, flag in enumerate(np.append(ok, False)):
            if flag and start is None:
                start = k
            elif not flag and start is not None:
                length = tt[k - 1] - tt[start]
                if length > best[0]:
                    best = (length, start, k - 1)
                start = None
        if best[1] >= 0 and best[0] > min_duration:
            found = True
            a, b = best[1], best[2]
            height = float(np.median(eps[pos][a : b + 1]))
            entry, exit_ = float(tt[a]), float(tt[b])
    t_spec = nan
    R = getattr(traj, "R", None)
    if R is not None and found:
        R = np.asarray(R, dtype=float)
        if R.ndim == 4:
            R = R.mean(axis=0)
        if R.ndim == 3 and R.shape[0] == t.size and R.shape[2] > 1:
            gap = np.max(R.max(axis=2) - R.min(axis=2), axis=1)
            scale = np.mean(np.abs(R), axis=(1, 2))
            after = np.flatnonzero((t >= entry) & (gap > spread * scale))
            if after.size:
                t_spec = float(t[after[0]])
    return Plateau(
        found=found,
        height=height,
        entry=entry,
        exit=exit_,
        duration=exit_ - entry if found else nan,
        specialisation_time=t_spec,
        final_error=float(eps[-1]),
    )
