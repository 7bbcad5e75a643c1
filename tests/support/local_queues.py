"""Putting messages into the session's MiniStack queues and looking into its DLQs, for the end-to-end tests."""

from __future__ import annotations

from stack import StackOutputs


def send_bodies(outputs: StackOutputs, variant_id: str, bodies: list[str]) -> list[str]:
    """Send each body to the variant's queue as it is (one call each: a batch is capped at 256 KB); their ids."""
    sqs, url = outputs.client("sqs"), outputs.functions[variant_id].queue_url
    return [sqs.send_message(QueueUrl=url, MessageBody=body)["MessageId"] for body in bodies]


def dlq_bodies(outputs: StackOutputs, variant_id: str) -> list[str]:
    """Every body in the variant's DLQ, read and made visible again at once (as reconciliation does)."""
    sqs, url = outputs.client("sqs"), outputs.functions[variant_id].dlq_url
    seen: dict[str, tuple[str, str]] = {}  # message id → (body, receipt handle)
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60,
                                          WaitTimeSeconds=1).get("Messages", []):
        seen.update({m["MessageId"]: (m["Body"], m["ReceiptHandle"]) for m in messages})
    handles = [handle for _, handle in seen.values()]
    for start in range(0, len(handles), 10):
        entries = [{"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                   for i, handle in enumerate(handles[start:start + 10])]
        sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries)
    return [body for body, _ in seen.values()]


def purge_queues(outputs: StackOutputs) -> None:
    """Empty every variant's queue and DLQ: a test that counts what the DLQs hold starts, and leaves, them empty."""
    sqs = outputs.client("sqs")
    for fn in outputs.functions.values():
        for url in (fn.queue_url, fn.dlq_url):
            sqs.purge_queue(QueueUrl=url)
