"""Gardner's RS volume and capacity against published values, direct
integration and known limits."""

import warnings

import numpy as np
import pytest
from scipy.integrate import quad

from statmech_learn import capacity
from statmech_learn.errors import ConvergenceError, ConvergenceWarning
from statmech_learn.gaussian import log_H, phi
from tests.reference import published as ref


def test_spherical_capacity_published_values():
    """Gardner (1988): alpha_c(0) = 2 and alpha_c(0.5) = 0.9612050528, to 1e-9."""
    assert capacity.gardner_capacity(kappa=0.0) == pytest.approx(ref.ALPHA_C_SPHERICAL_K0, rel=1e-12)
    assert capacity.gardner_capacity(kappa=0.5) == pytest.approx(ref.ALPHA_C_SPHERICAL_K05, rel=1e-9)


def test_spherical_capacity_by_direct_integration():
    for kappa in (0.0, 0.3, 1.0, 2.5):
        moment = quad(lambda t: phi(t) * (t + kappa) ** 2, -kappa, np.inf, epsabs=1e-14, epsrel=1e-13)[0]
        assert capacity.gardner_capacity(kappa) == pytest.approx(1.0 / moment, rel=1e-10)


def test_binary_capacity_krauth_mezard():
    """Zero of the RS entropy for +-1 weights: 0.8330786 (Krauth & Mezard 1989;
    0.833078599 in Ding & Sun, arXiv:1809.07742)."""
    assert capacity.gardner_capacity(weights="binary") == pytest.approx(ref.ALPHA_C_BINARY_K0, rel=1e-7)
    assert capacity.gardner_derrida_capacity(0.0) == pytest.approx(ref.ALPHA_GD_BINARY_K0, rel=1e-14)


def test_binary_capacity_decreases_with_margin_and_stays_below_gardner_derrida():
    caps = [capacity.gardner_capacity(k, "binary", xtol=1e-8) for k in (0.0, 0.25, 0.5, 1.0)]
    assert all(a > b for a, b in zip(caps, caps[1:]))
    for k, a in zip((0.0, 0.25, 0.5, 1.0), caps):
        assert a < capacity.gardner_derrida_capacity(k) < capacity.gardner_capacity(k)
        vol = capacity.gardner_volume(a, k, "binary")
        assert abs(vol.entropy) < 1e-7


def _direct_entropy(q, alpha, kappa):
    """(1/2) log(1-q) + q/(2(1-q)) + alpha int Dt log H((kappa - sqrt(q) t)/sqrt(1-q)), by scipy quad."""
    f = lambda t: phi(t) * log_H((kappa - np.sqrt(q) * t) / np.sqrt(1 - q))  # noqa: E731
    t0 = kappa / np.sqrt(q)
    kw = dict(epsabs=1e-14, epsrel=1e-13, limit=500)
    integral = quad(f, -np.inf, t0, **kw)[0] + quad(f, t0, np.inf, **kw)[0]
    return 0.5 * np.log(1 - q) + q / (2 * (1 - q)) + alpha * integral


@pytest.mark.parametrize("alpha,kappa", [(0.2, 0.0), (1.0, 0.0), (1.8, 0.0), (0.5, 0.5), (0.9, 0.5), (0.1, 2.0)])
def test_spherical_entropy_against_direct_integration(alpha, kappa):
    vol = capacity.gardner_volume(alpha, kappa)
    assert vol.converged
    assert vol.entropy == pytest.approx(_direct_entropy(vol.q, alpha, kappa), rel=1e-10, abs=1e-12)
    # stationarity: dS/dq = 0 at the returned q (central differences of the direct integral)
    h = 1e-4 * min(vol.q, vol.one_minus_q)
    dS = (_direct_entropy(vol.q + h, alpha, kappa) - _direct_entropy(vol.q - h, alpha, kappa)) / (2 * h)
    scale = vol.q / (2 * vol.one_minus_q**2)  # size of the individual terms of dS/dq
    assert abs(dS) < 1e-6 * scale


def test_small_alpha_limit():
    """alpha -> 0: q -> 0 and S / alpha -> log H(kappa) (one constraint on an unconstrained volume)."""
    for kappa in (0.0, 0.7):
        a = 1e-6
        sph = capacity.gardner_volume(a, kappa)
        assert sph.entropy / a == pytest.approx(float(log_H(kappa)), rel=1e-4)
        assert sph.q < 1e-5
        b = capacity.gardner_volume(a, kappa, "binary")
        assert (b.entropy - np.log(2)) / a == pytest.approx(float(log_H(kappa)), rel=1e-4)


def test_q_to_one_near_capacity_without_nan():
    for kappa in (0.0, 0.5):
        ac = capacity.gardner_capacity(kappa)
        alphas = ac * (1 - np.logspace(-1, -9, 9))
        vol = capacity.gardner_volume(alphas, kappa)
        assert np.all(vol.converged)
        assert np.all(np.isfinite(vol.entropy)) and np.all(np.isfinite(vol.q))
        assert np.all(np.diff(vol.one_minus_q) < 0) and np.all(vol.one_minus_q > 0)
        assert np.all(np.diff(vol.entropy) < 0)  # the volume shrinks to nothing
        assert vol.one_minus_q[-1] < 1e-7


def test_vectorised_equals_scalar_loop():
    alphas = np.array([0.3, 0.7, 0.9])
    vec = capacity.gardner_volume(alphas, 0.2, "binary")
    for i, a in enumerate(alphas):
        one = capacity.gardner_volume(a, 0.2, "binary")
        assert one.q == pytest.approx(vec.q[i], rel=1e-11)
        assert one.entropy == pytest.approx(vec.entropy[i], rel=1e-11)
    d = vec.to_dict()
    assert d["weights"] == "binary" and len(d["q"]) == 3 and isinstance(d["q"][0], float)
    assert "GardnerVolume(" in repr(vec)


def test_non_convergence_is_reported_and_strict_raises():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        vol = capacity.gardner_volume(1.0, max_iter=3)
    assert not vol.converged
    assert any(issubclass(w.category, ConvergenceWarning) and "alpha = [1.]" in str(w.message) for w in caught)
    with pytest.raises(ConvergenceError) as err:
        capacity.gardner_volume(1.0, max_iter=3, strict=True)
    assert err.value.result is not None and err.value.result.converged is False


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(alpha=-1.0), "alpha must be > 0, got -1"),
        (dict(alpha=0.0), "alpha must be > 0, got 0"),
        (dict(alpha=1.0, kappa=-0.1), "kappa must be >= 0, got -0.1 .*replica-symmetry breaking"),
        (dict(alpha=1.0, kappa=float("nan")), "kappa must be finite"),
        (dict(alpha=1.0, kappa=float("inf")), "kappa must be finite"),
        (dict(alpha=1.0, weights="ternary"), "weights must be one of 'spherical', 'binary', got 'ternary'"),
        (dict(alpha=2.0), "alpha must be < alpha_c.*= 2 .*got 2"),
        (dict(alpha=[1.0, 2.5]), "alpha must be < alpha_c.*got 2.5"),
        (dict(alpha=1.3, weights="binary"), r"alpha must be < 2 alpha_c\(kappa\)/pi"),
    ],
)
def test_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        capacity.gardner_volume(**kwargs)


def test_bad_input_capacity():
    with pytest.raises(ValueError, match="kappa must be >= 0"):
        capacity.gardner_capacity(-1.0)
    with pytest.raises(ValueError, match="weights must be one of"):
        capacity.gardner_capacity(0.0, weights="potts")
