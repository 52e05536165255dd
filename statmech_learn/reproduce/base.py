"""The structure shared by every reproducible phase diagram.

A reproduction is one module that declares a :class:`Reproduction`: a name, a
description and a ``compute(quick, ctx)`` function returning a
:class:`ReproductionResult` made of theory curves and simulation points
(:class:`Series`), the figure layout (:class:`Panel`), the parameters and the
timings.  Simulations go through :meth:`RunContext.sweep`, i.e. through
:func:`statmech_learn.sweep` on whatever executor the user chose (in-process,
a process pool, a Dask cluster), with optional checkpoints.  Writing the CSV,
the JSON and the figure is done here, once.
"""

from __future__ import annotations

import csv
import json
import platform
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from ..results import to_builtin

__all__ = ["Series", "Panel", "ReproductionResult", "Reproduction", "RunContext", "Timer", "mean_agreement"]

#: probability that a correct simulation fails a reproduction's family of checks
FAMILY_ALPHA = 0.01


def means_over_instances(table, key: str, axis: str, values, **select) -> tuple[list[float], list[float]]:
    """Mean of ``key`` over the sweep records at each ``axis`` value (other coordinates fixed by ``select``)
    and its standard error over those records (sample standard deviation / sqrt(count))."""
    means, errs = [], []
    for v in values:
        x = np.array([r[key] for r in table.select(**select, **{axis: v}).records], dtype=float)
        means.append(float(x.mean()))
        errs.append(float(x.std(ddof=1) / np.sqrt(x.size)))
    return means, errs


def mean_agreement(mean, stderr, theory, n_instances: int, allowance=0.0, family_alpha: float = FAMILY_ALPHA) -> dict:
    r"""Verdict on simulation means (over ``n_instances`` each) against theory values.

    Point i passes if :math:`|\bar x_i - x_i^{th}| \le t\,s_i + a_i`, with
    :math:`s_i` the standard error, :math:`t` the Student-t quantile with
    ``n_instances - 1`` degrees of freedom at :math:`1 - \text{family\_alpha}/(2m)`
    (Bonferroni over the m points: a correct simulation with no bias fails with
    probability at most ``family_alpha``), and :math:`a_i` = ``allowance`` the
    stated finite-size bias bound (e.g. c/n).

    Returns
    -------
    dict
        ``max_deviation_over_tolerance`` (<= 1 passes), ``max_t`` (largest
        :math:`|\bar x - x^{th}|/s`), ``tolerance_t``, ``allowance``, ``n_points``,
        ``n_instances``, ``family_alpha``, ``pass``.
    """
    from scipy.stats import t as student_t

    mean, stderr, theory = (np.asarray(x, dtype=float) for x in (mean, stderr, theory))
    allowance = np.broadcast_to(np.asarray(allowance, dtype=float), mean.shape)
    m = int(mean.size)
    df = max(int(n_instances) - 1, 1)
    t_tol = float(student_t.isf(family_alpha / (2 * m), df))
    dev = np.abs(mean - theory)
    tol = t_tol * stderr + allowance
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(tol > 0, dev / tol, np.where(dev > 0, np.inf, 0.0))
        tt = np.where(stderr > 0, dev / stderr, np.where(dev > 0, np.inf, 0.0))
    ok = bool(np.all(np.isfinite(ratio)) and np.all(ratio <= 1.0))
    return {
        "max_deviation_over_tolerance": float(np.max(ratio)),
        "max_t": float(np.max(tt)),
        "tolerance_t": t_tol,
        "allowance": allowance.tolist(),
        "n_points": m,
        "n_instances": int(n_instances),
        "family_alpha": family_alpha,
        "pass": ok,
    }


@dataclass
class Series:
    """One curve (theory) or set of points with error bars (simulation)."""

    label: str
    kind: str  # "theory" | "simulation"
    panel: str
    x: ArrayLike  # a float array after __post_init__
    y: ArrayLike  # a float array after __post_init__
    yerr: ArrayLike | None = None
    xerr: ArrayLike | None = None
    group: str | None = None  # series sharing a group share a colour
    style: str | None = None
    extra: dict = field(default_factory=dict)  # extra per-point columns for the CSV

    def __post_init__(self) -> None:
        if self.kind not in ("theory", "simulation"):
            raise ValueError(f"kind must be 'theory' or 'simulation', got {self.kind!r}")
        self.x = x = np.asarray(self.x, dtype=float)
        self.y = y = np.asarray(self.y, dtype=float)
        if x.shape != y.shape:
            raise ValueError(f"x and y must have the same shape, got {x.shape} and {y.shape}")


@dataclass
class Panel:
    """One axes of the figure."""

    name: str
    xlabel: str
    ylabel: str
    title: str = ""
    vlines: list[tuple[float, str]] = field(default_factory=list)
    ylim: tuple[float, float] | None = None
    yscale: str = "linear"  # or "log"
    xscale: str = "linear"  # or "log"
    legend: str = "best"  # matplotlib legend location
    images: np.ndarray | None = None  # (k, h, w): drawn as a mosaic of grey images instead of curves
    image_labels: list[str] | None = None  # one caption per image
    # a 2-D histogram drawn as grey cells, (x edges, y edges, counts[x, y]), and density contours over it,
    # each (x grid, y grid, values[y, x], label)
    histogram2d: tuple | None = None
    contours: list | None = None


@dataclass
class ReproductionResult:
    """Everything a reproduction produced: series, figure layout, parameters, timings."""

    name: str
    title: str
    parameters: dict
    series: list[Series]
    panels: list[Panel]
    timings: dict[str, float]
    checks: dict = field(default_factory=dict)  # theory-vs-simulation summaries

    def rows(self) -> list[dict]:
        """Long-format rows: one per point of every series."""
        out = []
        for s in self.series:
            x, y = np.asarray(s.x), np.asarray(s.y)
            for i in range(x.size):
                row = {
                    "panel": s.panel,
                    "series": s.label,
                    "kind": s.kind,
                    "x": float(x.flat[i]),
                    "y": float(y.flat[i]),
                    "yerr": "" if s.yerr is None else float(np.asarray(s.yerr).flat[i]),
                    "xerr": "" if s.xerr is None else float(np.asarray(s.xerr).flat[i]),
                }
                for key, values in s.extra.items():
                    row[key] = to_builtin(np.asarray(values).flat[i])
                out.append(row)
        return out

    def write_csv(self, path: str | Path) -> Path:
        rows = self.rows()
        keys: list[str] = []
        for r in rows:
            keys.extend(k for k in r if k not in keys)
        path = Path(path)
        with path.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=keys, restval="")
            writer.writeheader()
            writer.writerows(rows)
        return path

    def references(self) -> list[dict[str, str]]:
        """The papers this reproduction reproduces, ``[{"key": ..., "bibtex": ...}, ...]``.

        Looked up by name in :data:`statmech_learn.citations.REPRODUCTIONS`; empty for a name
        not registered there.
        """
        from ..citations import ENTRIES, REPRODUCTIONS

        return [{"key": key, "bibtex": ENTRIES[key]} for key in REPRODUCTIONS.get(self.name, [])]

    def metadata(self) -> dict:
        """Everything of the result but the points, as written to ``NAME.json`` (with its ``references``)."""
        from .. import __version__

        return {
            "name": self.name,
            "title": self.title,
            "version": __version__,
            "python": platform.python_version(),
            "numpy": np.__version__,
            "parameters": to_builtin(self.parameters),
            "timings_seconds": to_builtin(self.timings),
            "checks": to_builtin(self.checks),
            "references": self.references(),
            "series": [
                {"label": s.label, "kind": s.kind, "panel": s.panel, "n_points": int(np.size(s.x))} for s in self.series
            ],
        }

    def write_json(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.metadata(), indent=2) + "\n")
        return path


@dataclass
class RunContext:
    """Where and how a reproduction runs its simulations.

    Attributes
    ----------
    executor : concurrent.futures.Executor or None
        None runs in-process.
    seed : int
        Base seed of every simulation grid (results depend on it only).
    checkpoint_dir : path or None
        If set, each simulation sweep checkpoints to ``<dir>/<reproduction>-<name>.jsonl``
        and a rerun resumes it.
    progress : bool or None
        Progress bar (None: only on a terminal).
    reproduction : str
        Name used in checkpoint files.
    """

    executor: Executor | None = None
    seed: int = 0
    checkpoint_dir: str | Path | None = None
    progress: bool | None = None
    reproduction: str = ""

    def sweep(self, func, grid, name: str):
        """Run ``func`` over ``grid`` through :func:`statmech_learn.sweep` with this context."""
        from ..sweep import sweep

        checkpoint = None
        if self.checkpoint_dir is not None:
            Path(self.checkpoint_dir).mkdir(parents=True, exist_ok=True)
            checkpoint = Path(self.checkpoint_dir) / f"{self.reproduction}-{name}.jsonl"
        return sweep(func, grid, executor=self.executor, checkpoint=checkpoint, progress=self.progress)


@dataclass(frozen=True)
class Reproduction:
    """A reproducible diagram: ``compute(quick, ctx) -> ReproductionResult``."""

    name: str
    description: str
    compute: Callable[..., ReproductionResult]


class Timer:
    """Collects wall-clock timings of named stages into a dict."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round(time.perf_counter() - t0, 4)
