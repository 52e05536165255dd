"""Benchmark: square-loss closed form vs the generic path; the logistic-ERM replica curve (50 loads)
and a scipy.quad reference.

Model: Gaussian teacher, sign channel, logistic loss with l2 = 1e-3, alpha in
linspace(0.2, 10, 50).  The project's solver is timed twice: the whole grid
at once (``solve(model, alphas)``, Anderson-accelerated, the points that do
not converge alone restarted from converged neighbours) and point by point
along alpha (``continuation=True``).  Every point must reach the residual
1e-10 (relative change of m, q and V in one application of the map).

The reference implements the same RS equations independently, per load:
the three conjugates and the channel potential are one-dimensional integrals
over xi computed by ``scipy.integrate.quad`` (epsrel 1e-12, breakpoints at the
teacher's transition xi = 0 and at the logistic proximal map's soft kinks),
with the teacher's label probability P(y | xi) an inner ``quad`` over the
teacher's noise and the proximal point found by ``brentq``.  The reference
map F_ref is applied to the project's fixed point: the table shows
max |F_ref(x) - x| relative (the fixed-point residual of the project's
answer under the reference equations), the largest relative difference of
the conjugates, and the generalisation error of both.

Run:  python benchmarks/replica_erm.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy.integrate import quad
from scipy.optimize import brentq
from scipy.special import expit

try:
    import statmech_learn  # noqa: F401
except ImportError:  # running from a source checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import statmech_learn as sml

L2 = 1e-3
ALPHAS = np.linspace(0.2, 10.0, 50)
REF_ALPHAS = (0.5, 3.0, 10.0)


def _phi(x: float) -> float:
    return np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi)


def _prox_u(a: float, V: float) -> float:
    """u = y p: root of u - a - V sigma(-u) in [a, a + V]."""

    def f(u):
        return u - a - V * expit(-u)

    lo, hi = a, a + V
    if f(lo) >= 0.0:  # V sigma(-a) underflows: u = a to double precision
        return lo
    if f(hi) <= 0.0:
        return hi
    return brentq(f, lo, hi, xtol=1e-15, rtol=1e-15, maxiter=200)


def reference_map(alpha: float, m: float, q: float, V: float, rho: float = 1.0):
    """(mhat, qhat, Vhat, psi_out) and the updated (m, q, V), by quad."""
    sq = np.sqrt(q)
    a = m / sq
    Vs = rho - m * m / q
    sv = np.sqrt(Vs)

    def p_label(y, xi):  # P(y | xi) = int Du 1{y (a xi + sqrt(Vs) u) > 0}, inner quad
        z0 = -a * xi / sv
        return (
            quad(_phi, z0, np.inf, epsabs=0, epsrel=1e-13)[0]
            if y > 0
            else quad(_phi, -np.inf, z0, epsabs=0, epsrel=1e-13)[0]
        )

    def parts(xi):
        out = []
        for y in (1.0, -1.0):
            u = _prox_u(y * sq * xi, V)
            s = expit(-u)
            g = y * s  # (p - omega)/V = y sigma(-u)
            dg = -s * (1 - s) / (1 + V * s * (1 - s))  # (dp - 1)/V
            lz = -(np.logaddexp(0.0, -u) + 0.5 * V * s * s)
            w = p_label(y, xi)
            dw = y * _phi(a * xi / sv) / sv
            out.append((w, dw, g, dg, lz))
        return out

    def integral(select):
        def f(xi):
            return _phi(xi) * sum(select(*t) for t in parts(xi))

        x_plus = 2 * np.arcsinh(0.5 * np.sqrt(V))
        kinks = [x_plus + V / np.expm1(x_plus), -x_plus + V / np.expm1(-x_plus)]
        pts = sorted({0.0, *[s * k / sq for k in kinks for s in (1, -1)]})
        pts = [p for p in pts if -12 < p < 12]
        edges = [-12.0, *pts, 12.0]
        return sum(quad(f, lo, hi, epsabs=0, epsrel=1e-12, limit=500)[0] for lo, hi in zip(edges[:-1], edges[1:]))

    mh = alpha * integral(lambda w, dw, g, dg, lz: dw * g)
    qh = alpha * integral(lambda w, dw, g, dg, lz: w * g * g)
    Vh = -alpha * integral(lambda w, dw, g, dg, lz: w * dg)
    psi = integral(lambda w, dw, g, dg, lz: w * lz)
    prec = Vh + L2
    return (mh, qh, Vh, psi), (mh * rho / prec, (mh * mh * rho + qh) / prec**2, 1.0 / prec)


def _best_of(func, repeat: int = 5) -> float:
    """Smallest wall-clock time of ``repeat`` calls (seconds)."""
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - t0)
    return best


def square_loss_table() -> None:
    """Square loss: the closed form of replica/ridge.py beside the generic quadrature path.

    Target: a 20-load ridge curve (Gaussian teacher, Gaussian noise) in under 30 ms.
    The error column is the largest |eps_closed - eps_generic| over the curve, and
    for the Gaussian teacher also against the random-matrix formula ridge_test_error.
    """
    alphas = np.linspace(0.2, 5.0, 20)
    cases = [
        ("ridge, Gaussian noise 0.5, l2 = 0.1", "gaussian", sml.gibbs.GaussianNoise(0.5), 0.1),
        ("ridge, Gaussian noise 0.5, l2 = 1e-3", "gaussian", sml.gibbs.GaussianNoise(0.5), 1e-3),
        ("square loss, sign teacher, l2 = 0.1", "gaussian", "sign", 0.1),
        ("ridgeless, Gaussian noise 0.5", "gaussian", sml.gibbs.GaussianNoise(0.5), 0.0),
    ]
    print(f"square loss, {alphas.size} loads in [{alphas[0]:g}, {alphas[-1]:g}] (best of 5 for the closed form)\n")
    print(f"{'case':<40}{'closed [ms]':>12}{'generic [ms]':>14}{'speed-up':>10}{'max |d eps_g|':>15}{'vs RMT':>10}")
    for label, prior, channel, l2 in cases:
        model = sml.TeacherStudent(prior=prior, channel=channel, student=sml.ERM("square", l2))
        fast = sml.replica.solve(model, alphas)
        t_fast = _best_of(lambda: sml.replica.solve(model, alphas))
        if l2 > 0:
            t0 = time.perf_counter()
            slow = sml.replica.solve(model, alphas, method="iterate", tol=1e-12)
            t_slow = time.perf_counter() - t0
            diff = f"{np.max(np.abs(fast.generalization_error - slow.generalization_error)):.1e}"
            gen = f"{1e3 * t_slow:.0f}"
            speed = f"{t_slow / t_fast:.0f}x"
        else:  # the generic iteration has no l2 = 0 limit below alpha = 1
            diff, gen, speed = "-", "-", "-"
        rmt = "-"
        if isinstance(channel, sml.gibbs.GaussianNoise):
            rmt = f"{np.max(np.abs(fast.generalization_error - sml.replica.ridge_test_error(alphas, l2, 0.5))):.0e}"
        print(f"{label:<40}{1e3 * t_fast:>12.2f}{gen:>14}{speed:>10}{diff:>15}{rmt:>10}")
    print()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="reference at one load only")
    args = ap.parse_args()
    square_loss_table()
    model = sml.TeacherStudent(prior="gaussian", channel="sign", student=sml.ERM(loss="logistic", l2=L2))
    sml.replica.solve(model, ALPHAS[:2])  # warm caches
    rows = []
    for label, kw in (("vectorised", {}), ("continuation", {"continuation": True})):
        t0 = time.perf_counter()
        curve = sml.replica.solve(model, ALPHAS, **kw)
        dt = time.perf_counter() - t0
        rows.append((label, dt, curve))
    print(
        f"logistic ERM, Gaussian teacher, sign channel, l2 = {L2:g}, {ALPHAS.size} loads in "
        f"[{ALPHAS[0]:g}, {ALPHAS[-1]:g}], tol 1e-10\n"
    )
    print(
        f"{'solver':<14}{'total [s]':>10}{'per point [ms]':>16}{'iterations':>12}{'max residual':>14}"
        f"{'all converged':>15}"
    )
    for label, dt, c in rows:
        print(
            f"{label:<14}{dt:>10.2f}{1e3 * dt / ALPHAS.size:>16.1f}{int(np.sum(c.n_iter)):>12d}"
            f"{np.max(c.residual):>14.2e}{bool(np.all(c.converged))!s:>15}"
        )
    curve = rows[0][2]
    other = rows[1][2]
    print(
        f"\nvectorised vs continuation: max |delta eps_g| = "
        f"{np.max(np.abs(curve.generalization_error - other.generalization_error)):.2e}"
    )

    print("\nreference (scipy.integrate.quad, brentq prox) at the project's fixed point:")
    print(
        f"{'alpha':>6}{'eps_g project':>16}{'eps_g ref':>16}{'|F_ref(x)-x|/x':>16}{'conjugates rel':>16}"
        f"{'ref time [s]':>14}"
    )
    for alpha in REF_ALPHAS[1:2] if args.quick else REF_ALPHAS:
        one = sml.replica.solve(model, np.array([alpha]), tol=1e-12)
        m, q, V = float(one.m[0]), float(one.q[0]), float(one.V[0])
        t0 = time.perf_counter()
        (mh, qh, Vh, _), (m2, q2, V2) = reference_map(alpha, m, q, V)
        dt = time.perf_counter() - t0
        fix = max(abs(m2 - m) / np.sqrt(q), abs(q2 - q) / q, abs(V2 - V) / V)
        conj = max(abs(mh / one.mhat[0] - 1), abs(qh / one.qhat[0] - 1), abs(Vh / one.Vhat[0] - 1))
        eg_ref = np.arccos(m2 / np.sqrt(q2)) / np.pi
        print(f"{alpha:>6g}{one.generalization_error[0]:>16.12f}{eg_ref:>16.12f}{fix:>16.2e}{conj:>16.2e}{dt:>14.1f}")


if __name__ == "__main__":
    main()
