"""Remove from an installed layer tree what Lambda never loads, and say how much each rule removed.

Never ``strip`` the shared objects: it breaks numpy's bundled OpenBLAS. What goes:
- test suites (``tests/`` directories: pandas/tests alone is most of it),
- byte-code caches (``__pycache__``, ``*.pyc``: the runtime writes its own where it can),
- type stubs (``*.pyi``),
- build-time inputs: C headers, Cython sources, static libraries, pkg-config files,
- console scripts (``bin/``: their shebang names the build machine's interpreter),
- install bookkeeping in ``*.dist-info`` (``RECORD`` would list the pruned files; ``INSTALLER``, ``REQUESTED``).
``METADATA`` (``importlib.metadata.version``), entry points, licenses and ``WHEEL`` stay.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

TESTS = "tests"
CACHES = "byte-code caches"
STUBS = "type stubs"
BUILD_INPUTS = "headers and build inputs"
SCRIPTS = "console scripts"
BOOKKEEPING = "install records"

_DIRECTORIES = {"tests": TESTS, "__pycache__": CACHES}
_SUFFIXES = {".pyc": CACHES, ".pyi": STUBS, ".h": BUILD_INPUTS, ".hpp": BUILD_INPUTS, ".pxd": BUILD_INPUTS,
             ".pyx": BUILD_INPUTS, ".pxi": BUILD_INPUTS, ".a": BUILD_INPUTS, ".pc": BUILD_INPUTS}
_DIST_INFO_FILES = {"RECORD", "INSTALLER", "REQUESTED"}
_TOP_LEVEL_DIRECTORIES = {"bin": SCRIPTS}


def tree_bytes(path: Path) -> int:
    """Total size of the regular files under ``path`` (what Lambda counts as unzipped size)."""
    if path.is_file():
        return path.stat().st_size
    total = 0
    for directory, _dirs, files in os.walk(path):
        for name in files:
            file = Path(directory, name)
            if not file.is_symlink():
                total += file.stat().st_size
    return total


def _category(path: Path, is_dir: bool, top: Path) -> str | None:
    if is_dir:
        if path.parent == top and path.name in _TOP_LEVEL_DIRECTORIES:
            return _TOP_LEVEL_DIRECTORIES[path.name]
        return _DIRECTORIES.get(path.name)
    if path.parent.name.endswith(".dist-info") and path.name in _DIST_INFO_FILES:
        return BOOKKEEPING
    return _SUFFIXES.get(path.suffix)


def prune(top: Path) -> dict[str, int]:
    """Delete what the rules match under ``top``; returns bytes removed per category (only non-zero ones)."""
    removed: dict[str, int] = {}
    for directory, dirs, files in os.walk(top, topdown=True):
        here = Path(directory)
        for name in list(dirs):
            category = _category(here / name, True, top)
            if category is not None:
                removed[category] = removed.get(category, 0) + tree_bytes(here / name)
                shutil.rmtree(here / name)
                dirs.remove(name)
        for name in files:
            category = _category(here / name, False, top)
            if category is not None:
                removed[category] = removed.get(category, 0) + (here / name).stat().st_size
                (here / name).unlink()
    _remove_empty_directories(top)
    return removed


def _remove_empty_directories(top: Path) -> None:
    for directory, _dirs, _files in os.walk(top, topdown=False):
        path = Path(directory)
        if path != top and not any(path.iterdir()):
            path.rmdir()
