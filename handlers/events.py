"""The sample event as the user's handler expects it (``archbench:function``'s ``event``): as given (``raw``), or
wrapped the way its trigger delivers it, so a function written for that trigger runs unchanged.

- ``sqs``: an SQS event with one record whose ``body`` is the event (a string as it is, anything else as JSON), in
  the shape of the Lambda Developer Guide's "Using Lambda with Amazon SQS" example event.
- ``http``: an API Gateway HTTP API payload format 2.0 request (``POST /``) whose ``body`` is the event likewise, in
  the shape of the API Gateway Developer Guide's "payload format version 2.0" example.

Ids and times come from the work request (run id, seq, ``sent_at``), not from a clock or a random source, so every
variant's handler gets the same event for the same seq.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from handlers.contract import WorkRequest

RAW, SQS, HTTP = "raw", "sqs", "http"
EVENT_KINDS = (RAW, SQS, HTTP)
REGION = "us-east-1"
ACCOUNT = "000000000000"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:archbench-function"


def wrap_event(kind: str, event: Any, request: WorkRequest) -> Any:
    """``event`` as ``kind``'s trigger would deliver it for ``request``."""
    if kind == SQS:
        return sqs_event(event, request)
    if kind == HTTP:
        return http_event(event, request)
    return event


def sqs_event(event: Any, request: WorkRequest) -> dict[str, Any]:
    body = _body(event)
    sent_ms = str(int(request.sent_at * 1000))
    return {"Records": [{
        "messageId": _uuid(request, "message"),
        "receiptHandle": _uuid(request, "receipt"),
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": sent_ms, "SenderId": ACCOUNT,
                       "ApproximateFirstReceiveTimestamp": sent_ms},
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN,
        "awsRegion": REGION,
    }]}


def http_event(event: Any, request: WorkRequest) -> dict[str, Any]:
    epoch_ms = int(request.sent_at * 1000)
    headers = {"content-type": "application/json", "host": "archbench.local", "user-agent": "archbench"}
    return {
        "version": "2.0",
        "routeKey": "POST /",
        "rawPath": "/",
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": "archbench",
            "domainName": "archbench.local",
            "domainPrefix": "archbench",
            "http": {"method": "POST", "path": "/", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                     "userAgent": "archbench"},
            "requestId": _uuid(request, "request"),
            "routeKey": "POST /",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(request.sent_at)),
            "timeEpoch": epoch_ms,
        },
        "body": _body(event),
        "isBase64Encoded": False,
    }


def _body(event: Any) -> str:
    return event if isinstance(event, str) else json.dumps(event, separators=(",", ":"))


def _uuid(request: WorkRequest, purpose: str) -> str:
    """A UUID-shaped id derived from the request, the same in every variant."""
    digest = hashlib.sha256(f"{purpose}:{request.run_id}:{request.seq}".encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-8{digest[17:20]}-{digest[20:32]}"
