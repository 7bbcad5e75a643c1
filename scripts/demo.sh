#!/usr/bin/env bash
# `make demo`: the local cloud up, a short paired load on both architectures, the comparison, the local cloud down.
# Usage: bash scripts/demo.sh [PYTHON]   (make passes .venv/bin/python). `down` runs on every exit, even Ctrl-C.
set -euo pipefail
PY="${1:-.venv/bin/python}"
cd "$(dirname "$0")/.."

"$PY" -m localcloud up --detach
trap '"$PY" -m localcloud down' EXIT

# 20 requests/s to each architecture's queue for 20 s: 400 each, a CPU-bound and a baseline workload, same moments.
"$PY" -m loadgen --rate 20/s --duration 20s --workload sort,noop --yes

# Waits for both queues to drain, then reads every log line of the run and prints the comparison table.
"$PY" -m analysis.compare --wait 60s
