"""Every test starts from a fresh execution environment's memory of over-budget messages: the tests reuse ids."""

from __future__ import annotations

import pytest

from handlers import adapters
from handlers.batches import OverBudget


@pytest.fixture(autouse=True)
def _fresh_over_budget_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(adapters, "OVER_BUDGET", OverBudget())
