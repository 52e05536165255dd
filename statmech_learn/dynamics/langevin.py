r"""Langevin sampling of Gibbs densities :math:`p(w) \propto e^{-E(w)/T}`, many chains at once.

The overdamped Langevin equation :math:`dw = -\nabla E\,dt + \sqrt{2T}\,dB_t` has
the Gibbs density as stationary law.  Its Euler-Maruyama discretisation with
step h,

.. math:: w' = w - h\,\nabla E(w) + \sqrt{2hT}\,\xi, \qquad \xi \sim N(0, I),

is the **unadjusted Langevin algorithm** (ULA; Roberts & Tweedie 1996,
Bernoulli 2, 341).  It is biased at O(h): for
:math:`E = \tfrac12 w^\top A w` its stationary covariance solves the discrete
Lyapunov equation, :math:`C = T A^{-1}(I - hA/2)^{-1}` instead of :math:`TA^{-1}`,
and it diverges for :math:`h\lambda_{max}(A) \ge 2`.  (SGD with additive
isotropic noise of variance :math:`\sigma^2` per coordinate is ULA with
h = lr at :math:`T = \mathrm{lr}\,\sigma^2/2`: the same formula is the exact
SGD covariance of :func:`~statmech_learn.dynamics.sgd_stationary`.)

The **Metropolis-adjusted Langevin algorithm** (MALA; Roberts & Tweedie 1996)
uses the ULA move as a proposal q(w'|w) = :math:`N(w - h\nabla E(w), 2hT\,I)`
and accepts it with probability

.. math:: \min\Big(1,\ \exp\big(-[E(w') - E(w)]/T\big)\,\frac{q(w\mid w')}{q(w'\mid w)}\Big),
          \qquad \log q(w'\mid w) = -\frac{|w' - w + h\nabla E(w)|^2}{4hT} + \text{const},

which makes the Gibbs density exactly stationary for every h.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .._validation import as_rng, check_bool, check_choice, check_finite, check_int, check_positive, check_probability
from ..citations import _cites
from ..results import Result
from ._chains import ChainRecorder

__all__ = ["LangevinRun", "langevin"]

#: covariance estimates are accumulated by default up to this dimension (cost d^2 per chain and step)
MAX_COV_DIM = 100
#: largest number of stored sample entries (n_chains x kept steps x d) accepted
MAX_STORED = 200_000_000


@dataclass(frozen=True, repr=False)
class LangevinRun(Result):
    r"""Samples of :math:`e^{-E/T}` by Langevin dynamics, with acceptance and stationary statistics.

    Attributes
    ----------
    samples : (n_chains, n_steps // thin, d) every ``thin``-th state after burn-in.
    energies : (n_chains, n_steps // thin) E at those states.
    mean, mean_stderr : (d,) mean over chains and recorded steps, and its standard error from the
        spread over the independent chains.
    covariance, covariance_stderr : (d, d) the same for the covariance (None if not accumulated).
    autocorr_time : (d,) integrated autocorrelation time of each coordinate in steps (None if not accumulated).
    acceptance_rate : fraction of accepted proposals after burn-in (MALA); 1.0 for ULA, which accepts every move.
    acceptance_per_chain : (n_chains,) the same per chain.
    step : the step h used after burn-in.
    method : 'mala' or 'ula'.
    temperature, n_steps, burn_in, thin, n_chains : the run's settings.
    model : repr of the model.
    """

    samples: np.ndarray
    energies: np.ndarray
    mean: np.ndarray
    mean_stderr: np.ndarray
    covariance: object
    covariance_stderr: object
    autocorr_time: object
    acceptance_rate: float
    acceptance_per_chain: np.ndarray
    step: float
    method: str
    temperature: float
    n_steps: int
    burn_in: int
    thin: int
    n_chains: int
    model: str


def _energy_and_gradient(model):
    if hasattr(model, "energy_and_gradient"):
        return model.energy_and_gradient
    return lambda W: (model.energy(W), model.gradient(W))


@_cites
def langevin(
    model,
    temperature: float,
    n_steps: int,
    rng=None,
    *,
    step="auto",
    method: str = "mala",
    n_chains: int = 16,
    burn_in: int | None = None,
    thin: int | None = None,
    init: ArrayLike | None = None,
    target_acceptance: float = 0.574,
    covariance: bool | None = None,
) -> LangevinRun:
    r"""Sample :math:`p(w)\propto e^{-E(w)/T}` with MALA or ULA, ``n_chains`` chains vectorised.

    Parameters
    ----------
    model : object
        Exposes ``dim``, ``energy(W)`` and ``gradient(W)`` on batches W of shape (n_chains, d)
        (and optionally ``energy_and_gradient`` and ``curvature``), e.g.
        :class:`~statmech_learn.dynamics.GaussianEnergy` or
        :class:`~statmech_learn.dynamics.TeacherStudentEnergy`.
    temperature : float
        T > 0.
    n_steps : int
        Recorded steps after burn-in.
    rng : seed or Generator
    step : float or "auto"
        Step h.  "auto": MALA starts from :math:`h = d^{-1/3}/\kappa` (:math:`\kappa` the model's
        ``curvature``, 1 if it has none) and adapts log h during burn-in towards ``target_acceptance``
        (Robbins-Monro, frozen afterwards so that the recorded chain is a valid MALA chain);
        ULA uses :math:`h = 0.02/\kappa` (variance bias about 1 % for a Gaussian), and needs ``curvature``.
    method : {"mala", "ula"}
    n_chains : int
        Independent chains (>= 2 for standard errors).
    burn_in : int, optional
        Steps discarded first (default n_steps // 4).
    thin : int, optional
        Keep every thin-th state (default: at most 1000 per chain).  Moments use every step.
    init : (d,) or (n_chains, d) array_like, optional
        Start (default: ``model.mean`` if it has one, else 0).
    target_acceptance : float
        Acceptance rate aimed at by the MALA step adaptation (0.574: Roberts & Rosenthal 1998,
        J. R. Stat. Soc. B 60, 255).
    covariance : bool, optional
        Accumulate the covariance (default: when d <= 100).

    Returns
    -------
    LangevinRun
    """
    for attr in ("dim", "energy", "gradient"):
        if not hasattr(model, attr):
            raise ValueError(f"model must expose dim, energy(W) and gradient(W), got {model!r} (no {attr!r})")
    d = check_int("model.dim", model.dim, minimum=1)
    T = check_positive("temperature", temperature, scalar=True)
    n_steps = check_int("n_steps", n_steps, minimum=1, maximum=10**9)
    method = check_choice("method", method, ("mala", "ula"))
    n_chains = check_int("n_chains", n_chains, minimum=1, maximum=10**7)
    burn_in = n_steps // 4 if burn_in is None else check_int("burn_in", burn_in, minimum=0, maximum=10**9)
    thin = max(1, n_steps // 1000) if thin is None else check_int("thin", thin, minimum=1, maximum=10**9)
    if n_chains * (n_steps // thin) * d > MAX_STORED:
        raise ValueError(
            f"thin must be >= {int(np.ceil(n_chains * n_steps * d / MAX_STORED))} to keep at most "
            f"{MAX_STORED} stored entries (n_chains x n_steps/thin x d), got {thin}"
        )
    target = check_probability("target_acceptance", target_acceptance)
    if not 0 < target < 1:
        raise ValueError(f"target_acceptance must be in (0, 1), got {target_acceptance!r}")
    kappa = float(getattr(model, "curvature", np.nan))
    adapt = isinstance(step, str)
    if adapt:
        check_choice("step", step, ("auto",))
        if method == "ula":
            if not np.isfinite(kappa):
                raise ValueError(
                    f"step must be a number for method 'ula' when the model has no curvature, got {step!r}"
                )
            h = 0.02 / kappa
            adapt = False
        else:
            h = d ** (-1.0 / 3.0) / (kappa if np.isfinite(kappa) and kappa > 0 else 1.0)
    else:
        h = check_positive("step", step, scalar=True)
        if method == "ula" and np.isfinite(kappa) and not h * kappa < 2.0:
            raise ValueError(
                f"step must be < 2/curvature = {2.0 / kappa:.6g} for ULA (beyond it the chain diverges), got {h:g}"
            )
    if covariance is None:
        covariance = d <= MAX_COV_DIM
    covariance = check_bool("covariance", covariance)
    rng = as_rng(rng)

    W = np.zeros((n_chains, d))
    if init is not None:
        w_init = np.asarray(check_finite("init", init), dtype=float)
        if w_init.shape not in ((d,), (n_chains, d)):
            raise ValueError(f"init must have shape ({d},) or ({n_chains}, {d}), got {w_init.shape}")
        W[:] = w_init
    elif hasattr(model, "mean"):
        W[:] = np.asarray(model.mean, dtype=float)

    eg = _energy_and_gradient(model)
    E, G = eg(W)
    rec = ChainRecorder(n_chains, d, n_steps, thin, moments=bool(covariance))
    energies = np.empty((n_chains, n_steps // thin))
    accepted = np.zeros(n_chains)
    window, n_window, n_adapt = 0.0, 0, 0
    block, used = np.empty((0, n_chains, d)), 0
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(burn_in + n_steps):
            if used == block.shape[0]:  # random numbers by blocks of steps
                block, unif, used = rng.standard_normal((256, n_chains, d)), rng.random((256, n_chains)), 0
            noise, u = block[used], unif[used]
            used += 1
            sd = np.sqrt(2.0 * h * T)
            prop = W - h * G + sd * noise
            if method == "ula":
                W = prop
                G = model.gradient(W)
                acc = None
            else:
                Ep, Gp = eg(prop)
                back = W - prop + h * Gp  # w - (w' - h grad E(w'))
                # log q(w|w') - log q(w'|w), with |w' - w + h grad E(w)|^2 / (4hT) = |noise|^2 / 2
                log_a = (
                    -(Ep - E) / T
                    - np.einsum("ij,ij->i", back, back) / (4.0 * h * T)
                    + 0.5 * np.einsum("ij,ij->i", noise, noise)
                )
                acc = np.log(u) < np.where(np.isnan(log_a), -np.inf, log_a)
                W = np.where(acc[:, None], prop, W)
                E = np.where(acc, Ep, E)
                G = np.where(acc[:, None], Gp, G)
            if t < burn_in:
                if adapt:
                    assert acc is not None  # adapt is off for ULA, the only method without acceptance step
                    window += acc.mean()
                    n_window += 1
                    if n_window == 25:
                        n_adapt += 1
                        h *= np.exp((window / n_window - target) * 2.0 / n_adapt**0.6)
                        window, n_window = 0.0, 0
                continue
            if t % 64 == 0 and not np.all(np.isfinite(W)):
                raise FloatingPointError(
                    f"Langevin chain diverged at step {t} (method {method!r}, step {h:g}): use a smaller step"
                )
            if acc is not None:
                accepted += acc
            k = t - burn_in + 1
            if k % thin == 0 and k // thin - 1 < energies.shape[1]:
                energies[:, k // thin - 1] = model.energy(W) if method == "ula" else E
            rec.push(W)
    if not np.all(np.isfinite(W)):
        raise FloatingPointError(f"Langevin chain diverged (method {method!r}, step {h:g}): use a smaller step")
    if method == "ula":
        accepted[:] = n_steps
    s = rec.summary()
    rate = accepted / n_steps
    return LangevinRun(
        samples=s["samples"],
        energies=energies[:, : s["samples"].shape[1]],
        mean=s["mean"],
        mean_stderr=s["mean_stderr"],
        covariance=s.get("covariance"),
        covariance_stderr=s.get("covariance_stderr"),
        autocorr_time=s.get("autocorr_time"),
        acceptance_rate=float(rate.mean()),
        acceptance_per_chain=rate,
        step=float(h),
        method=method,
        temperature=T,
        n_steps=n_steps,
        burn_in=burn_in,
        thin=thin,
        n_chains=n_chains,
        model=repr(model),
    )
