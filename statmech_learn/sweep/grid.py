"""Grids of parameter points: :class:`Grid`, the checks of its axes, and the seed of every point.

A grid is an ordered cartesian product of named axes, some of them zip-linked.
This module checks axis names and values (plain scalars, distinct, non-empty),
writes the canonical JSON text (:func:`_dumps`) that a grid's fingerprint and
every point's seed are hashed from, and derives the seed of a point from the
point itself (:meth:`Grid.point_seed`), so that it does not depend on the
process or machine that computes the point.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import keyword
import math
import operator
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from .._validation import check_int

#: The axis whose values are replicate labels, and the keyword the point's seed is passed as.
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
