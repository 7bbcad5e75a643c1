"""A frame's rows by the values of some columns, split once.

The summary and the comparisons take one variant's (and one workload's) rows many times over; a boolean mask over a
million items of pandas' text columns costs a second each time, far more than the statistics computed on them.
"""

from __future__ import annotations

from typing import Any

import pandas as pd


class Split:
    """``split[key]``: the rows whose ``keys`` columns hold ``key`` (a tuple for several columns), in their order
    and with their index, as a mask would select them; a key absent from the frame gives its empty frame."""

    def __init__(self, frame: pd.DataFrame, keys: str | list[str]) -> None:
        self._empty = frame.iloc[:0]
        self._groups: dict[Any, pd.DataFrame] = dict(iter(frame.groupby(keys, sort=False)))

    def __getitem__(self, key: Any) -> pd.DataFrame:
        return self._groups.get(key, self._empty)
