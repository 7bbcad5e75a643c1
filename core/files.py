"""Files every tool writes the same way: JSON that readers never see half-written, and byte-stable zips."""

from __future__ import annotations

import json
import os
import stat
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date zip can store: every build gets the same bytes


def write_json_atomic(path: Path, data: object) -> None:
    """Write ``data`` as indented JSON via a temporary file and a rename; raises ``OSError`` as it comes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(partial, path)


def write_deterministic_zip(destination: str | Path | BinaryIO, files: Iterable[tuple[str, Path]]) -> None:
    """Zip ``(name in the archive, file)`` pairs in sorted order with fixed dates and modes.

    Identical sources give identical bytes, so an unchanged package or layer hashes the same and no deployer sees
    a change. A file keeps only its owner-execute bit (0755 or 0644).
    """
    with zipfile.ZipFile(destination, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, path in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            mode = 0o755 if path.stat().st_mode & stat.S_IXUSR else 0o644
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
