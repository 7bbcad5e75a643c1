"""POST a JSON body to the HTTP API, SigV4-signed for ``execute-api`` when the route uses IAM auth.

MiniStack never verifies signatures but refuses an IAM route without an Authorization header, so signing with the
dummy credentials is what a real client does and what the emulator accepts.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from core import ExecuteApiSigner


def post_json(url: str, body: str | bytes, sign: bool = True, timeout_s: float = 30.0) -> tuple[int, Any]:
    """Return the status and the decoded JSON answer (or the raw text when it is not JSON)."""
    data = body.encode() if isinstance(body, str) else body
    headers = ExecuteApiSigner.local().headers("POST", url, data) if sign else {"Content-Type": "application/json"}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers, method="POST"),
                                    timeout=timeout_s) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw) if raw else None
    except json.JSONDecodeError:
        return status, raw.decode(errors="replace")
