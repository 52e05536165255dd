"""Toy sweep functions for tests/test_sweep.py, importable by worker processes.

Run as ``python -m tests._sweep_helpers seeds`` (print the seeds of
:func:`seed_grid` as JSON) or ``python -m tests._sweep_helpers sweep CHECKPOINT
[FUNCTION]`` (sweep :func:`slow_point`, or the named function of this module,
over :func:`kill_grid` in-process with that checkpoint; the SIGKILL test kills
it midway, the locking tests expect it to be refused).
"""

from __future__ import annotations

import json
import math
import os
import sys
import time

import numpy as np

#: environment variables read by :func:`slow_point`
SLEEP_ENV = "SML_SWEEP_TEST_SLEEP"
CALL_LOG_ENV = "SML_SWEEP_TEST_CALL_LOG"


def gaussian_tail(t: float, n_samples: int, seed: int) -> dict:
    """Monte Carlo estimate of H(t) = Pr[z > t], z ~ N(0, 1), from ``n_samples`` draws."""
    z = np.random.default_rng(seed).standard_normal(n_samples)
    hits = int(np.count_nonzero(z > t))
    return {"p": hits / n_samples, "hits": hits}


def mc_pi(n_samples: int, seed: int) -> dict:
    """Monte Carlo estimate of pi: 4 x the fraction of uniform points of the unit square inside the disc."""
    xy = np.random.default_rng(seed).random((n_samples, 2))
    inside = np.count_nonzero(np.sum(xy**2, axis=1) <= 1.0)
    return {"pi_hat": 4.0 * inside / n_samples, "draw": np.float64(xy[0, 0]), "first": xy[0]}


def uniform_draw(x: float, seed: int) -> dict:
    """A trivial point whose result depends on the seed."""
    return {"y": x * x, "u": float(np.random.default_rng(seed).random())}


def uniform_draw_other(x: float, seed: int) -> dict:
    """Same signature as :func:`uniform_draw`, a different function."""
    return {"y": x * x, "u": 0.5}


def fails_at_two(x: float, seed: int) -> dict:
    """Raises at ``x == 2``, returns like :func:`uniform_draw` elsewhere."""
    if x == 2:
        raise ValueError(f"no result at x={x}")
    return uniform_draw(x, seed)


def echoes_parameter(x: float, seed: int, shift: float = 0.0) -> dict:
    """Returns ``x + shift`` under the name of the parameter ``x``."""
    return {"x": x + shift, "z": 1.0}


def slow_point(x: int, seed: int) -> dict:
    """:func:`uniform_draw` after sleeping ``$SML_SWEEP_TEST_SLEEP`` seconds.

    When ``$SML_SWEEP_TEST_CALL_LOG`` names a file, each call appends a line
    ``x seed`` to it first, so a test can count the calls made in any process.
    """
    log = os.environ.get(CALL_LOG_ENV)
    if log:
        with open(log, "a", encoding="ascii") as fh:
            fh.write(f"{x} {seed}\n")
    time.sleep(float(os.environ.get(SLEEP_ENV, "0")))
    return uniform_draw(x, seed)


#: in-process hook of :func:`gated_point`: a test sets it to a callable of ``x`` run at every call
GATE = None


def gated_point(x: int, seed: int) -> dict:
    """:func:`uniform_draw` after calling :data:`GATE` (when set), so a test can hold a sweep mid-run.

    In another process (``python -m tests._sweep_helpers sweep CKPT gated_point``)
    the hook is unset and the function runs freely.
    """
    gate = GATE
    if gate is not None:
        gate(x)
    return uniform_draw(x, seed)


def kill_grid():
    from statmech_learn.sweep import Grid

    return Grid(x=range(6), seed=range(4))


def seed_grid():
    from statmech_learn.sweep import Grid

    return Grid(alpha=[1.0, 1.5, 2], n=[50, 100], seed=range(3), base_seed=7) * Grid.zip(
        kappa=[0.0, 0.5], weights=["spherical", "binary"]
    )


def tail_probability(t: float) -> float:
    """H(t) = erfc(t / sqrt 2) / 2, the closed form behind :func:`gaussian_tail`."""
    return 0.5 * math.erfc(t / math.sqrt(2.0))


def main(argv: list[str]) -> int:
    from statmech_learn.sweep import sweep

    if argv[:1] == ["seeds"]:
        print(json.dumps(seed_grid().seeds()))
        return 0
    if argv[:1] == ["sweep"] and len(argv) in (2, 3):
        # under ``python -m`` this module is __main__; sweep the importable function,
        # whose name (e.g. tests._sweep_helpers.slow_point) the checkpoint records
        import tests._sweep_helpers as importable

        func = getattr(importable, argv[2] if len(argv) == 3 else "slow_point")
        sweep(func, kill_grid(), checkpoint=argv[1], progress=False)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
