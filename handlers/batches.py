"""The order in which an SQS batch's records run, so that a request past its time budget cannot drag its neighbours
into the DLQ.

When an item runs out of its budget, the rest of its batch is handed back unstarted, and SQS delivers those records
again, often in one batch with the slow one and in the same order: run first again, it would defer them again until
their receives run out. So the execution environment remembers the message ids that ran out of their budget (the
newest ``OVER_BUDGET_IDS_MAX``) and runs them after every other record of a later batch; otherwise the batch's own
order is kept (the sort is stable). Another environment does not know them: there a record SQS delivered before
(``receive_count`` > 1) gets a budget that leaves its batch's later records time to start
(``handlers.deadline.InvocationClock.item_budget_s``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

OVER_BUDGET_IDS_MAX = 10_000  # message ids, ~40 bytes each: a bounded memory for a long-lived environment


class OverBudget:
    """The message ids that ran out of their time budget in this execution environment, oldest forgotten first."""

    def __init__(self, limit: int = OVER_BUDGET_IDS_MAX) -> None:
        self._limit = limit
        self._ids: dict[str, None] = {}  # insertion-ordered: the first key is the oldest

    def remember(self, message_id: str) -> None:
        self._ids.pop(message_id, None)
        self._ids[message_id] = None
        if len(self._ids) > self._limit:
            del self._ids[next(iter(self._ids))]

    def __contains__(self, message_id: object) -> bool:
        return message_id in self._ids

    def run_order(self, records: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """The records in the order to run them: the remembered ones last, else as given."""
        return sorted(records, key=lambda record: message_id_of(record) in self)


def message_id_of(record: Mapping[str, Any]) -> str:
    return str(record.get("messageId", ""))


def receive_count(record: Mapping[str, Any]) -> int:
    """SQS's ApproximateReceiveCount (a string in the event); 1, a first delivery, when absent or not a number."""
    attributes = record.get("attributes")
    count = attributes.get("ApproximateReceiveCount") if isinstance(attributes, Mapping) else None
    try:
        return int(count) if count is not None else 1
    except (TypeError, ValueError, OverflowError):  # OverflowError: a hand-made event's float("inf")
        return 1
