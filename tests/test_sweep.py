"""Parameter sweeps: grids, seeds, executors, checkpoints and failures.

The references are independent of the module: itertools.product for the grid
order, the seed rule of docs/sweeps.md written out with hashlib, a separate
interpreter (another PYTHONHASHSEED) for seed stability, the in-process run for
the process-pool and Dask runs, a run killed by SIGKILL for resumption, and the
closed-form Gaussian tail H(t) = erfc(t / sqrt 2) / 2 for a Monte Carlo sweep.
"""

import contextlib
import csv
import functools
import hashlib
import importlib
import io
import itertools
import json
import math
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from statmech_learn.errors import CheckpointLockedError, SweepError
from statmech_learn.sweep import Grid, SweepTable, sweep
from tests import _sweep_helpers as helpers

ROOT = Path(__file__).resolve().parents[1]
# the modules whose globals the tests patch (as attributes of the package, `sweep` is the function)
run_module = importlib.import_module("statmech_learn.sweep.run")  # sweep() reads _Progress here
checkpoint_module = importlib.import_module("statmech_learn.sweep.checkpoint")  # _Checkpoint opens files here


def without_wall_time(table):
    return [{k: v for k, v in r.items() if k != "_wall_time"} for r in table.records]


def documented_seed(point, base_seed=0):
    """The seed rule of docs/sweeps.md, written out independently of the module."""

    def by_value(v):
        return int(v) if isinstance(v, float) and math.isfinite(v) and v.is_integer() else v

    params = {k: by_value(v) for k, v in point.items() if k != "seed"}
    text = json.dumps(
        {"base_seed": base_seed, "point": params, "replicate": by_value(point.get("seed", 0))},
        sort_keys=True,
        separators=(",", ":"),
    )
    return int.from_bytes(hashlib.blake2b(text.encode("ascii"), digest_size=8).digest(), "big") >> 1


def helper_env(**extra):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(extra)
    return env


def read_calls(path, grid):
    """Grid indices of the calls logged by helpers.slow_point (one line 'x seed' per call)."""
    index_of = {(p["x"], s): i for i, (p, s) in enumerate(zip(grid, grid.seeds()))}
    if not Path(path).exists():
        return []
    return [index_of[(int(x), int(s))] for x, s in (line.split() for line in Path(path).read_text().splitlines())]


def checkpoint_lines(path):
    return Path(path).read_bytes().split(b"\n")


# --------------------------------------------------------------------------- Grid


def test_grid_order_is_itertools_product():
    axes = {"alpha": [1.0, 1.5, 2.0, 2.5], "n": [50, 100], "seed": range(3)}
    grid = Grid(**axes)
    expected = [dict(zip(axes, combo)) for combo in itertools.product(*axes.values())]
    assert list(grid) == expected
    assert len(grid) == 24
    assert [grid[i] for i in range(len(grid))] == expected
    assert grid[-1] == expected[-1]
    with pytest.raises(IndexError):
        grid[24]


def test_zip_axes_vary_together_and_products_compose():
    grid = Grid(n=[50, 100]) * Grid.zip(alpha=[1.0, 1.5, 2.0], kappa=[0.0, 0.25, 0.5])
    expected = [
        {"n": n, "alpha": a, "kappa": k}
        for n, (a, k) in itertools.product([50, 100], zip([1.0, 1.5, 2.0], [0.0, 0.25, 0.5]))
    ]
    assert list(grid) == expected
    assert len(grid) == 6 and grid.names == ("n", "alpha", "kappa")
    assert [grid[i] for i in range(6)] == expected
    assert grid.axes == {"n": [50, 100], "alpha": [1.0, 1.5, 2.0], "kappa": [0.0, 0.25, 0.5]}


def test_grid_values_are_plain_python_scalars():
    grid = Grid(alpha=np.linspace(1, 2, 3), n=np.array([50, 100]), flag=[np.bool_(True)])
    for point in grid:
        assert type(point["alpha"]) is float and type(point["n"]) is int and type(point["flag"]) is bool


def test_point_seed_is_the_documented_hash():
    grid = helpers.seed_grid()
    assert grid.seeds() == [documented_seed(p, base_seed=7) for p in grid]
    assert all(0 <= s < 2**63 for s in grid.seeds())


def test_seeds_are_stable_across_interpreters():
    # Python's str hash is salted per process; the seeds must not depend on it.
    here = helpers.seed_grid().seeds()
    for hashseed in ("1", "2"):
        out = subprocess.run(
            [sys.executable, "-m", "tests._sweep_helpers", "seeds"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
            env=helper_env(PYTHONHASHSEED=hashseed),
            timeout=60,
        )
        assert json.loads(out.stdout) == here


def test_seeds_differ_between_points_and_base_seeds():
    grid = Grid(alpha=[1.0, 1.5], n=[50, 100], seed=range(10))
    seeds = grid.seeds()
    assert len(set(seeds)) == len(grid)
    assert set(seeds).isdisjoint(Grid(alpha=[1.0, 1.5], n=[50, 100], seed=range(10), base_seed=1).seeds())
    # a point's seed does not depend on the rest of the grid, and 2 and 2.0 are one value
    assert Grid(alpha=[2.0], n=[100], seed=[3]).seeds() == [Grid.point_seed({"alpha": 2, "n": 100, "seed": 3})]
    assert grid.seeds()[-1] == Grid.point_seed(grid[-1])


def test_base_seed_of_a_product_comes_from_either_factor():
    left = Grid(a=[1, 2], base_seed=5) * Grid(b=[0.5])
    right = Grid(a=[1, 2]) * Grid(b=[0.5], base_seed=5)
    assert left.base_seed == right.base_seed == 5
    assert left.seeds() == right.seeds() == [documented_seed(p, base_seed=5) for p in left]
    with pytest.raises(ValueError, match="base_seed"):
        Grid(a=[1, 2], base_seed=5) * Grid(b=[0.5], base_seed=0)


@pytest.mark.parametrize(
    "make, axis",
    [
        pytest.param(lambda: Grid(alpha=[], n=[1]), "alpha", id="empty-axis"),
        pytest.param(lambda: Grid.zip(alpha=[1, 2, 3], kappa=[0.0, 0.5]), "kappa", id="zip-lengths"),
        pytest.param(lambda: Grid(n=[1]) * Grid(n=[2]), "n", id="duplicate-name"),
        pytest.param(lambda: Grid(**{"not-a-name": [1]}), "not-a-name", id="not-identifier"),
        pytest.param(lambda: Grid(_index=[1]), "_index", id="reserved-name"),
        pytest.param(lambda: Grid(weights="spherical"), "weights", id="string-not-sequence"),
        pytest.param(lambda: Grid(w=[[1, 2]]), "w", id="non-scalar"),
        pytest.param(lambda: Grid(seed=[0, 1, 1]), "seed", id="repeated-value"),
    ],
)
def test_bad_grids_name_the_axis(make, axis):
    with pytest.raises(ValueError, match=f"'{axis}'"):
        make()


def test_fingerprint_tracks_axes_values_order_and_base_seed():
    fp = Grid(a=[1, 2], b=[3]).fingerprint()
    assert fp == Grid(a=[1, 2], b=[3]).fingerprint()
    others = [
        Grid(b=[3], a=[1, 2]),
        Grid(a=[1, 2.5], b=[3]),
        Grid(a=[1, 2], b=[3], base_seed=1),
        Grid.zip(a=[1], b=[3]) * Grid(c=[1]),
    ]
    assert fp not in {g.fingerprint() for g in others}


# --------------------------------------------------------------------------- records and executors


def test_records_carry_the_point_outputs_and_provenance():
    import statmech_learn

    grid = Grid(x=[0.5, 2.0], seed=range(2))
    table = sweep(helpers.uniform_draw, grid, progress=False)
    assert len(table) == 4
    for i, (record, point, seed) in enumerate(zip(table.records, grid, grid.seeds())):
        assert list(record) == ["_index", "x", "seed", "y", "u", "_seed", "_wall_time", "_version"]
        assert record["_index"] == i and record["x"] == point["x"] and record["seed"] == point["seed"]
        assert record["_seed"] == seed
        # the function received seed = point_seed(point), not the replicate label
        assert record["u"] == np.random.default_rng(seed).random()
        assert record["y"] == point["x"] ** 2
        assert record["_version"] == statmech_learn.__version__
        assert 0 <= record["_wall_time"] < 1


def test_function_with_seed_parameter_gets_a_seed_without_seed_axis():
    # no seed axis: the replicate label is 0, so the seeds equal those of seed=[0]
    table = sweep(helpers.uniform_draw, Grid(x=[1.0, 3.0]), progress=False)
    assert table.column("_seed").tolist() == Grid(x=[1.0, 3.0], seed=[0]).seeds()
    assert "seed" not in table.columns


def test_numpy_outputs_become_plain_python():
    record = sweep(helpers.mc_pi, Grid(n_samples=[10]), progress=False).records[0]
    assert type(record["draw"]) is float and type(record["first"]) is list and len(record["first"]) == 2


def test_axis_that_func_does_not_take_is_refused():
    with pytest.raises(ValueError, match="'t'"):
        sweep(helpers.uniform_draw, Grid(x=[1.0], t=[0.0]))


def test_output_repeating_a_parameter_must_equal_it():
    table = sweep(helpers.echoes_parameter, Grid(x=[1.0, 2.0]), progress=False)
    assert table.column("x").tolist() == [1.0, 2.0] and table.column("z").tolist() == [1.0, 1.0]
    with pytest.raises(SweepError, match="differs from the argument x="):
        sweep(helpers.echoes_parameter, Grid(x=[1.0], shift=[0.5]), progress=False)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        pytest.param({"func": 3}, "func", id="func"),
        pytest.param({"grid": [{"x": 1}]}, "grid", id="grid"),
        pytest.param({"on_error": "ignore"}, "on_error", id="on_error"),
        pytest.param({"chunksize": 0}, "chunksize", id="chunksize"),
        pytest.param({"executor": object()}, "executor", id="executor"),
        pytest.param({"progress": "yes"}, "progress", id="progress"),
    ],
)
def test_bad_arguments_name_the_parameter(kwargs, name):
    args = {"func": helpers.uniform_draw, "grid": Grid(x=[1.0])} | kwargs
    with pytest.raises(ValueError, match=name):
        sweep(**args)


@pytest.mark.parametrize("chunksize", [1, 3])
def test_process_and_thread_pools_give_the_in_process_table(chunksize):
    grid = Grid(n_samples=[1000, 2000], seed=range(5))
    reference = sweep(helpers.mc_pi, grid, progress=False)
    with ProcessPoolExecutor(2) as ex:
        pooled = sweep(helpers.mc_pi, grid, executor=ex, progress=False, chunksize=chunksize)
    with ThreadPoolExecutor(2) as ex:
        threaded = sweep(helpers.mc_pi, grid, executor=ex, progress=False, chunksize=chunksize)
    assert without_wall_time(pooled) == without_wall_time(reference)
    assert without_wall_time(threaded) == without_wall_time(reference)


def test_dask_cluster_gives_the_in_process_table():
    distributed = pytest.importorskip("dask.distributed")
    grid = Grid(t=[0.0, 1.0], n_samples=[500], seed=range(6))
    reference = sweep(helpers.gaussian_tail, grid, progress=False)
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with cluster, distributed.Client(cluster) as client:
        table = sweep(helpers.gaussian_tail, grid, executor=client.get_executor(), progress=False)
        workers = set(client.run(os.getpid).values())
    assert os.getpid() not in workers and len(workers) == 2
    assert without_wall_time(table) == without_wall_time(reference)


def test_every_stochastic_entry_point_is_bit_identical_across_runs_and_executors():
    """Each public entry point that takes a seed (tests/_sweep_helpers.STOCHASTIC_ENTRIES, checked
    complete by introspection below) gives byte-identical output for the same seed: twice in-process,
    on a process pool and on a Dask cluster (when dask is installed); another seed gives other numbers
    for the entries whose small call is seed-dependent."""
    import inspect

    import statmech_learn as sml

    names = set()
    for mod in (sml, sml.capacity, sml.dynamics, sml.gibbs, sml.meanfield, sml.online, sml.replica, sml.reweight):
        for name in mod.__all__:
            obj = getattr(mod, name)
            try:
                params = inspect.signature(obj).parameters if callable(obj) else {}
            except (TypeError, ValueError):
                continue
            if {"rng", "seed", "random_state"} & set(params):
                names.add(name)
    covered = {e.split(".")[-1] if e != "RBM.fit" else "RBM" for e in helpers.STOCHASTIC_ENTRIES}
    assert names <= covered, f"stochastic entry points without a reproducibility check: {names - covered}"

    grid = Grid(entry=list(helpers.STOCHASTIC_ENTRIES), seed=range(2))
    reference = sweep(helpers.stochastic_digest, grid, progress=False)
    tables = {"in-process again": sweep(helpers.stochastic_digest, grid, progress=False)}
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        tables["process pool"] = sweep(helpers.stochastic_digest, grid, executor=pool, progress=False)
    try:
        distributed = importlib.import_module("dask.distributed")
    except ImportError:
        distributed = None
    if distributed is not None:
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        with cluster, distributed.Client(cluster) as client:
            tables["dask"] = sweep(helpers.stochastic_digest, grid, executor=client.get_executor(), progress=False)
    for label, table in tables.items():
        assert without_wall_time(table) == without_wall_time(reference), label
    by_seed = {}
    for r in reference.records:
        by_seed.setdefault(r["entry"], []).append(r["digest"])
    same = sorted(e for e, d in by_seed.items() if d[0] == d[1])
    # at P = n = 6 every dichotomy is linearly separable (Cover: C(n, n) = 2^n), whatever the seed
    assert same == ["separability", "separability_point"], same


def test_monte_carlo_tail_agrees_with_closed_form():
    n_samples = 20_000
    grid = Grid(t=[0.0, 0.5, 1.0, 2.0, 3.0], n_samples=[n_samples], seed=range(4))
    table = sweep(helpers.gaussian_tail, grid, progress=False)
    for r in table.records:
        p = helpers.tail_probability(r["t"])
        # binomial standard error of one estimate, floored at 1/S (docs/conventions.md)
        se = max(math.sqrt(p * (1 - p) / n_samples), 1 / n_samples)
        assert abs(r["p"] - p) <= 4 * se, r
    # replicates are independent draws, not copies
    assert len(set(table.select(t=1.0).column("hits").tolist())) > 1


# --------------------------------------------------------------------------- checkpoints


def test_sigkill_midway_then_resume_computes_only_the_missing_points(tmp_path, monkeypatch):
    grid = helpers.kill_grid()
    ckpt = tmp_path / "runs" / "kill.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests._sweep_helpers", "sweep", str(ckpt)],
        cwd=ROOT,
        env=helper_env(**{helpers.SLEEP_ENV: "0.1", helpers.CALL_LOG_ENV: str(tmp_path / "killed.log")}),
    )
    try:
        deadline = time.monotonic() + 60
        while not (ckpt.exists() and ckpt.read_bytes().count(b"\n") >= 6):  # header + 5 points
            assert proc.poll() is None, "the sweep ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.01)
        # while it runs, the checkpoint is locked against a second sweep
        with pytest.raises(RuntimeError, match="another running sweep"):
            sweep(helpers.slow_point, grid, checkpoint=ckpt, progress=False)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()

    lines = checkpoint_lines(ckpt)
    saved = {json.loads(line)["_index"] for line in lines[1:] if line.strip().endswith(b"}")}
    assert 5 <= len(saved) < len(grid)
    # simulate a torn write of the next point on top of the kill
    torn_index = min(set(range(len(grid))) - saved)
    torn = json.dumps({"_index": torn_index, "x": grid[torn_index]["x"], "seed": grid[torn_index]["seed"]})
    with open(ckpt, "ab") as fh:
        fh.write(lines[-1] + torn[: len(torn) // 2].encode())

    calls = tmp_path / "resumed.log"
    monkeypatch.setenv(helpers.CALL_LOG_ENV, str(calls))
    monkeypatch.delenv(helpers.SLEEP_ENV, raising=False)
    resumed = sweep(helpers.slow_point, grid, checkpoint=ckpt, progress=False)

    assert sorted(read_calls(calls, grid)) == sorted(set(range(len(grid))) - saved)
    assert torn_index in read_calls(calls, grid)
    assert [r["_index"] for r in resumed.records] == list(range(len(grid)))
    uninterrupted = sweep(helpers.slow_point, grid, progress=False)
    assert without_wall_time(resumed) == without_wall_time(uninterrupted)
    # the killed sweep's lock died with it; the resumed one removed the lock file it left
    assert not Path(f"{ckpt}.lock").exists()
    # the file now holds the header and every point exactly once
    body = checkpoint_lines(ckpt)
    assert body[-1] == b""
    assert sorted(json.loads(line)["_index"] for line in body[1:-1]) == list(range(len(grid)))


def test_torn_last_line_is_recomputed_and_the_file_repaired(tmp_path, monkeypatch):
    grid = Grid(x=range(4), seed=range(2))
    ckpt = tmp_path / "torn.jsonl"
    first = sweep(helpers.slow_point, grid, checkpoint=ckpt, progress=False)
    data = ckpt.read_bytes()
    last = json.loads(data.rstrip(b"\n").rsplit(b"\n", 1)[1])
    ckpt.write_bytes(data[:-20])  # cut the last record mid-line

    calls = tmp_path / "calls.log"
    monkeypatch.setenv(helpers.CALL_LOG_ENV, str(calls))
    again = sweep(helpers.slow_point, grid, checkpoint=ckpt, progress=False)
    assert read_calls(calls, grid) == [last["_index"]]
    assert without_wall_time(again) == without_wall_time(first)
    lines = checkpoint_lines(ckpt)
    assert lines[-1] == b"" and len(lines) == 2 + len(grid)
    assert all(isinstance(json.loads(line), dict) for line in lines[:-1])

    # a third run computes nothing
    calls.unlink()
    assert sweep(helpers.slow_point, grid, checkpoint=ckpt, progress=False) == again
    assert not calls.exists()


def test_duplicate_records_appear_once(tmp_path, monkeypatch):
    grid = Grid(x=range(3))
    ckpt = tmp_path / "dup.jsonl"
    first = sweep(helpers.slow_point, grid, checkpoint=ckpt, progress=False)
    lines = checkpoint_lines(ckpt)
    with open(ckpt, "ab") as fh:  # e.g. killed between writing a record and recording it as written
        fh.write(lines[2] + b"\n" + lines[1] + b"\n")
    calls = tmp_path / "calls.log"
    monkeypatch.setenv(helpers.CALL_LOG_ENV, str(calls))
    again = sweep(helpers.slow_point, grid, checkpoint=ckpt, progress=False)
    assert not calls.exists()
    assert [r["_index"] for r in again.records] == [0, 1, 2]
    assert without_wall_time(again) == without_wall_time(first)


def test_checkpoint_of_another_function_or_grid_is_refused(tmp_path):
    ckpt = tmp_path / "other.jsonl"
    grid = Grid(x=[1.0, 2.0], seed=range(2))
    sweep(helpers.uniform_draw, grid, checkpoint=ckpt, progress=False)
    before = ckpt.read_bytes()
    with pytest.raises(ValueError, match="uniform_draw_other|uniform_draw"):
        sweep(helpers.uniform_draw_other, grid, checkpoint=ckpt, progress=False)
    with pytest.raises(ValueError, match="different grid"):
        sweep(helpers.uniform_draw, Grid(x=[1.0, 2.0], seed=range(3)), checkpoint=ckpt, progress=False)
    with pytest.raises(ValueError, match="different grid"):
        sweep(helpers.uniform_draw, Grid(x=[1.0, 2.0], seed=range(2), base_seed=5), checkpoint=ckpt)
    assert ckpt.read_bytes() == before

    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\nline two")
    with pytest.raises(ValueError, match="not a sweep checkpoint"):
        sweep(helpers.uniform_draw, grid, checkpoint=notes, progress=False)
    assert notes.read_text() == "my notes\nline two"


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"not json at all\nsecond line\n", id="not-json"),
        pytest.param(b"{broken", id="torn-non-json"),
        pytest.param(b"[1, 2]\n", id="json-not-a-header"),
        pytest.param(b'{"_checkpoint": "statmech_learn.sweep", oops\n{"_index": 0}\n', id="invalid-json-header"),
        pytest.param(b"\xff\xfe\x00binary\n", id="binary"),
        pytest.param(b"\n\n", id="blank-lines"),
    ],
)
def test_checkpoint_that_is_not_a_checkpoint_is_a_value_error_naming_it(tmp_path, content):
    ckpt = tmp_path / "foreign.jsonl"
    ckpt.write_bytes(content)
    with pytest.raises(ValueError, match=re.escape(str(ckpt)) + " exists and is not a sweep checkpoint"):
        sweep(helpers.uniform_draw, Grid(x=[1.0, 2.0]), checkpoint=ckpt, progress=False)
    assert ckpt.read_bytes() == content
    assert not Path(f"{ckpt}.lock").exists()


def test_checkpoint_that_is_a_directory_is_a_value_error_naming_it(tmp_path):
    ckpt = tmp_path / "runs"
    ckpt.mkdir()
    with pytest.raises(ValueError, match=r"checkpoint must be a file path, but '.*runs' is a directory"):
        sweep(helpers.uniform_draw, Grid(x=[1.0]), checkpoint=ckpt, progress=False)
    assert list(ckpt.iterdir()) == [] and list(tmp_path.iterdir()) == [ckpt]  # no lock file either


def test_empty_checkpoint_file_is_refused_by_name(tmp_path):
    # an empty file is not a checkpoint: a sweep writes the header as it creates the file
    ckpt = tmp_path / "empty.jsonl"
    ckpt.touch()
    grid = Grid(x=[1.0, 2.0])
    with pytest.raises(ValueError, match=r"checkpoint .*empty\.jsonl is an empty file, not a sweep checkpoint"):
        sweep(helpers.uniform_draw, grid, checkpoint=ckpt, progress=False)
    assert ckpt.read_bytes() == b""  # left as it was
    ckpt.unlink()
    table = sweep(helpers.uniform_draw, grid, checkpoint=ckpt, progress=False)
    assert json.loads(checkpoint_lines(ckpt)[0])["_checkpoint"] == "statmech_learn.sweep"
    assert sweep(helpers.uniform_draw, grid, checkpoint=ckpt, progress=False) == table


def test_partials_with_other_bound_arguments_do_not_share_a_checkpoint(tmp_path):
    ckpt = tmp_path / "partial.jsonl"
    grid = Grid(t=[0.0, 1.0])
    first = sweep(functools.partial(helpers.gaussian_tail, n_samples=100, seed=1), grid, checkpoint=ckpt)
    again = sweep(functools.partial(helpers.gaussian_tail, n_samples=100, seed=1), grid, checkpoint=ckpt)
    assert again == first
    # a seed bound by the partial is kept, not replaced by the point's seed
    assert first.column("hits").tolist() == [helpers.gaussian_tail(t, 100, 1)["hits"] for t in (0.0, 1.0)]
    with pytest.raises(ValueError, match="n_samples"):
        sweep(functools.partial(helpers.gaussian_tail, n_samples=200, seed=1), grid, checkpoint=ckpt)


def test_checkpoint_header_names_function_grid_and_version(tmp_path):
    import statmech_learn

    ckpt = tmp_path / "h.jsonl"
    grid = Grid(x=[1.0])
    sweep(helpers.uniform_draw, grid, checkpoint=ckpt, progress=False)
    header = json.loads(checkpoint_lines(ckpt)[0])
    assert header["function"] == "tests._sweep_helpers.uniform_draw"
    assert header["grid"] == grid.fingerprint()
    assert header["version"] == statmech_learn.__version__
    assert header["format"] == 1 and header["n_points"] == 1
    assert header["grid_spec"] == {"base_seed": 0, "blocks": [{"axes": ["x"], "values": [[1.0]]}]}
    assert not Path(f"{ckpt}.lock").exists()


def rewrite_header(path, **changes):
    """Change (or with value None, remove) fields of a checkpoint's header line."""
    lines = checkpoint_lines(path)
    header = json.loads(lines[0])
    for key, value in changes.items():
        if value is None:
            header.pop(key, None)
        else:
            header[key] = value
    Path(path).write_bytes(b"\n".join([json.dumps(header).encode()] + lines[1:]))


@pytest.mark.parametrize("fmt", [2, 0, "1", True, 1.0, None], ids=repr)
def test_checkpoint_of_an_unknown_format_is_refused(tmp_path, fmt):
    ckpt = tmp_path / "fmt.jsonl"
    grid = Grid(x=[1.0, 2.0])
    sweep(helpers.uniform_draw, grid, checkpoint=ckpt, progress=False)
    rewrite_header(ckpt, format=fmt)
    before = ckpt.read_bytes()
    with pytest.raises(ValueError, match=re.escape(f"has format {fmt!r}") + ".*reads format 1 only"):
        sweep(helpers.uniform_draw, grid, checkpoint=ckpt, progress=False)
    assert ckpt.read_bytes() == before


@pytest.mark.parametrize("n_points", [3, 1, "2", True, None], ids=repr)
def test_checkpoint_with_a_wrong_point_count_is_refused(tmp_path, n_points):
    ckpt = tmp_path / "count.jsonl"
    grid = Grid(x=[1.0, 2.0])
    sweep(helpers.uniform_draw, grid, checkpoint=ckpt, progress=False)
    rewrite_header(ckpt, n_points=n_points)
    before = ckpt.read_bytes()
    with pytest.raises(ValueError, match=re.escape(f"n_points={n_points!r}") + ".*grid has 2 points"):
        sweep(helpers.uniform_draw, grid, checkpoint=ckpt, progress=False)
    assert ckpt.read_bytes() == before


@pytest.mark.parametrize(
    "old, new, where",
    [
        # the printed forms are identical: only the listed values tell the grids apart
        pytest.param(
            Grid(x=range(10)),
            Grid(x=[0, 1, 2, 3, 4, 55, 6, 7, 8, 9]),
            "axis 'x' differs at position 5: 5 in the checkpoint, 55 here",
            id="elided-value",
        ),
        pytest.param(
            Grid(x=[1.0, 2.0], seed=range(2)),
            Grid(x=[1.0, 2.0], seed=range(3)),
            "axis 'seed' has 2 values in the checkpoint, 3 here",
            id="longer-axis",
        ),
        pytest.param(
            Grid(x=[1, 2]),
            Grid(x=[1.0, 2.0]),
            "axis 'x' differs at position 0: 1 in the checkpoint, 1.0 here",
            id="int-vs-float",
        ),
        pytest.param(
            Grid(x=[1.0]), Grid(x=[1.0], base_seed=5), "base_seed is 0 in the checkpoint, 5 here", id="base-seed"
        ),
        pytest.param(
            Grid(x=[1.0], seed=[0, 1]),
            Grid(seed=[0, 1], x=[1.0]),
            "the axes are (x, seed) in the checkpoint, (seed, x) here",
            id="axis-order",
        ),
        pytest.param(
            Grid(x=[1.0, 2.0]) * Grid(seed=[0, 1]),
            Grid.zip(x=[1.0, 2.0], seed=[0, 1]),
            "linked as x * seed in the checkpoint, zip(x, seed) here",
            id="linking",
        ),
    ],
)
def test_different_grid_message_shows_both_grids_and_where_they_differ(tmp_path, old, new, where):
    ckpt = tmp_path / "grid.jsonl"
    sweep(helpers.uniform_draw, old, checkpoint=ckpt, progress=False)
    with pytest.raises(ValueError, match="different grid") as info:
        sweep(helpers.uniform_draw, new, checkpoint=ckpt, progress=False)
    message = str(info.value)
    assert where in message
    assert f"The checkpoint's grid is {old!r} (fingerprint {old.fingerprint()[:12]})" in message
    assert f"this sweep's is {new!r} (fingerprint {new.fingerprint()[:12]})" in message


def test_different_grid_message_without_a_grid_spec_in_the_header(tmp_path):
    # a header written before headers listed the grid's values
    ckpt = tmp_path / "old.jsonl"
    old, new = Grid(x=range(10)), Grid(x=[0, 1, 2, 3, 4, 55, 6, 7, 8, 9])
    sweep(helpers.uniform_draw, old, checkpoint=ckpt, progress=False)
    rewrite_header(ckpt, grid_spec=None)
    with pytest.raises(ValueError, match="different grid") as info:
        sweep(helpers.uniform_draw, new, checkpoint=ckpt, progress=False)
    message = str(info.value)
    assert "print alike" in message
    assert old.fingerprint()[:12] in message and new.fingerprint()[:12] in message


# --------------------------------------------------------------------------- checkpoint locking

needs_flock = pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX only (fcntl.flock, fork)")


class Gate:
    """A ``helpers.GATE`` holding a sweep at its first point until :attr:`release` is set.

    A point run by any other thread (a second sweep that was let in) fails at once.
    """

    def __init__(self):
        self.entered = threading.Event()
        self.release = threading.Event()
        self.owner = None

    def __call__(self, x):
        if self.owner is None:
            self.owner = threading.get_ident()
        if threading.get_ident() != self.owner:
            raise AssertionError("a second sweep ran a point while the first one held the checkpoint")
        self.entered.set()
        if not self.release.wait(timeout=30):
            raise TimeoutError("the test never released the gated sweep")


@contextlib.contextmanager
def sweep_held_in_thread(grid, ckpt, monkeypatch):
    """Run ``sweep(helpers.gated_point, grid, checkpoint=ckpt)`` in a thread, held at its first point."""
    gate = Gate()
    monkeypatch.setattr(helpers, "GATE", gate)
    outcome = {}

    def run():
        try:
            outcome["table"] = sweep(helpers.gated_point, grid, checkpoint=ckpt, progress=False)
        except BaseException as exc:  # handed to the test thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        assert gate.entered.wait(timeout=30), f"the first sweep never started: {outcome}"
        yield outcome
    finally:
        gate.release.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    assert "error" not in outcome, outcome


def assert_each_point_once(ckpt, grid):
    lines = checkpoint_lines(ckpt)
    assert lines[-1] == b""
    assert sorted(json.loads(line)["_index"] for line in lines[1:-1]) == list(range(len(grid)))


@pytest.mark.parametrize("posix", [pytest.param(True, marks=needs_flock), False], ids=["flock", "no-fcntl"])
def test_second_sweep_in_another_thread_is_refused(tmp_path, monkeypatch, posix):
    if not posix:  # as on a platform without fcntl: the in-process registry alone must refuse
        monkeypatch.setitem(sys.modules, "fcntl", None)
    grid = Grid(x=range(5))
    ckpt = tmp_path / "threads.jsonl"
    spellings = [ckpt, str(ckpt)]
    with contextlib.suppress(OSError):  # symlinks may need privileges (Windows)
        (tmp_path / "link").symlink_to(tmp_path, target_is_directory=True)
        spellings.append(tmp_path / "link" / "threads.jsonl")
    with sweep_held_in_thread(grid, ckpt, monkeypatch) as first:
        for path in spellings:
            with pytest.raises(RuntimeError, match=re.escape(str(path)) + ".*another running sweep"):
                sweep(helpers.gated_point, grid, checkpoint=path, progress=False)
        assert Path(f"{ckpt}.lock").exists() == posix
    assert [r["_index"] for r in first["table"].records] == list(range(len(grid)))
    assert_each_point_once(ckpt, grid)
    assert not Path(f"{ckpt}.lock").exists()
    # released: the next sweep loads everything and computes nothing
    monkeypatch.setattr(helpers, "GATE", None)
    assert sweep(helpers.gated_point, grid, checkpoint=ckpt, progress=False) == first["table"]


def attempt_sweep_in_forked_child(ckpt, grid):
    """``sweep(gated_point, grid, checkpoint=ckpt)`` in a forked process: "ok" or "Type: message"."""
    receive, send = multiprocessing.Pipe(duplex=False)

    def child():
        helpers.GATE = None
        try:
            sweep(helpers.gated_point, grid, checkpoint=ckpt, progress=False)
            send.send("ok")
        except Exception as exc:  # reported to the parent
            send.send(f"{type(exc).__name__}: {exc}")

    proc = multiprocessing.get_context("fork").Process(target=child)
    proc.start()
    try:
        assert receive.poll(30), "the forked sweep did not report"
        return receive.recv()
    finally:
        proc.join(30)


@needs_flock
def test_opening_and_closing_the_checkpoint_does_not_let_another_process_in(tmp_path, monkeypatch):
    # With a POSIX record lock (fcntl.lockf) on the data file, any close of that file by the
    # sweeping process released the lock, and a second process could then sweep into it.
    grid = Grid(x=range(6), seed=range(2))
    ckpt = tmp_path / "shared.jsonl"
    outcomes = []

    def gate(x):  # runs in the sweeping (main) thread, mid-sweep, with no other thread alive
        if outcomes:
            return
        with open(ckpt, "rb") as fh:
            fh.read()
        os.close(os.open(ckpt, os.O_RDWR))
        outcomes.append(attempt_sweep_in_forked_child(ckpt, grid))

    monkeypatch.setattr(helpers, "GATE", gate)
    table = sweep(helpers.gated_point, grid, checkpoint=ckpt, progress=False)
    assert len(outcomes) == 1
    assert outcomes[0].startswith("CheckpointLockedError: ") and "another running sweep" in outcomes[0], outcomes
    assert f"(pid {os.getpid()} on " in outcomes[0]
    assert [r["_index"] for r in table.records] == list(range(len(grid)))
    assert_each_point_once(ckpt, grid)
    # once the sweep has finished, another process may resume it
    assert attempt_sweep_in_forked_child(ckpt, grid) == "ok"
    assert_each_point_once(ckpt, grid)


@needs_flock
def test_lock_is_released_while_forked_pool_workers_live_on(tmp_path):
    grid = Grid(x=range(4))
    ckpt = tmp_path / "pool.jsonl"
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as ex:
        first = sweep(helpers.gated_point, grid, executor=ex, checkpoint=ckpt, progress=False)
        # the workers were forked while the lock was held, and are still alive
        assert not Path(f"{ckpt}.lock").exists()
        assert attempt_sweep_in_forked_child(ckpt, grid) == "ok"
        again = sweep(helpers.gated_point, grid, executor=ex, checkpoint=ckpt, progress=False)
    assert again == first
    assert_each_point_once(ckpt, grid)


def test_lock_is_released_after_keyboard_interrupt_and_refusals(tmp_path):
    ckpt = tmp_path / "interrupted.jsonl"
    grid = Grid(x=range(4))

    def interrupt_at_two(x):
        if x == 2:
            raise KeyboardInterrupt
        return {"y": x}

    with pytest.raises(KeyboardInterrupt):
        sweep(interrupt_at_two, grid, checkpoint=ckpt, progress=False)
    assert not Path(f"{ckpt}.lock").exists()
    with pytest.raises(ValueError, match="different grid"):
        sweep(interrupt_at_two, Grid(x=range(5)), checkpoint=ckpt, progress=False)
    assert not Path(f"{ckpt}.lock").exists()
    # KeyboardInterrupt while the progress bar starts
    with pytest.MonkeyPatch.context() as patch, pytest.raises(KeyboardInterrupt):
        patch.setattr(run_module, "_Progress", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt))
        sweep(interrupt_at_two, grid, checkpoint=ckpt, progress=False)
    assert not Path(f"{ckpt}.lock").exists()

    calls = []

    def record_calls(x):
        calls.append(x)
        return {"y": x}

    record_calls.__qualname__ = interrupt_at_two.__qualname__  # the same function for the checkpoint
    table = sweep(record_calls, grid, checkpoint=ckpt, progress=False)
    assert calls == [2, 3] and table.column("y").tolist() == [0, 1, 2, 3]


@needs_flock
def test_sweep_is_refused_while_another_process_holds_the_lock_file(tmp_path, monkeypatch):
    import fcntl

    ckpt = tmp_path / "held.jsonl"
    lock = Path(f"{ckpt}.lock")
    calls = tmp_path / "calls.log"
    monkeypatch.setenv(helpers.CALL_LOG_ENV, str(calls))
    grid = Grid(x=range(3))
    # another sweep's lock, as it leaves it: its pid and host in the file, an exclusive flock held
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        os.write(fd, b"4242 otherhost\n")
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.raises(
            CheckpointLockedError,
            match=re.escape(f"checkpoint {ckpt} is being written by another running sweep (pid 4242 on otherhost)"),
        ):
            sweep(helpers.slow_point, grid, checkpoint=ckpt, progress=False)
        assert not calls.exists() and not ckpt.exists()  # refused before computing or creating anything
        assert lock.read_bytes() == b"4242 otherhost\n"  # the holder's lock file is left alone
    finally:
        os.close(fd)  # the holder exits (or is killed): its flock goes, its lock file stays
    # a stale lock file is no lock: the next sweep takes it over, and removes it when done
    table = sweep(helpers.slow_point, grid, checkpoint=ckpt, progress=False)
    assert [r["_index"] for r in table.records] == [0, 1, 2]
    assert not lock.exists()


def test_lock_is_released_when_points_fail(tmp_path):
    ckpt = tmp_path / "failing.jsonl"
    with pytest.raises(SweepError):
        sweep(helpers.fails_at_two, Grid(x=[1.0, 2.0, 3.0]), checkpoint=ckpt, progress=False)
    assert not Path(f"{ckpt}.lock").exists()
    table = sweep(helpers.fails_at_two, Grid(x=[1.0, 2.0, 3.0]), checkpoint=ckpt, progress=False, on_error="record")
    assert [r["_index"] for r in table.failed] == [1]


# --------------------------------------------------------------------------- read-only checkpoints


@contextlib.contextmanager
def read_only(ckpt, directory=False):
    """Make the checkpoint file (or its directory) read-only, for root too.

    chmod does not stop root, which CI runs as; then the refusals a normal user
    gets from ``os.access`` and from opening for writing are simulated.
    """
    target = Path(ckpt).parent if directory else Path(ckpt)
    mode = target.stat().st_mode
    target.chmod(0o555 if directory else 0o444)
    patch = pytest.MonkeyPatch()
    if os.geteuid() == 0:
        real_access, real_os_open = os.access, os.open

        def access(path, how, **kwargs):
            if not directory and os.fspath(path) == str(ckpt) and how & os.W_OK:
                return False
            return real_access(path, how, **kwargs)

        def os_open(path, flags, *args, **kwargs):
            if (
                directory
                and os.path.dirname(os.fspath(path)) == str(target)
                and flags & os.O_CREAT
                and not os.path.exists(path)
            ):
                raise PermissionError(13, "Permission denied", os.fspath(path))
            return real_os_open(path, flags, *args, **kwargs)

        def guarded_open(path, mode="r", *args, **kwargs):
            if not directory and os.fspath(path) == str(ckpt) and set(mode) & set("wax+"):
                raise PermissionError(13, "Permission denied", os.fspath(path))
            return open(path, mode, *args, **kwargs)

        patch.setattr(os, "access", access)
        patch.setattr(os, "open", os_open)
        patch.setattr(checkpoint_module, "open", guarded_open, raising=False)
    try:
        yield
    finally:
        patch.undo()
        target.chmod(mode)


@pytest.mark.parametrize("directory", [False, True], ids=["file", "directory"])
def test_read_only_complete_checkpoint_loads(tmp_path, monkeypatch, directory):
    ckpt = tmp_path / "ro" / "done.jsonl"
    grid = Grid(x=range(3))
    first = sweep(helpers.slow_point, grid, checkpoint=ckpt, progress=False)
    lines = checkpoint_lines(ckpt)
    with open(ckpt, "ab") as fh:  # a torn duplicate: moot, since every point is there
        fh.write(lines[1][:10])
    before = ckpt.read_bytes()
    calls = tmp_path / "calls.log"
    monkeypatch.setenv(helpers.CALL_LOG_ENV, str(calls))
    with read_only(ckpt, directory):
        again = sweep(helpers.slow_point, grid, checkpoint=ckpt, progress=False)
        assert again == first
        assert not calls.exists()
        assert ckpt.read_bytes() == before
        assert not Path(f"{ckpt}.lock").exists()


@pytest.mark.parametrize("directory", [False, True], ids=["file", "directory"])
def test_read_only_incomplete_checkpoint_is_refused_before_computing(tmp_path, monkeypatch, directory):
    ckpt = tmp_path / "ro" / "part.jsonl"
    grid = Grid(x=range(3))
    sweep(helpers.slow_point, grid, checkpoint=ckpt, progress=False)
    ckpt.write_bytes(b"\n".join(checkpoint_lines(ckpt)[:-2]) + b"\n")  # drop the last record
    before = ckpt.read_bytes()
    calls = tmp_path / "calls.log"
    reason = "its lock file .* cannot be created: [^)]+" if directory else "the file is not writable"
    monkeypatch.setenv(helpers.CALL_LOG_ENV, str(calls))
    with read_only(ckpt, directory):
        with pytest.raises(
            PermissionError,
            match=f"{re.escape(str(ckpt))} can only be read \\({reason}\\).*1 of its 3 points are missing",
        ):
            sweep(helpers.slow_point, grid, checkpoint=ckpt, progress=False)
        assert not calls.exists()
        assert ckpt.read_bytes() == before
    # writable again: the sweep resumes
    monkeypatch.delenv(helpers.CALL_LOG_ENV)
    assert len(sweep(helpers.slow_point, grid, checkpoint=ckpt, progress=False)) == 3
    assert_each_point_once(ckpt, grid)


# --------------------------------------------------------------------------- failures


def test_failures_raise_after_the_other_points_are_saved(tmp_path, monkeypatch):
    grid = Grid(x=[0.0, 1.0, 2.0, 3.0], seed=range(2))
    ckpt = tmp_path / "fail.jsonl"
    with ProcessPoolExecutor(2) as ex, pytest.raises(SweepError) as info:
        sweep(helpers.fails_at_two, grid, executor=ex, checkpoint=ckpt, progress=False)
    err = info.value
    message = str(err)
    assert "2 of 8 points failed" in message
    assert "x=2.0, seed=0: ValueError: no result at x=2.0" in message
    assert "x=2.0, seed=1: ValueError: no result at x=2.0" in message
    assert "Traceback" in message and "fails_at_two" in message
    assert [r["_index"] for r in err.failed] == [4, 5]
    assert len(err.table) == 8 and len(err.table.failed) == 2
    saved = sorted(json.loads(line)["_index"] for line in checkpoint_lines(ckpt)[1:-1])
    assert saved == [0, 1, 2, 3, 6, 7]
    # a rerun retries exactly the failed points
    with pytest.raises(SweepError):
        sweep(helpers.fails_at_two, grid, checkpoint=ckpt, progress=False)


def test_on_error_record_keeps_the_errors_in_the_table():
    grid = Grid(x=[1.0, 2.0, 3.0])
    table = sweep(helpers.fails_at_two, grid, on_error="record", progress=False)
    assert [r["_index"] for r in table.failed] == [1]
    bad = table.records[1]
    assert bad["_error"] == "ValueError: no result at x=2.0"
    assert "Traceback" in bad["_traceback"] and "y" not in bad
    assert np.isnan(table.column("y")[1]) and table.column("y")[2] == 9.0


# --------------------------------------------------------------------------- table


def test_table_columns_select_csv_and_dict(tmp_path):
    grid = Grid(t=[0.5, 1.0], n_samples=[100], seed=range(3))
    table = sweep(helpers.gaussian_tail, grid, progress=False)
    assert table.columns == ["_index", "t", "n_samples", "seed", "p", "hits", "_seed", "_wall_time", "_version"]
    assert table.column("hits").dtype == np.int64 and table.column("p").dtype == float
    sub = table.select(t=1.0, seed=[0, 2])
    assert [r["_index"] for r in sub.records] == [3, 5]
    with pytest.raises(KeyError, match="kappa"):
        table.column("kappa")

    as_dict = table.to_dict()
    assert as_dict["p"] == [r["p"] for r in table.records]

    path = tmp_path / "t.csv"
    table.to_csv(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    assert [float(r["p"]) for r in rows] == table.column("p").tolist()
    assert [int(r["_seed"]) for r in rows] == grid.seeds()

    text = repr(table)
    assert text.startswith("SweepTable(6 records, 0 failed") and "hits" in text


def test_to_pandas_without_pandas_says_how_to_install(monkeypatch):
    table = SweepTable([{"a": 1}])
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="pip install pandas"):
        table.to_pandas()


# --------------------------------------------------------------------------- progress


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


def test_progress_false_prints_nothing(capsys):
    sweep(helpers.uniform_draw, Grid(x=[1.0, 2.0]), progress=False)
    assert capsys.readouterr().err == ""


def test_progress_true_prints_a_bar(capsys):
    sweep(helpers.uniform_draw, Grid(x=[1.0, 2.0]), progress=True)
    assert "2/2" in capsys.readouterr().err


def test_progress_without_tqdm_prints_a_counter(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    sweep(helpers.uniform_draw, Grid(x=[1.0, 2.0, 3.0]), progress=True)
    assert "\rsweep: 3/3 points" in capsys.readouterr().err


def test_progress_default_follows_tty_and_ci(monkeypatch):
    fake = FakeTTY()
    monkeypatch.setattr(sys, "stderr", fake)
    monkeypatch.delenv("CI", raising=False)
    sweep(helpers.uniform_draw, Grid(x=[1.0, 2.0]))
    assert "2/2" in fake.getvalue()

    fake.seek(0), fake.truncate()
    monkeypatch.setenv("CI", "true")
    sweep(helpers.uniform_draw, Grid(x=[1.0, 2.0]))
    assert fake.getvalue() == ""
