"""The result of a sweep: :class:`SweepTable`, its records in grid order.

A :class:`SweepTable` holds one flat record per grid point and gives them as
columns (numpy arrays), selections by parameter value, a plain dict, CSV or a
pandas DataFrame, and prints as a short aligned table (:func:`_format_cell`).
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

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
