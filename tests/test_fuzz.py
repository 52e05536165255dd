"""Property-based fuzzing of every public entry point (``python -m pytest -m fuzz``).

The contract checked for every call: it either returns a finite, documented result (or a
result object whose non-finite values are flagged: ``converged=False``, ``success=False``,
``found=False``, ``blew_up``, ``diverged``, a documented NaN / inf), or raises ValueError /
TypeError whose message names the offending parameter.  Anything else fails: a NaN/inf without
a flag, an exception of another type from inside (ZeroDivisionError, IndexError, KeyError,
AttributeError, OverflowError, LinAlgError, ...), a numpy RuntimeWarning (ComplexWarning
included), or a call that hangs (every call runs under a hard time limit, ``FUZZ_TIMEOUT``).

Two kinds of tests:

* one generated test per entry point (``test_<module>__<name>``): every example draws the
  arguments one of three ways -- all valid (from the entry's valid strategies), one argument
  replaced by an edge value (NaN, +-inf, 0, negative, 1e300, 1e-300, bools, None, strings,
  complex, empty / mis-shaped arrays, foreign objects), or one argument drawn from all floats;
  expensive solvers get small baselines so that an accepted edge value still returns fast;
* hand-written properties of the cheap closed forms and kernels over their whole domain
  (finiteness, limits and monotonicity at the extremes, NaN in -> NaN out), and the extremes
  the theory keeps finite (alpha -> 0 and large, kappa up to 10, T -> 0 and large, l2 -> 0 and
  large, n = 1 and huge n).

Deselected by default (``addopts`` in pyproject.toml); CI runs it as a separate step,
``python -m pytest -m fuzz``.  ``FUZZ_QUICK=1`` skips shrinking (a quick survey).
"""

from __future__ import annotations

import contextlib
import dataclasses
import fnmatch
import math
import os
import signal
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import statmech_learn as sml
from statmech_learn import capacity, dynamics, gaussian, meanfield, online, replica, reweight
from statmech_learn.errors import ConvergenceError
from statmech_learn.gibbs import channels, losses, priors, spectra
from statmech_learn.results import Result

pytestmark = pytest.mark.fuzz

NAN, INF = float("nan"), float("inf")

#: seconds after which a single call counts as a hang
HARD_TIMEOUT = float(os.environ.get("FUZZ_TIMEOUT", "20"))
#: FUZZ_QUICK=1: no shrinking (a quick survey of failures while developing)
PHASES = (Phase.explicit, Phase.reuse, Phase.generate) if os.environ.get("FUZZ_QUICK") else tuple(Phase)


# ---------------------------------------------------------------------------------------
# the contract
# ---------------------------------------------------------------------------------------


class CallTimeout(Exception):
    """A call ran longer than HARD_TIMEOUT (not an exception the library may raise)."""


@contextlib.contextmanager
def hard_timeout(seconds: float = HARD_TIMEOUT):
    def handler(signum, frame):
        raise CallTimeout(f"call did not return within {seconds:g} s")

    old = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


_FLAGS_FALSE = ("converged", "converged_all", "success", "found")
_FLAGS_TRUE = ("blew_up", "diverged")


def is_flagged(obj: Any) -> bool:
    """True when ``obj`` says that (some of) its numbers are not to be trusted."""
    get = obj.get if isinstance(obj, dict) else (lambda name: getattr(obj, name, None))
    for name in _FLAGS_FALSE:
        value = get(name)
        if value is not None and not isinstance(value, str):
            try:
                if not np.all(np.asarray(value, dtype=bool)):
                    return True
            except (TypeError, ValueError):
                pass
    for name in _FLAGS_TRUE:
        value = get(name)
        if value is not None and np.any(np.asarray(value, dtype=bool)):
            return True
    return False


def nonfinite_paths(obj: Any, path: str = "result", depth: int = 0, skip: frozenset = frozenset()) -> list[str]:
    """Paths to the non-finite numbers inside ``obj`` (numbers, arrays, results, containers);
    ``skip``: field names (or fnmatch patterns such as ``*_stderr``) documented to hold NaN / inf."""
    last = path.rsplit(".", 1)[-1]
    if depth > 4 or last in skip or any(fnmatch.fnmatchcase(last, pat) for pat in skip if "*" in pat):
        return []
    if isinstance(obj, (bool, np.bool_, str, bytes, type(None), int, np.integer)):
        return []
    if isinstance(obj, (float, np.floating, complex, np.complexfloating)):
        return [] if np.isfinite(obj) else [f"{path} = {obj}"]
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in "fc":
            bad = ~np.isfinite(obj)
            return [f"{path} has {int(bad.sum())} non-finite of {obj.size}"] if bad.any() else []
        if obj.dtype.kind == "O":
            out = []
            for i, item in enumerate(obj.ravel()[:50]):
                out += nonfinite_paths(item, f"{path}[{i}]", depth + 1, skip)
            return out
        return []
    if isinstance(obj, dict):
        out = []
        for k, v in obj.items():
            out += nonfinite_paths(v, f"{path}.{k}", depth + 1, skip)
        return out
    if isinstance(obj, (list, tuple)):
        out = []
        for i, v in enumerate(obj[:200]):
            out += nonfinite_paths(v, f"{path}[{i}]", depth + 1, skip)
        return out
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = []
        for f in dataclasses.fields(obj):
            out += nonfinite_paths(getattr(obj, f.name), f"{path}.{f.name}", depth + 1, skip)
        return out
    return []


def attribute_paths(obj: Any, skip: frozenset = frozenset()) -> list[str]:
    """Non-finite numbers among the public attributes of a constructed object."""
    out = []
    for k, v in getattr(obj, "__dict__", {}).items():
        if not k.startswith("_") and k not in skip:
            out += nonfinite_paths(v, f"obj.{k}", 1, skip)
    return out


def check_result(out: Any, nonfinite_ok: frozenset = frozenset(), flag_ok: bool = True) -> None:
    """Assert the output half of the contract."""
    if flag_ok and is_flagged(out):
        return
    bad = nonfinite_paths(out, skip=nonfinite_ok)
    if not isinstance(out, (Result, np.ndarray, float, int, tuple, list, dict)) and not dataclasses.is_dataclass(out):
        bad += attribute_paths(out, nonfinite_ok)
    assert not bad, f"non-finite values without a flag: {bad[:5]}"


def mentions(message: str, names) -> bool:
    low = message.lower()
    return any(n.lower() in low for n in names)


@dataclass
class Outcome:
    raised: BaseException | None
    value: Any = None


def run_call(
    fn: Callable,
    args: tuple = (),
    kwargs: dict | None = None,
    *,
    names=(),
    allowed=(),
    nonfinite_ok: frozenset = frozenset(),
    timeout: float = HARD_TIMEOUT,
    check: bool = True,
) -> Outcome:
    """Call ``fn`` and check the contract; ``names``: acceptable parameter names in an error message.

    ``allowed``: further documented exception types (e.g. ConvergenceError of a strict solve).
    """
    kwargs = kwargs or {}
    try:
        with hard_timeout(timeout), warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            warnings.filterwarnings("ignore", category=UserWarning)  # ConvergenceWarning & co: flags
            out = fn(*args, **kwargs)
    except (ValueError, TypeError) as exc:
        if names:
            assert mentions(str(exc), names), f"{type(exc).__name__} does not name any of {sorted(set(names))}: {exc}"
        return Outcome(exc)
    except allowed as exc:  # type: ignore[misc]
        return Outcome(exc)
    except CallTimeout:  # re-raised from here: the interrupted frame's traceback can lack line numbers
        raise AssertionError(
            f"{getattr(fn, '__name__', fn)} did not return within {timeout:g} s (args {args!r}, kwargs {kwargs!r})"
        ) from None
    if check:
        check_result(out, nonfinite_ok)
    return Outcome(None, out)


# ---------------------------------------------------------------------------------------
# strategies
# ---------------------------------------------------------------------------------------


class Foreign:
    """An object of no expected type (its repr is short and stable)."""

    def __repr__(self) -> str:
        return "Foreign()"


EDGE_NUMBERS = [
    NAN,
    INF,
    -INF,
    -1.0,
    -1,
    0,
    0.0,
    -0.0,
    1e300,
    -1e300,
    1e-300,
    -1e-300,
    5e-324,
    1e-320,
    2.5,
    np.float64(NAN),
    np.int64(-3),
    np.float32(1e30),
]
EDGE_OTHERS = [
    True,
    False,
    np.bool_(True),
    None,
    "1.0",
    "abc",
    "",
    1j,
    complex(1.0, 0.0),
    complex(NAN, 0.0),
    [],
    (),
    {},
    np.array([]),
    np.array([1.0, 2.0]),
    np.zeros((2, 2)),
    np.array(["a"]),
    np.array([NAN]),
    np.array([1.0 + 1j]),
    np.array([[1.0]]),
    Foreign(),
]
EDGE = EDGE_NUMBERS + EDGE_OTHERS

edge = st.sampled_from(EDGE)
any_float = st.floats(allow_nan=True, allow_infinity=True)
finite = st.floats(allow_nan=False, allow_infinity=False)


def bad_number(*extra):
    return st.one_of(edge, any_float, st.sampled_from(list(extra) or [NAN]))


def bad_size(*extra):
    """Edge values for integer sizes / counts (never a size a correct library would need long for)."""
    return st.one_of(
        edge,
        st.integers(-5, 1),
        st.sampled_from([10**10, 10**18, 2**63, 2**64 + 1, 1e18, 1e300, 3.5, np.int64(-1), np.uint8(0)] + list(extra)),
    )


def bad_choice(*extra):
    return st.one_of(edge, st.text(max_size=6), st.sampled_from(list(extra) or ["", "x"]))


def bad_array(*extra):
    weird = hnp.arrays(
        dtype=st.sampled_from([np.float64, np.int64, np.complex128, np.bool_, np.float32]),
        shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
        elements=None,
    )
    return st.one_of(edge, weird, st.sampled_from(list(extra) or [[[1.0, 2.0], [3.0]]]))


def bad_flag():
    return st.one_of(edge, st.sampled_from(["yes", "true", 2, 0.5, np.int64(1)]))


def bad_seed():
    return st.one_of(edge, st.sampled_from([-1, 2**200, 1.5, "seed", [1, -2], np.random.RandomState(0)]))


def bad_object(*extra):
    return st.one_of(edge, st.sampled_from(list(extra) or [Foreign()]))


#: fields of a replica curve documented to be NaN / inf in some cases (the ReplicaCurve docstring)
CURVE_NONFINITE = frozenset({"train_loss", "train_error", "l2", "mhat", "qhat", "Vhat", "Q", "V", "q"})


# ---------------------------------------------------------------------------------------
# generated per-entry-point tests
# ---------------------------------------------------------------------------------------


class Lazy:
    """A baseline argument built on first use (nothing expensive at import, when the suite is
    deselected) and, with ``fresh=True``, rebuilt for every example (stateful arguments)."""

    def __init__(self, factory: Callable, fresh: bool = False) -> None:
        self.factory, self.fresh, self._value = factory, fresh, None

    def get(self):
        if self.fresh:
            return self.factory()
        if self._value is None:
            self._value = self.factory()
        return self._value

    def __repr__(self) -> str:
        return f"Lazy({getattr(self.factory, '__name__', 'factory')})"


@dataclass
class Entry:
    """One public callable, its cheap valid baseline, and how to fuzz its arguments.

    ``bad``: parameter -> strategy of edge values.  ``valid``: parameter -> strategy of valid
    values (drawn together in the "valid" mode).  ``names``: parameter -> accepted names in the
    error message (default: the parameter's own name).  ``nonfinite_ok``: result fields whose
    documented values may be NaN/inf.  ``post``: extra check of (kwargs, result).
    ``kernel``: a vectorised numerical kernel without validation (documented: NaN in, NaN
    out): finite arguments must give finite results, other arguments must not raise anything
    but ValueError / TypeError (whose message need not name the argument).
    ``heavy``: parameters whose valid range includes values that legitimately take hours
    (simulation lengths): they get only their edge strategy, not arbitrary floats.
    """

    id: str
    fn: Callable
    base: dict = field(default_factory=dict)
    bad: dict = field(default_factory=dict)
    valid: dict = field(default_factory=dict)
    names: dict = field(default_factory=dict)
    nonfinite_ok: frozenset = frozenset()
    allowed: tuple = ()
    kernel: bool = False
    heavy: frozenset = frozenset()
    post: Callable | None = None
    max_examples: int = 40
    deadline: float = 5.0
    timeout: float = HARD_TIMEOUT

    def draw(self, data) -> tuple[dict, str | None]:
        kwargs = {k: (v.get() if isinstance(v, Lazy) else v) for k, v in self.base.items()}
        modes = ["bad"] * bool(self.bad) * 3 + ["valid"] * bool(self.valid) + ["float"] * bool(self.bad)
        mode = data.draw(st.sampled_from(modes or ["valid"]), label="mode")
        if mode == "valid" or not self.bad:
            for k, strat in self.valid.items():
                kwargs[k] = data.draw(strat, label=k)
                if isinstance(kwargs[k], Lazy):
                    kwargs[k] = kwargs[k].get()
            return kwargs, None
        param = data.draw(st.sampled_from(sorted(self.bad)), label="param")  # the others at their baseline
        strat = self.bad[param] if mode == "bad" or param in self.heavy else st.one_of(any_float, edge)
        kwargs[param] = data.draw(strat, label=param)
        if isinstance(kwargs[param], Lazy):
            kwargs[param] = kwargs[param].get()
        return kwargs, param


def finite_inputs(kwargs: dict, base: dict) -> bool:
    """All arguments are real numbers / arrays of them (or callables, or None where None is the
    default), every entry finite."""
    for k, v in kwargs.items():
        if callable(v) or (v is None and base.get(k, 0) is None):
            continue
        if isinstance(v, (str, bytes, bool, np.bool_, complex)):
            return False
        try:
            if np.iscomplexobj(v):
                return False
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                arr = np.asarray(v, dtype=float)
        except (TypeError, ValueError, OverflowError, Warning):
            return False
        if not np.all(np.isfinite(arr)):
            return False
    return True


def run_entry(entry: Entry, data) -> None:
    kwargs, param = entry.draw(data)
    names = (
        entry.names.get(param, (param,))
        if param
        else tuple(kwargs) + tuple(n for ns in entry.names.values() for n in ns)
    )
    check = True
    if entry.kernel and not finite_inputs(kwargs, entry.base):
        names, check = (), False
    outcome = run_call(
        entry.fn,
        kwargs=kwargs,
        names=names,
        allowed=entry.allowed,
        nonfinite_ok=entry.nonfinite_ok,
        timeout=entry.timeout,
        check=check,
    )
    if outcome.raised is None and entry.post is not None:
        entry.post(kwargs, outcome.value)


ENTRIES: list[Entry] = []


def entry(id: str, fn: Callable, **kw) -> Entry:
    e = Entry(id, fn, **kw)
    ENTRIES.append(e)
    return e


def _register_tests() -> None:
    for e in ENTRIES:

        def make(e=e):
            @settings(
                max_examples=e.max_examples,
                deadline=timedelta(seconds=e.deadline),
                database=None,
                phases=PHASES,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
            )
            @given(data=st.data())
            def test(data):
                run_entry(e, data)

            test.__name__ = test.__qualname__ = "test_" + e.id
            test.__doc__ = f"Contract of {e.id.replace('__', '.')} under fuzzed arguments."
            return test

        name = "test_" + e.id
        assert name not in globals(), name
        globals()[name] = make()


seed = st.integers(0, 2**32 - 1)


def finite_array(min_side=1, max_side=5, elements=None, dims=1):
    return hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=dims, max_dims=dims, min_side=min_side, max_side=max_side),
        elements=elements if elements is not None else st.floats(-1e6, 1e6),
    )


# --- statmech_learn.gaussian --------------------------------------------------------------

entry(
    "gaussian__gauss_hermite",
    gaussian.gauss_hermite,
    base=dict(order=8),
    bad=dict(order=bad_size(10**5)),
    valid=dict(order=st.integers(1, 200)),
)
entry(
    "gaussian__gauss_hermite_nd",
    gaussian.gauss_hermite_nd,
    base=dict(dim=2, order=4),
    bad=dict(dim=bad_size(), order=bad_size()),
    valid=dict(dim=st.integers(1, 3), order=st.integers(1, 20)),
)
entry(
    "gaussian__expect_normal",
    gaussian.expect_normal,
    base=dict(func=np.cos, order=16),
    bad=dict(func=bad_object(), order=bad_size()),
    valid=dict(order=st.integers(1, 100)),
    post=lambda kw, out: np.testing.assert_allclose(out, np.exp(-0.5), rtol=1e-6) if kw["order"] >= 20 else None,
)
entry(
    "gaussian__expect_normal_2d",
    gaussian.expect_normal_2d,
    base=dict(func=lambda u, v: u * v, cov=[[1.0, 0.3], [0.3, 2.0]], order=8),
    bad=dict(func=bad_object(), cov=bad_array([[1.0, 2.0], [2.0, 1.0]], [[-1.0, 0.0], [0.0, 1.0]]), order=bad_size()),
    valid=dict(order=st.integers(1, 40)),
)
entry(
    "gaussian__normal_expectation",
    gaussian.normal_expectation,
    base=dict(func=np.cos, center=0.0, width=1.0, panel_order=8),
    bad=dict(func=bad_object(), center=bad_number(), width=bad_number(), panel_order=bad_size(10**6)),
    valid=dict(center=st.floats(-1e3, 1e3), width=st.floats(1e-12, 1e3), panel_order=st.integers(1, 40)),
    kernel=True,
)
entry(
    "gaussian__normal_nodes",
    gaussian.normal_nodes,
    base=dict(center=0.0, width=1.0, panel_order=8),
    bad=dict(center=bad_number(), width=bad_number(), panel_order=bad_size(10**6), extra_breaks=bad_array()),
    valid=dict(center=st.floats(-1e3, 1e3), width=st.floats(1e-12, 1e3), panel_order=st.integers(1, 40)),
    kernel=True,
)
entry(
    "gaussian__compact_normal_nodes",
    gaussian.compact_normal_nodes,
    base=dict(center=0.0, width=1.0, panel_order=6),
    bad=dict(center=bad_number(), width=bad_number(), panel_order=bad_size(10**6)),
    valid=dict(center=st.floats(-1e3, 1e3), width=st.floats(1e-12, 1e3), panel_order=st.integers(1, 40)),
    kernel=True,
)
entry(
    "gaussian__feature_nodes",
    gaussian.feature_nodes,
    base=dict(centers=[0.0, 1.0], widths=0.5, panel_order=6),
    bad=dict(centers=bad_array(), widths=bad_array(), panel_order=bad_size(10**6)),
    valid=dict(centers=finite_array(1, 3, st.floats(-1e3, 1e3)), panel_order=st.integers(1, 20)),
    names=dict(widths=("widths", "centers")),
    kernel=True,
)
entry(
    "gaussian__activation_function",
    gaussian.activation_function,
    base=dict(activation="relu"),
    bad=dict(activation=bad_choice(lambda x: x, lambda x: np.full(3, 1.0), lambda x: np.log(x), "exp")),
    valid=dict(activation=st.sampled_from(sorted(gaussian.ACTIVATIONS))),
)
entry(
    "gaussian__activation_moments",
    gaussian.activation_moments,
    base=dict(activation="relu", panel_order=8),
    bad=dict(activation=bad_choice(lambda x: np.exp(x * x), np.cos), panel_order=bad_size(10**6)),
    valid=dict(activation=st.sampled_from(sorted(gaussian.ACTIVATIONS)), panel_order=st.integers(1, 40)),
)


# --- statmech_learn.capacity ----------------------------------------------------------------

entry(
    "capacity__cover_count",
    capacity.cover_count,
    base=dict(p=10, n=3),
    bad=dict(p=bad_size(), n=bad_size()),
    valid=dict(p=st.integers(1, 3000), n=st.integers(1, 3000)),
    post=lambda kw, out: (
        (isinstance(out, int) and out > 0 and out.bit_length() <= int(kw["p"]) + 1) or pytest.fail(f"{out}")
    ),
)
entry(
    "capacity__cover_fraction",
    capacity.cover_fraction,
    base=dict(p=10, n=3),
    bad=dict(p=bad_array(10**400, 1e400), n=bad_array()),
    valid=dict(p=st.integers(1, 10**12), n=st.integers(1, 10**12)),
    post=lambda kw, out: np.all((np.asarray(out) >= 0.0) & (np.asarray(out) <= 1.0)) or pytest.fail(f"{out}"),
)
entry(
    "capacity__log_cover_fraction",
    capacity.log_cover_fraction,
    base=dict(p=10, n=3),
    bad=dict(p=bad_size(), n=bad_size()),
    valid=dict(p=st.integers(1, 10**7), n=st.integers(1, 10**5)),
    post=lambda kw, out: (out <= 0.0) or pytest.fail(f"{out}"),
)
entry(
    "capacity__cover_transition_width",
    capacity.cover_transition_width,
    base=dict(n=10, low=0.1, high=0.9),
    bad=dict(n=bad_size(), low=bad_number(0.95, 1.0), high=bad_number(0.05, 1.0)),
    valid=dict(n=st.integers(1, 10**12)),
    names=dict(low=("low", "high"), high=("low", "high")),
    post=lambda kw, out: (out > 0) or pytest.fail(f"{out}"),
)
entry(
    "capacity__gardner_capacity",
    capacity.gardner_capacity,
    base=dict(kappa=0.5, weights="spherical", xtol=1e-12),
    bad=dict(kappa=bad_number(1e151), weights=bad_choice("Binary"), xtol=bad_number(1e-15, 0.01)),
    valid=dict(kappa=st.floats(0.0, 1e150)),
    max_examples=60,
)
entry(
    "capacity__gardner_derrida_capacity",
    capacity.gardner_derrida_capacity,
    base=dict(kappa=0.0),
    bad=dict(kappa=bad_number(1e151)),
    valid=dict(kappa=st.floats(0.0, 1e150)),
    max_examples=60,
)
entry(
    "capacity__margin_moment",
    capacity.margin_moment,
    base=dict(kappa=0.0),
    bad=dict(kappa=bad_array()),
    valid=dict(kappa=st.floats(-1e150, 1e150)),
    max_examples=60,
    kernel=True,
    nonfinite_ok=frozenset({"result"}),
    post=lambda kw, out: (
        not finite_inputs(kw, {})
        or np.all(np.isfinite(out) | (np.abs(np.asarray(kw["kappa"], dtype=float)) > 1.3e154))
        or pytest.fail(f"margin_moment({kw['kappa']}) = {out}")
    ),
)
entry(
    "capacity__gardner_volume",
    capacity.gardner_volume,
    base=dict(alpha=0.5, kappa=0.0, weights="spherical", strict=False, xtol=1e-10, max_iter=200),
    bad=dict(
        alpha=bad_array(2.0, [0.5, 3.0]),
        kappa=bad_number(1e151),
        weights=bad_choice(),
        strict=bad_flag(),
        xtol=bad_number(1e-15, 0.01),
        max_iter=bad_size(10**5),
    ),
    valid=dict(alpha=st.floats(1e-300, 1.99), weights=st.just("spherical")),
    names=dict(kappa=("kappa", "alpha"), weights=("weights", "alpha")),
    allowed=(ConvergenceError,),
    max_examples=30,
)
entry(
    "capacity__separability",
    capacity.separability,
    base=dict(alpha=1.0, n=4, n_samples=3, kappa=0.0, weights="spherical", rng=0, workers=1),
    bad=dict(
        alpha=bad_number(1e9),
        n=bad_size(25),
        n_samples=bad_size(),
        kappa=bad_number(1e151),
        weights=bad_choice(),
        rng=bad_seed(),
        workers=bad_size(),
    ),
    valid=dict(
        alpha=st.floats(0.01, 5.0),
        n=st.integers(1, 6),
        kappa=st.floats(0.0, 3.0),
        weights=st.sampled_from(["spherical", "binary"]),
        rng=seed,
    ),
    names=dict(n=("n", "alpha", "patterns")),
    max_examples=30,
)
entry(
    "capacity__separability_curve",
    capacity.separability_curve,
    base=dict(alphas=[0.5, 1.5], n=4, n_samples=3, kappa=0.0, weights="spherical", rng=0, workers=1, nested=True),
    bad=dict(
        alphas=bad_array([1e9]),
        n=bad_size(),
        n_samples=bad_size(),
        kappa=bad_number(),
        weights=bad_choice(),
        rng=bad_seed(),
        workers=bad_size(),
        nested=bad_flag(),
    ),
    valid=dict(
        alphas=finite_array(1, 4, st.floats(0.01, 4.0)),
        n=st.integers(1, 5),
        nested=st.booleans(),
        weights=st.sampled_from(["spherical", "binary"]),
    ),
    names=dict(n=("n", "alpha", "patterns")),
    max_examples=30,
)
entry(
    "capacity__separability_point",
    capacity.separability_point,
    base=dict(alpha=1.0, n=4, seed=0, n_samples=3, kappa=0.0, weights="spherical"),
    bad=dict(
        alpha=bad_number(),
        n=bad_size(),
        seed=bad_seed(),
        n_samples=bad_size(),
        kappa=bad_number(),
        weights=bad_choice(),
    ),
    names=dict(seed=("seed", "rng"), n=("n", "alpha", "patterns")),
    max_examples=25,
)
entry(
    "capacity__is_separable",
    capacity.is_separable,
    base=dict(
        X=np.random.default_rng(0).standard_normal((5, 3)),
        y=np.array([1.0, -1, 1, -1, 1]),
        kappa=0.0,
        weights="spherical",
    ),
    bad=dict(
        X=bad_array(np.ones((5, 3)), np.zeros((5, 3)), np.full((5, 3), 1e300)),
        y=bad_array([1, 2, 1, 1, 1]),
        kappa=bad_number(),
        weights=bad_choice(),
    ),
    valid=dict(
        X=hnp.arrays(np.float64, (5, 3), elements=st.floats(-1e3, 1e3)),
        y=hnp.arrays(np.float64, (5,), elements=st.sampled_from([-1.0, 1.0])),
        kappa=st.floats(0.0, 10.0),
        weights=st.sampled_from(["spherical", "binary"]),
    ),
    names=dict(y=("y", "X"), X=("X", "y")),
)
entry(
    "capacity__max_separable_prefix",
    capacity.max_separable_prefix,
    base=dict(
        X=np.random.default_rng(0).standard_normal((6, 3)),
        y=np.array([1.0, -1, 1, -1, 1, 1]),
        kappa=0.0,
        weights="spherical",
    ),
    bad=dict(
        X=bad_array(np.zeros((6, 3)), np.full((6, 3), 1e-300)),
        y=bad_array([1, 0, 1, 1, 1, 1]),
        kappa=bad_number(),
        weights=bad_choice(),
    ),
    valid=dict(
        X=hnp.arrays(np.float64, (6, 3), elements=st.floats(-1e3, 1e3)),
        y=hnp.arrays(np.float64, (6,), elements=st.sampled_from([-1.0, 1.0])),
        kappa=st.floats(0.0, 10.0),
        weights=st.sampled_from(["spherical", "binary"]),
    ),
    names=dict(y=("y", "X"), X=("X", "y")),
)
entry(
    "capacity__separable_prefixes",
    capacity.separable_prefixes,
    base=dict(n=4, p_max=8, seed=0, n_instances=2, kappa=0.0, weights="spherical"),
    bad=dict(
        n=bad_size(),
        p_max=bad_size(),
        seed=bad_seed(),
        n_instances=bad_size(),
        kappa=bad_number(),
        weights=bad_choice(),
    ),
    names=dict(seed=("seed", "rng"), p_max=("p_max", "n")),
    max_examples=25,
)
entry(
    "capacity__half_crossing",
    capacity.half_crossing,
    base=dict(alpha=[1.0, 2.0, 3.0], p=[1.0, 0.6, 0.1], stderr=0.05, level=0.5),
    bad=dict(alpha=bad_array([3.0, 2.0, 1.0]), p=bad_array([1.0, 2.0, 0.0]), stderr=bad_array(), level=bad_number()),
    valid=dict(
        p=hnp.arrays(np.float64, (3,), elements=st.floats(0.0, 1.0)),
        stderr=st.floats(0.0, 1e3),
        level=st.floats(1e-9, 1 - 1e-9),
    ),
    names=dict(p=("p", "alpha")),
    nonfinite_ok=frozenset({"result"}),
)  # NaN: no crossing (documented)


# --- statmech_learn.gibbs: priors, channels, losses, posterior, committees, spectra ------------

entry(
    "gibbs__GaussianPrior",
    priors.GaussianPrior,
    base=dict(variance=1.0),
    bad=dict(variance=bad_number()),
    valid=dict(variance=st.floats(1e-300, 1e300)),
)
entry("gibbs__BinaryPrior", priors.BinaryPrior, max_examples=2)
entry(
    "gibbs__BernoulliPrior",
    priors.BernoulliPrior,
    base=dict(p=0.5),
    bad=dict(p=bad_number(1.0)),
    valid=dict(p=st.floats(1e-300, 1.0, exclude_max=True)),
)
entry("gibbs__SphericalPrior", priors.SphericalPrior, max_examples=2)
entry(
    "gibbs__GaussBernoulliPrior",
    priors.GaussBernoulliPrior,
    base=dict(rho=0.5),
    bad=dict(rho=bad_number(1.5)),
    valid=dict(rho=st.floats(1e-300, 1.0)),
)
entry(
    "gibbs__L2Penalty",
    priors.L2Penalty,
    base=dict(l2=0.1),
    bad=dict(l2=bad_number()),
    valid=dict(l2=st.floats(0.0, 1e300)),
)
entry(
    "gibbs__make_prior",
    priors.make_prior,
    base=dict(prior="gaussian", name="prior"),
    bad=dict(prior=bad_choice("Gaussian", priors.L2Penalty, channels.Sign())),
    valid=dict(
        prior=st.sampled_from(["gaussian", "binary", "bernoulli", "spherical", "gauss-bernoulli", priors.BinaryPrior()])
    ),
)
entry(
    "gibbs__Margin",
    channels.Margin,
    base=dict(kappa=0.0),
    bad=dict(kappa=bad_number()),
    valid=dict(kappa=st.floats(0.0, 1e300)),
)
entry("gibbs__Sign", channels.Sign, max_examples=2)
entry(
    "gibbs__NoisySign",
    channels.NoisySign,
    base=dict(flip=0.1),
    bad=dict(flip=bad_number(0.5)),
    valid=dict(flip=st.floats(0.0, 0.5, exclude_max=True)),
)
entry(
    "gibbs__ErrorCounting",
    channels.ErrorCounting,
    base=dict(beta=1.0),
    bad=dict(beta=bad_number()),
    valid=dict(beta=st.floats(1e-300, 1e300)),
)
entry(
    "gibbs__Probit",
    channels.Probit,
    base=dict(variance=0.1),
    bad=dict(variance=bad_number()),
    valid=dict(variance=st.floats(1e-300, 1e300)),
)
entry(
    "gibbs__GaussianNoise",
    channels.GaussianNoise,
    base=dict(variance=1.0),
    bad=dict(variance=bad_number()),
    valid=dict(variance=st.floats(1e-300, 1e300)),
)
entry(
    "gibbs__make_channel",
    channels.make_channel,
    base=dict(channel="sign", name="channel"),
    bad=dict(channel=bad_choice("Sign", channels.Margin, priors.GaussianPrior())),
    valid=dict(channel=st.sampled_from(["sign", "margin", "noisy-sign", "probit", "gaussian"])),
)
entry("gibbs__SquareLoss", losses.SquareLoss, max_examples=2)
entry("gibbs__LogisticLoss", losses.LogisticLoss, max_examples=2)
entry("gibbs__HingeLoss", losses.HingeLoss, max_examples=2)
entry(
    "gibbs__LossChannel",
    losses.LossChannel,
    base=dict(loss="square"),
    bad=dict(loss=bad_choice("Square", losses.SquareLoss)),
    valid=dict(loss=st.sampled_from(["square", "logistic", "hinge", losses.HingeLoss()])),
)
entry(
    "gibbs__make_loss",
    losses.make_loss,
    base=dict(loss="square"),
    bad=dict(loss=bad_choice("l1")),
    valid=dict(loss=st.sampled_from(["square", "logistic", "hinge"])),
)
entry(
    "gibbs__GibbsPosterior",
    sml.gibbs.GibbsPosterior,
    base=dict(prior="binary", channel="sign"),
    bad=dict(prior=bad_choice(channels.Sign()), channel=bad_choice(priors.BinaryPrior())),
    valid=dict(
        prior=st.sampled_from(["gaussian", "binary", "spherical"]),
        channel=st.sampled_from(["sign", "margin", "gaussian", "probit", "noisy-sign"]),
    ),
)
_MC_X = np.random.default_rng(2).standard_normal((2, 6, 4))
_MC_Y = np.sign(_MC_X[..., 0])
_MC_W = np.ones((2, 4))
for _name, _sampler, _channel in (
    ("metropolis_within_gibbs", sml.gibbs.metropolis_within_gibbs, channels.ErrorCounting(1.0)),
    ("truncated_gaussian_hmc", sml.gibbs.truncated_gaussian_hmc, channels.NoisySign(0.1)),
):
    entry(
        f"gibbs__{_name}",
        _sampler,
        base=dict(prior=priors.GaussianPrior(), channel=_channel, X=_MC_X, y=_MC_Y, w=_MC_W, n_sweeps=3, rng=0),
        bad=dict(
            prior=bad_object(priors.SphericalPrior()),
            channel=bad_object(channels.Probit() if "hmc" in _name else channels.Sign()),
            X=bad_array(np.full((2, 6, 4), np.inf)),
            y=bad_array(np.zeros((2, 6))),
            w=bad_array(np.ones((2, 5))),
            n_sweeps=bad_size(),
            rng=bad_seed(),
        ),
        valid=dict(n_sweeps=st.integers(0, 5), rng=seed),
        names=dict(
            prior=("prior", "product", "Gaussian"),
            channel=("channel", "log-likelihood", "Sign", "finite"),
            X=("X",),
            y=("y", "X"),
            w=("w", "X"),
        ),
        heavy=frozenset({"n_sweeps"}),
        nonfinite_ok=frozenset({"result[1]"}),  # the acceptance of zero sweeps is NaN (documented)
        max_examples=30,
    )
entry(
    "gibbs__sign_channel_weights",
    sml.gibbs.sign_channel_weights,
    base=dict(channel=channels.ErrorCounting(2.0)),
    valid=dict(channel=st.sampled_from([channels.Sign(), channels.NoisySign(0.2), channels.GaussianNoise(1.0)])),
    max_examples=5,
)
entry(
    "gibbs__split_rhat",
    sml.gibbs.split_rhat,
    base=dict(chains=np.random.default_rng(3).standard_normal((2, 10))),
    bad=dict(chains=bad_array(np.ones((2, 3)), [[1.0, np.nan, 2.0, 3.0]])),
    valid=dict(
        chains=hnp.arrays(np.float64, st.tuples(st.integers(1, 3), st.integers(4, 9)), elements=st.floats(-1e6, 1e6))
    ),
    nonfinite_ok=frozenset({"result"}),  # inf where the half-chains are constant but differ (documented)
)
entry(
    "gibbs__Committee",
    sml.gibbs.Committee,
    base=dict(K=2, activation="sign", output="sign", tie="auto", noise=None),
    bad=dict(K=bad_size(4, 100), activation=bad_choice(), output=bad_choice(), tie=bad_choice(), noise=bad_number()),
    valid=dict(K=st.integers(1, 3), tie=st.sampled_from(["auto", None])),
    names=dict(K=("K", "tie"), output=("output", "activation"), noise=("noise", "activation", "output")),
)
entry(
    "gibbs__SoftCommittee",
    sml.gibbs.SoftCommittee,
    base=dict(K=2, activation="relu", noise=0.1),
    bad=dict(K=bad_size(), activation=bad_choice(), noise=bad_number(1e7)),
    valid=dict(K=st.integers(1, 3), activation=st.sampled_from(["relu", "sign", "linear"]), noise=st.floats(1e-6, 1e6)),
)
entry(
    "gibbs__GaussianVectorPrior",
    sml.gibbs.GaussianVectorPrior,
    base=dict(K=2),
    bad=dict(K=bad_size(1001)),
    valid=dict(K=st.integers(1, 1000)),
)
entry(
    "gibbs__BinaryVectorPrior",
    sml.gibbs.BinaryVectorPrior,
    base=dict(K=2),
    bad=dict(K=bad_size(11)),
    valid=dict(K=st.integers(1, 10)),
)
entry(
    "gibbs__Spectrum",
    spectra.Spectrum,
    base=dict(
        omega=np.array([1.0, 2.0]), weight=np.array([0.5, 0.5]), teacher=np.array([0.5, 1.0]), rho=1.0, source="test"
    ),
    bad=dict(
        omega=bad_array([0.0, 1.0], [-1.0, 1.0]),
        weight=bad_array([0.9, 0.9], [-0.5, 1.0]),
        teacher=bad_array([-1.0, 1.0], [100.0, 100.0]),
        rho=bad_number(1e-6),
    ),
    names=dict(teacher=("teacher", "rho", "omega"), weight=("weight", "omega", "rho"), omega=("omega", "rho")),
)
entry(
    "gibbs__SpectralPrior",
    spectra.SpectralPrior,
    base=dict(base=priors.L2Penalty(0.1), spectrum=spectra.Spectrum.identity()),
    bad=dict(base=bad_object(priors.BinaryPrior(), "l2"), spectrum=bad_object(priors.GaussianPrior())),
)
entry(
    "gibbs__marchenko_pastur",
    spectra.marchenko_pastur,
    base=dict(ratio=0.5, level=5),
    bad=dict(ratio=bad_number(), level=bad_size(10, 100)),
    valid=dict(ratio=st.floats(1e-6, 1e6), level=st.integers(2, 9)),
)
entry(
    "gibbs__tanh_sinh",
    spectra.tanh_sinh,
    base=dict(a=0.0, b=1.0, level=5),
    bad=dict(a=bad_number(), b=bad_number(), level=bad_size(13, 100)),
    valid=dict(a=st.floats(-1e100, 1e100), b=st.floats(-1e100, 1e100), level=st.integers(1, 8)),
)


# --- statmech_learn.replica (and the top-level model classes) ----------------------------------

TS = sml.TeacherStudent
BO = TS("gaussian", "sign")
RIDGE = TS("gaussian", "gaussian", student=sml.ERM("square", 0.1))
LOGISTIC = TS("gaussian", "sign", student=sml.ERM("logistic", 0.1))
GIBBS = TS("gaussian", "sign", student=sml.Gibbs(0.5))
COMMITTEE = TS("gaussian", sml.gibbs.Committee(2))
MODELS = [BO, RIDGE, LOGISTIC, GIBBS, TS("binary", "sign"), TS("gauss-bernoulli", "gaussian")]
not_a_model = bad_object(priors.GaussianPrior(), sml.Gibbs(1.0), "gaussian", channels.Sign())
loads = st.floats(1e-3, 10.0)

entry(
    "top__Gibbs",
    sml.Gibbs,
    base=dict(temperature=1.0),
    bad=dict(temperature=bad_number()),
    valid=dict(temperature=st.floats(1e-300, 1e300)),
)
entry(
    "top__ERM",
    sml.ERM,
    base=dict(loss="logistic", l2=0.1),
    bad=dict(loss=bad_choice(), l2=bad_number("Optimal")),
    valid=dict(
        loss=st.sampled_from(["square", "logistic", "hinge"]), l2=st.one_of(st.floats(0.0, 1e300), st.just("optimal"))
    ),
)
entry("top__BayesOptimal", sml.BayesOptimal, max_examples=2)
entry(
    "top__TeacherStudent",
    TS,
    base=dict(prior="gaussian", channel="sign", student=None, student_prior=None, student_channel=None, inputs=None),
    bad=dict(
        prior=bad_choice(channels.Sign()),
        channel=bad_choice(priors.GaussianPrior()),
        student=bad_object(priors.GaussianPrior(), "gibbs"),
        student_prior=bad_choice(),
        student_channel=bad_choice(),
        inputs=bad_object(priors.GaussianPrior(), "identity"),
    ),
    valid=dict(
        prior=st.sampled_from(["gaussian", "binary", "spherical", "gauss-bernoulli"]),
        channel=st.sampled_from(["sign", "noisy-sign", "probit", "gaussian"]),
        student=st.sampled_from([None, sml.BayesOptimal(), sml.Gibbs(0.5), sml.ERM("square", 0.1)]),
    ),
)
entry(
    "top__RandomFeatureMap",
    sml.RandomFeatureMap,
    base=dict(activation="relu", ratio=1.0, level=5),
    bad=dict(activation=bad_choice(np.exp), ratio=bad_number(), level=bad_size(10, 100)),
    valid=dict(
        activation=st.sampled_from(["relu", "erf", "tanh", "sign", "linear"]),
        ratio=st.floats(1e-3, 1e3),
        level=st.integers(2, 9),
    ),
    names=dict(ratio=("ratio", "features_ratio")),
)
entry(
    "top__RandomFeatures",
    sml.RandomFeatures,
    base=dict(activation="relu", features_ratio=1.0, teacher="sign", student=None, prior="gaussian"),
    bad=dict(
        activation=bad_choice(),
        features_ratio=bad_array(),
        teacher=bad_choice(),
        student=bad_object(sml.Gibbs(1.0), sml.BayesOptimal()),
        prior=bad_choice(),
    ),
    valid=dict(
        features_ratio=st.one_of(st.floats(1e-3, 1e3), finite_array(1, 3, st.floats(1e-3, 1e3))),
        student=st.sampled_from([None, sml.ERM("square", 0.1), sml.ERM("logistic", 0.01)]),
    ),
)
entry(
    "top__StructuredInputs",
    sml.StructuredInputs,
    base=dict(blocks=[(0.5, 1.0), (0.5, 0.1)], teacher_weights=None),
    bad=dict(
        blocks=bad_array([(0.5, 1.0)], [(1.5, 1.0), (-0.5, 1.0)], [(0.5, 0.0), (0.5, 1.0)], [(1.0,)]),
        teacher_weights=bad_array([0.0, 0.0], [1.0, -1.0], [1.0]),
    ),
    valid=dict(teacher_weights=st.one_of(st.none(), finite_array(2, 2, st.floats(0.0, 1e6)))),
    names=dict(teacher_weights=("teacher_weights", "blocks"), blocks=("blocks", "block")),
)
OMEGA = np.array([[2.0, 0.3], [0.3, 1.0]])
entry(
    "top__GaussianCovariate",
    sml.GaussianCovariate,
    base=dict(Omega=OMEGA, Phi=None, Psi=None, theta=None, noise_variance=0.0),
    bad=dict(
        Omega=bad_array(-OMEGA, np.array([[1.0, 2.0], [0.0, 1.0]]), np.ones((2, 3))),
        Phi=bad_array(np.ones((3, 2)), np.ones((2, 3))),
        Psi=bad_array(-np.eye(2), np.eye(3)),
        theta=bad_array(np.ones(3)),
        noise_variance=bad_number(),
    ),
    valid=dict(
        Omega=hnp.arrays(np.float64, (2, 2), elements=st.floats(-1e3, 1e3)).map(lambda a: a @ a.T),
        noise_variance=st.floats(0.0, 1e6),
    ),
    names=dict(Psi=("Psi", "Phi"), Phi=("Phi", "Psi", "Omega"), theta=("theta", "Psi", "Phi")),
)
entry(
    "replica__solve",
    replica.solve,
    base=dict(
        model=BO,
        alpha=1.0,
        init="auto",
        method="auto",
        damping=0.5,
        tol=1e-8,
        max_iter=2000,
        continuation=False,
        strict=False,
    ),
    bad=dict(
        model=not_a_model,
        alpha=bad_array([1e-9], [1e9]),
        init=bad_choice(),
        method=bad_choice(),
        damping=bad_number(1.0),
        tol=bad_number(1e-15),
        max_iter=bad_size(10**8),
        continuation=bad_flag(),
        strict=bad_flag(),
    ),
    valid=dict(model=st.sampled_from(MODELS), alpha=st.one_of(loads, finite_array(1, 3, loads))),
    nonfinite_ok=CURVE_NONFINITE,
    allowed=(ConvergenceError,),
    max_examples=30,
    deadline=10.0,
)
entry(
    "replica__solve_branches",
    replica.solve_branches,
    base=dict(model=BO, alpha=1.0, damping=0.5, tol=1e-8, max_iter=2000, continuation=False),
    bad=dict(
        model=not_a_model,
        alpha=bad_array([1e-9]),
        damping=bad_number(1.0),
        tol=bad_number(1e-15),
        max_iter=bad_size(10**8),
        continuation=bad_flag(),
    ),
    valid=dict(model=st.sampled_from([BO, TS("binary", "sign")]), alpha=loads),
    nonfinite_ok=CURVE_NONFINITE,
    max_examples=20,
    deadline=10.0,
)
entry(
    "replica__transitions",
    replica.transitions,
    base=dict(model=TS("binary", "sign"), alpha_range=(1.0, 2.0), xtol=1e-3, strict=False),
    bad=dict(
        model=not_a_model,
        alpha_range=bad_array((2.0, 1.0), (0.0, 1.0), (1.0,), (1e-9, 1e9)),
        xtol=bad_number(1e-15, 2.0),
        strict=bad_flag(),
    ),
    nonfinite_ok=frozenset({"alpha_it", "alpha_spinodal", "alpha_spinodal_informed"}),
    allowed=(ConvergenceError,),
    max_examples=15,
    deadline=15.0,
)
entry(
    "replica__amp",
    replica.amp,
    base=dict(
        model=BO,
        n=30,
        alpha=1.0,
        rng=0,
        n_iter=20,
        tol=1e-6,
        damping=0.0,
        X=None,
        y=None,
        w_star=None,
        init="uninformed",
        strict=False,
    ),
    bad=dict(
        model=bad_object(RIDGE, "gaussian"),
        n=bad_size(),
        alpha=bad_number(1e9),
        rng=bad_seed(),
        n_iter=bad_size(10**8),
        tol=bad_number(1e-15),
        damping=bad_number(1.0),
        X=bad_array(np.ones((30, 30)), np.ones((31, 30))),
        y=bad_array(np.ones(31)),
        w_star=bad_array(np.ones(31)),
        init=bad_choice(),
        strict=bad_flag(),
    ),
    valid=dict(n=st.integers(10, 40), alpha=st.floats(0.1, 3.0), rng=seed, damping=st.floats(0.0, 0.9)),
    names=dict(
        n=("n", "alpha"),
        alpha=("alpha", "n"),
        X=("X", "y", "w_star", "n"),
        y=("y", "X", "n"),
        w_star=("w_star", "n", "X"),
    ),
    nonfinite_ok=frozenset({"m", "q", "mse", "m_history", "generalization_error"}),
    allowed=(ConvergenceError,),
)
entry(
    "replica__state_evolution",
    replica.state_evolution,
    base=dict(model=BO, alpha=1.0, n_iter=20, V0=None, tol=1e-8),
    bad=dict(
        model=bad_object(RIDGE), alpha=bad_array(), n_iter=bad_size(10**8), V0=bad_array(2.0, -1.0), tol=bad_number()
    ),
    valid=dict(
        alpha=st.one_of(loads, finite_array(1, 3, loads)),
        V0=st.one_of(st.none(), st.floats(1e-6, 1.0)),
        n_iter=st.integers(1, 50),
    ),
    names=dict(V0=("V0", "rho")),
)
entry(
    "replica__erm_simulation",
    replica.erm_simulation,
    base=dict(model=RIDGE, n=10, alpha=1.0, n_samples=2, rng=0, n_test=50, tol=1e-5, d=None, features_ratio=None),
    bad=dict(
        model=bad_object(BO, GIBBS),
        n=bad_size(),
        alpha=bad_number(1e9),
        n_samples=bad_size(),
        rng=bad_seed(),
        n_test=bad_size(),
        tol=bad_number(1e-13),
        d=bad_size(),
        features_ratio=bad_array(),
    ),
    valid=dict(
        model=st.sampled_from([RIDGE, LOGISTIC, TS("gaussian", "sign", student=sml.ERM("hinge", 0.1))]),
        n=st.integers(1, 12),
        alpha=st.floats(0.1, 3.0),
        rng=seed,
    ),
    names=dict(
        n=("n", "alpha", "d"), alpha=("alpha", "n"), d=("d", "n"), features_ratio=("features_ratio", "RandomFeatures")
    ),
    nonfinite_ok=frozenset({"features_ratio", "train_error", "*_stderr"}),
    allowed=(ConvergenceError,),
    max_examples=30,
)
entry(
    "replica__gibbs_simulation",
    replica.gibbs_simulation,
    base=dict(model=GIBBS, n=10, alpha=1.0, n_samples=2, rng=0, n_sweeps=8, burn_in=None, rhat_tol=1.1, strict=False),
    bad=dict(
        model=bad_object(RIDGE, COMMITTEE, TS("spherical", "sign", student=sml.Gibbs(1.0))),
        n=bad_size(),
        alpha=bad_number(1e9),
        n_samples=bad_size(),
        rng=bad_seed(),
        n_sweeps=bad_size(7),
        burn_in=bad_size(5),
        rhat_tol=bad_number(0.5),
        strict=bad_flag(),
    ),
    valid=dict(
        model=st.sampled_from([GIBBS, BO, TS("binary", "sign", student=sml.Gibbs(2.0)), TS("gaussian", "probit")]),
        n=st.integers(2, 12),
        alpha=st.floats(0.1, 3.0),
        rng=seed,
        n_sweeps=st.integers(8, 12),
    ),
    names=dict(
        model=("model", "prior", "channel"),
        n=("n", "alpha", "pattern"),
        alpha=("alpha", "n", "pattern"),
        n_samples=("n_samples", "pattern"),
        burn_in=("burn_in",),
    ),
    nonfinite_ok=frozenset({"train_error", "*_stderr", "bounces", "rhat"}),
    allowed=(ConvergenceError,),
    heavy=frozenset({"n", "n_samples", "n_sweeps"}),
    max_examples=30,
)
_FEATURES = np.random.default_rng(0).standard_normal((30, 3))
_LABELS = _FEATURES @ np.array([1.0, -0.5, 0.2]) + 0.1 * np.random.default_rng(1).standard_normal(30)
entry(
    "replica__data_simulation",
    replica.data_simulation,
    base=dict(
        features=_FEATURES,
        labels=_LABELS,
        student=sml.ERM("square", 0.1),
        n=[10, 20],
        n_samples=2,
        rng=0,
        task="regression",
        center=True,
        tol=1e-5,
    ),
    bad=dict(
        features=bad_array(np.ones((30, 3)), np.ones((1, 3))),
        labels=bad_array(np.ones(29)),
        student=bad_object(sml.Gibbs(1.0), sml.ERM("logistic", 0.0)),
        n=bad_array([0], [10**9]),
        n_samples=bad_size(),
        rng=bad_seed(),
        task=bad_choice("classification"),
        center=bad_flag(),
        tol=bad_number(),
    ),
    valid=dict(n=st.lists(st.integers(1, 40), min_size=1, max_size=3), rng=seed),
    names=dict(
        labels=("labels", "features"),
        features=("features", "labels"),
        task=("task", "labels"),
        student=("student", "l2"),
    ),
    nonfinite_ok=frozenset({"test_error_stderr", "train_loss_stderr"}),
    allowed=(ConvergenceError,),
)
entry(
    "replica__solve_committee",
    replica.solve_committee,
    base=dict(
        model=COMMITTEE,
        alpha=1.0,
        init="uninformed",
        symmetric=True,
        damping=0.3,
        tol=1e-8,
        max_iter=200,
        order=None,
        strict=False,
    ),
    bad=dict(
        model=bad_object(BO),
        alpha=bad_array(),
        init=bad_choice(),
        symmetric=bad_flag(),
        damping=bad_number(1.0),
        tol=bad_number(),
        max_iter=bad_size(),
        order=bad_size(),
        strict=bad_flag(),
    ),
    valid=dict(alpha=st.floats(0.1, 4.0)),
    allowed=(ConvergenceError,),
    max_examples=25,
)
entry(
    "replica__committee_transitions",
    replica.committee_transitions,
    base=dict(model=COMMITTEE, alpha_range=(1.0, 2.0), n_grid=4, xtol=1e-2, strict=False),
    bad=dict(
        model=bad_object(BO),
        alpha_range=bad_array((2.0, 1.0), (0.0, 1.0)),
        n_grid=bad_size(),
        xtol=bad_number(),
        strict=bad_flag(),
    ),
    names=dict(alpha_range=("alpha_range", "alpha")),
    nonfinite_ok=frozenset({"alpha_it", "alpha_spinodal", "alpha_spinodal_informed", "alpha_specialization"}),
    allowed=(ConvergenceError,),
    max_examples=15,
    deadline=15.0,
)
entry(
    "replica__solve_large_committee",
    replica.solve_large_committee,
    base=dict(prior="gaussian", alpha_tilde=1.0, init="both", damping=0.2, tol=1e-8, max_iter=2000, strict=False),
    bad=dict(
        prior=bad_choice(),
        alpha_tilde=bad_array([1e-9], [1e9]),
        init=bad_choice(),
        damping=bad_number(1.0),
        tol=bad_number(),
        max_iter=bad_size(10**7),
        strict=bad_flag(),
    ),
    valid=dict(
        prior=st.sampled_from(["gaussian", "binary"]),
        alpha_tilde=st.one_of(st.floats(1e-8, 1e8), finite_array(1, 3, st.floats(1e-8, 1e8))),
    ),
    nonfinite_ok=frozenset({"qhat_diagonal"}),
    allowed=(ConvergenceError,),
)
entry(
    "replica__large_committee_transition",
    replica.large_committee_transition,
    base=dict(prior="gaussian", xtol=1e-6),
    bad=dict(prior=bad_choice(), xtol=bad_number()),
    valid=dict(prior=st.sampled_from(["gaussian", "binary"])),
    allowed=(ConvergenceError,),
    max_examples=20,
    nonfinite_ok=frozenset({"alpha_tilde_amp", "alpha_tilde_spinodal"}),
)
entry(
    "replica__ridge_test_error",
    replica.ridge_test_error,
    base=dict(alpha=2.0, l2=0.1, noise_variance=0.1, rho=1.0),
    bad=dict(alpha=bad_array(), l2=bad_array(), noise_variance=bad_array(), rho=bad_number()),
    valid=dict(
        alpha=st.floats(1e-300, 1e300).filter(lambda a: a != 1.0),
        l2=st.floats(0.0, 1e300),
        noise_variance=st.floats(0.0, 1e300),
        rho=st.floats(1e-300, 1e300),
    ),
    max_examples=150,
)
entry(
    "replica__ridge_applicable",
    replica.ridge_applicable,
    base=dict(model=RIDGE),
    bad=dict(model=not_a_model),
    valid=dict(model=st.sampled_from(MODELS)),
)
entry(
    "replica__ridge_saddle_point",
    replica.ridge_saddle_point,
    base=dict(model=RIDGE, alpha=np.array([1.5])),
    bad=dict(model=bad_object(BO, LOGISTIC), alpha=bad_array()),
    valid=dict(
        alpha=finite_array(1, 4, st.floats(1e-6, 1e6)).filter(lambda a: np.all(a != 1.0)),
        model=st.sampled_from(
            [
                RIDGE,
                TS("gaussian", "sign", student=sml.ERM("square", 0.0)),
                TS("binary", "noisy-sign", student=sml.ERM("square", 1e-3)),
            ]
        ),
    ),
    nonfinite_ok=frozenset({"train_loss", "train_error", "V", "q", "qhat", "train"}),
)


# --- statmech_learn.online ---------------------------------------------------------------------

SCM = online.SoftCommittee(2, 2)
SCM_START = Lazy(lambda: SCM.initial_state(rng=0))
SCM_TRAJ = Lazy(lambda: SCM.integrate(SCM.initial_state(rng=0), 200.0))
activations = st.sampled_from(["erf", "linear", "relu", "sigmoid"])


def _integrate_two_layer(model, init, t_max, t=None, rtol=1e-6, atol=1e-9, method="RK45"):
    return model.integrate(init, t_max, t, rtol=rtol, atol=atol, method=method)


def _initial_state(model, overlap=1e-3, rng=None, Q=None, R=None, T=None, v=None):
    return model.initial_state(overlap, rng, Q=Q, R=R, T=T, v=v)


def _integrate_perceptron(perc, R0=0.0, Q0=0.01, alpha_max=None, alpha=None, rtol=1e-8):
    return perc.integrate(R0, Q0, alpha_max, alpha, rtol)


entry(
    "online__Activation",
    online.Activation,
    base=dict(func="erf", derivative=None, name=None, orders=None),
    bad=dict(
        func=bad_choice(np.exp, lambda x: 1.0),
        derivative=bad_object(np.cos, "erf"),
        name=bad_choice(),
        orders=bad_object({2: 0}, {2: 10**6}, {5: 3}, {2: "a"}, [2, 3]),
    ),
    valid=dict(func=activations),
    names=dict(func=("func", "activation"), derivative=("derivative", "func"), name=("name", "func")),
)
entry(
    "online__make_activation",
    online.make_activation,
    base=dict(a="erf"),
    bad=dict(a=bad_choice(np.cos)),
    valid=dict(a=activations),
    names=dict(a=("activation", "a")),
)
entry(
    "online__SoftCommittee",
    online.SoftCommittee,
    base=dict(K=2, M=2, activation="erf", lr=0.5, noise=0.0),
    bad=dict(K=bad_size(), M=bad_size(), activation=bad_choice(), lr=bad_number(), noise=bad_number()),
    valid=dict(
        K=st.integers(1, 5),
        M=st.integers(1, 5),
        activation=activations,
        lr=st.floats(1e-300, 1e300),
        noise=st.floats(0.0, 1e300),
    ),
)
entry(
    "online__TwoLayer",
    online.TwoLayer,
    base=dict(K=2, M=2, activation="erf", lr=0.5, lr_second=0.0, noise=0.0, v_star=None),
    bad=dict(
        K=bad_size(),
        M=bad_size(),
        activation=bad_choice(),
        lr=bad_number(),
        lr_second=bad_number(),
        noise=bad_number(),
        v_star=bad_array([1.0, 2.0, 3.0]),
    ),
    valid=dict(K=st.integers(1, 5), lr_second=st.floats(0.0, 1e300)),
    names=dict(v_star=("v_star", "M")),
)
entry(
    "online__TwoLayer_initial_state",
    _initial_state,
    base=dict(model=SCM, overlap=1e-3, rng=0, Q=None, R=None, T=None, v=None),
    bad=dict(
        overlap=bad_number(),
        rng=bad_seed(),
        Q=bad_array(-np.eye(2), np.eye(3)),
        R=bad_array(np.eye(3)),
        T=bad_array(np.eye(3)),
        v=bad_array(np.ones(3)),
    ),
    valid=dict(overlap=st.floats(1e-300, 1e3), rng=seed),
    names=dict(Q=("Q", "R"), R=("R", "Q"), T=("T", "Q", "R"), v=("v",)),
    max_examples=25,
)
entry(
    "online__TwoLayer_integrate",
    _integrate_two_layer,
    base=dict(model=SCM, init=SCM_START, t_max=5.0, t=None, rtol=1e-6, atol=1e-9, method="RK45"),
    bad=dict(
        init=bad_object(SCM_TRAJ),
        t_max=bad_number(1e9),
        t=bad_array([3.0, 1.0], [0.0, 10.0]),
        rtol=bad_number(),
        atol=bad_number(),
        method=bad_choice("BDF", "rk45"),
    ),
    valid=dict(t_max=st.floats(1e-3, 20.0), model=st.sampled_from([SCM, online.SoftCommittee(2, 2, lr=2.0)])),
    names=dict(t=("t", "t_max"), init=("init", "state", "Q", "R", "T", "v")),
    nonfinite_ok=frozenset({"blowup_time"}),
    max_examples=25,
    deadline=10.0,
    heavy=frozenset({"t_max"}),
)
entry(
    "online__plateau",
    online.plateau,
    base=dict(traj=SCM_TRAJ, flat=0.05, spread=0.5, min_duration=0.0),
    bad=dict(traj=bad_object(SCM, SCM_START), flat=bad_number(1.0), spread=bad_number(), min_duration=bad_number()),
    valid=dict(flat=st.floats(1e-6, 0.99), spread=st.floats(0.0, 10.0), min_duration=st.floats(0.0, 1e3)),
    nonfinite_ok=frozenset({"height", "entry", "exit", "duration", "specialisation_time"}),
)
entry(
    "online__simulate",
    online.simulate,
    base=dict(
        model=SCM, N=10, t_max=1.0, n_seeds=2, rng=0, init=None, t=None, n_test=0, progress=False, method="weights"
    ),
    bad=dict(
        model=bad_object(online.Perceptron()),
        N=bad_size(),
        t_max=bad_number(1e9),
        n_seeds=bad_size(),
        rng=bad_seed(),
        init=bad_object(SCM_TRAJ),
        t=bad_array([2.0], [1.0, 0.5]),
        n_test=bad_size(),
        progress=bad_flag(),
        method=bad_choice(),
    ),
    valid=dict(
        N=st.integers(4, 30),
        t_max=st.floats(0.1, 2.0),
        n_seeds=st.integers(1, 3),
        rng=seed,
        n_test=st.integers(0, 5),
        method=st.sampled_from(["weights", "overlaps"]),
    ),
    names=dict(
        N=("N", "t_max", "K + M"),
        t_max=("t_max", "N"),
        n_seeds=("n_seeds", "t_max"),
        init=("init", "state", "Q", "R", "T", "v"),
        t=("t", "t_max"),
    ),
    nonfinite_ok=frozenset({"*_stderr", "eps_g_test"}),
    heavy=frozenset({"t_max"}),
)
entry(
    "online__Perceptron",
    online.Perceptron,
    base=dict(rule="perceptron", lr=1.0),
    bad=dict(rule=bad_choice("Hebb"), lr=bad_number()),
    valid=dict(rule=st.sampled_from(["hebb", "perceptron", "adatron"]), lr=st.floats(1e-300, 1e300)),
)
entry(
    "online__Perceptron_integrate",
    _integrate_perceptron,
    base=dict(perc=online.Perceptron(), R0=0.0, Q0=0.01, alpha_max=5.0, alpha=None, rtol=1e-8),
    bad=dict(
        R0=bad_number(2.0),
        Q0=bad_number(),
        alpha_max=bad_number(1e12, 1e21),
        alpha=bad_array([3.0, 1.0]),
        rtol=bad_number(),
    ),
    valid=dict(
        perc=st.builds(online.Perceptron, st.sampled_from(["hebb", "perceptron", "adatron"]), st.floats(0.01, 2.9)),
        R0=st.floats(-0.1, 0.1),
        Q0=st.floats(0.01, 10.0),
        alpha_max=st.floats(0.01, 20.0),
    ),
    names=dict(
        R0=("R0", "Q0"), Q0=("Q0", "R0", "alpha_max"), alpha=("alpha", "alpha_max"), alpha_max=("alpha_max", "alpha")
    ),
    max_examples=30,
)
entry(
    "online__simulate_perceptron",
    online.simulate_perceptron,
    base=dict(
        perc=online.Perceptron(), N=10, alpha_max=2.0, n_seeds=2, rng=0, R0=0.0, Q0=0.01, alpha=None, progress=False
    ),
    bad=dict(
        perc=bad_object(SCM, "perceptron"),
        N=bad_size(),
        alpha_max=bad_number(1e12),
        n_seeds=bad_size(),
        rng=bad_seed(),
        R0=bad_number(),
        Q0=bad_number(),
        alpha=bad_array([2.0, 1.0]),
        progress=bad_flag(),
    ),
    valid=dict(N=st.integers(2, 30), alpha_max=st.floats(0.1, 3.0), rng=seed),
    names=dict(
        R0=("R0", "Q0"),
        Q0=("Q0", "R0"),
        alpha=("alpha", "alpha_max"),
        alpha_max=("alpha_max", "alpha"),
        N=("N", "alpha_max"),
    ),
    nonfinite_ok=frozenset({"*_stderr"}),
    heavy=frozenset({"alpha_max"}),
)
entry(
    "online__symmetric_plateau",
    online.symmetric_plateau,
    base=dict(model=SCM, tol=1e-10, strict=False),
    bad=dict(model=bad_object(online.TwoLayer(2, 2, lr_second=0.1), "scm"), tol=bad_number(1.0), strict=bad_flag()),
    valid=dict(model=st.sampled_from([SCM, online.SoftCommittee(3, 3, lr=0.1)])),
    allowed=(ConvergenceError,),
    max_examples=12,
    deadline=10.0,
)
entry(
    "online__small_lr_plateau_height",
    online.small_lr_plateau_height,
    base=dict(K=2),
    bad=dict(K=bad_size()),
    valid=dict(K=st.integers(1, 10**6)),
)


# --- statmech_learn.meanfield -------------------------------------------------------------------

_J3 = np.array([[0.0, 0.5, -0.3], [0.5, 0.0, 0.2], [-0.3, 0.2, 0.0]])
SK6 = meanfield.SK(6, 0.5, rng=0)
ISING3 = meanfield.Ising(_J3, h=0.1, beta=1.0)
RBM_MEASURE = meanfield.Bipartite(np.random.default_rng(0).standard_normal((4, 3)) * 0.3, b=0.1, c=-0.1)
GAUSS_RBM = meanfield.Bipartite(np.random.default_rng(1).standard_normal((3, 2)) * 0.2, visible="gaussian")
MEASURES = [SK6, ISING3, RBM_MEASURE, meanfield.Ising2D(3, 0.3), meanfield.SK(5, 2.0, 0.3, rng=1)]
units = st.sampled_from(["binary", "bernoulli", "gaussian"])
_DIGITS = (np.random.default_rng(2).random((24, 5)) < 0.4).astype(float)


def _rbm_fit(X, **params):
    return meanfield.RBM(**params).fit(X)


entry(
    "meanfield__SK",
    meanfield.SK,
    base=dict(n=6, beta=1.0, field=0.0, rng=0, units="binary"),
    bad=dict(n=bad_size(), beta=bad_number(), field=bad_number(), rng=bad_seed(), units=bad_choice()),
    valid=dict(
        n=st.integers(2, 50), beta=st.floats(1e-300, 1e300), field=st.floats(-1e300, 1e300), rng=seed, units=units
    ),
)
entry(
    "meanfield__Ising",
    meanfield.Ising,
    base=dict(J=_J3, h=0.0, beta=1.0, units="binary"),
    bad=dict(
        J=bad_array(np.eye(3), np.ones((2, 3)), np.array([[0.0, 1.0], [2.0, 0.0]])),
        h=bad_array(np.ones(4)),
        beta=bad_number(),
        units=bad_choice(channels.Sign()),
    ),
    valid=dict(h=st.one_of(finite, finite_array(3, 3, finite)), beta=st.floats(1e-300, 1e300), units=units),
)
entry(
    "meanfield__Ising2D",
    meanfield.Ising2D,
    base=dict(L=3, beta=1.0, field=0.0, coupling=1.0, periodic=True, units="binary"),
    bad=dict(
        L=bad_size(301),
        beta=bad_number(),
        field=bad_number(),
        coupling=bad_number(),
        periodic=bad_flag(),
        units=bad_choice(),
    ),
    valid=dict(
        L=st.integers(2, 20),
        beta=st.floats(1e-300, 1e300),
        field=finite,
        coupling=st.floats(-1e149, 1e149),
        periodic=st.booleans(),
        units=units,
    ),
)
entry(
    "meanfield__Bipartite",
    meanfield.Bipartite,
    base=dict(W=np.ones((3, 2)) * 0.1, b=0.0, c=0.0, beta=1.0, visible="bernoulli", hidden="bernoulli"),
    bad=dict(
        W=bad_array(np.ones((0, 2))),
        b=bad_array(np.ones(2)),
        c=bad_array(np.ones(3)),
        beta=bad_number(),
        visible=bad_choice(),
        hidden=bad_choice(),
    ),
    valid=dict(
        W=hnp.arrays(np.float64, (3, 2), elements=st.floats(-1e150, 1e150)),
        b=finite,
        c=finite,
        beta=st.floats(1e-300, 1e300),
        visible=units,
        hidden=units,
    ),
)
mf_solver_bad = dict(
    measure=bad_object(priors.BinaryPrior(), _J3),
    damping=bad_number(1.0),
    tol=bad_number(),
    max_iter=bad_size(10**7),
    init=bad_array(np.ones(7), np.full(6, 2.0)),
    anneal=bad_size(10**6),
    strict=bad_flag(),
    rng=bad_seed(),
)
entry(
    "meanfield__naive_mean_field",
    meanfield.naive_mean_field,
    base=dict(measure=SK6, damping=0.3, tol=1e-8, max_iter=200, init=None, anneal=1, strict=False, rng=0),
    bad=mf_solver_bad,
    valid=dict(measure=st.sampled_from(MEASURES), damping=st.floats(0.0, 0.95), rng=seed, anneal=st.integers(1, 3)),
    names=dict(init=("init", "measure")),
    allowed=(ConvergenceError,),
)
entry(
    "meanfield__tap",
    meanfield.tap,
    base=dict(measure=SK6, damping=0.0, tol=1e-8, max_iter=200, init=None, anneal=1, strict=False, rng=0, order=2),
    bad=dict(mf_solver_bad, order=bad_size(4)),
    valid=dict(measure=st.sampled_from(MEASURES), damping=st.floats(0.0, 0.95), rng=seed, anneal=st.integers(1, 3)),
    names=dict(init=("init", "measure"), order=("order", "units")),
    allowed=(ConvergenceError,),
)
entry(
    "meanfield__tap_free_entropy",
    meanfield.tap_free_entropy,
    base=dict(measure=SK6, m=np.full(6, 0.1), v=np.full(6, 0.99), onsager=True, order=2),
    bad=dict(
        measure=bad_object(),
        m=bad_array(np.full(6, 2.0), np.ones(5)),
        v=bad_array(np.full(6, -1.0)),
        onsager=bad_flag(),
        order=bad_size(),
    ),
    valid=dict(m=finite_array(6, 6, st.floats(-0.999, 0.999))),
    names=dict(m=("m", "v"), v=("v", "m"), order=("order", "units")),
    kernel=True,
)
entry(
    "meanfield__tap_hessian",
    meanfield.tap_hessian,
    base=dict(measure=SK6, m=np.zeros(6)),
    bad=dict(measure=bad_object(RBM_MEASURE), m=bad_array(np.ones(6), np.ones(5))),
    valid=dict(m=finite_array(6, 6, st.floats(-0.999, 0.999))),
    names=dict(measure=("measure", "units")),
)
entry(
    "meanfield__tap_stability",
    meanfield.tap_stability,
    base=dict(measure=SK6, v=np.ones(6)),
    bad=dict(measure=bad_object(), v=bad_array(np.ones(5), -np.ones(6))),
    valid=dict(v=finite_array(6, 6, st.floats(0.0, 1.0))),
)
entry(
    "meanfield__replica_sk",
    meanfield.replica_sk,
    base=dict(beta=1.5, field=0.0, tol=1e-10, max_iter=200, strict=False),
    bad=dict(beta=bad_array(), field=bad_array(), tol=bad_number(), max_iter=bad_size(10**7), strict=bad_flag()),
    valid=dict(
        beta=st.one_of(st.floats(1e-300, 1e300), finite_array(1, 3, st.floats(1e-3, 1e3))),
        field=st.floats(-1e300, 1e300),
    ),
    names=dict(beta=("beta", "field"), field=("field", "beta")),
    allowed=(ConvergenceError,),
    max_examples=40,
)
entry(
    "meanfield__at_line",
    meanfield.at_line,
    base=dict(field=0.5),
    bad=dict(field=bad_array(11.0)),
    valid=dict(field=st.floats(-10.0, 10.0)),
    allowed=(ConvergenceError,),
    max_examples=20,
)
entry(
    "meanfield__exact",
    meanfield.exact,
    base=dict(measure=SK6, chunk=64),
    bad=dict(measure=bad_object(meanfield.SK(25, rng=0), GAUSS_RBM), chunk=bad_size(2**25)),
    valid=dict(measure=st.sampled_from(MEASURES), chunk=st.integers(1, 2**12)),
    names=dict(measure=("measure", "units", "n")),
)
entry(
    "meanfield__monte_carlo",
    meanfield.monte_carlo,
    base=dict(
        measure=SK6,
        n_sweeps=20,
        n_chains=2,
        method="heat-bath",
        order="sequential",
        burn_in=None,
        rng=0,
        init=None,
        progress=False,
    ),
    bad=dict(
        measure=bad_object(RBM_MEASURE),
        n_sweeps=bad_size(),
        n_chains=bad_size(),
        method=bad_choice(),
        order=bad_choice(),
        burn_in=bad_size(19),
        rng=bad_seed(),
        init=bad_array(np.ones(5), np.ones((3, 6))),
        progress=bad_flag(),
    ),
    valid=dict(
        measure=st.sampled_from([SK6, ISING3, meanfield.Ising(_J3, units="gaussian", beta=0.5)]),
        n_sweeps=st.integers(2, 30),
        n_chains=st.integers(1, 4),
        rng=seed,
        method=st.sampled_from(["heat-bath", "metropolis"]),
        order=st.sampled_from(["sequential", "random"]),
    ),
    names=dict(burn_in=("burn_in", "n_sweeps"), n_sweeps=("n_sweeps", "burn_in"), init=("init", "measure", "n")),
    nonfinite_ok=frozenset({"tau_energy", "tau_magnetisation", "m_err", "energy_err", "magnetisation_err"}),
)
entry(
    "meanfield__integrated_autocorrelation_time",
    meanfield.integrated_autocorrelation_time,
    base=dict(series=np.sin(np.arange(50.0)), c=5.0),
    bad=dict(series=bad_array(np.ones(1)), c=bad_number()),
    valid=dict(
        series=st.one_of(finite_array(2, 60, st.floats(-1e6, 1e6)), finite_array(2, 10, dims=2)), c=st.floats(1e-3, 1e3)
    ),
    nonfinite_ok=frozenset({"result"}),  # tau is NaN for a constant series (documented)
    post=lambda kw, out: (
        (np.isnan(out[0]) and np.ptp(np.asarray(kw["series"]), axis=0).max() == 0)
        or np.isfinite(out[0])
        or pytest.fail(f"tau = {out}")
    ),
)
entry(
    "meanfield__ais",
    meanfield.ais,
    base=dict(measure=RBM_MEASURE, n_runs=2, n_betas=10, base_fields=None, rng=0, counting=False),
    bad=dict(
        measure=bad_object(SK6),
        n_runs=bad_size(),
        n_betas=bad_size(),
        base_fields=bad_array(np.ones(3)),
        rng=bad_seed(),
        counting=bad_flag(),
    ),
    valid=dict(
        n_runs=st.integers(2, 5),
        n_betas=st.integers(10, 50),
        rng=seed,
        counting=st.booleans(),
        measure=st.sampled_from([RBM_MEASURE, GAUSS_RBM]),
    ),
)
entry(
    "meanfield__exact_log_partition",
    meanfield.exact_log_partition,
    base=dict(measure=RBM_MEASURE, counting=False),
    bad=dict(measure=bad_object(SK6, meanfield.Bipartite(np.zeros((30, 30)))), counting=bad_flag()),
    valid=dict(measure=st.sampled_from([RBM_MEASURE, GAUSS_RBM]), counting=st.booleans()),
)
entry(
    "meanfield__log_marginal_visible",
    meanfield.log_marginal_visible,
    base=dict(measure=RBM_MEASURE, V=np.eye(4), counting=False),
    bad=dict(measure=bad_object(SK6), V=bad_array(np.ones((2, 3)), np.ones(4)), counting=bad_flag()),
    valid=dict(V=hnp.arrays(np.float64, (2, 4), elements=st.sampled_from([0.0, 1.0])), counting=st.booleans()),
    kernel=True,
)
entry(
    "meanfield__model_moments",
    meanfield.model_moments,
    base=dict(measure=RBM_MEASURE),
    bad=dict(measure=bad_object(SK6)),
    valid=dict(measure=st.sampled_from([RBM_MEASURE, GAUSS_RBM])),
)
entry(
    "meanfield__mean_field_gradient",
    meanfield.mean_field_gradient,
    base=dict(measure=RBM_MEASURE, m=np.full(7, 0.5), v=np.full(7, 0.25), onsager=True),
    bad=dict(measure=bad_object(SK6), m=bad_array(np.ones(6)), v=bad_array(np.ones(6)), onsager=bad_flag()),
    valid=dict(m=finite_array(7, 7, st.floats(0.0, 1.0)), v=finite_array(7, 7, st.floats(0.0, 0.25))),
    names=dict(m=("m", "v"), v=("v", "m")),
    kernel=True,
)
entry(
    "meanfield__RBM_fit",
    _rbm_fit,
    base=dict(
        X=_DIGITS,
        n_hidden=2,
        method="tap",
        learning_rate=0.05,
        n_iter=2,
        batch_size=8,
        k=1,
        n_chains=None,
        l2=0.0,
        visible="bernoulli",
        tap_tol=1e-4,
        tap_max_iter=20,
        tap_damping=0.0,
        learning_curve="auto",
        random_state=0,
        verbose=False,
    ),
    bad=dict(
        X=bad_array(np.full((4, 5), 0.5), np.ones((0, 5))),
        n_hidden=bad_size(),
        method=bad_choice(),
        learning_rate=bad_number(1e4),
        n_iter=bad_size(),
        batch_size=bad_size(),
        k=bad_size(),
        n_chains=bad_size(),
        l2=bad_number(),
        visible=bad_choice(),
        tap_tol=bad_number(),
        tap_max_iter=bad_size(),
        tap_damping=bad_number(1.0),
        learning_curve=bad_choice(),
        random_state=bad_seed(),
        verbose=bad_flag(),
    ),
    valid=dict(
        method=st.sampled_from(["exact", "cd", "pcd", "naive", "tap"]),
        n_hidden=st.integers(1, 4),
        learning_rate=st.floats(1e-6, 1.0),
        random_state=seed,
        learning_curve=st.sampled_from(["auto", "exact", "none"]),
    ),
    names=dict(
        X=("X", "visible"),
        random_state=("random_state", "rng"),
        visible=("visible", "X"),
        l2=("l2",),
        learning_rate=("learning_rate",),
    ),
    nonfinite_ok=frozenset({"log_likelihood_err", "log_likelihood_tap", "log_likelihood"}),
    max_examples=30,
)
entry(
    "meanfield__rg_vs_kl",
    meanfield.rg_vs_kl,
    base=dict(
        model="ising2d",
        L=2,
        temperature=2.5,
        n_hidden=1,
        units="bernoulli",
        field=0.0,
        rng=0,
        init_scale=0.01,
        tol=1e-6,
        max_iter=50,
    ),
    bad=dict(
        model=bad_choice(),
        L=bad_size(5),
        temperature=bad_number(),
        n_hidden=bad_size(65),
        units=bad_choice(),
        field=bad_number(),
        rng=bad_seed(),
        init_scale=bad_number(),
        tol=bad_number(),
        max_iter=bad_size(),
    ),
    valid=dict(
        temperature=st.floats(0.1, 100.0), n_hidden=st.integers(1, 3), units=st.sampled_from(["bernoulli", "binary"])
    ),
    names=dict(temperature=("temperature",), field=("field",)),
    max_examples=15,
    deadline=10.0,
)
entry(
    "meanfield__datasets_digits",
    meanfield.datasets.digits,
    base=dict(binarize=True, threshold=8.0),
    bad=dict(binarize=bad_flag(), threshold=bad_number(17.0)),
    valid=dict(binarize=st.booleans(), threshold=st.floats(1e-6, 16.0)),
    max_examples=10,
)


# --- statmech_learn.dynamics --------------------------------------------------------------------

H2 = np.array([[2.0, 0.3], [0.3, 1.0]])
S2 = np.array([[1.0, 0.1], [0.1, 0.5]])
spd2 = hnp.arrays(np.float64, (2, 2), elements=st.floats(-1e3, 1e3)).map(lambda a: a @ a.T + 1e-3 * np.eye(2))
not_spd = [
    -H2,
    np.array([[1.0, 2.0], [2.0, 1.0]]),
    np.array([[1.0, 0.5], [0.0, 1.0]]),
    np.ones((2, 3)),
    np.eye(3),
    np.zeros((2, 2)),
    np.full((2, 2), 1e300),
]
_XR = np.random.default_rng(3).standard_normal((20, 3))
_YR = _XR @ np.array([1.0, -2.0, 0.5]) + 0.3 * np.random.default_rng(4).standard_normal(20)
QP = dynamics.QuadraticProblem(H2, S2)
LR = dynamics.LinearRegression(_XR, _YR)
GE = dynamics.GaussianEnergy(H2)
TSE = Lazy(lambda: dynamics.TeacherStudentEnergy.random(8, 1.5, rng=0))
design = st.one_of(hnp.arrays(np.float64, (12, 3), elements=st.floats(-1e3, 1e3)), st.just(_XR[:12]))
TEMPERATURE_FIELDS = frozenset({"temperature", "temperature_small_lr"})  # NaN unless the law is Gibbs (documented)

entry(
    "dynamics__sgd_stationary",
    dynamics.sgd_stationary,
    base=dict(hessian=H2, noise_cov=S2, lr=0.1, rtol=1e-6),
    bad=dict(
        hessian=bad_array(*not_spd),
        noise_cov=bad_array(*not_spd),
        lr=bad_array(1.0, [0.1, 2.0], -H2),
        rtol=bad_number(),
    ),
    valid=dict(hessian=spd2, noise_cov=spd2, lr=st.floats(1e-6, 0.5)),
    names=dict(lr=("lr", "hessian"), noise_cov=("noise_cov", "hessian"), hessian=("hessian", "lr", "noise_cov")),
    nonfinite_ok=TEMPERATURE_FIELDS,
)
entry(
    "dynamics__hessian_normalised",
    dynamics.hessian_normalised,
    base=dict(hessian=H2, noise_cov=S2, lr=0.1),
    bad=dict(hessian=bad_array(*not_spd), noise_cov=bad_array(*not_spd), lr=bad_number(2.0)),
    valid=dict(hessian=spd2, noise_cov=spd2, lr=st.floats(1e-300, 1.999)),
    names=dict(noise_cov=("noise_cov", "hessian"), hessian=("hessian", "noise_cov")),
)
entry(
    "dynamics__gibbs_learning_rates",
    dynamics.gibbs_learning_rates,
    base=dict(noise_var=[1.0, 0.5], base_lr=0.1, hessian=None),
    bad=dict(noise_var=bad_array([1.0, -1.0], *not_spd), base_lr=bad_number(1e6), hessian=bad_array(*not_spd)),
    valid=dict(
        noise_var=st.one_of(finite_array(1, 4, st.floats(1e-100, 1e100)), spd2), base_lr=st.floats(1e-300, 1e300)
    ),
    names=dict(hessian=("hessian", "noise_var"), base_lr=("base_lr", "hessian"), noise_var=("noise_var", "base_lr")),
)
entry(
    "dynamics__QuadraticProblem",
    dynamics.QuadraticProblem,
    base=dict(hessian=H2, noise_cov=S2, minimum=None),
    bad=dict(hessian=bad_array(*not_spd), noise_cov=bad_array(*not_spd), minimum=bad_array(np.ones(3))),
    valid=dict(hessian=spd2, noise_cov=spd2, minimum=st.one_of(st.none(), finite_array(2, 2))),
    names=dict(noise_cov=("noise_cov", "hessian"), hessian=("hessian", "noise_cov")),
)
entry(
    "dynamics__LinearRegression",
    dynamics.LinearRegression,
    base=dict(X=_XR, y=_YR),
    bad=dict(X=bad_array(np.ones((20, 3)), np.ones((2, 3))), y=bad_array(np.ones(19))),
    valid=dict(X=hnp.arrays(np.float64, (20, 3), elements=st.floats(-1e6, 1e6))),
    names=dict(X=("X", "y"), y=("y", "X")),
)
entry(
    "dynamics__simulate_sgd",
    dynamics.simulate_sgd,
    base=dict(problem=QP, lr=0.1, steps=20, batch_size=1, n_chains=2, rng=0, burn_in=None, thin=None, init=None),
    bad=dict(
        problem=bad_object(GE),
        lr=bad_array(2.0, [0.1, 5.0]),
        steps=bad_size(),
        batch_size=bad_size(),
        n_chains=bad_size(),
        rng=bad_seed(),
        burn_in=bad_size(),
        thin=bad_size(),
        init=bad_array(np.ones(3)),
    ),
    valid=dict(
        problem=st.sampled_from([QP, LR]),
        lr=st.floats(1e-3, 0.5),
        steps=st.integers(2, 40),
        batch_size=st.integers(1, 5),
        n_chains=st.integers(2, 5),
        rng=seed,
    ),
    names=dict(lr=("lr", "hessian", "problem"), thin=("thin", "steps"), burn_in=("burn_in", "steps")),
    nonfinite_ok=frozenset({"autocorr_time", "*_stderr", "covariance_exact"}) | TEMPERATURE_FIELDS,
    heavy=frozenset({"steps", "burn_in"}),
)
entry(
    "dynamics__langevin",
    dynamics.langevin,
    base=dict(
        model=GE,
        temperature=1.0,
        n_steps=20,
        rng=0,
        step="auto",
        method="mala",
        n_chains=2,
        burn_in=None,
        thin=None,
        init=None,
        target_acceptance=0.574,
        covariance=None,
    ),
    bad=dict(
        model=bad_object(QP),
        temperature=bad_number(),
        n_steps=bad_size(),
        rng=bad_seed(),
        step=bad_choice(1e300),
        method=bad_choice(),
        n_chains=bad_size(),
        burn_in=bad_size(),
        thin=bad_size(),
        init=bad_array(np.ones(3)),
        target_acceptance=bad_number(1.0),
        covariance=bad_flag(),
    ),
    valid=dict(
        model=st.sampled_from([GE, TSE]),
        temperature=st.floats(1e-3, 1e3),
        n_steps=st.integers(1, 30),
        method=st.sampled_from(["mala", "ula"]),
        rng=seed,
    ),
    names=dict(step=("step", "curvature"), method=("method", "curvature"), burn_in=("burn_in", "n_steps")),
    nonfinite_ok=frozenset({"autocorr_time", "*_stderr"}),
    heavy=frozenset({"n_steps", "burn_in"}),
)
entry(
    "dynamics__GaussianEnergy",
    dynamics.GaussianEnergy,
    base=dict(precision=H2, mean=None),
    bad=dict(precision=bad_array(*not_spd), mean=bad_array(np.ones(3))),
    valid=dict(precision=st.one_of(spd2, st.floats(1e-100, 1e100)), mean=st.one_of(st.none(), finite_array(2, 2))),
    names=dict(mean=("mean", "precision"), precision=("precision", "mean")),
)
entry(
    "dynamics__TeacherStudentEnergy",
    dynamics.TeacherStudentEnergy,
    base=dict(
        X=_XR,
        y=np.sign(_YR),
        teacher=np.ones(3),
        loss="square",
        l2=1.0,
        probit_variance=0.1,
        prior="gaussian",
        channel="sign",
    ),
    bad=dict(
        X=bad_array(np.ones((2, 3))),
        y=bad_array(np.ones(19)),
        teacher=bad_array(np.ones(2)),
        loss=bad_choice(),
        l2=bad_number(),
        probit_variance=bad_number(),
        prior=bad_choice(),
        channel=bad_choice(priors.GaussianPrior()),
    ),
    valid=dict(
        loss=st.sampled_from(["square", "probit"]),
        l2=st.floats(1e-100, 1e100),
        probit_variance=st.floats(1e-100, 1e100),
    ),
    names=dict(
        X=("X", "y", "teacher"),
        y=("y", "X"),
        teacher=("teacher", "X"),
        loss=("loss", "channel"),
        channel=("channel", "loss"),
    ),
)
entry(
    "dynamics__least_squares",
    dynamics.least_squares,
    base=dict(X=_XR, y=_YR, l2=0.0, intercept=True),
    bad=dict(X=bad_array(np.ones((2, 3))), y=bad_array(np.ones(19)), l2=bad_number(), intercept=bad_flag()),
    valid=dict(
        X=design, y=finite_array(12, 12, st.floats(-1e6, 1e6)), l2=st.floats(0.0, 1e100), intercept=st.booleans()
    ),
    names=dict(X=("X", "y"), y=("y", "X")),
    nonfinite_ok=frozenset({"condition_number"}),
)
entry(
    "dynamics__gradient_flow",
    dynamics.gradient_flow,
    base=dict(X=_XR, y=_YR, t=[0.0, 1.0, 10.0], w0=None, l2=0.0, intercept=False, intercept0=0.0),
    bad=dict(
        X=bad_array(),
        y=bad_array(np.ones(19)),
        t=bad_array([-1.0]),
        w0=bad_array(np.ones(2)),
        l2=bad_number(),
        intercept=bad_flag(),
        intercept0=bad_number(),
    ),
    valid=dict(
        X=design,
        y=finite_array(12, 12, st.floats(-1e6, 1e6)),
        t=st.floats(0.0, 1e6),
        l2=st.floats(0.0, 1e6),
        intercept=st.booleans(),
    ),
    names=dict(X=("X", "y", "w0"), y=("y", "X"), w0=("w0", "X")),
)
entry(
    "dynamics__gradient_descent",
    dynamics.gradient_descent,
    base=dict(
        X=_XR, y=_YR, lr=0.1, n_steps=20, w0=None, l2=0.0, record_every=1, intercept=False, tol=1e-8, intercept0=0.0
    ),
    bad=dict(
        X=bad_array(),
        y=bad_array(np.ones(19)),
        lr=bad_number(),
        n_steps=bad_size(10**9),
        w0=bad_array(),
        l2=bad_number(),
        record_every=bad_size(),
        intercept=bad_flag(),
        tol=bad_number(),
        intercept0=bad_number(),
    ),
    valid=dict(
        lr=st.floats(1e-6, 10.0),
        n_steps=st.integers(1, 50),
        l2=st.floats(0.0, 1e3),
        record_every=st.integers(1, 60),
        intercept=st.booleans(),
    ),
    names=dict(X=("X", "y", "w0"), y=("y", "X"), w0=("w0", "X")),
    heavy=frozenset({"n_steps"}),
)
entry(
    "dynamics__stability_bound",
    dynamics.stability_bound,
    base=dict(X=_XR, l2=0.0, intercept=False),
    bad=dict(X=bad_array(), l2=bad_number(), intercept=bad_flag()),
    valid=dict(X=design, l2=st.floats(0.0, 1e100), intercept=st.booleans()),
    nonfinite_ok=frozenset({"result"}),  # inf for H = 0 (documented)
    post=lambda kw, out: out > 0 or pytest.fail(f"stability bound {out}"),
)
entry(
    "dynamics__gradient_flow_test_error",
    dynamics.gradient_flow_test_error,
    base=dict(alpha=2.0, t=1.0, noise_variance=0.1, rho=1.0),
    bad=dict(alpha=bad_array(), t=bad_array(), noise_variance=bad_number(), rho=bad_number()),
    valid=dict(
        alpha=st.one_of(st.floats(1e-6, 1e6), finite_array(1, 3, st.floats(1e-6, 1e6))),
        t=st.floats(0.0, 1e300),
        noise_variance=st.floats(0.0, 1e100),
        rho=st.floats(0.0, 1e100),
    ),
    names=dict(alpha=("alpha", "t"), t=("t", "alpha"), noise_variance=("noise_variance",), rho=("rho",)),
    max_examples=80,
)


# --- statmech_learn.reweight --------------------------------------------------------------------

delta_hs = finite_array(1, 30, st.floats(-1e6, 1e6))
delta_hs2 = finite_array(2, 30, st.floats(-1e6, 1e6))


def _one_epoch(delta_h, target, scale="raw", rng=None, shuffle=True, drop_last=False):
    sampler = reweight.AdjustedBatchSampler(delta_h, target, scale=scale, rng=rng, shuffle=shuffle, drop_last=drop_last)
    return [np.asarray(b) for b in sampler]


entry(
    "reweight__weights",
    reweight.weights,
    base=dict(delta_h=[0.0, 1.0, -1.0], normalize=False),
    bad=dict(delta_h=bad_array([-1e3]), normalize=bad_flag()),
    valid=dict(delta_h=delta_hs, normalize=st.booleans()),
    names=dict(delta_h=("delta_h", "normalize")),
    max_examples=100,
)
entry(
    "reweight__log_weights",
    reweight.log_weights,
    base=dict(delta_h=[0.0, 1.0, -1.0], normalize=False),
    bad=dict(delta_h=bad_array(), normalize=bad_flag()),
    valid=dict(delta_h=st.one_of(delta_hs, finite_array(1, 30, finite)), normalize=st.booleans()),
    max_examples=100,
)
entry(
    "reweight__effective_sample_size",
    reweight.effective_sample_size,
    base=dict(delta_h=[0.0, 1.0], warn_below=0.1),
    bad=dict(delta_h=bad_array(), warn_below=bad_number(1.5)),
    valid=dict(delta_h=st.one_of(delta_hs, finite_array(1, 30, finite)), warn_below=st.floats(0.0, 1.0)),
    post=lambda kw, out: 1.0 - 1e-9 <= out <= np.size(kw["delta_h"]) * (1 + 1e-9) or pytest.fail(f"ESS {out}"),
    max_examples=100,
)
entry(
    "reweight__reweighted_loss",
    reweight.reweighted_loss,
    base=dict(per_sample_loss=[1.0, 2.0, 3.0], delta_h=[0.0, 1.0, -1.0], normalize=True),
    bad=dict(per_sample_loss=bad_array([1.0, 2.0]), delta_h=bad_array([0.0, 1.0], [-1e4, 0, 0]), normalize=bad_flag()),
    valid=dict(
        per_sample_loss=finite_array(3, 3, st.floats(-1e300, 1e300)),
        delta_h=finite_array(3, 3, finite),
        normalize=st.booleans(),
    ),
    names=dict(per_sample_loss=("per_sample_loss", "delta_h"), delta_h=("delta_h", "per_sample_loss", "normalize")),
    max_examples=100,
)
entry(
    "reweight__reweighted_gradient",
    reweight.reweighted_gradient,
    base=dict(per_sample_grads=np.ones((3, 2)), delta_h=[0.0, 1.0, -1.0], normalize=True),
    bad=dict(per_sample_grads=bad_array(np.ones((2, 2)), 1.0), delta_h=bad_array(), normalize=bad_flag()),
    valid=dict(
        per_sample_grads=hnp.arrays(np.float64, (3, 2), elements=st.floats(-1e300, 1e300)),
        delta_h=finite_array(3, 3, finite),
        normalize=st.booleans(),
    ),
    names=dict(per_sample_grads=("per_sample_grads", "delta_h"), delta_h=("delta_h", "per_sample_grads", "normalize")),
    max_examples=100,
)
entry(
    "reweight__AdjustedBatchSampler",
    _one_epoch,
    base=dict(delta_h=np.linspace(-1, 1, 10), target=3.0, scale="raw", rng=0, shuffle=True, drop_last=False),
    bad=dict(
        delta_h=bad_array([-1e3, 0.0]),
        target=bad_number(1e300),
        scale=bad_choice(),
        rng=bad_seed(),
        shuffle=bad_flag(),
        drop_last=bad_flag(),
    ),
    valid=dict(
        delta_h=finite_array(1, 20, st.floats(-50, 50)),
        target=st.floats(1e-3, 1e3),
        scale=st.sampled_from(["raw", "mean"]),
        shuffle=st.booleans(),
        drop_last=st.booleans(),
    ),
    names=dict(delta_h=("delta_h", "scale"), target=("target",)),
    max_examples=60,
)
entry(
    "reweight__free_energy_shift",
    reweight.free_energy_shift,
    base=dict(delta_h=[0.0, 1.0, -1.0]),
    bad=dict(delta_h=bad_array([1.0])),
    valid=dict(delta_h=st.one_of(delta_hs2, finite_array(2, 30, finite))),
    max_examples=100,
)
entry(
    "reweight__linear_response",
    reweight.linear_response,
    base=dict(observable=[1.0, 2.0, 3.0], delta_h=[0.0, 1.0, -1.0]),
    bad=dict(observable=bad_array([1.0, 2.0]), delta_h=bad_array([1.0])),
    valid=dict(
        observable=st.one_of(
            finite_array(3, 3, st.floats(-1e300, 1e300)), hnp.arrays(np.float64, (3, 2), elements=st.floats(-1e6, 1e6))
        ),
        delta_h=finite_array(3, 3, finite),
    ),
    names=dict(observable=("observable", "delta_h"), delta_h=("delta_h", "observable")),
    max_examples=100,
)


# --- statmech_learn.sweep, the top-level names, the errors -------------------------------------


def _square(x):
    return {"y": x * x}


def _sweep(func=_square, grid=None, executor=None, checkpoint=None, progress=False, on_error="raise", chunksize=1):
    grid = sml.Grid(x=[1.0, 2.0]) if grid is None else grid
    return sml.sweep(
        func, grid, executor=executor, checkpoint=checkpoint, progress=progress, on_error=on_error, chunksize=chunksize
    )


def _table(records, function=None):
    table = sml.SweepTable(records, function)
    return [table.column(name) for name in (table.to_dict() if len(table) else {})]


axis_values = st.lists(
    st.one_of(st.integers(-(10**6), 10**6), st.floats(-1e6, 1e6), st.text(max_size=4), st.booleans(), st.none()),
    min_size=1,
    max_size=4,
    unique_by=lambda v: (type(v), v),
)
#: no strings here: a string is a path, and the sweep would write a checkpoint file in the working directory
non_path = st.sampled_from([1.0, NAN, 0, True, [], {}, Foreign(), np.zeros(2), b"\x00"])

entry(
    "top__Grid",
    lambda base_seed=None, **axes: list(sml.Grid(base_seed=base_seed, **axes)),
    base=dict(base_seed=None, alpha=[1.0, 2.0]),
    bad=dict(base_seed=bad_seed(), alpha=bad_array([], [1.0, 1.0], [[1.0]], [np.nan], [Foreign()], "ab")),
    valid=dict(base_seed=st.one_of(st.none(), st.integers(0, 2**62)), alpha=axis_values),
    nonfinite_ok=frozenset({"*"}),
)  # a container: the points echo the axis values
entry(
    "top__sweep",
    _sweep,
    base=dict(func=_square, grid=None, executor=None, checkpoint=None, progress=False, on_error="raise", chunksize=1),
    bad=dict(
        func=bad_object(lambda: {}, lambda x: 1.0),
        grid=bad_object([{"x": 1.0}], {"x": [1.0]}),
        executor=bad_object(),
        checkpoint=non_path,
        progress=bad_flag(),
        on_error=bad_choice("ignore"),
        chunksize=bad_size(),
    ),
    valid=dict(
        on_error=st.sampled_from(["raise", "record"]),
        chunksize=st.integers(1, 5),
        progress=st.sampled_from([None, False]),
    ),
    names=dict(func=("func",), grid=("grid",)),
    allowed=(sml.SweepError,),
)
entry(
    "top__SweepTable",
    _table,
    base=dict(records=[{"a": 1, "b": 2.0}, {"a": 2, "b": 3.0}], function=None),
    bad=dict(records=bad_object([1, 2], [{"a": 1}, "b"], {"a": 1}, [{1: 2}]), function=bad_object(3.0)),
    valid=dict(
        records=st.lists(st.fixed_dictionaries({"a": st.integers(-5, 5), "b": st.floats(-1e6, 1e6)}), max_size=4)
    ),
)
entry(
    "top__cite",
    sml.cite,
    base=dict(obj=None, format="bibtex"),
    bad=dict(obj=bad_object(np.cos, sml.Grid, "no.such.name"), format=bad_choice()),
    valid=dict(
        obj=st.sampled_from(
            [None, capacity.gardner_capacity, replica.solve, meanfield.tap, "gardner", sml.TeacherStudent]
        ),
        format=st.sampled_from(["bibtex", "keys"]),
    ),
    names=dict(obj=("obj",)),
)
# the exceptions carry what they are given (NaN included): only their construction is checked
entry(
    "top__ConvergenceError",
    sml.ConvergenceError,
    base=dict(message="m", result=None),
    bad=dict(message=bad_object(), result=bad_object()),
    nonfinite_ok=frozenset({"*"}),
    max_examples=20,
)
entry(
    "top__MissingExtraError",
    sml.MissingExtraError,
    base=dict(module="m", extra="plot", purpose="p"),
    bad=dict(module=bad_object(), extra=bad_object(), purpose=bad_object()),
    nonfinite_ok=frozenset({"*"}),
    max_examples=20,
)
entry(
    "top__SweepError",
    sml.SweepError,
    base=dict(message="m", failed=(), table=None),
    bad=dict(message=bad_object(), failed=bad_object(), table=bad_object()),
    names=dict(failed=("failed",)),
    nonfinite_ok=frozenset({"*"}),
    max_examples=20,
)
entry("top__CheckpointLockedError", sml.CheckpointLockedError, base=dict(), max_examples=5)


_register_tests()


# ---------------------------------------------------------------------------------------
# hand-written properties: the cheap closed forms and kernels over their whole domain
# ---------------------------------------------------------------------------------------

KERNEL_SETTINGS = settings(max_examples=150, deadline=timedelta(seconds=5), database=None, phases=PHASES)
float_or_array = st.one_of(
    any_float, hnp.arrays(np.float64, hnp.array_shapes(max_dims=2, max_side=4), elements=any_float)
)


def quiet(fn, *args):
    """Call with every numpy RuntimeWarning an error (whatever the configuration)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        return fn(*args)


@KERNEL_SETTINGS
@given(x=float_or_array)
def test_gaussian_tails_everywhere(x):
    """H, log H, phi, the hazard and its gap: finite and in range for every finite x (log H down
    to x = 1.8e154, beyond which -x^2/2 is -inf), the limits at +-inf, NaN in -> NaN out, no
    floating-point warning anywhere."""
    xa = np.asarray(x, dtype=float)
    fin, nan = np.isfinite(xa), np.isnan(xa)
    H, logH, phi = quiet(gaussian.H, x), quiet(gaussian.log_H, x), quiet(gaussian.phi, x)
    r, gap = quiet(gaussian.hazard, x), quiet(gaussian.hazard_gap, x)
    for out in (H, logH, phi, r, gap):
        assert np.shape(out) == xa.shape
        assert np.all(np.isnan(out)[nan]) and not np.any(np.isnan(out)[fin])
    assert np.all((H[~nan] >= 0) & (H[~nan] <= 1)) and np.all(logH[~nan] <= 0)
    assert np.all(np.isfinite(logH[fin & (xa < 1.8e154)])) and np.all(np.isfinite(phi[fin]))
    assert np.all(phi[~nan] >= 0)
    assert np.all(np.isfinite(r[fin])) and np.all(r[fin] >= np.minimum(xa[fin], 0.0))
    assert np.all(np.isfinite(gap[fin])) and np.all((gap[fin] >= 0) & (gap[fin] <= 1 + 1e-12))
    np.testing.assert_array_equal(H[xa == INF], 0.0)
    np.testing.assert_array_equal(H[xa == -INF], 1.0)
    np.testing.assert_array_equal(logH[xa == -INF], 0.0)


@KERNEL_SETTINGS
@given(a=float_or_array)
def test_tail_second_moment_and_margin_moment_everywhere(a):
    """Finite below |a| = 1.3e154, +inf above for a > 0 and 0 as a -> -inf, never a warning."""
    aa = np.asarray(a, dtype=float)
    out = quiet(gaussian.tail_second_moment, a)
    mm = quiet(capacity.margin_moment, a)
    np.testing.assert_array_equal(np.asarray(mm), out)
    assert np.all(np.isnan(out) == np.isnan(aa))
    ok = ~np.isnan(aa)
    assert np.all(out[ok] >= 0)
    assert np.all(np.isfinite(out[ok & (aa < 1.3e154)]))
    assert np.all(out[aa > 1.35e154] == INF)


@KERNEL_SETTINGS
@given(x=st.floats(-1e6, 1e6), dx=st.floats(0.0, 1e-3))
def test_gaussian_tails_monotone(x, dx):
    """H and log H decrease, the hazard and its gap increase (continuity at every scale)."""
    y = x + dx
    assert quiet(gaussian.H, y) <= quiet(gaussian.H, x)
    assert quiet(gaussian.log_H, y) <= quiet(gaussian.log_H, x) + 1e-15 * abs(quiet(gaussian.log_H, x))
    assert quiet(gaussian.hazard, y) >= quiet(gaussian.hazard, x) * (1 - 1e-12)
    assert quiet(gaussian.hazard_gap, y) >= quiet(gaussian.hazard_gap, x) - 1e-12


PRIOR_INSTANCES = [
    priors.GaussianPrior(1.0),
    priors.GaussianPrior(1e-3),
    priors.BinaryPrior(),
    priors.BernoulliPrior(0.3),
    priors.SphericalPrior(),
    priors.GaussBernoulliPrior(0.2),
    priors.GaussBernoulliPrior(1.0),
    priors.L2Penalty(0.5),
    priors.L2Penalty(0.0),
]


def _precision(prior, Lam):
    """Where the prior's integral converges (> 0): module docstring of statmech_learn.gibbs.priors."""
    if isinstance(prior, (priors.GaussianPrior, priors.SphericalPrior)):
        return Lam + 1.0 / getattr(prior, "variance_", 1.0)
    if isinstance(prior, priors.GaussBernoulliPrior):
        return 1.0 + Lam
    if isinstance(prior, priors.L2Penalty):
        return Lam + prior.l2
    return np.ones_like(Lam)


@KERNEL_SETTINGS
@given(prior=st.sampled_from(PRIOR_INSTANCES), B=float_or_array, Lam=float_or_array)
def test_prior_kernels_everywhere(prior, B, Lam):
    """A, f_a, f_v of every prior: no warning for any input; NaN in -> NaN out; never NaN from finite
    arguments in the convergent domain; finite there for |B|, |Lam| < 1e100 with f_v >= 0; A = +inf,
    f_a = f_v = NaN where the integral diverges."""
    try:
        Bb, Lb = np.broadcast_arrays(np.asarray(B, dtype=float), np.asarray(Lam, dtype=float))
    except ValueError:
        return
    A = quiet(prior.log_partition, Bb, Lb)
    fa, fv = quiet(prior.mean, Bb, Lb), quiet(prior.variance, Bb, Lb)
    with np.errstate(over="ignore", invalid="ignore"):
        prec = _precision(prior, Lb)
    finite_conv = np.isfinite(Bb) & np.isfinite(Lb) & (prec > 0)
    for out in (A, fa, fv):
        assert np.shape(out) == Bb.shape
        assert not np.any(np.isnan(out)[finite_conv]), "NaN from finite arguments in the convergent domain"
    assert np.all(np.isnan(A[np.isnan(Bb)])) and np.all(np.isnan(fa[np.isnan(Bb)]))  # both depend on B
    moderate = np.isfinite(Bb) & np.isfinite(Lb) & (np.abs(Bb) < 1e100) & (np.abs(Lb) < 1e100)
    good = moderate & (prec > 1e-100 * np.maximum(1.0, np.abs(Lb)))
    assert np.all(np.isfinite(A[good])), (A[good], Bb[good], Lb[good])
    assert np.all(np.isfinite(fa[good])) and np.all(np.isfinite(fv[good])) and np.all(fv[good] >= 0)
    diverge = np.isfinite(Bb) & np.isfinite(Lb) & (prec < 0)
    assert np.all(A[diverge] == INF) and np.all(np.isnan(fa[diverge])) and np.all(np.isnan(fv[diverge]))


CHANNEL_INSTANCES = [
    channels.Sign(),
    channels.Margin(0.5),
    channels.NoisySign(0.1),
    channels.ErrorCounting(2.0),
    channels.ErrorCounting(1e-3),
    channels.Probit(0.1),
    channels.GaussianNoise(0.5),
    losses.LossChannel("square"),
    losses.LossChannel("logistic"),
    losses.LossChannel("hinge"),
]
labels = st.one_of(st.sampled_from([1.0, -1.0]), hnp.arrays(np.float64, (3,), elements=st.sampled_from([1.0, -1.0])))


@KERNEL_SETTINGS
@given(channel=st.sampled_from(CHANNEL_INSTANCES), y=labels, omega=float_or_array, V=float_or_array)
def test_channel_kernels_everywhere(channel, y, omega, V):
    """log Z_out, g_out, dg_out of every channel: no warning for any input; V < 0 and NaN give NaN, and
    finite arguments never NaN; finite for |omega| < 1e50 and 1e-50 < V < 1e50, with dg_out <= 0 for
    the log-concave channels."""
    try:
        yb, ob, vb = np.broadcast_arrays(
            np.asarray(y, dtype=float), np.asarray(omega, dtype=float), np.asarray(V, dtype=float)
        )
    except ValueError:
        return
    lz = quiet(channel.log_partition, yb, ob, vb)
    g, dg = quiet(channel.g_out, yb, ob, vb), quiet(channel.dg_out, yb, ob, vb)
    for out in (lz, g, dg):
        assert np.shape(out) == yb.shape
        assert np.all(np.isnan(out)[np.isnan(vb) | (vb < 0)])
        assert not np.any(np.isnan(out)[np.isfinite(ob) & np.isfinite(vb) & (vb > 0)]), "NaN from finite arguments"
    # dg_out may not depend on omega (GaussianNoise): only log Z_out and g_out must be NaN there
    assert np.all(np.isnan(lz[np.isnan(ob)])) and np.all(np.isnan(g[np.isnan(ob)]))
    good = np.isfinite(ob) & (np.abs(ob) < 1e50) & (vb > 1e-50) & (vb < 1e50)
    assert np.all(np.isfinite(lz[good])), (lz[good], ob[good], vb[good])
    assert np.all(np.isfinite(g[good])) and np.all(np.isfinite(dg[good]))
    if not isinstance(channel, (channels.NoisySign, channels.ErrorCounting)):  # a + b theta(yz): not log-concave
        assert np.all(dg[good] <= 1e-12)


LOSSES = [losses.SquareLoss(), losses.LogisticLoss(), losses.HingeLoss()]


@KERNEL_SETTINGS
@given(loss=st.sampled_from(LOSSES), y=labels, z=float_or_array, V=float_or_array)
def test_loss_kernels_everywhere(loss, y, z, V):
    """value, derivative and the proximal map: no warning for any input, never NaN from finite
    arguments (V > 0 for the map); finite for |z| < 1e50 and 0 < V < 1e50, with 0 <= d prox <= 1."""
    try:
        yb, zb, vb = np.broadcast_arrays(
            np.asarray(y, dtype=float), np.asarray(z, dtype=float), np.asarray(V, dtype=float)
        )
    except ValueError:
        return
    value, deriv = quiet(loss.value, yb, zb), quiet(loss.derivative, yb, zb)
    p, dp = quiet(loss.prox, yb, zb, vb)
    for out in (value, deriv):
        assert not np.any(np.isnan(out)[np.isfinite(zb)]), "NaN from finite arguments"
    for out in (p, dp):
        assert not np.any(np.isnan(out)[np.isfinite(zb) & np.isfinite(vb) & (vb > 0)]), "NaN from finite arguments"
    good = np.isfinite(zb) & (np.abs(zb) < 1e50) & (vb > 0) & (vb < 1e50)
    ok_v = np.isfinite(zb) & (np.abs(zb) < 1e150)
    assert np.all(np.isfinite(value[ok_v])) and np.all(value[ok_v] >= 0) and np.all(np.isfinite(deriv[ok_v]))
    assert np.all(np.isfinite(p[good])) and np.all((dp[good] >= 0) & (dp[good] <= 1 + 1e-12))


@settings(max_examples=300, deadline=timedelta(seconds=5), database=None, phases=PHASES)
@given(p=st.integers(1, 5000), n=st.integers(1, 5000))
def test_cover_count_fraction_agree(p, n):
    """Exact count and fraction agree (C(p, n) / 2^p), n = 1 gives 2 dichotomies, n >= p all 2^p."""
    count = quiet(capacity.cover_count, p, n)
    frac = quiet(capacity.cover_fraction, p, n)
    log_frac = quiet(capacity.log_cover_fraction, p, n)
    if n == 1:
        assert count == 2
    if n >= p:
        assert count == 2**p and frac == 1.0 and log_frac == 0.0
    exact = count / 2**p if p < 1000 else None
    if exact is not None and exact > 1e-300:
        assert math.isclose(frac, exact, rel_tol=1e-9, abs_tol=1e-300)
        assert math.isclose(log_frac, math.log(exact), rel_tol=1e-9, abs_tol=1e-12)
    assert 0.0 <= frac <= 1.0 and math.isfinite(log_frac) and log_frac <= 0.0


@settings(max_examples=300, deadline=timedelta(seconds=5), database=None, phases=PHASES)
@given(n=st.integers(1, 10**15), p=st.integers(1, 10**15), dp=st.integers(1, 10**6))
def test_cover_fraction_huge_sizes(n, p, dp):
    """Finite, in [0, 1] and non-increasing in p for sizes up to 1e15 (1/2 at p = 2n);
    log_cover_fraction finite."""
    f1, f2 = quiet(capacity.cover_fraction, p, n), quiet(capacity.cover_fraction, p + dp, n)
    assert 0.0 <= f2 <= f1 <= 1.0
    assert quiet(capacity.cover_fraction, 2 * n, n) == 0.5
    if n <= 10**5 and p <= 10**7:
        assert math.isfinite(quiet(capacity.log_cover_fraction, p, n))


@settings(max_examples=200, deadline=timedelta(seconds=5), database=None, phases=PHASES)
@given(kappa=st.floats(0.0, 1e150), dk=st.floats(0.0, 1.0))
def test_gardner_capacity_spherical_margins(kappa, dk):
    """alpha_c(kappa) finite, positive, non-increasing and at most 2 up to kappa = 1e150; the
    Gardner-Derrida load is 2 alpha_c / pi."""
    a1 = quiet(capacity.gardner_capacity, kappa)
    a2 = quiet(capacity.gardner_capacity, kappa + dk)
    assert math.isfinite(a1) and 0.0 < a2 <= a1 <= 2.0
    assert quiet(capacity.gardner_derrida_capacity, kappa) == pytest.approx(2.0 * a1 / math.pi, rel=1e-12)


@settings(max_examples=8, deadline=timedelta(seconds=20), database=None, phases=PHASES)
@given(kappa=st.floats(0.0, 10.0))
def test_gardner_capacity_binary_margins(kappa):
    """Binary capacity for kappa in [0, 10]: finite, positive, below the Gardner-Derrida load and
    the spherical capacity."""
    ab = quiet(capacity.gardner_capacity, kappa, "binary")
    assert math.isfinite(ab)
    assert 0.0 < ab < capacity.gardner_derrida_capacity(kappa) < capacity.gardner_capacity(kappa)


@settings(max_examples=200, deadline=timedelta(seconds=5), database=None, phases=PHASES)
@given(
    alpha=st.floats(1e-6, 1e6).filter(lambda a: abs(a - 1.0) > 1e-6),
    delta=st.floats(0.0, 10.0),
    rho=st.floats(1e-3, 1e3),
)
def test_ridge_test_error_penalty_limits(alpha, delta, rho):
    """l2 -> 0 is continuous with the least-squares / least-norm error, l2 -> inf tends to rho + Delta
    (the zero predictor), finite in between."""
    e0 = quiet(replica.ridge_test_error, alpha, 0.0, delta, rho)
    e_tiny = quiet(replica.ridge_test_error, alpha, 1e-300, delta, rho)
    e_huge = quiet(replica.ridge_test_error, alpha, 1e300, delta, rho)
    assert math.isfinite(e0) and e_tiny == pytest.approx(e0, rel=1e-9, abs=1e-12)
    assert e_huge == pytest.approx(rho + delta, rel=1e-9)
    for lam in (1e-12, 1e-3, 1.0, 1e3, 1e12):
        e = quiet(replica.ridge_test_error, alpha, lam, delta, rho)
        assert math.isfinite(e) and e >= delta * (1 - 1e-12)


@settings(max_examples=6, deadline=timedelta(seconds=30), database=None, phases=PHASES)
@given(log_t=st.floats(-3.0, 3.0))
def test_gibbs_student_temperatures(log_t):
    """Gibbs students from T = 1e-3 to 1e3 on a load grid (iterations capped): every converged point
    finite, generalisation errors in [0, 1/2]."""
    model = sml.TeacherStudent("gaussian", "sign", student=sml.Gibbs(10.0**log_t))
    out = run_call(
        replica.solve, (model, [1e-3, 1.0, 10.0]), dict(max_iter=300, tol=1e-8), nonfinite_ok=CURVE_NONFINITE
    ).value
    conv = np.asarray(out.converged)
    err = np.asarray(out.generalization_error)
    assert np.all(np.isfinite(err[conv])) and np.all((err[conv] >= 0) & (err[conv] <= 0.5 + 1e-12))
    if log_t >= 2.0:  # T -> infinity: the student ignores the data, eps -> 1/2 (here 1/2 - eps ~ alpha / (pi^2 T))
        gap = 0.5 - err[conv]
        assert np.all((gap > 0) & (gap <= np.array([1e-3, 1.0, 10.0])[conv] / 10.0**log_t))


@settings(max_examples=6, deadline=timedelta(seconds=30), database=None, phases=PHASES)
@given(log_alpha=st.floats(-10.0, 10.0))
def test_bayes_optimal_load_extremes(log_alpha):
    """alpha from 1e-10 to 1e10 (the accepted range): converged, errors between 0 and 1/2, 1/2 as
    alpha -> 0 and the published 0.442 / alpha as alpha -> infinity."""
    alpha = 10.0**log_alpha
    curve = run_call(replica.solve, (BO, alpha), nonfinite_ok=CURVE_NONFINITE).value
    assert curve.converged and 0.0 <= curve.generalization_error <= 0.5
    if alpha < 1e-6:
        assert curve.generalization_error == pytest.approx(0.5, abs=1e-3)
    if alpha >= 1e3:  # eps ~ 0.442 / alpha (Engel & Van den Broeck 2001, the Bayes-optimal perceptron)
        assert alpha * curve.generalization_error == pytest.approx(0.442, abs=1e-3)
