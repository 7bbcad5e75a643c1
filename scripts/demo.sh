#!/usr/bin/env bash
# `make demo`: the local cloud up with a six-variant matrix (scripts/demo.yaml: memory 512 and 1024 × arm64 and
# x86_64, plus the x86_64 A/A twin of each), a short load released to every variant at the same moments, the
# comparison, the local cloud down.
# Usage: bash scripts/demo.sh [PYTHON]   (make passes .venv/bin/python). `down` runs on every exit, even Ctrl-C.
set -euo pipefail
PY="${1:-.venv/bin/python}"
cd "$(dirname "$0")/.."

"$PY" -m localcloud up --detach --config scripts/demo.yaml
trap '"$PY" -m localcloud down' EXIT

# 10 requests/s to each of the six variants' queues for 15 s: 150 each, a CPU-bound and a baseline workload.
"$PY" -m loadgen --rate 10/s --duration 15s --workload sort,noop --yes

# Waits for every queue to drain, then reads every log line of the run and prints the comparison.
"$PY" -m analysis.compare --wait 60s
