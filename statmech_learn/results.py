"""Base class of the frozen result dataclasses returned by every solver.

A result is a frozen :func:`dataclasses.dataclass` with named fields.  This
module gives them a compact, readable ``repr`` (arrays are summarised) and a
``to_dict`` method returning plain Python objects that :mod:`json` can write.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

__all__ = ["Result", "to_builtin"]


def to_builtin(value: Any) -> Any:
    """Convert numpy scalars/arrays (recursively) to JSON-ready Python objects.

    Non-finite floats become ``None`` only if ``allow_nan`` handling is not
    wanted by the caller; here they are kept as floats (``json`` writes them as
    ``NaN``/``Infinity``) so that no information is silently replaced.
    """
    if isinstance(value, Result):
        return value.to_dict()
    if isinstance(value, np.ndarray):
        return [to_builtin(v) for v in value.tolist()] if value.ndim else to_builtin(value.item())
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, dict):
        return {str(k): to_builtin(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_builtin(v) for v in value]
    return value


def _short(value: Any) -> str:
    if isinstance(value, np.ndarray) and value.ndim:
        if value.size <= 4:
            return np.array2string(value, precision=6, separator=", ")
        if value.dtype.kind == "b":
            return f"array(shape={value.shape}, {int(np.count_nonzero(value))} True)"
        if value.dtype.kind in "iuf":
            finite = value[np.isfinite(value)] if value.dtype.kind == "f" else value
            if finite.size == 0:
                return f"array(shape={value.shape}, no finite entries)"
            n_bad = value.size - finite.size
            note = f", {n_bad} non-finite" if n_bad else ""
            return f"array(shape={value.shape}, min={finite.min():.6g}, max={finite.max():.6g}{note})"
        # labels (strings, objects): the distinct values and how often each occurs
        labels, counts = np.unique(value.astype(str), return_counts=True)
        shown = ", ".join(f"{str(lab)!r}: {c}" for lab, c in zip(labels[:6], counts[:6]))
        more = ", ..." if labels.size > 6 else ""
        return f"array(shape={value.shape}, {{{shown}{more}}})"
    if isinstance(value, (float, np.floating)):
        return f"{value:.10g}" if math.isfinite(value) else str(value)
    return repr(value)


class Result:
    """Mixin for frozen result dataclasses: readable repr and ``to_dict``."""

    if TYPE_CHECKING:  # set by @dataclass on every subclass; declared for dataclasses.fields(self)
        __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]

    def to_dict(self) -> dict[str, Any]:
        """Fields as a dict of plain Python objects (lists, floats, ints, bools, str)."""
        return {f.name: to_builtin(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def __repr__(self) -> str:
        parts = [f"{f.name}={_short(getattr(self, f.name))}" for f in dataclasses.fields(self) if f.repr]
        return f"{type(self).__name__}({', '.join(parts)})"
