"""A frame's rows by the values of some columns, split once.

The summary and the comparisons take one variant's (and one workload's) rows many times over; a boolean mask over a
million items of pandas' text columns costs a second each time, far more than the statistics computed on them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

_NONE = np.array([], dtype=np.intp)


class Split:
    """``split[key]``: the rows whose ``keys`` columns hold ``key`` (a tuple for several columns), in their order
    and with their index, as a mask would select them; a key absent from the frame gives its empty frame."""

    def __init__(self, frame: pd.DataFrame, keys: str | list[str]) -> None:
        self._frame = frame
        self._positions: dict[Any, np.ndarray] = frame.groupby(keys, sort=False).indices
        self._taken: dict[Any, pd.DataFrame] = {}

    def __getitem__(self, key: Any) -> pd.DataFrame:
        """Taken on first use: only the keys asked for are copied."""
        if key not in self._taken:
            self._taken[key] = self._frame.iloc[self._positions.get(key, _NONE)]
        return self._taken[key]
