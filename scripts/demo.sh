#!/usr/bin/env bash
# `make demo`: the local cloud up, a short load on both architectures, the EMF documents that arrived, down.
# Usage: bash scripts/demo.sh [PYTHON]   (make passes .venv/bin/python). `down` runs on every exit, even Ctrl-C.
set -euo pipefail
PY="${1:-.venv/bin/python}"
cd "$(dirname "$0")/.."

"$PY" -m localcloud up --detach
trap '"$PY" -m localcloud down' EXIT

# --- the load (to be replaced by `python -m loadgen` and `python -m analysis.compare`) ----------------------------
"$PY" - <<'PYTHON'
"""Send 100 work requests to each queue and 25 to each route, then show the EMF documents that arrived."""
import json
import time

from components.outputs import find_outputs
from handlers.contract import WorkRequest, new_run_id
from localcloud.deploy import client
from localcloud.http import post_json

QUEUED, ROUTED, WORKLOAD, SIZE = 100, 25, "sort", 10_000
outputs = find_outputs()
sqs, logs = client("sqs", outputs.endpoint_url), client("logs", outputs.endpoint_url)
run_id = new_run_id()
print(f"run {run_id}: {QUEUED} {WORKLOAD}({SIZE}) requests to each queue, {ROUTED} to each route")
for arch, fn in outputs.functions.items():
    for start in range(0, QUEUED, 10):
        sqs.send_message_batch(QueueUrl=fn.queue_url, Entries=[
            {"Id": str(seq), "MessageBody": WorkRequest(run_id, seq, WORKLOAD, SIZE, seed=seq).to_json()}
            for seq in range(start, start + 10)])
    for seq in range(QUEUED, QUEUED + ROUTED):
        status, body = post_json(outputs.api_url + fn.route, WorkRequest(run_id, seq, WORKLOAD, SIZE, seed=seq).to_json())
        if status != 200:
            raise SystemExit(f"POST {fn.route} answered {status}: {body}")

expected = QUEUED + ROUTED
documents = {}
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    for arch, fn in outputs.functions.items():
        events = logs.filter_log_events(logGroupName=fn.log_group, filterPattern=f'"{run_id}"')["events"]
        documents[arch] = [json.loads(e["message"]) for e in events if e["message"].startswith("{")]
    if all(len(docs) >= expected for docs in documents.values()):
        break
    time.sleep(1)

for arch, docs in documents.items():
    print(f"one EMF document from {arch}, as logged:\n  {json.dumps(docs[0]) if docs else '(none)'}")
for arch, docs in documents.items():
    workload_ms = sorted(doc["WorkloadMs"] for doc in docs if doc.get("WorkloadMs") is not None)
    median = workload_ms[len(workload_ms) // 2] if workload_ms else float("nan")
    print(f"{arch:7} {len(docs)}/{expected} EMF documents, median WorkloadMs {median:.2f} "
          f"(host CPU {docs[0]['HostMachine'] if docs else '?'}: local runs are functional, not architectural, evidence)")
if any(len(docs) < expected for docs in documents.values()):
    raise SystemExit("some EMF documents did not arrive within 60 s")
PYTHON
