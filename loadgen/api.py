"""The HTTP API target: one POST per request and variant, SigV4-signed when credentials exist.

A route with IAM authorization needs the signature; a route without one ignores it, and the local cloud's emulator
does not check it, so signing whenever credentials are available is right everywhere. Any HTTP status counts as
sent (the function answered, or API Gateway did); only a request that got no answer at all counts as failed.
Connection errors are retried (the request never left); a read timeout is not (the function may have run).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping

import urllib3

from core import ExecuteApiSigner
from loadgen.plan import Plan
from loadgen.stats import RequestRecord, RunStats

_RETRIES = urllib3.Retry(total=2, connect=2, read=0, status=0, other=0, redirect=0, raise_on_status=False)
_TIMEOUT = urllib3.Timeout(connect=5.0, read=120.0)


class ApiTarget:
    """Posts one seq at a time to one variant's route, from a bounded connection pool."""

    batch_size = 1

    def __init__(self, urls: Mapping[str, str], plan: Plan, stats: RunStats, *, pool_size: int,
                 signer: ExecuteApiSigner | None) -> None:
        self.urls = dict(urls)
        self.plan = plan
        self.stats = stats
        self.signer = signer
        # block=True: never more than pool_size connections per host, the rest wait for a free one.
        self.http = urllib3.PoolManager(maxsize=pool_size, block=True, retries=_RETRIES, timeout=_TIMEOUT)

    def send(self, variant: str, seqs: list[int], due_mono: list[float]) -> None:
        for seq, due, lag in zip(seqs, due_mono, self.stats.begin(variant, due_mono), strict=True):
            self._post(variant, seq, due, lag)

    def _post(self, variant: str, seq: int, due_mono: float, lag_s: float) -> None:
        """One request; its latency is timed from the actual send and from ``due_mono``, when the schedule meant
        it to go (the send lag plus the response time): a stall that delays sending shows in the latter."""
        url = self.urls[variant]
        body = self.plan.request(seq, time.time()).to_json().encode()
        headers = self.signer.headers("POST", url, body) if self.signer else {"Content-Type": "application/json"}
        started = time.perf_counter()
        status: int | None
        try:
            response = self.http.request("POST", url, body=body, headers=headers)
            status = response.status
        except urllib3.exceptions.HTTPError as exc:
            self.stats.note_error(f"{variant}: POST {url}: {exc}", kind=f"{variant} POST {type(exc).__name__}")
            status = None
        latency_ms = (time.perf_counter() - started) * 1000.0
        intended_ms = (self.stats.clock() - due_mono) * 1000.0
        if status is not None and status >= 400:
            self.stats.note_error(f"{variant}: HTTP {status}: {response.data[:200].decode(errors='replace')}",
                                  kind=f"{variant} HTTP {status}")
        self.stats.answer(RequestRecord(variant=variant, seq=seq, status=status, latency_ms=round(latency_ms, 3),
                                        lag_ms=round(lag_s * 1000.0, 3), intended_latency_ms=round(intended_ms, 3)))

    def settle(self, variants: tuple[str, ...], stop: threading.Event, timeout_s: float) -> list[str]:
        """Nothing to wait for: an answered request has been processed (the function answered it)."""
        return []

    def close(self) -> None:
        self.http.clear()
