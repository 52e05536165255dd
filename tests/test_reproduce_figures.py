"""The teacher-student and binary-perceptron reproductions: their figures say what they show and
every theory-vs-simulation check carries a verdict that passes at the quick size."""

import numpy as np
import pytest

from statmech_learn.reproduce import binary_perceptron, teacher_student
from statmech_learn.reproduce.base import mean_agreement


def _verdicts(checks):
    return {k: v["pass"] for k, v in checks.items() if isinstance(v, dict) and "pass" in v}


def test_mean_agreement_verdict_follows_its_rule():
    """Student-t quantile (2 dof, Bonferroni over 2 points at 1%: t = 14.089) times the standard
    error plus the allowance: a deviation just inside passes, just outside fails."""
    t = 14.08904727
    ok = mean_agreement([1.0 + 0.99 * (t * 0.01 + 0.001)] * 2, [0.01, 0.01], [1.0, 1.0], 3, allowance=0.001)
    bad = mean_agreement([1.0 + 1.01 * (t * 0.01 + 0.001), 1.0], [0.01, 0.01], [1.0, 1.0], 3, allowance=0.001)
    assert ok["pass"] and not bad["pass"]
    assert ok["tolerance_t"] == pytest.approx(t, rel=1e-8)
    assert mean_agreement([1.0], [0.0], [1.1], 3)["pass"] is False  # no error bar, no allowance: exact only


@pytest.mark.slow
def test_binary_perceptron_quick_figure_and_checks():
    r = binary_perceptron.compute(quick=True)
    verdicts = _verdicts(r.checks)
    assert len(verdicts) >= 5 and all(verdicts.values()), r.checks
    thermo = next(s for s in r.series if s.label.startswith("thermodynamic"))
    a_it = r.checks["alpha_it"]["value"]
    jump = np.flatnonzero(thermo.x == a_it)
    assert jump.size == 2 and thermo.y[jump[0]] < 0.9 and thermo.y[jump[1]] == 1.0  # a vertical jump
    assert all("uninformed branch" not in s.label for s in r.series)
    assert any(s.label.startswith("metastable") and s.style in ("--", ":") for s in r.series)


@pytest.mark.slow
def test_teacher_student_quick_figure_and_checks():
    r = teacher_student.compute(quick=True)
    verdicts = _verdicts(r.checks)
    assert len(verdicts) == 4 and all(verdicts.values()), r.checks
    gibbs = [s for s in r.series if s.label.startswith("Gibbs")]
    assert gibbs and all("theory only" in s.label for s in gibbs)
    theory = [s for s in r.series if s.kind == "theory"]
    assert theory[-1].label == "Bayes-optimal"  # drawn last, on top of the close logistic curve


def test_perceptron_rules_quick_checks_pass():
    """Exponents of the three rules from the ODE (-1/2, -1/3, -1; Engel & Van den Broeck 2001,
    ch. 9) and simulation against the ODE, each with a verdict; log-log panel."""
    from statmech_learn.reproduce import perceptron_rules

    r = perceptron_rules.compute(quick=True)
    verdicts = _verdicts(r.checks)
    assert len(verdicts) == 6 and all(verdicts.values()), r.checks
    assert r.panels[0].xscale == "log" and r.panels[0].yscale == "log"


@pytest.mark.slow
def test_saad_solla_quick_checks_pass():
    """Soft committee machine K = M = 3 (Saad & Solla 1995, Phys. Rev. E 52, 4225): the ODE's plateau at
    the symmetric fixed point, online SGD against the ODE at two N, and a later plateau exit at the larger N."""
    from statmech_learn.reproduce import saad_solla

    r = saad_solla.compute(quick=True)
    verdicts = _verdicts(r.checks)
    assert len(verdicts) == 4 and all(verdicts.values()), r.checks
    assert len(r.panels) == 1 and r.panels[0].yscale == "log"
    sims = [s for s in r.series if s.kind == "simulation"]
    assert len(sims) == 2 and any("weights" in s.label for s in sims) and any("overlap" in s.label for s in sims)


def test_saad_solla_ode_plateau_is_the_symmetric_fixed_point():
    """The ODE part alone: the plateau height of the K = M = 3 learning curve (lr = 0.8) is the
    error at the unspecialised fixed point, a saddle (Saad & Solla 1995, Phys. Rev. E 52, 4225)."""
    from statmech_learn.reproduce import saad_solla

    th = saad_solla.theory(120.0)
    plat, fp = th["plateau"], th["fixed_point"]
    assert plat.found and plat.entry < 20 < 80 < plat.exit
    assert fp.converged and fp.residual < 1e-12
    assert plat.height == pytest.approx(fp.eps_g, rel=saad_solla.PLATEAU_TOL)
    assert fp.escape_rate > 0  # a saddle: the plateau is left


@pytest.mark.slow
def test_overparametrization_quick_checks_pass():
    """Teacher M = 2 with output noise (Goldt, Advani, Saxe, Krzakala & Zdeborova 2019, NeurIPS): the final
    error grows with K when the second layer is fixed, not when it is learned; ODE against online SGD."""
    from statmech_learn.reproduce import overparametrization

    r = overparametrization.compute(quick=True)
    verdicts = _verdicts(r.checks)
    assert len(verdicts) == 5 and all(verdicts.values()), r.checks
    assert [p.name for p in r.panels] == ["a", "b"] and r.panels[0].yscale == "log"
    sims = [s for s in r.series if s.kind == "simulation"]
    assert len(sims) == 2 and all(list(s.x) == [2.0, 4.0] for s in sims)


def test_overparametrization_matched_student_final_error():
    """The K = M = 2 soft committee alone (Goldt et al. 2019, NeurIPS): the ODE leaves its plateau and
    converges to a stationary error of order lr * sigma^2, and online SGD started from the ODE's late
    state keeps that error (without the noise term it would fall by half within a few time units)."""
    from statmech_learn.reproduce import overparametrization as op

    fixed = op.theory(op.M, False)
    assert fixed["converged"], fixed["relative_change_last_10pct"]
    assert 0.05 < fixed["final"] / (op.LR * op.SIGMA**2) < 0.5
    t0 = op.T_MAX - op.SIM_SPAN
    rec = op.simulation_point(op.M, False, 300, op._state_json(fixed["traj"], t0), t0, 16, seed=3)
    t, eps = np.asarray(rec["t"]), np.asarray(rec["eps_seeds"])
    per_seed = eps[:, t >= op.T_MAX - op.AVG_SPAN].mean(axis=1)
    check = mean_agreement(
        [per_seed.mean()],
        [per_seed.std(ddof=1) / 4],
        [fixed["final"]],
        16,
        allowance=op.FINITE_N * fixed["final"] / 300,
    )
    assert check["pass"], check


@pytest.mark.slow
def test_sk_tap_quick_checks_pass():
    """SK model at h = 0.3: TAP beats naive mean field against exact enumeration (n = 18) at high T, the
    TAP overlap at n = 1000 agrees with the RS overlap above the AT line (de Almeida & Thouless 1978,
    J. Phys. A 11, 983), and the AT line starts at T = 1 and decreases with h; three panels."""
    from statmech_learn.reproduce import sk_tap

    r = sk_tap.compute(quick=True)
    verdicts = _verdicts(r.checks)
    assert len(verdicts) == 4 and all(verdicts.values()), r.checks
    assert [p.name for p in r.panels] == ["a", "b", "c"] and r.panels[0].yscale == "log"
    tap_b = next(s for s in r.series if s.panel == "b" and s.kind == "simulation")
    assert np.all(tap_b.x > r.parameters["at_temperature"])


def test_sk_tap_at_line_panel_and_tap_vs_exact():
    """The AT-line panel data start at T_AT(0) = 1 and decrease with h; on three n = 18 instances at
    T = 2 TAP is closer to the exact magnetisations than naive mean field (Onsager reaction term)."""
    from statmech_learn.reproduce import sk_tap

    h, t_at = sk_tap.at_line_panel(sk_tap.H_GRID[::5])
    assert h[0] == 0.0 and t_at[0] == pytest.approx(1.0, abs=1e-9)
    assert np.all(np.diff(t_at) < 0) and np.all(t_at > 0)
    for seed in range(3):
        rec = sk_tap.small_point("2", sk_tap.FIELD, seed)
        assert rec["tap_converged"] == [True]
        assert rec["tap_error"][0] < 0.3 * rec["naive_error"][0]


@pytest.mark.slow
def test_rbm_tap_quick_checks_pass():
    """Digits, 16 hidden units (Gabrie, Tramel & Krzakala 2015): TAP training within 1 nat per image of the best
    trainer and every trainer above the independent-pixel model, in the quick setting."""
    pytest.importorskip("sklearn")
    from statmech_learn.reproduce import rbm_tap

    r = rbm_tap.compute(quick=True)
    verdicts = _verdicts(r.checks)
    assert len(verdicts) == 2 and all(verdicts.values()), r.checks


def test_rbm_tap_structure_on_a_tiny_setting(monkeypatch, tmp_path):
    """Two epochs on 200 images: one held-out curve per trainer, the TAP estimate beside the exact curve,
    fixed points as 8 x 8 images with counts, and scikit-learn's machine trained and evaluated."""
    pytest.importorskip("sklearn")
    from statmech_learn.reproduce import rbm_tap, run

    monkeypatch.setitem(rbm_tap.SETTINGS, True, dict(n_train=200, epochs=2, learning_rate=0.1))
    res, paths = run("rbm-tap", out=tmp_path, quick=True, figure=False)
    assert {p.suffix for p in paths} >= {".csv", ".json"}
    assert [p.name for p in res.panels] == ["a", "b", "c", "d"]
    curves = [s for s in res.series if s.panel == "a"]
    assert len(curves) == 5 and all(s.x.tolist() == [1.0, 2.0] for s in curves)
    assert res.checks["final_heldout"]["tap"] == pytest.approx(curves[3].y[-1])
    for panel in res.panels[2:]:
        assert panel.images.shape[1:] == (8, 8) and np.all((panel.images >= 0) & (panel.images <= 1))
        assert sum(int(c) for c in panel.image_labels) <= rbm_tap.N_STARTS
    rec = rbm_tap.train_point("sklearn", 200, 1, 0.1, 3)
    assert len(rec["heldout"]) == 1 and np.isfinite(rec["heldout"][0])


@pytest.mark.slow
def test_reweighting_quick_checks_pass():
    """Seed 000 on exact Ising samples: the RBM trained on T = 3 samples reweighted by exp(-(1/T' - 1/T) E) reaches
    an exact KL to the T' = 2.5 law within 0.1 nat of the machine trained on T' samples, far below the unweighted
    one; error-carry batches keep the adjusted size at its target; gradient variances match their predictions."""
    from statmech_learn.reproduce import reweighting

    r = reweighting.compute(quick=True)
    verdicts = _verdicts(r.checks)
    assert len(verdicts) == 3 and all(verdicts.values()), r.checks
    kl = r.checks["final_kl"]
    assert kl["unweighted"] - kl["direct"] > 0.2
    assert 0.5 < r.checks["ess_fraction"] < 0.9


def test_sgd_temperature_quick_checks_pass():
    """Seed 002: SGD's stationary variance follows lr s^2 / (h (2 - lr h)) (the discrete Lyapunov equation) at
    every simulated learning rate; with noise variances 4 and 1 plain SGD has two temperatures in ratio 4 and the
    rates lr'/s_i^2 bring the ratio to (2 - lr_y)/(2 - lr_x) = 0.962, within 0.1 of one."""
    from statmech_learn.reproduce import sgd_temperature

    r = sgd_temperature.compute(quick=True)
    verdicts = _verdicts(r.checks)
    assert len(verdicts) == 3 and all(verdicts.values()), r.checks
    assert r.checks["gibbs_fix"]["exact_ratio"] == pytest.approx(1.9 / 1.975, abs=1e-12)
    assert r.checks["two_temperatures"]["exact_ratio"] == pytest.approx(4.0, abs=1e-12)
    hist = r.panels[1].histogram2d
    assert hist[2].shape == (40, 40) and hist[2].sum() > 1000


def test_real_data_quick_checks_pass():
    """Digits, pixels and relu random features: ridge on resampled data within the stated tolerance of the
    Gaussian covariate model (Loureiro et al. 2021); the label noise is the least-squares residual."""
    pytest.importorskip("sklearn")
    from statmech_learn.reproduce import real_data

    r = real_data.compute(quick=True)
    verdicts = _verdicts(r.checks)
    assert len(verdicts) == 2 and all(verdicts.values()), r.checks
    V, y = real_data.dataset("pixels")
    Vc, yc = V - V.mean(0), y - y.mean()
    coef, *_ = np.linalg.lstsq(Vc, yc, rcond=None)
    assert r.checks["label_noise_pixels"] == pytest.approx(np.mean((yc - Vc @ coef) ** 2), rel=1e-6)


@pytest.mark.slow
def test_double_descent_and_structured_quick_checks_pass():
    from statmech_learn.reproduce import double_descent, structured_data

    for mod, n in ((double_descent, 5), (structured_data, 4)):
        r = mod.compute(quick=True)
        verdicts = _verdicts(r.checks)
        assert len(verdicts) == n and all(verdicts.values()), r.checks


def test_double_descent_and_structured_simulation_points():
    from statmech_learn.reproduce import double_descent, structured_data

    p = double_descent.simulation_point("ridge", 2.0, 60, 0)
    assert p["converged"] and 0 < p["test_error"] < 5
    p = structured_data.simulation_point("logistic-aligned", 1.0, 60, 0)
    assert p["converged"] and 0 < p["test_error"] < 0.5


@pytest.mark.slow
def test_committee_quick_checks_pass():
    """The committee reproduction (about a minute in quick mode; CI runs it through the command line): every
    check passes, and the grid-located transitions are within one grid spacing above those of
    committee_transitions (K = 2, Gaussian: 2.0524; ±1: first order at 1.546, AMP threshold 1.982)."""
    from statmech_learn.reproduce import committee

    r = committee.compute(quick=True)
    for key, value in r.checks.items():
        if isinstance(value, dict) and "pass" in value:
            assert value["pass"], key
    tr = r.checks["transitions"]
    h = np.diff(r.parameters["alpha"])[0]
    for got, ref in (
        (tr["gaussian"]["alpha_specialization"], 2.0524),
        (tr["binary"]["alpha_it"], 1.546),
        (tr["binary"]["alpha_spinodal"], 1.982),
    ):
        assert 0 <= got - ref <= h + 1e-9
