"""Files every tool writes: atomic JSON and byte-stable zips."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

from core import write_deterministic_zip, write_json_atomic


def zip_bytes(files: list[tuple[str, Path]]) -> bytes:
    buffer = io.BytesIO()
    write_deterministic_zip(buffer, files)
    return buffer.getvalue()


def test_the_same_sources_give_the_same_bytes_whatever_their_dates_and_order(tmp_path: Path) -> None:
    a, b = tmp_path / "a.py", tmp_path / "b.sh"
    a.write_text("print('a')\n")
    b.write_text("#!/bin/sh\n")
    b.chmod(0o755)
    first = zip_bytes([("pkg/a.py", a), ("pkg/b.sh", b)])
    os.utime(a, (1_000_000_000, 1_000_000_000))
    assert zip_bytes([("pkg/b.sh", b), ("pkg/a.py", a)]) == first
    a.write_text("print('A')\n")
    assert zip_bytes([("pkg/a.py", a), ("pkg/b.sh", b)]) != first


def test_entries_are_sorted_with_fixed_dates_and_only_the_execute_bit_kept(tmp_path: Path) -> None:
    a, b = tmp_path / "a.py", tmp_path / "b.sh"
    a.write_text("a")
    a.chmod(0o600)
    b.write_text("b")
    b.chmod(0o750)
    with zipfile.ZipFile(io.BytesIO(zip_bytes([("z/b.sh", b), ("a.py", a)]))) as archive:
        infos = archive.infolist()
        assert [info.filename for info in infos] == ["a.py", "z/b.sh"]
        assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert [(info.external_attr >> 16) & 0o777 for info in infos] == [0o644, 0o755]
        assert archive.read("z/b.sh") == b"b"


def test_json_is_written_whole_and_no_partial_file_is_left(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "state.json"
    write_json_atomic(path, {"pid": 1})
    write_json_atomic(path, {"pid": 2, "port": 4566})
    assert json.loads(path.read_text()) == {"pid": 2, "port": 4566}
    assert sorted(p.name for p in path.parent.iterdir()) == ["state.json"]
