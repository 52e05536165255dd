"""The rbm-vs-rg reproduction: registry, one sweep point, and (slow) the whole quick run with its outputs."""

import json

import numpy as np
import pytest

from statmech_learn.meanfield import Ising2D, exact
from statmech_learn.plotting import have_matplotlib
from statmech_learn.reproduce import REGISTRY, get, rbm_vs_rg, run


def _verdicts(checks):
    return {k: v["pass"] for k, v in checks.items() if isinstance(v, dict) and "pass" in v}


def test_registry_lists_rbm_vs_rg():
    assert "rbm-vs-rg" in REGISTRY()
    assert get("rbm-vs-rg") is rbm_vs_rg.REPRODUCTION


def test_case_point_records_both_optima_and_their_paths():
    """A small case (L = 2, n_h = 2, +-1 units, h = 0.3): both runs start at the same KL, the paths have
    n_iter + 1 entries, the KL run ends below the free-energy run, and max|<v>_P| is that of exact()."""
    rec = rbm_vs_rg.case_point(L=2, n_hidden=2, units="binary", field=0.3, temperature=2.5, init_seed=0)
    json.dumps(rec)
    for key in ("kl", "fe"):
        assert len(rec[f"{key}_path_kl"]) == len(rec[f"{key}_path_gap"]) == rec[f"{key}_n_iter"] + 1
        assert rec[f"{key}_path_kl"][0] == pytest.approx(rec["initial_kl"], abs=1e-14)
    assert rec["kl_kl"] <= rec["fe_kl"]
    m = exact(Ising2D(2, beta=1 / 2.5, field=0.3, periodic=True)).m
    assert rec["mean_v_max"] == pytest.approx(float(np.max(np.abs(m))), abs=1e-14)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("rbm-vs-rg")
    result, paths = run("rbm-vs-rg", out=out, quick=True, figure=have_matplotlib())
    return out, result, paths


@pytest.mark.slow
def test_rbm_vs_rg_quick_checks_pass(quick_run):
    """Three L = 3 cases at T = 2.5: each optimum satisfies its own first-order condition to 1e-6 (eq. 14 for
    KL, eq. 15 for the free-energy objective), the optima differ (KL by > 1 nat, the KL optimum > 1 away from
    F_lambda = F), the free-energy optimum is the manifold F_lambda = F where F is reachable and lambda = 0
    (eq. 16 exact) where it is not, and it violates the KL condition; two log-log panels."""
    _, r, _ = quick_run
    verdicts = _verdicts(r.checks)
    assert len(verdicts) == 5 and all(verdicts.values()), r.checks
    assert [p.name for p in r.panels] == ["a", "b"]
    assert all(p.yscale == "log" and p.xscale == "log" for p in r.panels)
    assert len(r.checks["table"]["rows"]) == 2 * len(rbm_vs_rg.CASES[True])
    reach = [c["expected"] for c in r.checks["eq16_or_manifold"]["cases"]]
    assert any(e.startswith("manifold") for e in reach) and any(e.startswith("lambda = 0") for e in reach)


@pytest.mark.slow
def test_rbm_vs_rg_quick_writes_csv_json_and_figure(quick_run):
    out, r, paths = quick_run
    names = {p.name for p in paths}
    assert {"rbm-vs-rg.csv", "rbm-vs-rg.json"} <= names
    if have_matplotlib():
        assert "rbm-vs-rg.png" in names and (out / "rbm-vs-rg.png").stat().st_size > 0
    meta = json.loads((out / "rbm-vs-rg.json").read_text())
    assert meta["name"] == "rbm-vs-rg" and set(_verdicts(meta["checks"])) == set(_verdicts(r.checks))
    rows = (out / "rbm-vs-rg.csv").read_text().splitlines()
    assert len(rows) - 1 == sum(s.x.size for s in r.series)
