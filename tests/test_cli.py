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
    # the JSON states a verdict per size against a stated, sample-size-derived tolerance (and the
    # quick run is sized to pass it): Bonferroni over the points at 1% family-wise
    from scipy.stats import norm

    for n in meta["parameters"]["sizes"]:
        verdict = meta["checks"][f"n{n}"]["vs_cover"]
        m = sum(1 for r in sim if int(r["n"]) == n)
        assert verdict["n_points"] == m and verdict["n_samples"] == 100
        assert verdict["tolerance_z"] == pytest.approx(norm.isf(0.01 / (2 * m)))
        assert verdict["pass"] is True and verdict["max_z"] <= verdict["tolerance_z"]
    # sizes are called n, as in the other figures
    labels = [s.label for s in result.series] + [p.xlabel + p.title for p in result.panels]
    assert not any("N=" in t or "P/N" in t or "P,N" in t or "N →" in t for t in labels), labels


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
    assert (
        main(
            [
                "reproduce",
                "gardner",
                "--quick",
                "--out",
                str(tmp_path),
                "--no-figure",
                "--checkpoint-dir",
                str(tmp_path / "ck"),
            ]
        )
        == 0
    )
    meta = json.loads((tmp_path / "gardner.json").read_text())
    checks = meta["checks"]
    assert checks["alpha_c_spherical_kappa0"] == ref.ALPHA_C_SPHERICAL_K0
    # the finite-n spherical half-crossing is near alpha_c = 2 (width of the step ~ 2.56 sqrt(2/n))
    n = max(meta["parameters"]["sph_sizes"])
    assert abs(checks[f"spherical_n{n}"]["alpha_half"] - 2.0) < capacity.cover_transition_width(n) / 2
    # every theory-vs-simulation check states its tolerance and passes in the quick run
    for size in meta["parameters"]["sph_sizes"]:
        v = checks[f"spherical_n{size}"]["vs_cover"]
        assert v["pass"] is True and v["max_z"] <= v["tolerance_z"] and v["n_points"] == 21
    for k in meta["parameters"]["margin_kappas"]:
        v = checks[f"spherical_kappa{k:g}_n{n}"]["vs_alpha_c"]
        assert v["pass"] is True and v["deviation"] <= v["tolerance"]
        assert v["finite_size_allowance"] == pytest.approx(
            0.25 * capacity.gardner_capacity(k) * capacity.cover_transition_width(n) / 2
        )
    assert "theory vs simulation: 4 of 4 checks pass" in capsys.readouterr().out
    # theory curves are sampled densely enough to look smooth, even in --quick
    points = {s["label"]: s["n_points"] for s in meta["series"] if s["kind"] == "theory" and s["panel"] == "a"}
    assert min(points.values()) >= 21, points
    # resuming from the checkpoint reproduces the same numbers without recomputing
    assert (
        main(
            [
                "reproduce",
                "gardner",
                "--quick",
                "--out",
                str(tmp_path / "again"),
                "--no-figure",
                "--checkpoint-dir",
                str(tmp_path / "ck"),
            ]
        )
        == 0
    )
    again = json.loads((tmp_path / "again" / "gardner.json").read_text())
    assert again["checks"] == checks


def test_reproduce_rejects_bad_workers(capsys):
    assert main(["reproduce", "cover", "--workers", "0"]) == 2
    assert "workers must be >= 1" in capsys.readouterr().err


def test_reproduce_on_a_dask_scheduler_matches_in_process(tmp_path):
    """`--scheduler ADDRESS` runs the simulations on a Dask cluster; same numbers as in-process."""
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        assert (
            main(
                [
                    "reproduce",
                    "cover",
                    "--quick",
                    "--no-figure",
                    "--out",
                    str(tmp_path / "dask"),
                    "--scheduler",
                    cluster.scheduler_address,
                ]
            )
            == 0
        )
    assert main(["reproduce", "cover", "--quick", "--no-figure", "--out", str(tmp_path / "local")]) == 0
    a = _read_csv(tmp_path / "dask" / "cover.csv")
    b = _read_csv(tmp_path / "local" / "cover.csv")
    assert a == b


# ---------------------------------------------------------------------------
# Issue 7: clear one-line errors instead of tracebacks
# ---------------------------------------------------------------------------
def _one_error_line(capsys, *fragments):
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("statmech-learn: error: "), err
    for fragment in fragments:
        assert fragment in lines[0], err
    return lines[0]


def test_capacity_binary_large_margin_via_cli(capsys):
    """`capacity --kappa 30 --weights binary` used to fail about an alpha = 0.001 never passed."""
    assert main(["capacity", "--kappa", "30", "--weights", "binary", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    # alpha_c -> alpha_GD = 2/(pi (1 + kappa^2)) from below as kappa grows (gap 4e-5 at kappa = 30)
    assert 0 < record["alpha_c"] < record["alpha_gardner_derrida"]
    assert record["alpha_c"] == pytest.approx(2 / (np.pi * 901), rel=1e-4)


def test_capacity_absurd_margin_is_one_error_line(capsys):
    """--kappa 1e300 used to print overflow warnings (errors under this suite's filterwarnings)."""
    assert main(["capacity", "--kappa", "1e300"]) == 2
    _one_error_line(capsys, "kappa must be <= 1e+150", "got 1e+300")
    assert main(["capacity", "--kappa", "1e300", "--weights", "binary"]) == 2
    _one_error_line(capsys, "kappa must be <=")
    # the largest accepted margin prints a clean number: alpha_c = 1/(1 + kappa^2)
    assert main(["capacity", "--kappa", "1e150"]) == 0
    assert "= 1e-300" in capsys.readouterr().out
    for bad in ("nan", "inf"):
        assert main(["capacity", "--kappa", bad]) == 2
        _one_error_line(capsys, "kappa must be finite")


def test_reproduce_out_naming_a_file_is_one_error_line(tmp_path, capsys):
    target = tmp_path / "results.txt"
    target.write_text("keep me\n")
    assert main(["reproduce", "cover", "--quick", "--no-figure", "--out", str(target)]) == 1
    _one_error_line(capsys, "--out must name a directory", str(target))
    assert target.read_text() == "keep me\n"


def test_reproduce_unwritable_out_is_one_error_line(tmp_path, capsys):
    parent = tmp_path / "a-file"
    parent.write_text("")
    assert main(["reproduce", "cover", "--quick", "--no-figure", "--out", str(parent / "sub")]) == 1
    _one_error_line(capsys, "--out: cannot write in directory", str(parent / "sub"))


def test_reproduce_read_only_out_is_one_error_line(tmp_path, capsys):
    import os

    if hasattr(os, "geteuid") and os.geteuid() == 0:
        pytest.skip("root can write in a read-only directory")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        assert main(["reproduce", "cover", "--quick", "--no-figure", "--out", str(ro)]) == 1
        _one_error_line(capsys, "--out: cannot write in directory", str(ro))
    finally:
        ro.chmod(0o700)


def test_reproduce_checkpoint_dir_naming_a_file_is_one_error_line(tmp_path, capsys):
    target = tmp_path / "ck"
    target.write_text("")
    assert (
        main(
            [
                "reproduce",
                "cover",
                "--quick",
                "--no-figure",
                "--out",
                str(tmp_path / "out"),
                "--checkpoint-dir",
                str(target),
            ]
        )
        == 1
    )
    _one_error_line(capsys, "--checkpoint-dir must name a directory", str(target))


def test_workers_and_scheduler_are_mutually_exclusive(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["reproduce", "cover", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "[--workers WORKERS | --scheduler SCHEDULER]" in err
    assert "argument --scheduler: not allowed with argument --workers" in err


@pytest.mark.parametrize(
    "argv,match",
    [
        (["--workers", "100000"], "workers must be >= 1 and <= 1024, got 100000"),
        (["--scheduler-timeout", "0"], "scheduler-timeout must be finite and > 0"),
        (["--scheduler-timeout", "nan"], "scheduler-timeout must be finite"),
    ],
)
def test_reproduce_bad_numbers_are_one_error_line(argv, match, capsys):
    assert main(["reproduce", "cover", "--quick", "--no-figure"] + argv) == 2
    _one_error_line(capsys, match)


def test_unreachable_scheduler_is_one_error_line_and_fast(tmp_path, capsys):
    """An unreachable --scheduler used to wait dask's 30 s connect timeout, then traceback."""
    import time

    pytest.importorskip("dask.distributed")
    t0 = time.perf_counter()
    assert (
        main(
            [
                "reproduce",
                "cover",
                "--quick",
                "--no-figure",
                "--out",
                str(tmp_path),
                "--scheduler",
                "tcp://127.0.0.1:1",
                "--scheduler-timeout",
                "1",
            ]
        )
        == 1
    )
    assert time.perf_counter() - t0 < 15
    _one_error_line(capsys, "--scheduler: cannot connect to the Dask scheduler at 'tcp://127.0.0.1:1'")
    assert (
        main(["reproduce", "cover", "--quick", "--no-figure", "--out", str(tmp_path), "--scheduler", "no-port-here"])
        == 1
    )
    _one_error_line(capsys, "--scheduler: cannot connect", "no-port-here")


def test_binomial_agreement_exact_tails():
    """The verdict of the reproductions: exact two-sided binomial tails, Bonferroni over the points."""
    from math import comb

    from scipy.stats import norm

    from statmech_learn.reproduce.cover import binomial_agreement

    # 65 of 100 at p = 1/2: two-sided p-value 2 P[X >= 65], summed here by hand
    pval = 2 * sum(comb(100, j) for j in range(65, 101)) / 2**100
    one = binomial_agreement([65], 100, [0.5])
    assert one["max_z"] == pytest.approx(norm.isf(pval / 2), rel=1e-9)
    assert one["tolerance_z"] == pytest.approx(norm.isf(0.01 / 2)) and one["pass"] is False  # 2.92 > 2.58
    # with 21 points the same deviation is within the Bonferroni allowance (tolerance 3.49)
    many = binomial_agreement([65] + [50] * 20, 100, [0.5] * 21)
    assert many["tolerance_z"] == pytest.approx(norm.isf(0.01 / 42)) and many["pass"] is True
    # an impossible count (a failure where the exact probability is 1) always fails, with a finite z
    bad = binomial_agreement([99, 50], 100, [1.0, 0.5])
    assert bad["pass"] is False and np.isfinite(bad["max_z"])
    assert binomial_agreement([100, 0], 100, [1.0, 0.0])["max_z"] == 0.0


def test_locked_checkpoint_is_one_line_error(tmp_path, capsys, monkeypatch):
    """A checkpoint held by another running sweep: one error line and exit 1, no traceback."""
    from statmech_learn import cli
    from statmech_learn.errors import CheckpointLockedError

    def busy(*args, **kwargs):
        raise CheckpointLockedError("checkpoint x.jsonl is being written by another running sweep")

    monkeypatch.setattr("statmech_learn.reproduce.run", busy)
    code = cli.main(
        ["reproduce", "cover", "--quick", "--out", str(tmp_path / "o"), "--checkpoint-dir", str(tmp_path / "ck")]
    )
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "another running sweep" in err and "Traceback" not in err


# --------------------------------------------------------------------------- python -m statmech_learn


@pytest.mark.parametrize(
    "argv",
    [["list"], pytest.param(["capacity", "--kappa", "0.5"], marks=pytest.mark.slow), ["capacity", "--kappa", "-1"]],
    ids=["list", "capacity", "bad-value"],
)
def test_python_dash_m_is_the_console_script(argv, capsys, tmp_path):
    import subprocess
    import sys

    code = main(argv)
    expected = capsys.readouterr()
    proc = subprocess.run(
        [sys.executable, "-m", "statmech_learn", *argv], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (code, expected.out, expected.err)


# --------------------------------------------------------------------------- reproduce all


def _fake_reproduction(name, outcome, calls):
    """A tiny Reproduction: ``outcome`` is "pass", "fail" (a failed check) or an exception to raise."""
    from statmech_learn.reproduce import Reproduction, ReproductionResult

    def compute(quick, ctx):
        calls.append((name, quick, ctx.seed, type(ctx.executor).__name__, ctx.checkpoint_dir))
        if isinstance(outcome, Exception):
            raise outcome
        checks = {"vs_theory": {"deviation": 0.1, "pass": outcome == "pass"}}
        return ReproductionResult(
            name=name, title=name, parameters={"quick": quick}, series=[], panels=[], timings={}, checks=checks
        )

    return Reproduction(name=name, description=f"fake {name}", compute=compute)


@pytest.fixture
def fake_registry(monkeypatch):
    """Install a registry of fake reproductions: ``fake_registry({"name": outcome, ...})`` -> the calls list."""
    import statmech_learn.reproduce as reproduce

    calls = []

    def install(outcomes):
        reg = {name: _fake_reproduction(name, outcome, calls) for name, outcome in outcomes.items()}
        monkeypatch.setattr(reproduce, "_registry", lambda: reg)
        return calls

    return install


def _summary(out):
    """The summary table's rows of `reproduce all`: {name: [status, seconds, details]}."""
    table = out[out.index("\nname ") :].strip().splitlines()
    assert table[0].split() == ["name", "status", "seconds", "failed", "checks", "/", "error"]
    return {line.split()[0]: line.split(None, 3)[1:] for line in table[1:-1]}, table[-1]


def test_reproduce_all_runs_every_reproduction_despite_an_exception(fake_registry, tmp_path, capsys):
    calls = fake_registry({"broken": RuntimeError("boom"), "fine": "pass"})
    code = main(
        [
            "reproduce",
            "all",
            "--quick",
            "--seed",
            "7",
            "--workers",
            "2",
            "--no-figure",
            "--out",
            str(tmp_path / "out"),
            "--checkpoint-dir",
            str(tmp_path / "ck"),
        ]
    )
    captured = capsys.readouterr()
    assert code == 1
    # both ran, in registry order, with the same options as a single `reproduce NAME`
    assert calls == [(name, True, 7, "ProcessPoolExecutor", tmp_path / "ck") for name in ("broken", "fine")]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["fine.csv", "fine.json"]
    rows, last = _summary(captured.out)
    assert rows["broken"][0] == "error" and rows["broken"][2] == "RuntimeError: boom"
    assert rows["fine"][0] == "ok" and rows["fine"][2] == "-"
    assert all(float(row[1]) >= 0 for row in rows.values())
    assert last == "1 of 2 reproductions pass; FAILED: broken"
    assert "RuntimeError: boom" in captured.err  # with its traceback, as an unexpected error


def test_reproduce_all_fails_on_a_failed_check_and_reports_package_errors_in_one_line(fake_registry, tmp_path, capsys):
    from statmech_learn.errors import ConvergenceError

    calls = fake_registry({"diverges": ConvergenceError("no fixed point"), "off": "fail", "fine": "pass"})
    code = main(["reproduce", "all", "--no-figure", "--out", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 1 and [c[0] for c in calls] == ["diverges", "off", "fine"]
    assert calls[0][1:] == (False, 0, "NoneType", None)  # the defaults: not quick, seed 0, in-process
    rows, last = _summary(captured.out)
    assert rows["diverges"] == ["error", rows["diverges"][1], "ConvergenceError: no fixed point"]
    assert rows["off"][0] == "failed" and rows["off"][2] == "vs_theory"
    assert last == "1 of 3 reproductions pass; FAILED: diverges, off"
    assert captured.err == "statmech-learn: error: reproduce diverges: ConvergenceError: no fixed point\n"


def test_reproduce_all_passing_exits_zero_and_list_still_works(fake_registry, tmp_path, capsys):
    fake_registry({"a": "pass", "b": "pass"})
    assert main(["reproduce", "all", "--no-figure", "--out", str(tmp_path)]) == 0
    assert _summary(capsys.readouterr().out)[1] == "2 of 2 reproductions pass"
    assert main(["list"]) == 0
    assert capsys.readouterr().out.split() == ["a", "fake", "a", "b", "fake", "b"]
    # a bad value is refused before anything runs, naming 'all' among the choices
    assert main(["reproduce", "nope"]) == 2
    assert "name must be 'all' or one of 'a', 'b', got 'nope'" in capsys.readouterr().err


def test_reproduce_one_exits_one_on_a_failed_check_and_still_writes_its_files(fake_registry, tmp_path, capsys):
    fake_registry({"off": "fail", "fine": "pass"})
    assert main(["reproduce", "off", "--no-figure", "--out", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "theory vs simulation: 0 of 1 checks pass; FAILED: vs_theory" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["off.csv", "off.json"]  # the evidence is kept
    assert main(["reproduce", "fine", "--no-figure", "--out", str(tmp_path)]) == 0


def test_no_reproduction_is_called_all():
    assert "all" not in REGISTRY()
