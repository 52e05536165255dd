"""The command line and the reproduction framework, end to end."""

import csv
import json
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

from statmech_learn import capacity
from statmech_learn.cli import main
from statmech_learn.reproduce import REGISTRY, get, run
from tests.reference import published as ref


def test_capacity_command_prints_published_value(capsys):
    assert main(["capacity", "--kappa", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "0.9612050528" in out


def test_capacity_command_json(capsys):
    assert main(["capacity", "--weights", "binary", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["alpha_c"] == pytest.approx(ref.ALPHA_C_BINARY_K0, rel=1e-7)
    assert record["alpha_gardner_derrida"] == pytest.approx(ref.ALPHA_GD_BINARY_K0, rel=1e-12)


def test_capacity_command_bad_input_names_parameter(capsys):
    assert main(["capacity", "--kappa", "-1"]) == 2
    err = capsys.readouterr().err
    assert "kappa must be >= 0" in err and "replica-symmetry breaking" in err


def test_list_names_every_reproduction(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in REGISTRY():
        assert name in out
    with pytest.raises(ValueError, match="name must be one of"):
        get("no-such-diagram")


def _read_csv(path):
    with open(path) as fh:
        return list(csv.DictReader(fh))


def test_reproduce_cover_quick_writes_files_and_matches_cover(tmp_path):
    result, paths = run("cover", out=tmp_path, quick=True, figure=False)
    names = sorted(p.name for p in paths)
    assert names == ["cover.csv", "cover.json"]
    meta = json.loads((tmp_path / "cover.json").read_text())
    assert meta["version"] and meta["parameters"]["quick"] is True and "monte_carlo" in meta["timings_seconds"]
    rows = _read_csv(tmp_path / "cover.csv")
    sim = [r for r in rows if r["kind"] == "simulation"]
    assert sim and all(r["yerr"] != "" for r in sim)
    # theory against simulation: every Monte Carlo point within 4 binomial standard errors of
    # Cover's exact finite-N fraction (Cover 1965), with a floor of 1/n_samples
    for r in sim:
        exact, p, ns = float(r["cover_exact"]), float(r["y"]), int(r["n_samples"])
        sigma = max(np.sqrt(exact * (1 - exact) / ns), 1.0 / ns)
        assert abs(p - exact) <= 4 * sigma


def test_reproduction_does_not_depend_on_executor(tmp_path):
    """The same seed gives the same simulation points in-process and on a process pool."""
    a, _ = run("cover", out=tmp_path / "a", quick=True, figure=False, seed=3)
    with ProcessPoolExecutor(2) as pool:
        b, _ = run("cover", out=tmp_path / "b", quick=True, figure=False, seed=3, executor=pool)
    sa = [s for s in a.series if s.kind == "simulation"]
    sb = [s for s in b.series if s.kind == "simulation"]
    for x, y in zip(sa, sb):
        np.testing.assert_array_equal(x.y, y.y)


def test_reproduce_gardner_quick_via_cli(tmp_path, capsys):
    assert main(["reproduce", "gardner", "--quick", "--out", str(tmp_path), "--no-figure",
                 "--checkpoint-dir", str(tmp_path / "ck")]) == 0
    meta = json.loads((tmp_path / "gardner.json").read_text())
    checks = meta["checks"]
    assert checks["alpha_c_spherical_kappa0"] == ref.ALPHA_C_SPHERICAL_K0
    # the finite-n spherical half-crossing is near alpha_c = 2 (width of the step ~ 2.56 sqrt(2/n))
    n = max(meta["parameters"]["sph_sizes"])
    assert abs(checks[f"spherical_n{n}"]["alpha_half"] - 2.0) < capacity.cover_transition_width(n) / 2
    # resuming from the checkpoint reproduces the same numbers without recomputing
    assert main(["reproduce", "gardner", "--quick", "--out", str(tmp_path / "again"), "--no-figure",
                 "--checkpoint-dir", str(tmp_path / "ck")]) == 0
    again = json.loads((tmp_path / "again" / "gardner.json").read_text())
    assert again["checks"] == checks


def test_reproduce_rejects_bad_workers(capsys):
    assert main(["reproduce", "cover", "--workers", "0"]) == 2
    assert "workers must be >= 1" in capsys.readouterr().err


def test_reproduce_on_a_dask_scheduler_matches_in_process(tmp_path):
    """`--scheduler ADDRESS` runs the simulations on a Dask cluster; same numbers as in-process."""
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        assert main(["reproduce", "cover", "--quick", "--no-figure", "--out", str(tmp_path / "dask"),
                     "--scheduler", cluster.scheduler_address]) == 0
    assert main(["reproduce", "cover", "--quick", "--no-figure", "--out", str(tmp_path / "local")]) == 0
    a = _read_csv(tmp_path / "dask" / "cover.csv")
    b = _read_csv(tmp_path / "local" / "cover.csv")
    assert a == b
