"""What reconciliation and the analysis window read from SQS: queue depths, a DLQ's messages sorted by whose they
are, and how long a message can take to be redelivered or dead-lettered.

A main queue is only ever counted, never received from: a receive counts toward its redrive policy's
``maxReceiveCount``, so peeking at it could push a message into the DLQ. A DLQ has no redrive of its own, so its
messages are received with a short visibility timeout, sorted by their body's ``run_id``/``seq``, and made visible
again at once. A body that is not a JSON object with a valid run id (``handlers.contract.is_run_id``, as the
handler's own ``salvage_identity``) is *unreadable*: counted, a few shown, never a crash (not even nested too deep
for ``json.loads``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from handlers.contract import is_run_id
from stack import Settings

MAX_DLQ_READ = 10_000
PEEK_VISIBILITY_S = 60  # long enough to enumerate; every message is made visible again right after
SAMPLES = 3  # unreadable bodies shown
SAMPLE_CHARS = 80
DEFAULT_REDELIVERY_S = float(Settings().queue_visibility_timeout_s * Settings().dlq_max_receives)  # 900 s


@dataclass(frozen=True)
class DeadLetters:
    """One DLQ's messages, by whose they are."""

    seqs: tuple[int, ...]  # this run's messages' seqs, one per message (a message sent twice appears twice)
    without_seq: int = 0  # this run's messages whose seq is missing or not an integer
    other_runs: int = 0  # messages whose body names another run
    unreadable: int = 0  # bodies that are not a JSON object with a valid run id
    samples: tuple[str, ...] = ()  # a few unreadable bodies, cut short

    @property
    def seen(self) -> int:
        return len(self.seqs) + self.without_seq + self.other_runs + self.unreadable


EMPTY_DLQ = DeadLetters(())


class Queues(Protocol):
    def count(self, url: str) -> tuple[int, int]: ...  # (visible, not visible)

    def dead_letters(self, url: str, run_id: str) -> DeadLetters: ...


class SqsQueues:
    """The reads reconciliation and the analysis window need, through one SQS client."""

    def __init__(self, sqs: Any) -> None:
        self._sqs = sqs

    def count(self, url: str) -> tuple[int, int]:
        attributes = self._sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return (int(attributes.get("ApproximateNumberOfMessages", 0)),
                int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)))

    def redelivery_s(self, url: str) -> float | None:
        """How long after its send a message can still be delivered: SQS makes it visible again one visibility
        timeout after each receive, and moves it to the DLQ after ``maxReceiveCount`` receives, so at most
        VisibilityTimeout × maxReceiveCount. ``None`` for a queue without a redrive policy (no such bound)."""
        attributes = self._sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["VisibilityTimeout", "RedrivePolicy"])["Attributes"]
        try:
            receives = int(json.loads(attributes["RedrivePolicy"])["maxReceiveCount"])
            return float(attributes["VisibilityTimeout"]) * receives
        except (KeyError, TypeError, ValueError):
            return None

    def dead_letters(self, url: str, run_id: str) -> DeadLetters:
        bodies: list[str] = []
        handles: dict[str, str] = {}  # message id → receipt handle
        try:
            while len(handles) < MAX_DLQ_READ:
                messages = self._sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                                     VisibilityTimeout=PEEK_VISIBILITY_S,
                                                     WaitTimeSeconds=1).get("Messages", [])
                if not messages:
                    break
                for message in messages:
                    if message["MessageId"] not in handles:
                        bodies.append(message.get("Body", ""))
                    handles[message["MessageId"]] = message["ReceiptHandle"]
        finally:
            self._release(url, list(handles.values()))
        return sort_dead_letters(bodies, run_id)

    def _release(self, url: str, receipt_handles: list[str]) -> None:
        for start in range(0, len(receipt_handles), 10):
            entries = [{"Id": str(index), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                       for index, handle in enumerate(receipt_handles[start:start + 10])]
            self._sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries)


def sort_dead_letters(bodies: list[str], run_id: str) -> DeadLetters:
    """Sort DLQ bodies into this run's seqs, this run's without a seq, other runs' and unreadable ones."""
    seqs: list[int] = []
    without_seq = other_runs = 0
    unreadable: list[str] = []
    for body in bodies:
        request = _decode(body)
        if request is None:
            unreadable.append(body)
        elif request["run_id"] != run_id:
            other_runs += 1
        elif isinstance(seq := request.get("seq"), int) and not isinstance(seq, bool):
            seqs.append(seq)
        else:
            without_seq += 1
    samples = tuple(repr(body[:SAMPLE_CHARS]) + ("…" if len(body) > SAMPLE_CHARS else "")
                    for body in unreadable[:SAMPLES])
    return DeadLetters(tuple(seqs), without_seq, other_runs, len(unreadable), samples)


def _decode(body: str) -> dict[str, Any] | None:
    """The body as a JSON object with a valid ``run_id``, else None (including nesting too deep to decode)."""
    try:
        request = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(request, dict) or not is_run_id(request.get("run_id")):
        return None
    return request


def redelivery_bound_s(queues: SqsQueues, queue_urls: list[str]) -> float:
    """The longest any of these queues may take to deliver or dead-letter a message (``SqsQueues.redelivery_s``);
    a queue that cannot be read, or has no redrive policy, counts as the default settings' bound."""
    bounds = []
    for url in queue_urls:
        try:
            bound = queues.redelivery_s(url)
        except (ClientError, BotoCoreError):
            bound = None
        bounds.append(DEFAULT_REDELIVERY_S if bound is None else bound)
    return max(bounds, default=0.0)


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
