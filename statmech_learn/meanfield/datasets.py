"""Data sets for the RBM examples: the handwritten digits bundled with scikit-learn.

scikit-learn (the ``data`` extra) ships the 8 x 8 digits of the UCI "Optical Recognition of
Handwritten Digits" set (Alpaydin & Kaynak 1998): 1797 images with grey levels 0..16, loaded
offline.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_finite
from ..citations import _cites

__all__ = ["digits"]


@_cites
def digits(binarize: bool = True, threshold: float = 8.0) -> tuple[np.ndarray, np.ndarray]:
    """The 1797 handwritten digits as an (1797, 64) float array, and their labels.

    Parameters
    ----------
    binarize : bool
        Map the grey levels 0..16 to {0, 1}: 1 where the level is >= ``threshold``.  Otherwise the
        levels are scaled to [0, 1].
    threshold : float
        Grey level (0 to 16) from which a pixel is on.

    Returns
    -------
    X : ndarray, shape (1797, 64)
    y : ndarray of int, shape (1797,)
    """
    if not isinstance(binarize, (bool, np.bool_)):
        raise ValueError(f"binarize must be True or False, got {binarize!r}")
    threshold = check_finite("threshold", threshold, scalar=True)
    if not 0 < threshold <= 16:
        raise ValueError(f"threshold must be in (0, 16], got {threshold}")
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("the digits data set comes with scikit-learn: pip install 'statmech-learn[data]'") from exc
    data = load_digits()
    X = np.asarray(data.data, dtype=float)
    X = (threshold <= X).astype(float) if binarize else X / 16.0
    return X, np.asarray(data.target, dtype=int)
