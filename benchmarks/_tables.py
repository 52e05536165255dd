"""Shared helpers of the benchmark scripts: best-of-N timing and Markdown tables."""

from __future__ import annotations

import math
import time


def best_of(fn, repeats: int):
    """Smallest wall time of ``repeats`` calls of ``fn`` and the result of the last call."""
    best, out = math.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def markdown(header: tuple[str, ...], rows: list[tuple[str, ...]], left: int = 1) -> str:
    """A Markdown table, the first ``left`` columns left-aligned and the others right-aligned."""
    widths = [max(len(r[k]) for r in [header, *rows]) for k in range(len(header))]

    def line(cells):
        return (
            "| "
            + " | ".join(c.ljust(w) if k < left else c.rjust(w) for k, (c, w) in enumerate(zip(cells, widths)))
            + " |"
        )

    rule = "|" + "|".join(("-" * (w + 2)) if k < left else ("-" * (w + 1) + ":") for k, w in enumerate(widths)) + "|"
    return "\n".join([line(header), rule, *(line(r) for r in rows)])
