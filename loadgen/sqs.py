"""The SQS target: SendMessageBatch (≤ 10 entries), entries reported in ``Failed`` retried with backoff — none lost.

A sender-fault entry (the request itself is wrong) is not retried: resending cannot succeed, so it is counted as
failed at once. Everything else — ``Failed`` entries and whole calls that raise — is retried up to
``max_attempts`` with exponential backoff and full jitter, and counted in ``retried``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from loadgen.plan import Plan
from loadgen.stats import RunStats

MAX_BATCH = 10  # the SendMessageBatch limit


class SqsTarget:
    """Sends a batch of seqs to one architecture's queue; thread-safe (boto3 clients are)."""

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

    def send(self, arch: str, seqs: list[int], due_mono: list[float]) -> None:
        self.stats.begin(arch, due_mono)
        now = time.time()
        pending = {str(seq): self.plan.request(seq, now).to_json() for seq in seqs}
        sent = failed = retried = 0
        for attempt in range(self.max_attempts):
            accepted, refused = self._send_once(arch, pending)
            sent += len(accepted)
            failed += len(refused)
            for entry_id in (*accepted, *refused):
                del pending[entry_id]
            if not pending or attempt == self.max_attempts - 1:
                break
            retried += len(pending)
            self.sleep(random.uniform(0, min(self.max_backoff_s, self.backoff_s * 2**attempt)))
        self.stats.finish(arch, sent=sent, failed=failed + len(pending), retried=retried)

    def close(self) -> None:
        """Nothing to release: the boto3 client belongs to the caller."""

    def _send_once(self, arch: str, pending: dict[str, str]) -> tuple[list[str], list[str]]:
        """One SendMessageBatch: (accepted ids, ids refused for good); the rest of ``pending`` may be retried."""
        entries = [{"Id": entry_id, "MessageBody": body} for entry_id, body in pending.items()]
        try:
            response = self.client.send_message_batch(QueueUrl=self.queue_urls[arch], Entries=entries)
        except (BotoCoreError, ClientError) as exc:
            self.stats.note_error(f"{arch}: SendMessageBatch: {exc}", kind=f"{arch} call {type(exc).__name__}")
            return [], []
        accepted = [entry["Id"] for entry in response.get("Successful", [])]
        failures = response.get("Failed", [])
        if failures:
            first = failures[0]
            code, message = first.get("Code"), " ".join(str(first.get("Message") or "no message").split())
            self.stats.note_error(f"{arch}: {len(failures)} entries failed: {code}: {message} "
                                  f"(seq {first.get('Id')})", kind=f"{arch} entry {code}")
        refused = [entry["Id"] for entry in failures if entry.get("SenderFault")]
        return accepted, refused
