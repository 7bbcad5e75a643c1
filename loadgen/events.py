"""``loadgen --events FILE``: the sample events every work request for the user's function carries.

The file is read by ``core.read_events``. Each event becomes a share of the mix (``workload`` ``function``), so the
plan picks every seq's event by weight, the same for every variant. A work request larger than SQS's message limit
is refused here, before anything is sent.
"""

from __future__ import annotations

from pathlib import Path

from core import UsageError, read_events
from handlers.contract import USER_WORKLOAD, WorkRequest
from loadgen.parsing import WorkloadShare

SQS_MESSAGE_MAX_BYTES = 256 * 1024
# The largest identity a request can carry: the longest run id, the largest seq and round, a full-precision time.
_WIDEST = WorkRequest(run_id="r" * 64, seq=2**63 - 1, workload=USER_WORKLOAD, size=0, iterations=1000,
                      seed=2**63 - 1, sent_at=1.7976931348623157e308, round=100_000)


def load_events(path: Path) -> tuple[WorkloadShare, ...]:
    """The file's events as weighted shares of the mix; one ``UsageError`` line for any problem."""
    shares = tuple(WorkloadShare(USER_WORKLOAD, weight, 0, event) for event, weight in read_events(path))
    for number, share in enumerate(shares, 1):
        size = len(_WIDEST._replace(event=share.event).to_json().encode())
        if size > SQS_MESSAGE_MAX_BYTES:
            raise UsageError(f"--events {path}: event {number} makes a work request of {size:,} bytes, over SQS's "
                             f"{SQS_MESSAGE_MAX_BYTES:,}-byte message limit")
    return shares
