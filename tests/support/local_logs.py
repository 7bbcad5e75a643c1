"""Reading a run's EMF documents back from the session's MiniStack, for the end-to-end tests."""

from __future__ import annotations

import json
from typing import Any

from handlers.contract import P_RUN_ID
from stack import StackOutputs


def emf_documents(outputs: StackOutputs, log_group: str, run_id: str) -> list[dict[str, Any]]:
    """Every EMF document of ``run_id`` in one log group (one log event per document).

    A quoted term is honoured by MiniStack's filter_log_events (a JSON pattern is not); the tests stay far below
    its 10,000-event cap per call.
    """
    assert outputs.endpoint_url
    events = outputs.client("logs").filter_log_events(
        logGroupName=log_group, filterPattern=f'"{run_id}"')["events"]
    documents = [json.loads(e["message"]) for e in events if e["message"].strip().startswith("{")]
    return [d for d in documents if "_aws" in d and d.get(P_RUN_ID) == run_id]
