"""A local HTTP server standing in for the stack's API, and stack outputs that point at it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

from stack import Role, Settings, Variant

DEFAULT_VARIANTS = Settings().variants  # py313-1024-arm64, py313-1024-x86_64 and its twin
VARIANTS = tuple(v.id for v in DEFAULT_VARIANTS)
API_PATH = "/_aws/execute-api/abc123/$default"


class _Server(ThreadingHTTPServer):
    """A listen backlog for every sender at once: the default 5 refuses connections when a loadgen run opens a
    hundred together on a busy machine."""

    request_queue_size = 256


class Recorder(BaseHTTPRequestHandler):
    """Answers 400 for seq 3 and 200 for the rest, and remembers every request."""

    received: ClassVar[list[tuple[str, dict[str, str], dict[str, Any]]]] = []
    lock: ClassVar[threading.Lock] = threading.Lock()

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.lock:
            self.received.append((self.path, dict(self.headers), body))
        status = 400 if body["seq"] == 3 else 200
        payload = b'{"ok": true}'
        self.send_response(status)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        """Quiet."""


@contextmanager
def serving() -> Iterator[str]:
    """The recorder on a free loopback port, its base URL; ``Recorder.received`` starts empty."""
    Recorder.received = []
    server = _Server(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def variant(architecture: str, memory_mb: int = 1024, role: Role = "subject") -> Variant:
    return Variant("python3.13", memory_mb, architecture, role)


def outputs_dict(base: str, local: bool = True, variants: tuple[Variant, ...] = DEFAULT_VARIANTS) -> dict[str, Any]:
    """Stack outputs whose queues and API live under ``base``; ``local`` False is a stack on AWS."""
    functions = {v.id: {"name": f"bench_{v.id}", "queue_url": f"{base}/000000000000/bench_{v.id}-queue",
                        "dlq_url": f"{base}/000000000000/bench_{v.id}-dlq", "log_group": f"/aws/lambda/bench_{v.id}",
                        "route": f"/{v.id}/process", "memory_mb": v.memory_mb, "architecture": v.architecture,
                        "runtime": v.runtime, "role": v.role} for v in variants}
    return {"region": "us-east-1", "endpoint_url": base if local else None, "api_url": f"{base}{API_PATH}",
            "functions": functions}


def outputs_file(tmp_path: Path, base: str, local: bool = True, user_function: str | None = None) -> str:
    """``user_function``: the stack runs ``archbench:function`` with this handler (its outputs say so)."""
    path = tmp_path / "outputs.json"
    data = outputs_dict(base, local)
    if user_function:
        data["user_function"] = user_function
    path.write_text(json.dumps(data))
    return str(path)


def received_by_variant(variants: tuple[str, ...] = VARIANTS) -> dict[str, dict[int, tuple[dict[str, str],
                                                                                       dict[str, Any]]]]:
    """Each variant's requests by seq: (headers, body)."""
    return {vid: {b["seq"]: (h, b) for p, h, b in Recorder.received if p.startswith(f"{API_PATH}/{vid}/")}
            for vid in variants}
