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


# ---------------------------------------------------------------------------
# Issue 7: tolerances, large margins
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(xtol=1e300), r"xtol must be < 0.01, got 1e\+300"),
        (dict(xtol=0.5), "xtol must be < 0.01, got 0.5"),
        (dict(xtol=0.0), "xtol must be finite and > 0, got 0"),
        (dict(xtol=-1e-8), "xtol must be finite and > 0"),
        (dict(xtol=float("nan")), "xtol must be finite and > 0, got nan"),
        (dict(xtol=float("inf")), "xtol must be finite and > 0, got inf"),
        (dict(xtol=1e-20), "xtol must be >= 1e-14"),
        (dict(xtol="tight"), "xtol must be a number"),
        (dict(max_iter=0), "max_iter must be >= 1, got 0"),
        (dict(max_iter=-5), "max_iter must be >= 1"),
        (dict(max_iter=2.5), "max_iter must be an integer"),
        (dict(max_iter=float("nan")), "max_iter must be an integer"),
        (dict(max_iter=10**9), "max_iter must be <= 10000, got 1000000000"),
        (dict(max_iter=True), "max_iter must be an integer"),
    ],
)
def test_volume_tolerances_are_validated(kwargs, match):
    """gardner_volume(1.0, xtol=1e300) used to stop after one bisection step and return
    q = 0.011 flagged converged (the saddle point is q = 0.5853)."""
    with pytest.raises(ValueError, match=match):
        capacity.gardner_volume(1.0, **kwargs)
    with pytest.raises(ValueError, match=match):
        capacity.gardner_volume(0.5, weights="binary", **kwargs)


@pytest.mark.parametrize("weights", ["spherical", "binary"])
@pytest.mark.parametrize(
    "xtol,match",
    [
        (1e300, "xtol must be < 0.01"),
        (0.0, "xtol must be finite and > 0"),
        (float("nan"), "xtol must be finite"),
        (1e-30, "xtol must be >= 1e-14"),
    ],
)
def test_capacity_tolerance_is_validated(weights, xtol, match):
    with pytest.raises(ValueError, match=match):
        capacity.gardner_capacity(0.0, weights, xtol=xtol)


def test_capacity_xtol_is_relative_on_alpha():
    """Krauth & Mezard's 0.8330786 to the requested relative tolerance, loose and tight."""
    for xtol in (1e-3, 1e-6):
        assert capacity.gardner_capacity(0.0, "binary", xtol=xtol) == pytest.approx(
            ref.ALPHA_C_BINARY_K0, rel=xtol + 1e-7
        )
    # the tightest accepted tolerance (the floor, 1e-14) converges too
    assert capacity.gardner_capacity(0.0, "binary", xtol=1e-14) == pytest.approx(ref.ALPHA_C_BINARY_K0, rel=1e-7)


def _binary_gap_large_kappa(kappa):
    r"""Independent large-kappa expansion of the RS zero-entropy condition for +-1 weights.

    Near q -> 1, with v = 1 - q, alpha (1 + kappa^2) = (2/pi)(1 - eps) and
    * log H(x) = -x^2/2 - log(x sqrt(2 pi)) - 1/x^2 + ..., x = (kappa - sqrt(q) t)/sqrt(v), averaged
      over t (E (kappa - sqrt q t)^2 = kappa^2 + q, E log(kappa - sqrt q t) = log kappa - 1/(2 kappa^2));
    * E log cosh(c xi) = c sqrt(2/pi) - log 2 + pi^2 phi(0)/(12 c) + O(c^-3), extremised over
      c = sqrt(qhat) -> 1/(pi v) + pi^2 v / 24 for the prior term including -qhat v / 2,
    the RS entropy per weight is
        S(v) = eps/(pi v) + pi^2 v/24 + (alpha/2) log v + alpha (1/2 - log(kappa sqrt(2 pi)) + 1/(2 kappa^2))
    up to O(v^3, alpha/kappa^4).  S is made stationary in v (a quadratic) and eps is the zero of S:
    to leading order eps = 6 L^2 / (pi^3 kappa^4), L = log(2 pi kappa^2 / (e v)).
    Returns (eps, v) at the zero.
    """
    from scipy.optimize import brentq

    alpha_gd = 2.0 / (np.pi * (1.0 + kappa**2))  # 2/(pi int Dt (t+kappa)^2) for kappa >~ 10

    def stationary_v(eps):
        b, a = 0.5 * alpha_gd * (1 - eps), np.pi**2 / 24
        return 2 * eps / np.pi / (b + np.sqrt(b * b + 4 * a * eps / np.pi))

    def S(log_eps):
        eps = np.exp(log_eps)
        alpha, v = alpha_gd * (1 - eps), stationary_v(eps)
        return (
            eps / (np.pi * v)
            + np.pi**2 * v / 24
            + 0.5 * alpha * np.log(v)
            + alpha * (0.5 - np.log(kappa * np.sqrt(2 * np.pi)) + 0.5 / kappa**2)
        )

    eps = np.exp(brentq(S, np.log(1e-16), np.log(1e-3), xtol=1e-13))
    return eps, stationary_v(eps)


@pytest.mark.parametrize("kappa", [30.0, 40.0])
def test_binary_capacity_at_large_margin_against_asymptotics(kappa):
    """gardner_capacity(30, 'binary') used to raise about an alpha = 0.001 the user never passed
    (for kappa > 26 the whole capacity is below 1e-3).  It is now tiny but positive, and its gap
    eps = 1 - alpha_c / alpha_GD below the Gardner-Derrida load agrees with the independent
    large-kappa expansion above; the neglected terms are O(v^2) ~ 3e-5 relative (v = 1 - q ~ 5e-3)."""
    eps_asym, v = _binary_gap_large_kappa(kappa)
    assert v < 1e-2
    a = capacity.gardner_capacity(kappa, "binary")
    gd = capacity.gardner_derrida_capacity(kappa)
    assert 0 < a < gd
    assert gd == pytest.approx(2 / (np.pi * (1 + kappa**2)), rel=1e-14)
    assert 1 - a / gd == pytest.approx(eps_asym, rel=1e-4)
    # the RS entropy of gardner_volume changes sign across the asymptotic zero
    vol = capacity.gardner_volume(gd * (1 - eps_asym * np.array([0.5, 2.0])), kappa, "binary")
    assert vol.entropy[0] < 0 < vol.entropy[1]  # closer to alpha_GD: fewer solutions


def test_binary_capacity_on_both_sides_of_the_asymptotic_switch():
    """kappa = 999 goes through the full RS entropy, kappa = 1001 through the large-kappa expansion
    (capacity.gardner.KAPPA_ASYMPTOTIC = 1000): both agree with the test's own expansion."""
    for kappa in (999.0, 1001.0):
        eps_asym, _ = _binary_gap_large_kappa(kappa)
        a = capacity.gardner_capacity(kappa, "binary", xtol=1e-14)
        gd = capacity.gardner_derrida_capacity(kappa)
        assert 1 - a / gd == pytest.approx(eps_asym, rel=1e-3)


def test_capacities_at_huge_margin_limit_and_refusal():
    """kappa -> infinity: alpha_c -> 1/kappa^2 (spherical) and 2/(pi kappa^2) (binary, the gap to
    alpha_GD ~ 6 L^2/(pi^3 kappa^4) vanishing); beyond kappa = 1e150 the capacity underflows and
    the margin is refused by name, without overflow warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for kappa in (1e6, 1e100, 1e150):
            assert capacity.gardner_capacity(kappa) == pytest.approx(1 / kappa**2, rel=1e-12)
            assert capacity.gardner_capacity(kappa, "binary") == pytest.approx(2 / (np.pi * kappa**2), rel=1e-12)
        for kappa in (1e151, 1e300):
            for call in (
                lambda: capacity.gardner_capacity(kappa),
                lambda: capacity.gardner_capacity(kappa, "binary"),
                lambda: capacity.gardner_derrida_capacity(kappa),
                lambda: capacity.gardner_volume(1e-9, kappa),
            ):
                with pytest.raises(ValueError, match=r"kappa must be <= 1e\+150 .*underflows.*got 1e\+"):
                    call()
        assert capacity.margin_moment(1e300) == np.inf


def test_vline_labels_avoid_the_data(tmp_path):
    """Figure (c) of the gardner reproduction: the '4/pi' label at alpha = 1.27 sat at the bottom,
    on the points of the curves that have fallen to ~0 there; it goes to the top now, while the
    label at alpha_c = 0.833 (curves at ~0.6) stays at the bottom."""
    pytest.importorskip("matplotlib")
    from statmech_learn.plotting import _label_on_top, require_matplotlib
    from statmech_learn.reproduce.base import Series

    plt = require_matplotlib()
    alpha = np.linspace(0.25, 1.5, 26)
    curve = Series("enumeration", "simulation", "c", alpha, 1 / (1 + np.exp((alpha - 0.9) / 0.08)))
    fig, ax = plt.subplots()
    ax.plot(curve.x, curve.y)
    try:
        assert _label_on_top(ax, [curve], 4 / np.pi)
        assert not _label_on_top(ax, [curve], 0.833)
        assert not _label_on_top(ax, [], 1.0)  # nothing to avoid: bottom, as before
    finally:
        plt.close(fig)
