"""``python -m loadgen``: open-model paired load for both architectures (SQS queues or HTTP API routes).

The schedule alone decides when each work request is due (a slow target never slows it down), and every
scheduled request goes to every architecture at the same moment with the same workload, size, seed and seq.
"""
