"""Nothing is lost: every message this run sent is processed, waiting in the DLQ, or still in flight.

Only this run's *planned* work is counted: seqs 0 … ``scheduled`` − 1 of each variant (loadgen hands them out in
order; ``scheduled`` = ``sent`` + ``failed``, from the run manifest's ``targets``). Per variant:

- ``processed``: planned seqs the handler finished and that are not in the DLQ — without an error on SQS (a failed
  item is retried and ends in the DLQ), with any outcome on the API (which answers every request once);
- ``in_dlq``: planned seqs whose message is in the DLQ (read message by message, ``analysis.queues``); an item can
  be done by an invocation that then timed out, so its message is redelivered and may end in the DLQ: it is
  counted there, once;
- ``in_flight``: the main queue's depth, at most the planned seqs still unaccounted for. A main queue cannot be
  read without receiving (which counts toward the redrive), so its messages cannot be told apart by run;
- ``lost = sent − processed − in_dlq − in_flight``, which must be 0.

Everything else the queues and logs hold is reported apart (``apart``), never added or subtracted: work items of
this run with an unplanned seq, DLQ messages of other runs, unreadable DLQ bodies, this run's DLQ messages with an
unplanned seq (or a second copy), and main-queue messages beyond what this run can explain. A DLQ too large to read
(``MAX_DLQ_READ``) counts its unread messages as this run's only up to what is still missing, and says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import pandas as pd
from botocore.exceptions import BotoCoreError, ClientError

from analysis.queues import EMPTY_DLQ, SAMPLES, DeadLetters, Queues
from core import Apart, Reconciled, Reconciliation, ReconciliationRow, RunManifest, TargetCounts, UnknownReconciliation
from stack import StackOutputs

Field = Literal["sent", "processed", "failed", "in_dlq", "in_flight", "lost"]
FIELDS: tuple[Field, ...] = ("sent", "processed", "failed", "in_dlq", "in_flight", "lost")  # a row's keys
ApartKey = Literal["unplanned_items", "dlq_unplanned", "dlq_other_runs", "dlq_unreadable", "dlq_unread",
                   "queue_other"]


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


def unplanned_items(items: pd.DataFrame, scheduled: Mapping[str, int]) -> dict[str, int]:
    """Per variant, this run's work-item documents whose seq was not planned: none, or not below ``scheduled``
    (counted by document: each delivery of such a message writes one)."""
    out: dict[str, int] = {}
    for vid, group in items.groupby("variant"):
        seqs = group["seq"]
        out[str(vid)] = int((seqs.isna() | (seqs < 0) | (seqs >= scheduled.get(str(vid), 0))).sum())
    return out


def reconcile(manifest: RunManifest, items: pd.DataFrame, outputs: StackOutputs, queues: Queues) -> Reconciliation:
    finished = finished_seqs(items, manifest.target)
    unplanned = unplanned_items(items, {vid: counts.scheduled for vid, counts in manifest.targets.items()})
    by_variant: dict[str, ReconciliationRow] = {}
    apart: dict[str, Apart] = {}
    samples: list[str] = []
    estimated: list[str] = []
    for vid, counts in _in_matrix_order(manifest, outputs):
        done = {seq for seq in finished.get(vid, set()) if seq < counts.scheduled}
        side = _QueueSide()  # the API has no queues
        if manifest.target == "sqs":
            function = outputs.functions.get(vid)
            if function is None:
                return unknown(f"the stack outputs have no function of variant {vid}")
            try:
                side = _read_queues(queues, function.queue_url, function.dlq_url, manifest.run_id, counts.scheduled)
            except (ClientError, BotoCoreError) as exc:
                return unknown(f"cannot read the {vid} queues: {exc}")
        row, apart[vid] = side.account(counts, done - side.dead_planned, unplanned.get(vid, 0))
        by_variant[vid] = row
        samples += side.dead.samples
        if side.unread:
            estimated.append(vid)
    result = _reconciled(manifest.target, by_variant, apart, samples)
    if estimated:
        result["in_dlq_whole_queue"] = estimated  # these DLQs were too large to read message by message
    return result


@dataclass(frozen=True)
class _QueueSide:
    """One variant's queues as read: the DLQ's messages sorted, the planned seqs among them, both depths."""

    dead_planned: frozenset[int] = frozenset()
    dead: DeadLetters = EMPTY_DLQ
    depth: int = 0  # main queue, visible + not visible
    unread: int = 0  # DLQ messages past the read cap

    def account(self, counts: TargetCounts, done: set[int], unplanned: int) -> tuple[ReconciliationRow, Apart]:
        """This run's row, and what is set apart. Unread DLQ messages and the main queue's messages count as
        this run's only up to what it is still missing: they cannot be told apart by run."""
        missing = max(0, counts.sent - len(done) - len(self.dead_planned))
        unread_taken = min(self.unread, missing)
        in_dlq = len(self.dead_planned) + unread_taken
        in_flight = min(self.depth, missing - unread_taken)
        row = ReconciliationRow(sent=counts.sent, processed=len(done), failed=counts.failed, in_dlq=in_dlq,
                                in_flight=in_flight, lost=counts.sent - len(done) - in_dlq - in_flight)
        apart = Apart(unplanned_items=unplanned,
                      dlq_unplanned=len(self.dead.seqs) - len(self.dead_planned) + self.dead.without_seq,
                      dlq_other_runs=self.dead.other_runs, dlq_unreadable=self.dead.unreadable,
                      dlq_unread=self.unread - unread_taken, queue_other=self.depth - in_flight)
        return row, apart


def _read_queues(queues: Queues, queue_url: str, dlq_url: str, run_id: str, scheduled: int) -> _QueueSide:
    depth, dlq_depth = sum(queues.count(queue_url)), sum(queues.count(dlq_url))
    dead = queues.dead_letters(dlq_url, run_id) if dlq_depth else EMPTY_DLQ
    return _QueueSide(dead_planned=frozenset(seq for seq in dead.seqs if 0 <= seq < scheduled),
                      dead=dead, depth=depth, unread=max(0, dlq_depth - dead.seen))


def _in_matrix_order(manifest: RunManifest, outputs: StackOutputs) -> list[tuple[str, TargetCounts]]:
    """The manifest's targets in the stack's variant order, any the stack does not know after them."""
    order = {vid: index for index, vid in enumerate(outputs.variants)}
    return sorted(manifest.targets.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))


def _reconciled(target: str, by_variant: dict[str, ReconciliationRow], apart: dict[str, Apart],
                samples: list[str]) -> Reconciled:
    """The variants' rows, their totals, what was set apart, and whether anything is lost."""
    rows = by_variant.values()
    sent, processed, failed, in_dlq, in_flight, lost = (sum(row[name] for row in rows) for name in FIELDS)
    return {"status": "ok" if all(row["lost"] == 0 for row in rows) else "lost", "target": target, "sent": sent,
            "processed": processed, "failed": failed, "in_dlq": in_dlq, "in_flight": in_flight, "lost": lost,
            "by_variant": by_variant, "apart": apart, "unreadable_samples": samples[:SAMPLES]}


def describe_problem(reconciliation: Reconciliation) -> str | None:
    """The loud sentence when something does not add up, else ``None``."""
    if reconciliation["status"] != "lost":
        return None
    parts = []
    for vid, row in reconciliation["by_variant"].items():
        if row["lost"] > 0:
            parts.append(f"{vid}: {row['lost']} of {row['sent']} messages sent are unaccounted for")
        elif row["lost"] < 0:
            parts.append(f"{vid}: {-row['lost']} more messages accounted for than sent (a send loadgen counted "
                         "as failed may have arrived after all)")
    return "; ".join(parts)


APART_SENTENCES: dict[ApartKey, str] = {  # an apart key → its note, "{n}" the count, "{where}" the variants
    "unplanned_items": "{n} work-item documents of this run name no planned seq{where}",
    "dlq_unplanned": "{n} DLQ messages of this run are not a planned seq's first copy{where}",
    "dlq_other_runs": "{n} DLQ messages belong to other runs{where}",
    "dlq_unreadable": "{n} DLQ messages are unreadable, not a JSON work request with a run id{where}",
    "dlq_unread": "{n} DLQ messages past the read cap are more than this run is missing{where}",
    "queue_other": "{n} main-queue messages are more than this run is missing (other runs' or retries){where}",
}


def describe_apart(reconciliation: Reconciled) -> list[str]:
    """One sentence per kind of thing set apart, with its count per variant: left out of the run's figures."""
    out = []
    for key, sentence in APART_SENTENCES.items():
        counts = {vid: block[key] for vid, block in reconciliation["apart"].items() if block[key]}
        if not counts:
            continue
        where = ", ".join(f"{vid}: {n}" if len(counts) > 1 else vid for vid, n in counts.items())
        text = sentence.format(n=sum(counts.values()), where=f" ({where})")
        if key == "dlq_unreadable" and reconciliation["unreadable_samples"]:
            text += ", e.g. " + ", ".join(reconciliation["unreadable_samples"])
        out.append(text + ": set apart, not counted in this run's figures.")
    return out
