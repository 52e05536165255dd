"""The worker side of a sweep: what runs one point and builds its record.

:func:`_run_chunk` is what an executor receives (a module-level function, so
that process pools and Dask can pickle it by reference); it calls
:func:`_run_point` for each of its points, which calls the swept function,
checks its outputs (:func:`_output_fields`) and turns an exception into the
point's ``_error`` and ``_traceback`` fields.  The same code runs the points of
an in-process sweep.
"""

from __future__ import annotations

import functools
import json
import math
import time
import traceback
from collections.abc import Callable, Mapping
from typing import Any

from ..results import to_builtin
from .grid import _SEED_AXIS

#: Fields the sweep adds to every record; a function may not return them.
RESERVED_FIELDS = ("_index", "_seed", "_wall_time", "_version", "_error", "_traceback")


# --------------------------------------------------------------------------- worker side


@functools.cache
def _package_version() -> str:
    import statmech_learn

    return statmech_learn.__version__


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def _output_fields(out: Any, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a function's output and return the fields it adds to the record."""
    if not isinstance(out, Mapping):
        raise TypeError(f"the function must return a dict of outputs, got {type(out).__name__}")
    fields = {}
    for key, value in out.items():
        if not isinstance(key, str):
            raise TypeError(f"output keys must be strings, got {key!r}")
        if key in RESERVED_FIELDS:
            raise ValueError(f"output key {key!r} is reserved for the sweep's own fields")
        value = to_builtin(value)
        if key in kwargs:
            given = to_builtin(kwargs[key])
            if not _same(value, given):
                raise ValueError(
                    f"output {key!r} = {value!r} differs from the argument {key}={given!r} the function received"
                )
            continue
        fields[key] = value
    try:
        json.dumps(fields, allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"the outputs must be JSON-serialisable: {exc}") from exc
    return fields


def _run_point(func: Callable[..., Any], index: int, point: dict[str, Any], seed: int, pass_seed: bool) -> dict:
    """Call ``func`` at one point and build its record; exceptions become ``_error``."""
    kwargs = dict(point)
    if pass_seed:
        kwargs[_SEED_AXIS] = seed
    record = {"_index": index, **point}
    start = time.perf_counter()
    try:
        out = func(**kwargs)
        wall = time.perf_counter() - start
        record.update(_output_fields(out, kwargs))
    except Exception as exc:  # transported to the caller as the point's error, never dropped
        wall = time.perf_counter() - start
        record.update(
            _seed=seed,
            _wall_time=wall,
            _version=_package_version(),
            _error=f"{type(exc).__name__}: {exc}",
            _traceback=traceback.format_exc(),
        )
        return record
    record.update(_seed=seed, _wall_time=wall, _version=_package_version())
    return record


def _run_chunk(func: Callable[..., Any], tasks: list[tuple[int, dict, int]], pass_seed: bool) -> list[dict]:
    """Worker entry point: run several points, one record each."""
    return [_run_point(func, i, point, seed, pass_seed) for i, point, seed in tasks]
