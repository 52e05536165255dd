"""The compressed-sensing reproduction: sweep points, registry, and (slow) the whole quick run."""

import warnings
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

import statmech_learn as sml
from statmech_learn.gibbs import GaussBernoulliPrior, GaussianNoise
from statmech_learn.reproduce import REGISTRY, RunContext, get
from statmech_learn.reproduce import compressed_sensing as cs


def test_registry_lists_compressed_sensing():
    assert "compressed-sensing" in REGISTRY()
    assert get("compressed-sensing") is cs.REPRODUCTION


def test_amp_point_on_a_small_instance_records_mse_and_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the sweep point records non-convergence, it does not warn
        easy = cs.amp_point(alpha=0.4, n=300, seed=3)
        cut = cs.amp_point(alpha=0.4, n=300, seed=3, n_iter=2)
    assert set(easy) == {"mse", "converged", "amp_iterations"}
    # far above the spinodal GAMP reaches the informed branch (MMSE ~ 4e-5 for n -> infinity)
    assert easy["converged"] and easy["mse"] < 1e-3
    assert not cut["converged"] and cut["amp_iterations"] == 2 and np.isfinite(cut["mse"])
    # the instance depends on the seed only
    assert cs.amp_point(alpha=0.4, n=300, seed=3) == easy


def test_branch_pieces_cover_the_axis_and_meet_at_alpha_it():
    si, it, sp = 0.178, 0.193, 0.209
    low = cs._pieces("low", si, it, sp, 5, 3)
    high = cs._pieces("high", si, it, sp, 5, 3)
    assert low["below"][0] == cs.ALPHA_MIN and high["above"][-1] == cs.ALPHA_MAX
    assert low["below"][-1] < si < low["meta_lo"][0]
    assert low["meta_lo"][-1] == high["meta_hi"][0] == it
    assert high["meta_hi"][-1] < sp < high["above"][0]
    with pytest.raises(ValueError, match="part must be"):
        cs._pieces("middle", si, it, sp, 5, 3)


@pytest.fixture(scope="module")
def quick_result():
    with ProcessPoolExecutor(2) as pool:
        return cs.compute(quick=True, ctx=RunContext(executor=pool, reproduction="compressed-sensing"))


@pytest.mark.slow
def test_quick_run_passes_its_checks_and_draws_both_panels(quick_result):
    r = quick_result
    failed = [name for name, check in r.checks.items() if not check["pass"]]
    assert not failed, {name: r.checks[name] for name in failed}
    tr = r.checks["transitions"]
    # the figure marks what the public API reports (whose values tests/test_sparse.py checks
    # independently: equal-area rule, state-evolution stability, I-MMSE)
    ref = sml.replica.transitions(sml.TeacherStudent(GaussBernoulliPrior(cs.RHO), GaussianNoise(cs.DELTA)), (0.05, 1.0))
    for key in ("alpha_spinodal_informed", "alpha_it", "alpha_spinodal"):
        assert tr[key] == pytest.approx(getattr(ref, key), abs=1e-5)
    assert [p.name for p in r.panels] == ["a", "b"] and r.panels[0].yscale == "log"
    by_panel = {p: [s for s in r.series if s.panel == p] for p in ("a", "b")}
    assert len(by_panel["a"]) == 5 and len(by_panel["b"]) == 4
    assert all(s.x.size > 1 and np.all(np.isfinite(s.y)) for s in r.series)
    sim = [s for s in r.series if s.kind == "simulation"]
    assert len(sim) == 1 and sim[0].yerr is not None
    # the metastable AMP point stays on the uninformed branch, two orders of magnitude above the informed MMSE
    stuck = r.checks["amp_stuck_in_metastable_interval"]
    assert stuck["alpha"] == [0.1935] and stuck["amp_mse_mean"][0] > 10 * stuck["informed_mmse"][0]
