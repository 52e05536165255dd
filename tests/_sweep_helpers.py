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


# --------------------------------------------------------------------------- stochastic entry points


def _stochastic_calls() -> dict:
    """Each public entry point that takes a seed: a function of the seed making one small call."""
    import statmech_learn as sml
    from statmech_learn import capacity, dynamics, meanfield, online, replica, reweight

    bo = sml.TeacherStudent(sml.gibbs.GaussianPrior(), sml.gibbs.Sign(), sml.BayesOptimal())
    ridge = sml.TeacherStudent(sml.gibbs.GaussianPrior(), sml.gibbs.GaussianNoise(1.0), sml.ERM("square", l2=0.1))
    committee = online.SoftCommittee(2, 2, activation="erf", lr=0.5)
    sk = meanfield.SK(6, beta=0.5, rng=3)
    rbm = meanfield.Bipartite(0.3 * np.ones((4, 3)), np.zeros(4), np.zeros(3))
    features = np.random.default_rng(5).standard_normal((30, 3))
    labels = features @ np.array([1.0, -0.5, 0.2])
    gibbs = sml.TeacherStudent("gaussian", "sign", student=sml.replica.Gibbs(1.0))
    patterns = np.random.default_rng(8).standard_normal((2, 9, 5))
    labels2 = np.sign(patterns[..., 0])
    start = np.ones((2, 5))
    digits = np.random.default_rng(6).integers(0, 2, size=(40, 6)).astype(float)
    return {
        "separability": lambda s: capacity.separability(1.0, 6, 4, rng=s),
        "separability_curve": lambda s: capacity.separability_curve([0.5, 1.5], 6, 3, rng=s),
        "separability_point": lambda s: capacity.separability_point(1.0, 6, s, n_samples=3),
        "separable_prefixes": lambda s: capacity.separable_prefixes(5, 10, s, n_instances=2),
        "amp": lambda s: replica.amp(bo, 40, 1.5, rng=s, n_iter=30),
        "erm_simulation": lambda s: replica.erm_simulation(ridge, 12, 1.0, n_samples=2, rng=s, n_test=40),
        "gibbs_simulation": lambda s: replica.gibbs_simulation(gibbs, 12, 1.0, n_samples=2, rng=s, n_sweeps=8),
        "metropolis_within_gibbs": lambda s: sml.gibbs.metropolis_within_gibbs(
            sml.gibbs.BinaryPrior(), sml.gibbs.ErrorCounting(1.0), patterns, labels2, start, 3, rng=s
        ),
        "truncated_gaussian_hmc": lambda s: sml.gibbs.truncated_gaussian_hmc(
            sml.gibbs.GaussianPrior(), sml.gibbs.ErrorCounting(1.0), patterns, labels2, start, 3, rng=s
        ),
        "data_simulation": lambda s: replica.data_simulation(
            features, labels, sml.ERM("square", l2=0.1), n=[10, 20], n_samples=2, rng=s
        ),
        "TwoLayer.initial_state": lambda s: committee.initial_state(rng=s),
        "online.simulate": lambda s: online.simulate(committee, 10, 1.0, n_seeds=2, rng=s, progress=False),
        "simulate_perceptron": lambda s: online.simulate_perceptron(
            online.Perceptron("perceptron"), 10, 2.0, n_seeds=2, rng=s, progress=False
        ),
        "SK": lambda s: meanfield.SK(6, beta=1.0, rng=s),
        "naive_mean_field": lambda s: meanfield.naive_mean_field(sk, rng=s),
        "tap": lambda s: meanfield.tap(sk, rng=s),
        "monte_carlo": lambda s: meanfield.monte_carlo(sk, n_sweeps=20, n_chains=2, rng=s, progress=False),
        "ais": lambda s: meanfield.ais(rbm, n_runs=2, n_betas=10, rng=s),
        "rg_vs_kl": lambda s: meanfield.rg_vs_kl("ising2d", L=2, temperature=2.5, n_hidden=1, rng=s, max_iter=20),
        "simulate_sgd": lambda s: dynamics.simulate_sgd(
            dynamics.QuadraticProblem(np.eye(2), np.eye(2)), 0.1, 30, n_chains=2, rng=s
        ),
        "langevin": lambda s: dynamics.langevin(dynamics.GaussianEnergy(np.eye(2)), 1.0, 30, rng=s, n_chains=2),
        "AdjustedBatchSampler": lambda s: list(reweight.AdjustedBatchSampler(np.linspace(-1, 1, 10), 3.0, rng=s)),
        "RBM.fit": lambda s: meanfield.RBM(3, n_iter=2, batch_size=10, random_state=s).fit(digits),
    }


STOCHASTIC_ENTRIES = (
    "separability", "separability_curve", "separability_point", "separable_prefixes", "amp",
    "erm_simulation", "gibbs_simulation", "metropolis_within_gibbs", "truncated_gaussian_hmc",
    "data_simulation", "TwoLayer.initial_state", "online.simulate", "simulate_perceptron",
    "SK", "naive_mean_field", "tap", "monte_carlo", "ais", "rg_vs_kl", "simulate_sgd", "langevin",
    "AdjustedBatchSampler", "RBM.fit",
)  # fmt: skip


#: output fields that measure speed, left out of the comparison
TIMING_SUFFIXES = ("per_second", "wall_time", "seconds")


def _canonical(obj, out: list) -> None:
    """Append a byte-exact description of ``obj`` (results, arrays, floats, containers) to ``out``."""
    import dataclasses

    if hasattr(obj, "to_dict") and callable(obj.to_dict):
        obj = obj.to_dict()
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        obj = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        for key in sorted(obj, key=str):
            if str(key).endswith(TIMING_SUFFIXES):  # measured speed, not a result
                continue
            out.append(f"key {key}")
            _canonical(obj[key], out)
    elif isinstance(obj, (list, tuple)):
        out.append(f"seq {len(obj)}")
        for item in obj:
            _canonical(item, out)
    elif isinstance(obj, (np.ndarray, np.generic)):
        a = np.asarray(obj)
        out.append(f"array {a.dtype} {a.shape} {a.tobytes().hex() if a.dtype != object else repr(a.tolist())}")
    elif isinstance(obj, float):
        out.append(f"float {obj.hex()}")
    elif obj is None or isinstance(obj, (bool, int, str)):
        out.append(f"{type(obj).__name__} {obj!r}")
    else:  # a measure or a fitted estimator: its public state
        state = {k: v for k, v in vars(obj).items() if not k.startswith("_") or k.endswith("_")}
        out.append(f"object {type(obj).__name__}")
        _canonical(state, out)


def stochastic_digest(entry: str, seed: int) -> dict:
    """SHA-256 of the byte-exact output of the named stochastic entry point at ``seed``."""
    import hashlib
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings of deliberately short runs
        result = _stochastic_calls()[entry](seed)
    out: list[str] = []
    _canonical(result, out)
    return {"digest": hashlib.sha256("\n".join(out).encode()).hexdigest()}


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
