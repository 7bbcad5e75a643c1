"""POST a JSON body to the HTTP API, SigV4-signed for ``execute-api`` when the route uses IAM auth.

MiniStack never verifies signatures but refuses an IAM route without an Authorization header, so signing with the
dummy credentials is what a real client does and what the emulator accepts.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from localcloud.process import DUMMY_CREDENTIALS, REGION


def post_json(url: str, body: str | bytes, sign: bool = True, timeout_s: float = 30.0) -> tuple[int, Any]:
    """Return the status and the decoded JSON answer (or the raw text when it is not JSON)."""
    data = body.encode() if isinstance(body, str) else body
    headers = {"Content-Type": "application/json"}
    if sign:
        request = AWSRequest(method="POST", url=url, data=data, headers=headers)
        credentials = Credentials(DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"], DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"])
        SigV4Auth(credentials, "execute-api", REGION).add_auth(request)
        headers = dict(request.headers.items())
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
