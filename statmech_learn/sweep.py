"""Parameter sweeps: one function evaluated over a grid of parameters.

A :class:`Grid` is an ordered set of parameter points (cartesian products of
named axes, optionally with zip-linked axes).  :func:`sweep` calls a plain
function of keyword arguments at every point, in-process or on any
:class:`concurrent.futures.Executor` (a process pool, a thread pool, or Dask's
``client.get_executor()``), and returns a :class:`SweepTable` of flat records
in grid order.  With ``checkpoint=`` every finished point is appended to a JSON
Lines file, so an interrupted sweep resumes where it stopped.

Randomness
----------
Every point carries a seed derived from the point itself (:meth:`Grid.point_seed`),
so a result does not depend on which worker computed it, in which order, or on
how many workers there were.  An axis named ``seed`` holds *replicate labels*,
not seeds: the function receives ``seed=Grid.point_seed(point, base_seed)``, a
63-bit integer hashed from the whole point.  See ``docs/sweeps.md``.

Records
-------
A record is ``_index`` (position in the grid), the point's parameters, the
function's outputs, then ``_seed``, ``_wall_time`` and ``_version``; a failed
point has ``_error`` (``"Type: message"``) and ``_traceback`` instead of outputs.
"""

from __future__ import annotations

import concurrent.futures as cf
import csv
import errno
import functools
import hashlib
import inspect
import itertools
import json
import keyword
import math
import operator
import os
import socket
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from ._validation import check_choice, check_int
from .errors import CheckpointLockedError, SweepError
from .results import to_builtin

__all__ = ["Grid", "SweepTable", "sweep"]

#: Fields the sweep adds to every record; a function may not return them.
RESERVED_FIELDS = ("_index", "_seed", "_wall_time", "_version", "_error", "_traceback")

_CHECKPOINT_TAG = "statmech_learn.sweep"
_CHECKPOINT_FORMAT = 1
_SEED_AXIS = "seed"


# --------------------------------------------------------------------------- helpers


def _dumps(obj: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, ASCII, floats by ``repr``."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=True)


def _scalar(axis: str, value: Any) -> Any:
    """A grid value as a plain Python scalar (numpy scalars converted)."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return str(value)
    raise ValueError(
        f"axis {axis!r}: values must be numbers, strings, booleans or None, got {type(value).__name__} {value!r}"
    )


def _by_value(value: Any) -> Any:
    """A scalar as it enters the seed hash: an integral float counts as the integer."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value


def _check_axis_name(name: str) -> None:
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"axis name {name!r} is not a valid Python identifier")
    if name.startswith("_"):
        raise ValueError(f"axis name {name!r} starts with '_', which is reserved for the sweep's own fields")


def _axis_values(name: str, values: Any) -> list[Any]:
    _check_axis_name(name)
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise ValueError(
            f"axis {name!r} must be a sequence of values, got {type(values).__name__} {values!r}; "
            f"a single value is written [{values!r}]"
        )
    if isinstance(values, np.ndarray) and values.ndim != 1:
        raise ValueError(f"axis {name!r} must be one-dimensional, got an array of shape {values.shape}")
    out = [_scalar(name, v) for v in values]
    if not out:
        raise ValueError(f"axis {name!r} is empty")
    return out


def _check_unique_rows(names: tuple[str, ...], rows: Sequence[tuple]) -> None:
    seen: dict[str, int] = {}
    for k, row in enumerate(rows):
        key = _dumps([_by_value(v) for v in row])
        if key in seen:
            what = f"axis {names[0]!r}" if len(names) == 1 else f"zip axes {', '.join(map(repr, names))}"
            shown = row if len(row) > 1 else row[0]
            raise ValueError(
                f"{what}: the value {shown!r} appears twice (positions {seen[key]} and {k}); "
                "every grid point must be distinct"
            )
        seen[key] = k


def _short_values(values: Sequence[Any]) -> str:
    if len(values) <= 6:
        return "[" + ", ".join(repr(v) for v in values) + "]"
    head = ", ".join(repr(v) for v in values[:3])
    return f"[{head}, ..., {values[-1]!r}] ({len(values)} values)"


# --------------------------------------------------------------------------- Grid


class Grid:
    """An ordered grid of parameter points: products of named axes, optionally zip-linked.

    ``Grid(a=[...], b=[...])`` is the cartesian product of its axes in keyword
    order, the last axis varying fastest, as :func:`itertools.product`.
    :meth:`Grid.zip` links axes of equal length that vary together, and
    ``grid1 * grid2`` is the product of two grids (``grid2`` varying fastest).

    Parameters
    ----------
    base_seed : int, optional
        Enters every point's seed (:meth:`point_seed`); change it to draw a new,
        independent set of random numbers for the whole grid.  Default 0.  In
        a product ``g1 * g2`` it may be given on either factor; giving
        different values on both is an error.
    **axes : iterable of scalars
        One axis per keyword: a non-empty sequence of numbers, strings,
        booleans or None (numpy scalars are converted to Python scalars).  An
        axis named ``seed`` holds replicate labels (see :meth:`point_seed`).

    Raises
    ------
    ValueError
        Naming the axis: a name that is not an identifier or starts with
        ``_``, an empty axis, a value that is not a scalar, a repeated value.

    Examples
    --------
    >>> grid = Grid(alpha=[1.0, 2.0], n=[50, 100], seed=range(3))
    >>> len(grid), grid[0]
    (12, {'alpha': 1.0, 'n': 50, 'seed': 0})
    >>> grid = Grid(n=[50, 100]) * Grid.zip(alpha=[1.0, 1.5], kappa=[0.0, 0.5])
    >>> [(p["n"], p["alpha"], p["kappa"]) for p in grid][:3]
    [(50, 1.0, 0.0), (50, 1.5, 0.5), (100, 1.0, 0.0)]
    """

    def __init__(self, *, base_seed: int | None = None, **axes: Iterable[Any]) -> None:
        blocks = []
        for name, values in axes.items():
            rows = tuple((v,) for v in _axis_values(name, values))
            _check_unique_rows((name,), rows)
            blocks.append(((name,), rows))
        self._set(tuple(blocks), base_seed)

    @classmethod
    def zip(cls, *, base_seed: int | None = None, **axes: Iterable[Any]) -> Grid:
        """Axes linked element by element: the k-th point takes the k-th value of every axis.

        Parameters
        ----------
        base_seed : int, optional
            As in :class:`Grid`.
        **axes : iterable of scalars
            Axes of equal length.

        Returns
        -------
        Grid
            A grid of ``len(axis)`` points; combine it with others through ``*``.

        Raises
        ------
        ValueError
            If the axes differ in length (naming the axis), or as in :class:`Grid`.
        """
        if not axes:
            raise ValueError("Grid.zip needs at least one axis")
        columns = {name: _axis_values(name, values) for name, values in axes.items()}
        first, n = next(iter(columns)), len(next(iter(columns.values())))
        for name, col in columns.items():
            if len(col) != n:
                raise ValueError(
                    f"zip axes must have equal lengths: axis {name!r} has {len(col)} values, axis {first!r} has {n}"
                )
        names = tuple(columns)
        rows = tuple(zip(*columns.values()))
        _check_unique_rows(names, rows)
        grid = cls.__new__(cls)
        grid._set(((names, rows),), base_seed)
        return grid

    def _set(self, blocks: tuple, base_seed: int | None) -> None:
        if isinstance(base_seed, np.integer):
            base_seed = int(base_seed)
        self._seed_given = base_seed is not None
        self._base_seed = 0 if base_seed is None else check_int("base_seed", base_seed, minimum=0)
        self._blocks = blocks
        names = [n for block_names, _ in blocks for n in block_names]
        self._names = tuple(names)
        self._len = math.prod(len(rows) for _, rows in blocks)

    # -- composition

    def __mul__(self, other: Grid) -> Grid:
        if not isinstance(other, Grid):
            return NotImplemented
        for name in other.names:
            if name in self._names:
                raise ValueError(f"axis {name!r} appears in both grids of a product")
        if self._seed_given and other._seed_given and other._base_seed != self._base_seed:
            raise ValueError(
                f"base_seed differs between the grids of a product ({self._base_seed} and {other._base_seed})"
            )
        base_seed = self._base_seed if self._seed_given else (other._base_seed if other._seed_given else None)
        grid = Grid.__new__(Grid)
        grid._set(self._blocks + other._blocks, base_seed)
        return grid

    # -- sequence protocol

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[dict[str, Any]]:
        names = self._names
        for combo in itertools.product(*(rows for _, rows in self._blocks)):
            yield dict(zip(names, itertools.chain.from_iterable(combo)))

    def __getitem__(self, index: int) -> dict[str, Any]:
        i = operator.index(index)
        if i < 0:
            i += self._len
        if not 0 <= i < self._len:
            raise IndexError(f"grid index {index} out of range for a grid of {self._len} points")
        parts = []
        for _, rows in reversed(self._blocks):
            i, r = divmod(i, len(rows))
            parts.append(rows[r])
        return dict(zip(self._names, itertools.chain.from_iterable(reversed(parts))))

    # -- description

    @property
    def names(self) -> tuple[str, ...]:
        """Axis names in point order."""
        return self._names

    @property
    def axes(self) -> dict[str, list[Any]]:
        """Each axis' values (for zip-linked axes, the linked column)."""
        return {name: [row[k] for row in rows] for names, rows in self._blocks for k, name in enumerate(names)}

    @property
    def base_seed(self) -> int:
        """The base seed entering every point's seed."""
        return self._base_seed

    def fingerprint(self) -> str:
        """SHA-256 hex digest of the axes, their values, their order and linking, and ``base_seed``.

        Two grids with the same fingerprint produce the same points in the same
        order with the same seeds.  Values enter exactly (``1`` and ``1.0``
        differ here, since the function would receive different types).
        """
        return hashlib.sha256(_dumps(self._spec()).encode("ascii")).hexdigest()

    def _spec(self) -> dict[str, Any]:
        """The grid as plain JSON data: what :meth:`fingerprint` hashes, and what a checkpoint header keeps."""
        return {
            "base_seed": self._base_seed,
            "blocks": [{"axes": list(names), "values": [list(r) for r in rows]} for names, rows in self._blocks],
        }

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Grid):
            return NotImplemented
        return self.fingerprint() == other.fingerprint()

    def __hash__(self) -> int:
        return hash(self.fingerprint())

    def __repr__(self) -> str:
        groups: list[str] = []
        product: list[str] = []
        for names, rows in self._blocks:
            if len(names) == 1:
                product.append(f"{names[0]}={_short_values([r[0] for r in rows])}")
                continue
            if product:
                groups.append(f"Grid({', '.join(product)})")
                product = []
            cols = ", ".join(f"{n}={_short_values([r[k] for r in rows])}" for k, n in enumerate(names))
            groups.append(f"Grid.zip({cols})")
        if product or not groups:
            groups.append(f"Grid({', '.join(product)})")
        text = " * ".join(groups)
        if self._base_seed:
            text += f"  [base_seed={self._base_seed}]"
        return f"{text}  # {self._len} points"

    # -- seeds

    @staticmethod
    def point_seed(point: Mapping[str, Any], base_seed: int = 0) -> int:
        """The seed a sweep passes to the function at ``point``.

        The point's ``seed`` entry, if any, is a replicate label (default 0);
        the other entries are the parameters.  The seed is

        ``int.from_bytes(blake2b(J, digest_size=8).digest(), "big") >> 1``

        where ``J`` is the ASCII JSON text (sorted keys, separators ``","`` and
        ``":"``) of ``{"base_seed": base_seed, "point": {parameters},
        "replicate": label}``, and an integral float is written as the integer
        (so ``alpha=2`` and ``alpha=2.0`` give the same seed).  The result is
        an integer in ``[0, 2**63)``, the same in every process and on every
        machine (Python's salted ``hash`` is not used).

        Parameters
        ----------
        point : mapping
            A grid point, e.g. ``grid[i]``.
        base_seed : int, default 0
            The grid's ``base_seed``.

        Returns
        -------
        int
        """
        params = {}
        replicate: Any = 0
        for key, value in point.items():
            value = _by_value(_scalar(str(key), value))
            if key == _SEED_AXIS:
                replicate = value
            else:
                params[str(key)] = value
        if isinstance(base_seed, np.integer):
            base_seed = int(base_seed)
        payload = {"base_seed": check_int("base_seed", base_seed, minimum=0), "point": params, "replicate": replicate}
        digest = hashlib.blake2b(_dumps(payload).encode("ascii"), digest_size=8).digest()
        return int.from_bytes(digest, "big") >> 1

    def seeds(self) -> list[int]:
        """The seed of every point, in grid order (:meth:`point_seed` with this grid's ``base_seed``)."""
        return [self.point_seed(p, self._base_seed) for p in self]


# --------------------------------------------------------------------------- table


def _format_cell(value: Any) -> str:
    if isinstance(value, float):
        text = f"{value:.6g}"
        return text + ".0" if text.lstrip("-").isdigit() else text
    if value is None:
        return ""
    text = str(value)
    return text if len(text) <= 24 else text[:21] + "..."


class SweepTable:
    """The records of a sweep, in grid order.

    Parameters
    ----------
    records : sequence of dict
        One flat record per grid point.
    function : str, optional
        Qualified name of the function that produced them.

    Attributes
    ----------
    function : str or None
        ``module.qualname`` of the swept function.
    """

    def __init__(self, records: Sequence[Mapping[str, Any]], function: str | None = None) -> None:
        try:
            self._records = [dict(r) for r in records]
        except (TypeError, ValueError):
            raise ValueError(
                f"records must be a sequence of dicts (one flat record per point), got {records!r}"
            ) from None
        if function is not None and not isinstance(function, str):
            raise ValueError(f"function must be None or the qualified name of a function, got {function!r}")
        self.function = function
        self._columns = list(dict.fromkeys(k for r in self._records for k in r))

    @property
    def records(self) -> list[dict[str, Any]]:
        """The records as a list of dicts (treat as read-only)."""
        return self._records

    @property
    def columns(self) -> list[str]:
        """Every field name, in order of first appearance."""
        return list(self._columns)

    @property
    def failed(self) -> list[dict[str, Any]]:
        """The records of the points whose function raised (they carry ``_error``)."""
        return [r for r in self._records if "_error" in r]

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self._records)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self._records[index]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SweepTable):
            return NotImplemented
        return self._records == other._records

    __hash__ = None  # type: ignore[assignment]

    def column(self, name: str) -> np.ndarray:
        """One field of every record as a numpy array.

        Numbers give an int or float array (float, with NaN for records that
        lack the field, when some do); booleans a bool array; strings a string
        array; anything else, or strings with gaps, an object array with None
        for the gaps.

        Raises
        ------
        KeyError
            If no record has the field.
        """
        if name not in self._columns:
            raise KeyError(f"no column {name!r}; columns are {self._columns}")
        values = [r.get(name) for r in self._records]
        present = [v for v in values if v is not None]
        gaps = len(present) < len(values)
        if present and all(isinstance(v, bool) for v in present) and not gaps:
            return np.array(values, dtype=bool)
        if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
            if gaps or any(isinstance(v, float) for v in present):
                return np.array([math.nan if v is None else float(v) for v in values], dtype=float)
            if all(-(2**63) <= v < 2**63 for v in present):
                return np.array(values, dtype=np.int64)
        if present and all(isinstance(v, str) for v in present) and not gaps:
            return np.array(values, dtype=str)
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out

    def select(self, **params: Any) -> SweepTable:
        """The records whose fields equal the given values.

        A list, tuple, set or range value selects any of its elements, e.g.
        ``table.select(n=100, alpha=[1.0, 1.5])``.

        Raises
        ------
        KeyError
            If a field is not a column of the table.
        """
        for name in params:
            if name not in self._columns:
                raise KeyError(f"no column {name!r}; columns are {self._columns}")

        def keep(record: Mapping[str, Any]) -> bool:
            for name, wanted in params.items():
                value = record.get(name)
                if isinstance(wanted, (list, tuple, set, frozenset, range)):
                    if value not in wanted:
                        return False
                elif value != wanted:
                    return False
            return True

        return SweepTable([r for r in self._records if keep(r)], function=self.function)

    def to_dict(self) -> dict[str, list[Any]]:
        """Column-oriented plain Python dict ``{column: [value per record]}`` (None for a missing field)."""
        return {c: [r.get(c) for r in self._records] for c in self._columns}

    def to_csv(self, path: str | os.PathLike) -> None:
        """Write the table as CSV: a header of :attr:`columns`, one row per record.

        Floats are written by ``repr`` (they read back exactly), a missing
        field or None as an empty cell, lists and dicts as JSON text.
        """
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(self._columns)
            for r in self._records:
                row = []
                for c in self._columns:
                    v = r.get(c)
                    if v is None:
                        row.append("")
                    elif isinstance(v, float):
                        row.append(repr(v))
                    elif isinstance(v, (list, dict)):
                        row.append(json.dumps(v))
                    else:
                        row.append(v)
                writer.writerow(row)

    def to_pandas(self) -> Any:
        """The table as a :class:`pandas.DataFrame` (pandas is imported only here).

        Raises
        ------
        ImportError
            If pandas is not installed.
        """
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError(
                "SweepTable.to_pandas() needs pandas, which is not installed: pip install pandas "
                "(or use .records, .column(name), .to_dict() or .to_csv(path))"
            ) from exc
        return pd.DataFrame.from_records(self._records, columns=self._columns)

    def __repr__(self) -> str:
        n_failed = len(self.failed)
        head = f"SweepTable({len(self)} records, {n_failed} failed"
        if self.function:
            head += f", function={self.function}"
        head += ")"
        if not self._records:
            return head
        cols = [c for c in self._columns if c not in ("_traceback", "_version")]
        shown = list(range(len(self._records)))
        if len(shown) > 10:
            shown = shown[:5] + [-1] + shown[-5:]
        rows = [[_format_cell(self._records[i].get(c)) if i >= 0 else "..." for c in cols] for i in shown]
        widths = [max(len(c), *(len(row[k]) for row in rows)) for k, c in enumerate(cols)]
        lines = ["  ".join(c.rjust(w) for c, w in zip(cols, widths))]
        lines += ["  ".join(v.rjust(w) for v, w in zip(row, widths)) for row in rows]
        return head + "\n" + "\n".join(lines)


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


# --------------------------------------------------------------------------- parent side


def _function_name(func: Callable[..., Any]) -> str:
    """``module.qualname`` of a function (the identity stored in a checkpoint's header).

    A :func:`functools.partial` is named with its bound arguments, so that
    partials with different fixed arguments do not share a checkpoint; a
    callable object is named by its class.
    """
    if isinstance(func, functools.partial):
        bound_args = {"args": to_builtin(list(func.args)), "keywords": to_builtin(dict(func.keywords))}
        try:
            bound = _dumps(bound_args)
        except (TypeError, ValueError):  # not JSON: fall back on the repr
            bound = repr((func.args, func.keywords))
        return f"functools.partial({_function_name(func.func)}, {bound})"
    qualname = getattr(func, "__qualname__", None)
    module = getattr(func, "__module__", None)
    if qualname is None:
        qualname, module = type(func).__qualname__, type(func).__module__
    return f"{module}.{qualname}"


def _passes_seed(func: Callable[..., Any], grid: Grid) -> bool:
    """Check the axes against ``func``'s signature; say whether ``seed=`` is passed."""
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):  # no introspectable signature: trust the grid
        return _SEED_AXIS in grid.names
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    accepted = {p.name for p in sig.parameters.values() if p.kind in kinds}
    var_kw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values())
    if not var_kw:
        for name in grid.names:
            if name not in accepted:
                raise ValueError(f"grid axis {name!r} is not a keyword parameter of func {_function_name(func)}{sig}")
    bound = isinstance(func, functools.partial) and _SEED_AXIS in func.keywords
    return _SEED_AXIS in grid.names or (_SEED_AXIS in accepted and not bound)


#: realpath of every checkpoint a sweep of this process is writing -> its _Checkpoint
_ACTIVE_CHECKPOINTS: dict[str, _Checkpoint] = {}
_ACTIVE_GUARD = threading.Lock()


def _forget_active_checkpoints() -> None:
    """In a forked child: the parent's sweeps are not the child's (their flocks still exclude it)."""
    global _ACTIVE_GUARD
    _ACTIVE_GUARD = threading.Lock()  # the parent may have forked while another thread held it
    _ACTIVE_CHECKPOINTS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_active_checkpoints)

#: errno values meaning "not allowed to write here" (permissions, read-only file system)
_NOT_WRITABLE = (errno.EACCES, errno.EPERM, errno.EROFS)


def _linking(blocks: Sequence[tuple[tuple[str, ...], Any]]) -> str:
    """How a grid's axes are linked, e.g. ``n * zip(alpha, kappa)``."""
    return " * ".join(names[0] if len(names) == 1 else f"zip({', '.join(names)})" for names, _ in blocks)


def _grid_difference(old: Any, new: Mapping[str, Any]) -> str | None:
    """Where the grid ``old`` (a :meth:`Grid._spec` read back from a header) differs from ``new``, in words.

    Values are compared exactly, as the fingerprint does (``1`` and ``1.0``
    differ).  Returns None when ``old`` is not a readable grid description
    (a header written before headers kept one) or no difference is found.
    """
    try:
        old_seed = old["base_seed"]
        old_blocks = [(tuple(b["axes"]), [tuple(r) for r in b["values"]]) for b in old["blocks"]]
        old_cols = {n: [_dumps(r[k]) for r in rows] for names, rows in old_blocks for k, n in enumerate(names)}
    except (TypeError, KeyError, ValueError, IndexError):
        return None
    new_blocks = [(tuple(b["axes"]), [tuple(r) for r in b["values"]]) for b in new["blocks"]]
    new_cols = {n: [_dumps(r[k]) for r in rows] for names, rows in new_blocks for k, n in enumerate(names)}
    diffs = []
    if _dumps(old_seed) != _dumps(new["base_seed"]):
        diffs.append(f"base_seed is {old_seed!r} in the checkpoint, {new['base_seed']!r} here")
    if list(old_cols) != list(new_cols):
        diffs.append(f"the axes are ({', '.join(old_cols)}) in the checkpoint, ({', '.join(new_cols)}) here")
    elif [names for names, _ in old_blocks] != [names for names, _ in new_blocks]:
        diffs.append(f"the axes are linked as {_linking(old_blocks)} in the checkpoint, {_linking(new_blocks)} here")
    for name, values in new_cols.items():
        before = old_cols.get(name)
        if before is None:
            continue
        if len(before) != len(values):
            diffs.append(f"axis {name!r} has {len(before)} values in the checkpoint, {len(values)} here")
        k = next((k for k, (a, b) in enumerate(zip(before, values)) if a != b), None)
        if k is not None:
            diffs.append(f"axis {name!r} differs at position {k}: {before[k]} in the checkpoint, {values[k]} here")
    return "; ".join(diffs) or None


class _Checkpoint:
    """Append-only JSON Lines file of finished points, with a header identifying the sweep.

    While open for writing, the checkpoint is held against every other sweep:
    in this process by an entry in ``_ACTIVE_CHECKPOINTS`` (keyed by the real
    path), across processes by an exclusive :func:`fcntl.flock` on the lock
    file ``<path>.lock``.  A flock belongs to the open file description, so
    no other open and close, of the data file or of the lock file (a refused
    sweep opens it too), in this process or any other, releases it.  The
    lock is released with ``LOCK_UN`` (not merely by closing, which would
    leave it held by process-pool workers forked meanwhile) and the lock file
    removed, by :meth:`close`, which runs on every exit path.  A lock file
    left behind by a killed sweep is not a held lock (the kernel drops a
    flock with its process): the next sweep takes it over, so stale locks
    never need clearing.  Without :mod:`fcntl` (not POSIX) only the
    in-process registry applies.

    A checkpoint that cannot be written (the file is not writable, or the lock
    file cannot be created) is opened read-only, without a lock: it loads if
    it holds every point, and is refused with :class:`PermissionError` if the
    sweep would have to write to it.

    Parameters
    ----------
    path : str or path-like
        The checkpoint file; its parent directories are created.
    function : str
        The swept function's name, as :func:`_function_name` gives it.
    grid : Grid
        The grid of the sweep.
    points : list of dict
        ``list(grid)``.

    Raises
    ------
    RuntimeError
        If another sweep (a thread of this process or another process) is
        writing the checkpoint.
    ValueError
        If ``path`` is a directory, or the file is not a checkpoint of this
        sweep: not JSON Lines with a sweep header, another format, function,
        grid or point count, or a corrupt line before the last.  An empty
        file (a sweep killed before writing its header) is started afresh.
    PermissionError
        If the checkpoint is read-only and the sweep would have to write to it.
    """

    def __init__(self, path: str | os.PathLike, function: str, grid: Grid, points: list[dict]) -> None:
        self.path = os.fspath(path)
        if os.path.isdir(self.path):
            raise ValueError(
                f"checkpoint must be a file path, but {self.path!r} is a directory; "
                f"name a file in it, e.g. {os.path.join(self.path, 'sweep.jsonl')!r}"
            )
        self.lock_path = self.path + ".lock"
        self.records: dict[int, dict] = {}
        self.repaired_bytes = 0
        self.duplicates = 0
        #: why the checkpoint is open read-only, or None when it is open for writing
        self.read_only: str | None = None
        self._fh: Any = None
        self._lock_fd: int | None = None
        self._pid = os.getpid()
        self._key = os.path.realpath(self.path)
        try:
            parent = os.path.dirname(self.path)
            if parent:
                os.makedirs(parent, exist_ok=True)
            if os.path.exists(self.path) and not os.access(self.path, os.W_OK):
                self.read_only = "the file is not writable"
            else:
                self._register()
                self._lock()
            self._open()
            self._load(function, grid, points)
        except BaseException:
            self.close()
            raise

    # -- locking

    def _busy(self, holder: str = "") -> RuntimeError:
        return CheckpointLockedError(
            f"checkpoint {self.path} is being written by another running sweep{holder}; wait for it to "
            "finish, or give this sweep another checkpoint path"
        )

    def _register(self) -> None:
        with _ACTIVE_GUARD:
            if self._key in _ACTIVE_CHECKPOINTS:
                raise self._busy(" in this process")
            _ACTIVE_CHECKPOINTS[self._key] = self

    def _unregister(self) -> None:
        with _ACTIVE_GUARD:
            if _ACTIVE_CHECKPOINTS.get(self._key) is self:
                del _ACTIVE_CHECKPOINTS[self._key]

    def _lock(self) -> None:
        """Take the exclusive flock on ``<path>.lock``, or fall back to read-only if it cannot be created."""
        try:
            import fcntl
        except ImportError:  # not POSIX: the in-process registry only
            return
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
        for _ in range(100):
            try:
                fd = os.open(self.lock_path, flags, 0o644)
            except OSError as exc:
                if exc.errno not in _NOT_WRITABLE:
                    raise
                self.read_only = f"its lock file {self.lock_path} cannot be created: {exc.strerror}"
                return
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError as exc:
                    if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                        raise
                    raise self._busy(_lock_holder(fd)) from exc
                if _same_file(fd, self.lock_path):
                    self._lock_fd = fd
                    _note_holder(fd)
                    return
            except BaseException:
                os.close(fd)
                raise
            # the previous holder removed this lock file between our open and our flock: retry
            os.close(fd)
        raise RuntimeError(
            f"could not lock checkpoint {self.path}: its lock file {self.lock_path} keeps being replaced"
        )

    def _unlock(self) -> None:
        fd, self._lock_fd = self._lock_fd, None
        if fd is None:
            return
        if os.getpid() != self._pid:  # a forked copy: the lock (shared with the parent) is the parent's
            os.close(fd)
            return
        import fcntl

        try:
            if _same_file(fd, self.lock_path):
                try:
                    os.unlink(self.lock_path)
                except OSError:  # e.g. the directory became read-only: an unlocked lock file is harmless
                    pass
            # explicitly: closing alone would leave the lock held by workers forked since it was taken
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    # -- file access

    def _open(self) -> None:
        if self.read_only is None:
            try:
                self._fh = open(self.path, "a+b")  # noqa: SIM115 (held open until close())
                return
            except OSError as exc:
                if exc.errno not in _NOT_WRITABLE or not os.path.exists(self.path):
                    raise
                self.read_only = f"the file cannot be opened for writing: {exc.strerror}"
        if not os.path.exists(self.path):
            raise PermissionError(f"cannot start checkpoint {self.path}: {self.read_only}")
        self._fh = open(self.path, "rb")  # noqa: SIM115 (held open until close())

    def _need_write(self, what: str) -> None:
        if self.read_only is not None:
            raise PermissionError(
                f"checkpoint {self.path} can only be read ({self.read_only}), but {what}; "
                "make it writable, or use another checkpoint path"
            )

    def _write_line(self, obj: Mapping[str, Any]) -> None:
        self._need_write("a record must be appended")
        self._fh.write((json.dumps(obj, allow_nan=True) + "\n").encode("utf-8"))
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def _truncate(self, size: int) -> None:
        self._fh.truncate(size)
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def _load(self, function: str, grid: Grid, points: list[dict]) -> None:
        header = {
            "_checkpoint": _CHECKPOINT_TAG,
            "format": _CHECKPOINT_FORMAT,
            "function": function,
            "grid": grid.fingerprint(),
            "grid_repr": repr(grid),
            "grid_spec": grid._spec(),
            "n_points": len(grid),
            "version": _package_version(),
        }
        self._fh.seek(0)
        data = self._fh.read()
        lines = data.split(b"\n")
        complete, tail = lines[:-1], lines[-1]
        if not complete:
            if tail and not tail.startswith(b'{"_checkpoint"'):
                raise ValueError(f"checkpoint {self.path} exists and is not a sweep checkpoint; choose another path")
            self._need_write("it has no header yet and one must be written")
            self.repaired_bytes = len(tail)
            self._truncate(0)
            self._write_line(header)
            return
        try:
            found = json.loads(complete[0])
        except ValueError:
            found = None
        if not isinstance(found, dict) or found.get("_checkpoint") != _CHECKPOINT_TAG:
            raise ValueError(f"checkpoint {self.path} exists and is not a sweep checkpoint; choose another path")
        fmt = found.get("format")
        if type(fmt) is not int or fmt != _CHECKPOINT_FORMAT:
            raise ValueError(
                f"checkpoint {self.path} has format {fmt!r}; this version of statmech-learn "
                f"({header['version']}) reads format {_CHECKPOINT_FORMAT} only"
            )
        if found.get("function") != function:
            raise ValueError(
                f"checkpoint {self.path} holds a sweep of {found.get('function')}, not of {function}; "
                "use another checkpoint path, or delete the file to start afresh"
            )
        if found.get("grid") != header["grid"]:
            raise ValueError(self._different_grid(found, header))
        n_found = found.get("n_points")
        if type(n_found) is not int or n_found != len(grid):
            raise ValueError(
                f"checkpoint {self.path} has a header with n_points={n_found!r}, but its grid has "
                f"{len(grid)} points; the header was modified by something other than a sweep"
            )
        if found.get("version") != header["version"]:
            warnings.warn(
                f"checkpoint {self.path} was started with statmech-learn {found.get('version')}, this is "
                f"{header['version']}; each record keeps the version that computed it in '_version'",
                UserWarning,
                stacklevel=4,
            )
        valid_end = len(complete[0]) + 1
        n = len(points)
        for k, line in enumerate(complete[1:], start=2):
            try:
                record = json.loads(line)
                index = record["_index"]
                if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < n:
                    raise ValueError(f"index {index!r} out of range")
            except (ValueError, KeyError, TypeError) as exc:
                if k == len(complete):  # an unreadable last line is a torn write: recompute that point
                    break
                raise ValueError(
                    f"line {k} of checkpoint {self.path} is corrupt ({exc}) and is not the last line; "
                    "the file was modified by something other than a sweep"
                ) from exc
            valid_end += len(line) + 1
            point = points[index]
            if any(not _same(record.get(name), value) for name, value in point.items()):
                raise ValueError(
                    f"line {k} of checkpoint {self.path} records point {index} with parameters "
                    f"{ {name: record.get(name) for name in point} }, but the grid has {point} there"
                )
            if "_error" in record:
                continue
            if index in self.records:
                self.duplicates += 1
                continue
            self.records[index] = record
        missing = n - len(self.records)
        if missing:
            self._need_write(f"{missing} of its {n} points are missing and would have to be appended")
        if valid_end < len(data) and self.read_only is None:  # read-only and complete: the torn tail is moot
            self.repaired_bytes = len(data) - valid_end
            self._truncate(valid_end)

    def _different_grid(self, found: Mapping[str, Any], header: Mapping[str, Any]) -> str:
        """The message for a header ``found`` of another grid: both grids, and where they differ."""
        old_repr, new_repr = found.get("grid_repr"), header["grid_repr"]
        where = _grid_difference(found.get("grid_spec"), header["grid_spec"])
        if where is None:
            where = "the checkpoint does not list its grid's values"
            if old_repr == new_repr:
                where += ", and the two grids print alike (they differ in values their printed form leaves out)"
        return (
            f"checkpoint {self.path} holds a sweep over a different grid: {where}. "
            f"The checkpoint's grid is {old_repr} (fingerprint {str(found.get('grid'))[:12]}); "
            f"this sweep's is {new_repr} (fingerprint {header['grid'][:12]}). "
            "Use another checkpoint path, or delete the file to start afresh"
        )

    def append(self, record: Mapping[str, Any]) -> None:
        self._write_line(record)

    def close(self) -> None:
        """Close the file, release the lock and the registry entry (safe to call more than once)."""
        fh, self._fh = self._fh, None
        try:
            if fh is not None:
                fh.close()
        finally:
            try:
                self._unlock()
            finally:
                self._unregister()


def _same_file(fd: int, path: str) -> bool:
    """Whether ``path`` still names the file open as ``fd``."""
    try:
        st = os.stat(path)
    except OSError:  # removed, or no longer reachable: not ours to remove
        return False
    own = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (own.st_dev, own.st_ino)


def _note_holder(fd: int) -> None:
    """Write ``pid host`` into a lock file just taken (for the message another sweep gets)."""
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {socket.gethostname()}\n".encode("utf-8", "replace"))
    except OSError:  # informational only (e.g. a full disk)
        pass


def _lock_holder(fd: int) -> str:
    """`` (pid N on host H)`` from a lock file held by another sweep, or ``""``."""
    try:
        text = os.pread(fd, 200, 0).decode("utf-8", "replace").split()
    except OSError:
        return ""
    if len(text) == 2 and text[0].isdigit():
        return f" (pid {text[0]} on {text[1]})"
    return ""


class _Progress:
    """A progress bar on stderr: tqdm if installed, else a counter line redrawn with ``\\r``."""

    def __init__(self, enabled: bool, total: int, initial: int) -> None:
        self._bar = None
        self._plain = False
        self._total, self._done, self._last = total, initial, 0.0
        if not enabled:
            return
        try:
            from tqdm import tqdm
        except ImportError:
            self._plain = True
            self._draw()
            return
        self._bar = tqdm(total=total, initial=initial, desc="sweep", unit="pt", file=sys.stderr)

    def _draw(self) -> None:
        sys.stderr.write(f"\rsweep: {self._done}/{self._total} points")
        sys.stderr.flush()
        self._last = time.monotonic()

    def update(self) -> None:
        self._done += 1
        if self._bar is not None:
            self._bar.update(1)
        elif self._plain and (self._done == self._total or time.monotonic() - self._last > 0.1):
            self._draw()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        elif self._plain:
            self._draw()
            sys.stderr.write("\n")
            sys.stderr.flush()


def _progress_enabled(progress: bool | None) -> bool:
    if progress is not None:
        return progress
    if os.environ.get("CI"):
        return False
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty is not None and isatty())


def _failure_message(failed: list[dict], total: int, names: tuple[str, ...], checkpoint: str | None) -> str:
    where = f" and are saved in {checkpoint}" if checkpoint is not None else ""
    lines = [f"{len(failed)} of {total} points failed (the other {total - len(failed)} finished{where}):"]
    for r in failed:
        params = ", ".join(f"{n}={r.get(n)!r}" for n in names)
        lines.append(f"  [{r['_index']}] {params}: {r['_error']}")
    lines.append(f"Traceback of point {failed[0]['_index']}:")
    lines.append(failed[0]["_traceback"].rstrip())
    return "\n".join(lines)


def sweep(
    func: Callable[..., Mapping[str, Any]],
    grid: Grid,
    executor: cf.Executor | None = None,
    checkpoint: str | os.PathLike | None = None,
    progress: bool | None = None,
    on_error: str = "raise",
    chunksize: int = 1,
) -> SweepTable:
    """Evaluate ``func`` at every point of ``grid`` and collect the records in grid order.

    ``func`` is called as ``func(**point)``, plus ``seed=Grid.point_seed(point,
    grid.base_seed)`` when the grid has a ``seed`` axis (its values are
    replicate labels) or when ``func`` has a parameter named ``seed`` (not
    already bound by a :func:`functools.partial`).  It returns a flat dict of
    outputs.  The record of a point is

    ``{"_index": i, **point, **outputs, "_seed": s, "_wall_time": t, "_version": v}``

    with ``point = grid[i]`` (the ``seed`` entry keeps the replicate label), ``s``
    the point's seed, ``t`` the seconds ``func`` took, measured where it ran,
    and ``v`` the package version there.  An output named like a parameter
    must equal the argument ``func`` received (it is then not repeated).

    Parameters
    ----------
    func : callable
        A function of keyword arguments returning a dict of JSON-serialisable
        values (numpy scalars and arrays are converted).  It must be picklable
        for a process-based executor (a module-level function or a
        :func:`functools.partial` of one).
    grid : Grid
        The points.  Every axis must be a keyword parameter of ``func``.
    executor : concurrent.futures.Executor, optional
        Where to run the points, e.g. a ``ProcessPoolExecutor`` or Dask's
        ``client.get_executor()``.  None runs them in this process, in grid order.
    checkpoint : str or path-like, optional
        JSON Lines file of finished points.  Points already in it are not
        recomputed; the returned table includes them.  A file written for
        another function or grid is refused; a torn last line (a write cut by
        a crash) is removed and its point recomputed.  The sweep holds the
        file against other sweeps (threads or processes) while it runs, through
        the lock file ``<checkpoint>.lock`` (an exclusive ``flock``, released
        when the sweep ends or its process dies: a lock file left behind by a
        killed sweep is taken over by the next one and needs no clearing;
        never delete the lock file of a running sweep).  A read-only
        checkpoint that holds every point loads without being written.
    progress : bool, optional
        Progress bar on stderr.  Default: on when stderr is a terminal and the
        environment variable ``CI`` is not set.
    on_error : {"raise", "record"}, default "raise"
        When ``func`` raises at some points: ``"raise"`` finishes every other
        point, then raises :class:`~statmech_learn.errors.SweepError` listing
        the failures; ``"record"`` returns them as records with ``_error``
        (``"Type: message"``) and ``_traceback``.  Failed points are never
        written to the checkpoint, so a rerun retries them.
    chunksize : int, default 1
        Points per task submitted to ``executor`` (larger amortises the
        transport cost of very short points).

    Returns
    -------
    SweepTable
        One record per grid point, in grid order.

    Raises
    ------
    SweepError
        With ``on_error="raise"``, if any point failed; its ``table`` holds
        every record and ``failed`` the failed ones.
    ValueError
        For invalid arguments (naming the parameter), an axis that ``func``
        does not accept, a ``checkpoint`` that is a directory or a file that
        is not a sweep checkpoint (not JSON, no sweep header), or a
        checkpoint of a different sweep (another function, grid, point count
        or format).
    CheckpointLockedError
        A :class:`RuntimeError`: another running sweep, in this process or
        another, is writing ``checkpoint``; the message names the file and,
        across processes, the holder's pid and host.
    PermissionError
        If ``checkpoint`` cannot be written (the file is read-only, or its lock
        file cannot be created) and points are missing from it.
    """
    if not callable(func):
        raise ValueError(f"func must be callable, got {func!r}")
    if not isinstance(grid, Grid):
        raise ValueError(f"grid must be a statmech_learn.sweep.Grid, got {type(grid).__name__}")
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise ValueError(f"executor must be a concurrent.futures.Executor or None, got {type(executor).__name__}")
    if checkpoint is not None and not isinstance(checkpoint, (str, os.PathLike)):
        raise ValueError(f"checkpoint must be a path or None, got {type(checkpoint).__name__}")
    if progress is not None and not isinstance(progress, bool):
        raise ValueError(f"progress must be True, False or None, got {progress!r}")
    on_error = check_choice("on_error", on_error, ("raise", "record"))
    chunksize = check_int("chunksize", chunksize, minimum=1)
    pass_seed = _passes_seed(func, grid)
    name = _function_name(func)

    points = list(grid)
    seeds = grid.seeds()
    store = _Checkpoint(checkpoint, name, grid, points) if checkpoint is not None else None
    done: dict[int, dict] = dict(store.records) if store is not None else {}
    failed: dict[int, dict] = {}
    todo = [i for i in range(len(points)) if i not in done]
    futures: list[cf.Future] = []
    bar = None

    def collect(record: dict) -> None:
        if "_error" in record:
            failed[record["_index"]] = record
        else:
            done[record["_index"]] = record
            if store is not None:
                store.append(record)
        bar.update()

    try:  # whatever happens (KeyboardInterrupt included), the checkpoint's lock is released
        bar = _Progress(_progress_enabled(progress), len(points), len(done))
        if executor is None:
            for i in todo:
                collect(_run_point(func, i, points[i], seeds[i], pass_seed))
        else:
            for k in range(0, len(todo), chunksize):
                tasks = [(i, points[i], seeds[i]) for i in todo[k : k + chunksize]]
                futures.append(executor.submit(_run_chunk, func, tasks, pass_seed))
            for future in cf.as_completed(futures):
                for record in future.result():
                    collect(record)
    finally:
        try:
            for future in futures:
                future.cancel()
            if bar is not None:
                bar.close()
        finally:
            if store is not None:
                store.close()

    records = [done[i] if i in done else failed[i] for i in range(len(points))]
    table = SweepTable(records, function=name)
    if failed and on_error == "raise":
        bad = [failed[i] for i in sorted(failed)]
        msg = _failure_message(bad, len(points), grid.names, None if checkpoint is None else os.fspath(checkpoint))
        raise SweepError(msg, failed=bad, table=table)
    return table
