"""The stack's SQS event source mappings held for a while: messages pile up in send order, so the first batches
are full when the functions consume again (the fault suite's mid-batch request, the loadgen benchmark's
flat-out sends)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from stack import StackOutputs


@contextmanager
def consumers_paused(outputs: StackOutputs) -> Iterator[None]:
    """Every mapping of the stack's functions disabled inside the block, enabled again after it (even on error)."""
    lam = outputs.client("lambda")
    uuids = [mapping["UUID"] for fn in outputs.functions.values()
             for mapping in lam.list_event_source_mappings(FunctionName=fn.name)["EventSourceMappings"]]
    for uuid in uuids:
        lam.update_event_source_mapping(UUID=uuid, Enabled=False)
    try:
        yield
    finally:
        for uuid in uuids:
            lam.update_event_source_mapping(UUID=uuid, Enabled=True)
