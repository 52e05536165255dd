"""Figures from reproduction results (needs the optional ``plot`` extra).

matplotlib is imported lazily: importing statmech_learn never requires it, and
:func:`require_matplotlib` raises :class:`~statmech_learn.errors.MissingExtraError`
with the install command when it is absent.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .errors import MissingExtraError

if TYPE_CHECKING:  # pragma: no cover
    from .reproduce.base import ReproductionResult

__all__ = ["require_matplotlib", "plot_reproduction", "have_matplotlib"]


def have_matplotlib() -> bool:
    """True if matplotlib can be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def require_matplotlib():
    """Return ``matplotlib.pyplot`` with the non-interactive Agg backend, or raise
    :class:`MissingExtraError` naming the ``plot`` extra."""
    try:
        import matplotlib
    except ImportError as exc:
        raise MissingExtraError("matplotlib", "plot", "Drawing figures") from exc
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _label_on_top(ax, series, x: float) -> bool:
    """True if the data of ``series`` at ``x`` leave more room at the top of ``ax`` than at the bottom,
    so that the label of a vertical line at ``x`` goes where it does not cover points."""
    lo, hi = ax.get_ylim()
    fractions = []
    for s in series:
        xs, ys = np.ravel(s.x), np.ravel(s.y)
        ok = np.isfinite(xs) & np.isfinite(ys)
        xs, ys = xs[ok], ys[ok]
        if xs.size == 0 or not xs.min() <= x <= xs.max():
            continue
        order = np.argsort(xs, kind="stable")
        fractions.append((np.interp(x, xs[order], ys[order]) - lo) / (hi - lo))
    if not fractions:
        return False
    return 1.0 - max(fractions) > min(fractions)


def _mosaic(ax, panel) -> None:
    """Draw ``panel.images`` (k, h, w) as a grid of grey images with optional captions."""
    images = np.asarray(panel.images, dtype=float)
    k, h, w = images.shape
    cols = int(np.ceil(np.sqrt(k * 1.5)))
    rows = -(-k // cols)
    canvas = np.full((rows * (h + 1) - 1, cols * (w + 1) - 1), np.nan)
    for i in range(k):
        r, c = divmod(i, cols)
        canvas[r * (h + 1) : r * (h + 1) + h, c * (w + 1) : c * (w + 1) + w] = images[i]
    ax.imshow(canvas, cmap="gray_r", vmin=0.0, vmax=1.0, interpolation="nearest")
    for i, text in enumerate(panel.image_labels or []):
        r, c = divmod(i, cols)
        ax.text(
            c * (w + 1) + w / 2 - 0.5,
            r * (h + 1) + h - 0.3,
            text,
            ha="center",
            va="bottom",
            fontsize=6,
            color="tab:red",
        )
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(panel.title, fontsize=10)


def plot_reproduction(result: ReproductionResult, path: str | Path) -> Path:
    """Draw every panel of ``result``: theory series as lines, simulation series
    as markers with error bars; save to ``path`` (PNG) and return it."""
    plt = require_matplotlib()
    panels = result.panels
    ncols = 2 if len(panels) == 4 else min(len(panels), 3)
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, 4.3 * nrows), squeeze=False)
    for ax in axes.flat[len(panels) :]:
        ax.set_visible(False)
    for ax, panel in zip(axes.flat, panels):
        if getattr(panel, "images", None) is not None:
            _mosaic(ax, panel)
            continue
        histogram2d = getattr(panel, "histogram2d", None)
        if histogram2d is not None:
            xe, ye, counts = histogram2d
            ax.pcolormesh(xe, ye, np.asarray(counts).T, cmap="Greys", shading="flat")
            for (xg, yg, values, label), color, ls in zip(
                panel.contours or [], ("tab:red", "tab:blue", "tab:green"), ("-", "--", ":")
            ):
                ax.contour(xg, yg, values, levels=4, colors=color, linestyles=ls, linewidths=1.2)
                ax.plot([], [], color=color, ls=ls, label=label)  # legend entry of the contours
        color_of: dict[str, str] = {}
        cycle = iter(plt.rcParams["axes.prop_cycle"].by_key()["color"] * 4)
        for s in result.series:
            if s.panel != panel.name:
                continue
            key = s.group or s.label
            color = color_of.setdefault(key, next(cycle))
            if s.kind == "theory":
                ax.plot(s.x, s.y, s.style or "-", color=color, label=s.label, lw=1.6)
            else:
                yerr = None if s.yerr is None else np.asarray(s.yerr)
                xerr = None if s.xerr is None else np.asarray(s.xerr)
                ax.errorbar(
                    s.x,
                    s.y,
                    yerr=yerr,
                    xerr=xerr,
                    fmt=s.style or "o",
                    ms=4,
                    capsize=2,
                    color=color,
                    label=s.label,
                    lw=1,
                )
        ax.set_xlabel(panel.xlabel)
        ax.set_ylabel(panel.ylabel)
        ax.set_title(panel.title, fontsize=10)
        ax.set_yscale(getattr(panel, "yscale", "linear"))
        ax.set_xscale(getattr(panel, "xscale", "linear"))
        if panel.ylim is not None:
            ax.set_ylim(*panel.ylim)
        mine = [s for s in result.series if s.panel == panel.name]
        for x, text in panel.vlines:
            ax.axvline(x, color="0.5", lw=0.8, ls=":")
            top = _label_on_top(ax, mine, x)
            ax.annotate(
                text,
                (x, 0.98 if top else 0.02),
                xycoords=("data", "axes fraction"),
                fontsize=8,
                rotation=90,
                ha="right",
                va="top" if top else "bottom",
                color="0.3",
                zorder=5,
                bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.8),
            )
        ax.legend(fontsize=7, frameon=False, loc=getattr(panel, "legend", "best"))
        ax.grid(alpha=0.25)
    fig.suptitle(result.title, fontsize=11)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path
