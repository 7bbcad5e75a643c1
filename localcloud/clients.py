"""The boto3 clients the local deployer and its pruning share: made once per deploy (five cost ~0.6 s)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core import LOCAL_REGION, client


@dataclass(frozen=True)
class Clients:
    lam: Any
    sqs: Any
    logs: Any
    iam: Any
    api: Any  # apigatewayv2

    @classmethod
    def for_endpoint(cls, endpoint_url: str) -> Clients:
        return cls(*(client(service, LOCAL_REGION, endpoint_url)
                     for service in ("lambda", "sqs", "logs", "iam", "apigatewayv2")))
