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

# The package is split by what each part does: grid.py (Grid, its axis checks and the point
# seeds), table.py (SweepTable), worker.py (what runs a point, in this process or a worker's),
# checkpoint.py (the JSON Lines checkpoint and its lock) and run.py (sweep() itself, the
# parent side).  Only the names below are public.

from .grid import Grid
from .run import sweep
from .table import SweepTable
from .worker import RESERVED_FIELDS as RESERVED_FIELDS

__all__ = ["Grid", "SweepTable", "sweep"]
