"""Exceptions and warnings raised by statmech-learn.

One class per recurring failure, so that callers can catch exactly what they
expect.  Solvers never fail silently: a non-converged result carries
``converged=False``; with ``strict=True`` a :class:`ConvergenceError` is raised
and carries that last iterate in its ``result`` attribute.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "StatmechLearnError",
    "ConvergenceError",
    "ConvergenceWarning",
    "MissingExtraError",
    "SweepError",
    "CheckpointLockedError",
]


class StatmechLearnError(Exception):
    """Base class of the package's own exceptions."""


class ConvergenceError(StatmechLearnError, RuntimeError):
    """An iterative solver stopped before meeting its convergence criterion.

    Parameters
    ----------
    message : str
        What did not converge, with the criterion and the residual reached.
    result : object, optional
        The result object built from the last iterate, so that the partial
        answer is not lost.
    """

    def __init__(self, message: str, result: Any = None) -> None:
        super().__init__(message)
        self.result = result


class ConvergenceWarning(UserWarning):
    """Emitted when a solver returns a result with ``converged=False``."""


class MissingExtraError(StatmechLearnError, ImportError):
    """An optional dependency (``plot``, ``distributed``, ...) is not installed."""

    def __init__(self, module: str, extra: str, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs the optional package '{module}': install it with  pip install 'statmech-learn[{extra}]'"
        )
        self.module = module
        self.extra = extra


class SweepError(StatmechLearnError, RuntimeError):
    """Points of a parameter sweep raised exceptions.

    Raised by :func:`statmech_learn.sweep.sweep` with ``on_error="raise"``
    after every other point has finished (and, with a checkpoint, been saved).
    The message lists each failed point with its parameters and
    ``"Type: message"``, followed by the traceback of the first one.

    Parameters
    ----------
    message : str
        The list of failures.
    failed : list of dict, optional
        The failed records: ``_index``, the parameters, ``_error`` and
        ``_traceback``.
    table : SweepTable, optional
        Every record of the sweep, successful and failed, so that nothing
        computed is lost.
    """

    def __init__(self, message: str, failed: Any = (), table: Any = None) -> None:
        super().__init__(message)
        try:
            self.failed = list(failed)
        except TypeError:
            raise TypeError(f"failed must be an iterable of failed records, got {failed!r}") from None
        self.table = table


class CheckpointLockedError(StatmechLearnError, RuntimeError):
    """A sweep's checkpoint is being written by another running sweep (another process or
    thread); the message names the path and, when known, the holder's pid and host."""
