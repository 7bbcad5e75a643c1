"""Tests that download from the package registries (PyPI wheels, Debian packages): every test here is marked
``registry`` (deselect with ``-m "not registry"``)."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.registry)
