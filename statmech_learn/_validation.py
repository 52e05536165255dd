"""Input checks shared by the public functions.

Every check raises :class:`ValueError` naming the parameter and the value it
received, e.g. ``ValueError: alpha must be > 0, got -1``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from typing import Any, Literal, overload

import numpy as np

__all__ = [
    "check_positive",
    "check_nonnegative",
    "check_finite",
    "check_int",
    "check_tol",
    "check_choice",
    "check_bool",
    "check_probability",
    "check_margin",
    "from_registry",
    "as_rng",
    "as_real",
]


def _fmt(value: object) -> str:
    if isinstance(value, np.ndarray):
        return np.array2string(value, threshold=6)
    return repr(value) if isinstance(value, str) else str(value)


# check_finite, check_positive and check_nonnegative return a float for a number (and for any
# value with scalar=True) and a float array otherwise: typed Any unless scalar=True, since the
# result depends on the shape of the input.
@overload
def check_finite(name: str, value, *, scalar: Literal[True]) -> float: ...
@overload
def check_finite(name: str, value, *, scalar: bool = False) -> Any: ...
def check_finite(name: str, value, *, scalar: bool = False) -> Any:
    """Return ``value`` as float / float array, raising if any entry is not finite.

    Booleans are refused (``True`` is not a load or a penalty), as are strings,
    complex numbers and other values that are not real numbers.  ``scalar=True``
    also refuses arrays (of any shape but 0-d) and returns a float.
    """
    if isinstance(value, (bool, np.bool_)) or (isinstance(value, np.ndarray) and value.dtype.kind == "b"):
        raise ValueError(f"{name} must be a number, got {_fmt(value)}")
    if isinstance(value, str):
        raise ValueError(f"{name} must be a number, got {_fmt(value)}")
    if isinstance(value, (complex, np.complexfloating)) or (isinstance(value, np.ndarray) and value.dtype.kind == "c"):
        raise ValueError(f"{name} must be a real number, got {_fmt(value)}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", np.exceptions.ComplexWarning)  # complex entries of a list
            arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError, OverflowError, np.exceptions.ComplexWarning):
        raise ValueError(f"{name} must be a number or an array of numbers, got {_fmt(value)}") from None
    if scalar and arr.ndim:
        raise ValueError(f"{name} must be a single number, got an array of shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {_fmt(value)}")
    return arr if arr.ndim else float(arr)


@overload
def check_positive(name: str, value, *, scalar: Literal[True]) -> float: ...
@overload
def check_positive(name: str, value, *, scalar: bool = False) -> Any: ...
def check_positive(name: str, value, *, scalar: bool = False) -> Any:
    """Return ``value`` as float(s) after checking that every entry is finite and > 0
    (``scalar=True``: a single number, returned as float)."""
    arr = check_finite(name, value, scalar=scalar)
    bad = np.asarray(arr) <= 0
    if np.any(bad):
        shown = np.asarray(arr)[bad].ravel()[0]
        raise ValueError(f"{name} must be > 0, got {_fmt(shown if np.ndim(arr) else value)}")
    return arr


@overload
def check_nonnegative(name: str, value, hint: str = "", *, scalar: Literal[True]) -> float: ...
@overload
def check_nonnegative(name: str, value, hint: str = "", *, scalar: bool = False) -> Any: ...
def check_nonnegative(name: str, value, hint: str = "", *, scalar: bool = False) -> Any:
    """Return ``value`` as float(s) after checking that every entry is finite and >= 0
    (``scalar=True``: a single number, returned as float)."""
    arr = check_finite(name, value, scalar=scalar)
    bad = np.asarray(arr) < 0
    if np.any(bad):
        shown = np.asarray(arr)[bad].ravel()[0]
        raise ValueError(f"{name} must be >= 0, got {_fmt(shown if np.ndim(arr) else value)}{hint}")
    return arr


def check_int(name: str, value, minimum: int = 1, maximum: int | None = None) -> int:
    """Return ``value`` as int after checking it is an integer in ``[minimum, maximum]``.

    Integral floats (``1e3``) are accepted; ``maximum`` (when given) refuses
    absurd sizes and iteration counts that would never return.
    """
    given = value
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        if isinstance(value, (float, np.floating)) and math.isfinite(value) and float(value).is_integer():
            value = int(value)
        else:
            bound = f" and <= {maximum}" if maximum is not None else ""
            raise ValueError(f"{name} must be an integer >= {minimum}{bound}, got {_fmt(value)}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {_fmt(given)}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {_fmt(given)}")
    return int(value)


#: smallest relative tolerance a double-precision fixed point can be asked for
TOL_FLOOR = 1e-14


def check_tol(name: str, value, floor: float = TOL_FLOOR, ceiling: float = 1.0) -> float:
    """Return a convergence tolerance as float after checking ``floor <= value < ceiling``.

    Tolerances below ``floor`` (default 1e-14, a few ulp of relative change)
    cannot be reached in double precision and are refused rather than iterated
    on forever; NaN, inf, 0, negative values and non-numbers are refused too.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a number in [{floor:g}, {ceiling:g}), got {_fmt(value)}")
    v = float(value)
    if not math.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be finite and > 0, got {_fmt(value)}")
    if v < floor:
        raise ValueError(
            f"{name} must be >= {floor:g} (double precision cannot resolve a smaller tolerance), got {_fmt(value)}"
        )
    if v >= ceiling:
        raise ValueError(f"{name} must be < {ceiling:g}, got {_fmt(value)}")
    return v


def check_bool(name: str, value) -> bool:
    """Return ``value`` as bool after checking it is True or False (a Python or numpy bool)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {_fmt(value)}")
    return bool(value)


def as_real(name: str, x) -> np.ndarray:
    """``x`` as a float array, for the vectorised kernels that take NaN in and give NaN out.

    No finiteness check; complex input raises ``ValueError`` naming ``name`` (numpy's cast
    would drop the imaginary part with a ComplexWarning).
    """
    if type(x) is float:  # the common scalar case
        return np.asarray(x)
    a = np.asarray(x)
    if a.dtype.kind == "c":
        raise ValueError(f"{name} must be real, got a complex value")
    try:
        return a if a.dtype == np.float64 else a.astype(float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number or an array of real numbers, got {_fmt(x)}") from None


def check_choice(name: str, value: str, choices: Iterable[str]) -> str:
    """Return ``value`` lower-cased after checking it is one of ``choices``."""
    choices = tuple(choices)
    if not isinstance(value, str) or value.lower() not in choices:
        valid = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {valid}, got {_fmt(value)}")
    return value.lower()


def check_probability(name: str, value, upper: float = 1.0, closed_upper: bool = True) -> float:
    """Return ``value`` as float after checking 0 <= value <= upper (or < upper)."""
    v = check_finite(name, value, scalar=True)
    ok = (v >= 0) and (v <= upper if closed_upper else v < upper)
    if not ok:
        bracket = "]" if closed_upper else ")"
        raise ValueError(f"{name} must be in [0, {upper}{bracket}, got {_fmt(value)}")
    return float(v)


def check_margin(kappa) -> float:
    """Return the margin ``kappa`` as a float after checking it is finite and >= 0.

    Negative margins are refused: the RS solution of the storage problem is
    then unstable and the problem needs replica-symmetry breaking.
    """
    return float(
        check_nonnegative("kappa", kappa, hint=" (negative margins need replica-symmetry breaking)", scalar=True)
    )


def from_registry(name: str, value, base: type, registry: dict):
    """``value`` if it is a ``base`` instance, else a new instance of the registry entry it names.

    Raises ``ValueError: <name> must be a <Base> or one of '<a>', '<b>', ..., got <value>``.
    """
    if isinstance(value, base):
        return value
    if isinstance(value, str) and value.lower() in registry:
        return registry[value.lower()]()
    raise ValueError(f"{name} must be a {base.__name__} or one of {', '.join(map(repr, registry))}, got {value!r}")


def as_rng(rng, name: str = "rng") -> np.random.Generator:
    """Normalise ``rng`` (None, int seed, SeedSequence or Generator) to a Generator.

    Anything else (a negative or non-integer seed, a string, ...) raises
    ``ValueError: <name> must be None, ...`` naming the parameter.
    """
    try:
        return np.random.default_rng(rng)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(
            f"{name} must be None, a non-negative integer seed, a SeedSequence or a numpy Generator, got {_fmt(rng)}"
        ) from None
