"""The SQS target: SendMessageBatch (≤ 10 entries), entries reported in ``Failed`` retried with backoff — none lost.

A sender-fault entry (the request itself is wrong) is not retried: resending cannot succeed, so it is counted as
failed at once. Everything else — ``Failed`` entries and whole calls that raise — is retried up to
``max_attempts`` with exponential backoff and full jitter, and counted in ``retried``.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from loadgen.plan import Plan
from loadgen.stats import RunStats

MAX_BATCH = 10  # the SendMessageBatch limit
SETTLE_POLL_S = 0.5
# Both must read 0 for a queue to be settled: waiting, and received but not yet deleted (being processed).
_IN_QUEUE = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")


class SqsTarget:
    """Sends a batch of seqs to one variant's queue; thread-safe (boto3 clients are)."""

    batch_size = MAX_BATCH

    def __init__(self, client: Any, queue_urls: Mapping[str, str], plan: Plan, stats: RunStats, *,
                 max_attempts: int = 8, backoff_s: float = 0.05, max_backoff_s: float = 2.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.client = client
        self.queue_urls = dict(queue_urls)
        self.plan = plan
        self.stats = stats
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.sleep = sleep

    def send(self, variant: str, seqs: list[int], due_mono: list[float]) -> None:
        self.stats.begin(variant, due_mono)
        now = time.time()
        pending = {str(seq): self.plan.request(seq, now).to_json() for seq in seqs}
        sent = failed = retried = 0
        for attempt in range(self.max_attempts):
            accepted, refused = self._send_once(variant, pending)
            sent += len(accepted)
            failed += len(refused)
            for entry_id in (*accepted, *refused):
                del pending[entry_id]
            if not pending or attempt == self.max_attempts - 1:
                break
            retried += len(pending)
            self.sleep(random.uniform(0, min(self.max_backoff_s, self.backoff_s * 2**attempt)))
        self.stats.finish(variant, sent=sent, failed=failed + len(pending), retried=retried)

    def close(self) -> None:
        """Nothing to release: the boto3 client belongs to the caller."""

    def settle(self, variants: tuple[str, ...], stop: threading.Event, timeout_s: float) -> list[str]:
        """Wait until every variant's queue is empty, in flight included — its function has processed and deleted
        every message — or ``timeout_s`` passes or ``stop`` is set; the variants whose queue is not empty yet.

        SQS's counts are approximate on AWS (they may lag by seconds); MiniStack's are exact."""
        deadline = time.monotonic() + timeout_s
        pending = list(variants)
        while True:
            pending = [variant for variant in pending if not self._empty(variant)]
            if not pending or time.monotonic() >= deadline or stop.wait(SETTLE_POLL_S):
                return pending

    def _empty(self, variant: str) -> bool:
        try:
            attributes = self.client.get_queue_attributes(QueueUrl=self.queue_urls[variant],
                                                          AttributeNames=list(_IN_QUEUE))["Attributes"]
        except (BotoCoreError, ClientError) as exc:
            self.stats.note_error(f"{variant}: GetQueueAttributes: {exc}", kind=f"{variant} settle")
            return False
        return all(int(attributes.get(name, 0)) == 0 for name in _IN_QUEUE)

    def _send_once(self, variant: str, pending: dict[str, str]) -> tuple[list[str], list[str]]:
        """One SendMessageBatch: (accepted ids, ids refused for good); the rest of ``pending`` may be retried."""
        entries = [{"Id": entry_id, "MessageBody": body} for entry_id, body in pending.items()]
        try:
            response = self.client.send_message_batch(QueueUrl=self.queue_urls[variant], Entries=entries)
        except (BotoCoreError, ClientError) as exc:
            self.stats.note_error(f"{variant}: SendMessageBatch: {exc}", kind=f"{variant} call {type(exc).__name__}")
            return [], []
        accepted = [entry["Id"] for entry in response.get("Successful", [])]
        failures = response.get("Failed", [])
        if failures:
            first = failures[0]
            code, message = first.get("Code"), " ".join(str(first.get("Message") or "no message").split())
            self.stats.note_error(f"{variant}: {len(failures)} entries failed: {code}: {message} "
                                  f"(seq {first.get('Id')})", kind=f"{variant} entry {code}")
        refused = [entry["Id"] for entry in failures if entry.get("SenderFault")]
        return accepted, refused
