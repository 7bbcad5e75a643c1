"""Nothing is lost: every message sent is processed, waiting in the DLQ, or still in flight.

Per variant: ``sent``/``failed`` from the run manifest (``targets``, keyed by variant id; ``failed`` = never
accepted, so not part of ``sent``); ``in_flight`` = the main queue's ApproximateNumberOfMessages +
ApproximateNumberOfMessagesNotVisible; ``in_dlq`` = the DLQ's messages of this run; ``processed`` = distinct work
items (``Seq``) the handler finished that are not in the DLQ — without an error on SQS (a failed item is retried and
ends in the DLQ), with any outcome on the API (which answers every request once).
``lost = sent − processed − in_dlq − in_flight`` must be 0.

Why the DLQ is read, not only counted: its ApproximateNumberOfMessages is a whole-queue count, so messages of
earlier runs would make ``lost`` negative; and an item can be processed by an invocation that then times out, so
the message is redelivered and may end in the DLQ although its work was done. The DLQ's messages are therefore
received with a short visibility timeout, attributed by their body's ``run_id``/``seq``, and made visible again at
once. If they cannot all be seen (a very large DLQ), ``in_dlq`` falls back to the whole-queue count and says so.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import pandas as pd
from botocore.exceptions import BotoCoreError, ClientError

from core import Reconciled, Reconciliation, ReconciliationRow, RunManifest, TargetCounts, UnknownReconciliation
from stack import StackOutputs

Field = Literal["sent", "processed", "failed", "in_dlq", "in_flight", "lost"]
FIELDS: tuple[Field, ...] = ("sent", "processed", "failed", "in_dlq", "in_flight", "lost")  # a row's keys
MAX_DLQ_READ = 10_000
PEEK_VISIBILITY_S = 60  # long enough to enumerate; every message is made visible again right after


@dataclass(frozen=True)
class DeadLetters:
    seqs: frozenset[int]  # this run's work items in the DLQ
    seen: int  # messages read (this run's and others')


class Queues(Protocol):
    def count(self, url: str) -> tuple[int, int]: ...  # (visible, not visible)

    def dead_letters(self, url: str, run_id: str) -> DeadLetters: ...


class SqsQueues:
    """The two reads reconciliation needs, through one SQS client."""

    def __init__(self, sqs: Any) -> None:
        self._sqs = sqs

    def count(self, url: str) -> tuple[int, int]:
        attributes = self._sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return (int(attributes.get("ApproximateNumberOfMessages", 0)),
                int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)))

    def dead_letters(self, url: str, run_id: str) -> DeadLetters:
        seqs: set[int] = set()
        handles: dict[str, str] = {}  # message id → receipt handle
        try:
            while len(handles) < MAX_DLQ_READ:
                messages = self._sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                                     VisibilityTimeout=PEEK_VISIBILITY_S,
                                                     WaitTimeSeconds=1).get("Messages", [])
                if not messages:
                    break
                for message in messages:
                    handles[message["MessageId"]] = message["ReceiptHandle"]
                    seq = _seq_of(message.get("Body", ""), run_id)
                    if seq is not None:
                        seqs.add(seq)
        finally:
            self._release(url, list(handles.values()))
        return DeadLetters(frozenset(seqs), len(handles))

    def _release(self, url: str, receipt_handles: list[str]) -> None:
        for start in range(0, len(receipt_handles), 10):
            entries = [{"Id": str(index), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                       for index, handle in enumerate(receipt_handles[start:start + 10])]
            self._sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries)


def _seq_of(body: str, run_id: str) -> int | None:
    """The work item's seq when the body is a work request of this run; None for anything else, including a body
    nested so deep that ``json.loads`` raises ``RecursionError`` (unreadable, never a crash)."""
    try:
        request = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(request, dict) or request.get("run_id") != run_id:
        return None
    seq = request.get("seq")
    return seq if isinstance(seq, int) and not isinstance(seq, bool) else None


def finished_seqs(items: pd.DataFrame, target: str) -> dict[str, set[int]]:
    """Per variant, the work items the handler finished: successfully on SQS, at all on the API."""
    done = items[items["seq"].notna()]
    if target == "sqs":
        done = done[~done["error"]]
    return {vid: {int(seq) for seq in group["seq"]} for vid, group in done.groupby("variant")}


def unknown(reason: str) -> UnknownReconciliation:
    """A run made elsewhere (no manifest) or queues out of reach: no claim either way."""
    return {"status": "unknown", "reason": reason, "sent": None, "processed": None, "failed": None, "in_dlq": None,
            "in_flight": None, "lost": None, "by_variant": {}}


def reconcile(manifest: RunManifest, items: pd.DataFrame, outputs: StackOutputs, queues: Queues) -> Reconciliation:
    target = manifest.target
    finished = finished_seqs(items, target)
    by_variant: dict[str, ReconciliationRow] = {}
    approximate: list[str] = []
    for vid, counts in _in_matrix_order(manifest, outputs):
        done = finished.get(vid, set())
        in_dlq = in_flight = 0
        if target == "sqs":
            function = outputs.functions.get(vid)
            if function is None:
                return unknown(f"the stack outputs have no function of variant {vid}")
            try:
                in_flight = sum(queues.count(function.queue_url))
                in_dlq, dead = _dead_letters(queues, function.dlq_url, manifest.run_id)
            except (ClientError, BotoCoreError) as exc:
                return unknown(f"cannot read the {vid} queues: {exc}")
            if dead is None:
                approximate.append(vid)
            else:
                done = done - dead
        by_variant[vid] = {"sent": counts.sent, "processed": len(done), "failed": counts.failed, "in_dlq": in_dlq,
                         "in_flight": in_flight, "lost": counts.sent - len(done) - in_dlq - in_flight}
    result = _reconciled(target, by_variant)
    if approximate:
        result["in_dlq_whole_queue"] = approximate  # these DLQs were too large to read: whole-queue counts
    return result


def _in_matrix_order(manifest: RunManifest, outputs: StackOutputs) -> list[tuple[str, TargetCounts]]:
    """The manifest's targets in the stack's variant order, any the stack does not know after them."""
    order = {vid: index for index, vid in enumerate(outputs.variants)}
    return sorted(manifest.targets.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))


def _reconciled(target: str, by_variant: dict[str, ReconciliationRow]) -> Reconciled:
    """The variants' rows, their totals, and whether anything is lost."""
    rows = by_variant.values()
    sent, processed, failed, in_dlq, in_flight, lost = (sum(row[name] for row in rows) for name in FIELDS)
    return {"status": "ok" if all(row["lost"] == 0 for row in rows) else "lost", "target": target, "sent": sent,
            "processed": processed, "failed": failed, "in_dlq": in_dlq, "in_flight": in_flight, "lost": lost,
            "by_variant": by_variant}


def _dead_letters(queues: Queues, url: str, run_id: str) -> tuple[int, frozenset[int] | None]:
    """This run's messages in the DLQ (and their seqs), or the whole-queue count (and None) past the read cap."""
    total = sum(queues.count(url))
    if total == 0:
        return 0, frozenset()
    dead = queues.dead_letters(url, run_id)
    if dead.seen < total:
        return total, None
    return len(dead.seqs), dead.seqs


def describe_problem(reconciliation: Reconciliation) -> str | None:
    """The loud sentence when something does not add up, else ``None``."""
    if reconciliation["status"] != "lost":
        return None
    parts = []
    for vid, row in reconciliation["by_variant"].items():
        if row["lost"] > 0:
            parts.append(f"{vid}: {row['lost']} of {row['sent']} messages sent are unaccounted for")
        elif row["lost"] < 0:
            parts.append(f"{vid}: {-row['lost']} more messages accounted for than sent"
                         + (" (messages still in flight may be counted twice: compare again later)"
                            if row["in_flight"] else ""))
    return "; ".join(parts)


def wait_for_drain(count: Callable[[str], tuple[int, int]], queue_urls: list[str], timeout_s: float,
                   progress: Callable[[str], None], poll_s: float = 1.0,
                   clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> int:
    """Wait until the main queues hold nothing (so every log line exists before it is read); returns what is
    still in flight when ``timeout_s`` runs out (0 when drained)."""
    deadline = clock() + timeout_s
    while True:
        in_flight = sum(sum(count(url)) for url in queue_urls)
        if in_flight == 0 or clock() >= deadline:
            return in_flight
        progress(f"waiting for the queues to drain: {in_flight:,} messages in flight")
        sleep(poll_s)
