"""The report's CSV writer against pandas' own ``to_csv``: the same bytes for every kind of column it meets."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import csvfile
from analysis.csvfile import write_csv


def _frame(rows: int, seed: int = 7, carriage_return: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    floats = np.round(rng.lognormal(2.0, 1.5, rows), 4)
    floats[::5] = np.nan
    tiny = rng.uniform(0, 1e-6, rows)  # costs: written in exponent form
    huge = rng.uniform(1e15, 1e17, rows)
    texts = rng.choice(np.array(["plain", "with,comma", 'say "hi"', "two\nlines", " padded ", ""], dtype=object),
                      rows)
    if carriage_return:
        texts[::3] = "cr\rhere"
    return pd.DataFrame({
        "run_id": "20261125T080000Z-3fa2",
        "variant": rng.choice(["py313-1024-arm64", "py313-1024-x86_64"], rows),
        "seq": pd.Series(np.arange(rows), dtype="Int64").mask(rng.random(rows) < 0.1),
        "timestamp_ms": np.arange(rows, dtype=np.int64) * 7 + 1_764_057_600_000,
        "cold": rng.random(rows) < 0.2,
        "error_type": pd.Series(["workload_failed"] * rows, dtype=object).mask(rng.random(rows) < 0.7, None),
        "workload_ms": floats,
        "cost_usd": tiny,
        "huge": huge,
        "whole": np.floor(floats),
        "text": texts,
        "text_na": pd.Series(texts, dtype="string").mask(rng.random(rows) < 0.3),
    })


@pytest.mark.parametrize("rows", [0, 1, 5, 2_345])
def test_same_bytes_as_pandas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: int) -> None:
    monkeypatch.setattr(csvfile, "CHUNK_ROWS", 1_000)  # several chunks, the last one short
    frame = _frame(rows)
    write_csv(frame, tmp_path / "fast.csv")
    frame.to_csv(tmp_path / "pandas.csv", index=False, lineterminator="\n")
    assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()


def test_quoted_cells_read_back_as_written(tmp_path: Path) -> None:
    """A carriage return is quoted too (pandas leaves it bare, and a reader then splits the row there)."""
    frame = _frame(300, carriage_return=True)
    write_csv(frame, tmp_path / "fast.csv")
    with (tmp_path / "fast.csv").open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert [row["text"] for row in rows] == frame["text"].tolist()
    assert [row["cold"] for row in rows] == [str(value) for value in frame["cold"]]
    assert all(row["workload_ms"] == "" for row, value in zip(rows, frame["workload_ms"], strict=True)
               if np.isnan(value))


def test_a_header_that_needs_quotes(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a,b": [1], 'say "x"': [2.5]})
    write_csv(frame, tmp_path / "fast.csv")
    assert (tmp_path / "fast.csv").read_text() == '"a,b","say ""x"""\n1,2.5\n'
