"""The parent side of a sweep: :func:`sweep` itself.

:func:`sweep` checks the function against the grid (:func:`_passes_seed`),
opens the checkpoint, runs the missing points in this process or submits them
in chunks to an executor, collects the records in grid order while drawing a
progress bar (:class:`_Progress`), and reports the points that failed
(:func:`_failure_message`).  :func:`_function_name` gives the identity of the
swept function that a checkpoint's header records.
"""

from __future__ import annotations

import concurrent.futures as cf
import functools
import inspect
import os
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

from .._validation import check_choice, check_int
from ..errors import SweepError
from ..results import to_builtin
from .checkpoint import _Checkpoint
from .grid import _SEED_AXIS, Grid, _dumps
from .table import SweepTable
from .worker import _run_chunk, _run_point

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


# --------------------------------------------------------------------------- progress, failures, sweep()


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
    bar: _Progress | None = None

    def collect(record: dict, bar: _Progress) -> None:
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
                collect(_run_point(func, i, points[i], seeds[i], pass_seed), bar)
        else:
            for k in range(0, len(todo), chunksize):
                tasks = [(i, points[i], seeds[i]) for i in todo[k : k + chunksize]]
                futures.append(executor.submit(_run_chunk, func, tasks, pass_seed))
            for future in cf.as_completed(futures):
                for record in future.result():
                    collect(record, bar)
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
