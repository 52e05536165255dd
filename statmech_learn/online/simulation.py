r"""Real online SGD of two-layer networks in N dimensions, several seeds in one array.

Each step draws one fresh input :math:`x \sim N(0, I_N)` per seed and applies
the updates of :mod:`statmech_learn.online.committee` (learning rates scaled so
that t = steps/N is the time of the ODEs).  The teacher's first layer is
orthonormalised (:math:`T = I` exactly) and the student is built with the
requested initial overlaps (Q, R) exactly, so theory and simulation start from
the same state.  The seeds advance together: every array carries a leading
seed axis, and a step is a handful of batched matrix-vector products.

``method="overlaps"`` runs the same Markov chain without the N-dimensional
weights.  Because the inputs are isotropic, the state of online SGD is, in law,
its Gram matrix :math:`\Omega` (and v): given the current weights, the fields
:math:`f = (\lambda, \nu)` of a fresh input are exactly :math:`N(0, \Omega)` and
:math:`|x|^2 = f^\top\Omega^{+}f + \chi^2_{N-r}` (r the rank of :math:`\Omega`)
with the chi-square independent of f.  An update
:math:`w_k \leftarrow w_k + a_k x/\sqrt N` changes the overlaps by

.. math::
    \Omega \leftarrow \Omega + (b f^\top + f b^\top)/N + b b^\top |x|^2/N^2,
    \qquad b = (a_1, \dots, a_K, 0, \dots, 0),

so every finite-N fluctuation is kept, at a cost per step independent of N.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

import numpy as np

from .._validation import as_rng, check_bool, check_choice, check_int, check_positive
from ..citations import _cites
from ..results import Result
from .committee import OverlapState, TwoLayer

__all__ = ["OnlineSimulation", "simulate"]


#: largest number of SGD steps of one simulation (each is one iteration of a Python loop)
MAX_STEPS = 10**9


@dataclass(frozen=True, repr=False)
class OnlineSimulation(Result):
    """Online SGD on finite instances: overlaps and errors on a time grid, per seed and averaged.

    Attributes
    ----------
    t : (n_t,) times (steps / N).
    N : input dimension.  n_seeds : number of independent runs.
    Q, R, v : per seed, shapes (n_seeds, n_t, K, K), (n_seeds, n_t, K, M), (n_seeds, n_t, K).
    eps_g : (n_t,) mean over seeds of the error from each run's overlaps (the ODE's functional).
    eps_g_stderr : its standard error over seeds.
    eps_g_test : (n_t,) mean over seeds of half the squared error on ``n_test`` fresh inputs.
    eps_g_test_stderr : its standard error.
    init : the initial overlap state (shared by all seeds).
    steps_per_second : throughput in sample-steps (seeds x steps) per second.
    model : repr of the model.
    """

    t: np.ndarray
    N: int
    n_seeds: int
    Q: np.ndarray
    R: np.ndarray
    v: np.ndarray
    eps_g: np.ndarray
    eps_g_stderr: np.ndarray
    eps_g_test: np.ndarray
    eps_g_test_stderr: np.ndarray
    init: OverlapState
    steps_per_second: float
    model: str


def _weights(model: TwoLayer, init: OverlapState, N: int, n_seeds: int, rng: np.random.Generator):
    """Teacher (S, M, N) with T = I * diag and student (S, K, N) with the overlaps of ``init``."""
    K, M = model.K, model.M
    if N < K + M:
        raise ValueError(f"N must be >= K + M = {K + M}, got {N}")
    omega = init.gram()
    lam, vec = np.linalg.eigh(omega)
    root = vec * np.sqrt(np.clip(lam, 0.0, None))  # omega = root @ root.T
    # an orthonormal frame of K + M directions in R^N per seed, scaled to norm sqrt(N)
    frames = np.linalg.qr(rng.standard_normal((n_seeds, N, K + M)))[0]  # (S, N, K+M)
    fields = np.einsum("pq,snq->spn", root, frames) * np.sqrt(N)  # (S, K+M, N), Gram = omega * N
    return fields[:, K:], fields[:, :K]


@_cites
def simulate(
    model: TwoLayer,
    N: int,
    t_max: float,
    n_seeds: int = 4,
    rng=None,
    *,
    init: OverlapState | None = None,
    t=None,
    n_test: int = 0,
    progress: bool | None = None,
    method: str = "weights",
) -> OnlineSimulation:
    r"""Online SGD for ``model`` at input dimension ``N`` up to time ``t_max`` (steps / N).

    Parameters
    ----------
    model : TwoLayer or SoftCommittee
    N : int
        Input dimension.
    t_max : float
        Final time; ``round(t_max * N)`` steps.
    n_seeds : int
        Independent runs, advanced together.
    rng : seed or Generator
    init : OverlapState, optional
        Initial overlaps (default ``model.initial_state(rng=rng)``); realised exactly.
    t : array_like, optional
        Recording times (default 101 points on [0, t_max]), rounded to steps.
    n_test : int
        Fresh test inputs per recording for ``eps_g_test`` (0: skip).
    progress : bool, optional
        Progress line on stderr (default: when stderr is a terminal).
    method : {"weights", "overlaps"}
        "weights": SGD on N-dimensional weights (cost per step O(N)); "overlaps": the
        same stochastic process of the overlaps, exact in law at this N (module
        docstring), at a cost per step independent of N.
    """
    if not isinstance(model, TwoLayer):
        raise ValueError(f"model must be a TwoLayer or SoftCommittee, got {model!r}")
    N = check_int("N", N, minimum=1, maximum=10**7)
    t_max = check_positive("t_max", t_max, scalar=True)
    n_seeds = check_int("n_seeds", n_seeds, minimum=1, maximum=10**5)
    n_test = check_int("n_test", n_test, minimum=0, maximum=10**7)
    method = check_choice("method", method, ("weights", "overlaps"))
    n_steps = int(round(t_max * N)) if t_max * N < 1e18 else 10**18
    if n_steps < 1:
        raise ValueError(f"t_max * N must be at least one step, got t_max={t_max:g}, N={N}")
    work = n_steps * n_seeds * (N if method == "weights" else (model.K + model.M) ** 2)
    if work > 5e13:
        raise ValueError(
            f"t_max * N * n_seeds * {'N' if method == 'weights' else '(K + M)^2'} = {work:.3g} operations is too large"
        )
    if n_steps > MAX_STEPS:  # one Python-level iteration per step
        raise ValueError(
            f"t_max * N = {t_max * N:.3g} steps is too large (at most {MAX_STEPS:.0e}), got t_max={t_max:g}, N={N}"
        )
    rng = as_rng(rng)
    init = model.initial_state(rng=rng) if init is None else init
    model._check_state(init)
    if t is not None and np.iscomplexobj(t):
        raise ValueError(f"t must be a 1-d grid of real times in [0, t_max={t_max:g}], got {t!r}")
    grid = np.linspace(0.0, t_max, 101) if t is None else np.asarray(t, dtype=float)
    if grid.ndim != 1 or grid.size < 1 or not np.all(np.isfinite(grid)) or np.any(grid < 0) or np.any(grid > t_max):
        raise ValueError(f"t must be a 1-d grid of times in [0, t_max={t_max:g}], got {t!r}")
    record_steps = np.unique(np.clip(np.round(grid * N).astype(int), 0, n_steps))
    if N < model.K + model.M:
        raise ValueError(f"N must be >= K + M = {model.K + model.M}, got {N}")
    if method == "overlaps":
        return _simulate_overlaps(model, init, N, n_steps, n_seeds, rng, record_steps, n_test, progress)
    teacher, student = _weights(model, init, N, n_seeds, rng)
    K = model.K
    W = np.concatenate([student, teacher], axis=1)  # (S, K + M, N): one product gives all fields
    student, teacher = W[:, :K], W[:, K:]  # views
    v = np.broadcast_to(init.v, (n_seeds, model.K)).copy()
    vs = model.v_star
    g, dg = model.activation.g, model.activation.dg
    lr, lr_v, sigma = model.lr, model.lr_second, model.noise
    sq = np.sqrt(N)
    rec_Q, rec_R, rec_v, rec_test = [], [], [], []
    show = sys.stderr.isatty() if progress is None else check_bool("progress", progress)
    t0 = time.perf_counter()
    last_print = t0

    def record():
        rec_Q.append(np.einsum("skn,sln->skl", student, student) / N)
        rec_R.append(np.einsum("skn,smn->skm", student, teacher) / N)
        rec_v.append(v.copy())
        if n_test:
            x = rng.standard_normal((n_seeds, n_test, N))
            lam = np.einsum("skn,sbn->sbk", student, x) / sq
            nu = np.einsum("smn,sbn->sbm", teacher, x) / sq
            err = np.einsum("sbk,sk->sb", g(lam), v) - g(nu) @ vs
            rec_test.append(0.5 * np.mean(err * err, axis=1))

    k_rec = 0
    for step in range(n_steps + 1):
        while k_rec < record_steps.size and record_steps[k_rec] == step:
            record()
            k_rec += 1
        if step == n_steps:
            break
        x = rng.standard_normal((n_seeds, N))
        f = (W @ x[:, :, None])[:, :, 0] / sq  # (S, K + M): student and teacher fields
        gf = g(f)
        gl = gf[:, :K]
        delta = np.einsum("sk,sk->s", v, gl) - gf[:, K:] @ vs
        if sigma > 0:
            delta = delta - sigma * rng.standard_normal(n_seeds)
        coef = (lr / sq) * v * dg(f[:, :K]) * delta[:, None]  # (S, K)
        student -= coef[:, :, None] * x[:, None, :]
        if lr_v > 0:
            v -= (lr_v / N) * delta[:, None] * gl
        if show and time.perf_counter() - last_print > 1.0:
            last_print = time.perf_counter()
            print(f"\ronline SGD: t = {step / N:.1f} / {t_max:g}", end="", file=sys.stderr, flush=True)
    if show:
        print(file=sys.stderr)
    elapsed = max(time.perf_counter() - t0, 1e-12)
    return _result(model, init, N, n_seeds, record_steps, rec_Q, rec_R, rec_v, rec_test, n_steps / elapsed * n_seeds)


def _result(model, init, N, n_seeds, record_steps, rec_Q, rec_R, rec_v, rec_test, rate) -> OnlineSimulation:
    Q = np.stack(rec_Q, axis=1)
    R = np.stack(rec_R, axis=1)
    V = np.stack(rec_v, axis=1)
    eps = model.eps_g(Q, R, init.T, V)  # (S, n_t)
    se = eps.std(axis=0, ddof=1) / np.sqrt(n_seeds) if n_seeds > 1 else np.full(eps.shape[1], np.nan)
    if rec_test:
        test = np.stack(rec_test, axis=1)
        test_mean = test.mean(axis=0)
        test_se = test.std(axis=0, ddof=1) / np.sqrt(n_seeds) if n_seeds > 1 else np.full(test.shape[1], np.nan)
    else:
        test_mean = test_se = np.full(eps.shape[1], np.nan)
    return OnlineSimulation(
        t=record_steps / N,
        N=N,
        n_seeds=n_seeds,
        Q=Q,
        R=R,
        v=V,
        eps_g=eps.mean(axis=0),
        eps_g_stderr=se,
        eps_g_test=test_mean,
        eps_g_test_stderr=test_se,
        init=init,
        steps_per_second=float(rate),
        model=repr(model),
    )


def _square_root(omega: np.ndarray) -> np.ndarray:
    """X with X X^T = omega, batched: Cholesky, or eigenvectors times root eigenvalues if singular."""
    try:
        return np.linalg.cholesky(omega)
    except np.linalg.LinAlgError:  # a singular Omega (a student unit on a teacher unit)
        lam, vec = np.linalg.eigh(omega)
        return vec * np.sqrt(np.clip(lam, 0.0, None))[:, None, :]


def _simulate_overlaps(
    model: TwoLayer,
    init: OverlapState,
    N: int,
    n_steps: int,
    n_seeds: int,
    rng: np.random.Generator,
    record_steps: np.ndarray,
    n_test: int,
    progress: bool | None,
) -> OnlineSimulation:
    """Online SGD as the Markov chain of the Gram matrix (module docstring), seeds in one array.

    The weights are kept as coordinates X (rows w / sqrt(N)) in an orthonormal frame of their
    span, so that Omega = X X^T.  A fresh input has iid N(0, 1) coordinates on the frame's D
    directions and an independent remainder of squared norm chi2_{N-D}, which the update adds as
    a new frame direction; every ``extra`` steps the frame is folded back to r = K + M columns
    (X replaced by a square root of X X^T).  No factorisation per step.
    """
    K, M = model.K, model.M
    r = K + M
    extra = max(1, min(16, N - r))  # frame directions added between foldings
    width = r + extra
    X = np.zeros((n_seeds, r, width))
    X[:, :, :r] = _square_root(np.broadcast_to(init.gram(), (n_seeds, r, r)).copy())
    D = r
    v = np.broadcast_to(init.v, (n_seeds, K)).copy()
    vs = model.v_star
    g, dg = model.activation.g, model.activation.dg
    lr, lr_v, sigma = model.lr, model.lr_second, model.noise
    rec_Q, rec_R, rec_v, rec_test = [], [], [], []
    show = sys.stderr.isatty() if progress is None else check_bool("progress", progress)
    t0 = last_print = time.perf_counter()
    block = 2048
    df = N - width  # chi2_{N-D} = chi2_{N-width} + sum of the squares of the width - D spare normals
    k_rec = 0
    for step in range(n_steps + 1):
        while k_rec < record_steps.size and record_steps[k_rec] == step:
            Xa = X[:, :, :D]
            omega = Xa @ np.swapaxes(Xa, 1, 2)
            rec_Q.append(omega[:, :K, :K].copy())
            rec_R.append(omega[:, :K, K:].copy())
            rec_v.append(v.copy())
            if n_test:
                f = np.einsum("sid,sbd->sbi", Xa, rng.standard_normal((n_seeds, n_test, D)))
                err = np.einsum("sbk,sk->sb", g(f[..., :K]), v) - g(f[..., K:]) @ vs
                rec_test.append(0.5 * np.mean(err * err, axis=1))
            k_rec += 1
        if step == n_steps:
            break
        j = step % block
        if j == 0:
            z_block = rng.standard_normal((block, n_seeds, width))
            chi_block = rng.chisquare(df, size=(block, n_seeds)) if df > 0 else np.zeros((block, n_seeds))
            u_block = rng.standard_normal((block, n_seeds)) if sigma > 0 else None
        z = z_block[j]
        zin = z[:, :D]
        f = (X[:, :, :D] @ zin[:, :, None])[:, :, 0]  # the fields, exactly N(0, Omega)
        rho = np.sqrt(np.einsum("sd,sd->s", z[:, D:], z[:, D:]) + chi_block[j])  # |x outside the frame|
        gf = g(f)
        delta = np.einsum("sk,sk->s", v, gf[:, :K]) - gf[:, K:] @ vs
        if sigma > 0:
            assert u_block is not None  # drawn with every block when sigma > 0
            delta = delta - sigma * u_block[j]
        b = (-lr / N) * v * dg(f[:, :K]) * delta[:, None]  # w_k / sqrt(N) += b_k x
        X[:, :K, :D] += b[:, :, None] * zin[:, None, :]
        X[:, :K, D] = b * rho[:, None]
        D += 1
        if lr_v > 0:
            v -= (lr_v / N) * delta[:, None] * gf[:, :K]
        if width == D:  # fold the frame back to r directions
            X[:, :, :r] = _square_root(X @ np.swapaxes(X, 1, 2))
            X[:, :, r:] = 0.0
            D = r
        if show and time.perf_counter() - last_print > 1.0:
            last_print = time.perf_counter()
            print(f"\ronline SGD (overlaps): t = {step / N:.1f} / {n_steps / N:g}", end="", file=sys.stderr, flush=True)
    if show:
        print(file=sys.stderr)
    elapsed = max(time.perf_counter() - t0, 1e-12)
    return _result(model, init, N, n_seeds, record_steps, rec_Q, rec_R, rec_v, rec_test, n_steps / elapsed * n_seeds)
