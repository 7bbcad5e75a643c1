"""AWS access for every tool: one session and client factory for a region and endpoint, and one SigV4 signer.

A local emulator (``endpoint_url`` set: MiniStack, LocalStack) accepts any credentials, and a user's real ones must
never be sent to it, so there the dummy ``LOCAL_CREDENTIALS`` are always used. Against AWS (no endpoint) the normal
credential chain applies: ``AWS_PROFILE``, the environment, SSO, an instance role.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

LOCAL_REGION = "us-east-1"
LOCAL_CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


def local_credentials_env() -> dict[str, str]:
    """The dummy credentials as environment variables (for the emulator's own process and its workers)."""
    return {key.upper(): value for key, value in LOCAL_CREDENTIALS.items()}


def session(region: str, endpoint_url: str | None) -> boto3.Session:
    """A session for AWS (the credential chain) or for a local endpoint (the dummy credentials)."""
    if endpoint_url:
        return boto3.Session(region_name=region, **LOCAL_CREDENTIALS)
    return boto3.Session(region_name=region)


def client(service: str, region: str, endpoint_url: str | None, *, attempts: int = 3, read_timeout_s: float = 60,
           **config: Any) -> Any:
    """A boto3 client with standard-mode retries and bounded timeouts; ``config`` adds botocore ``Config`` keys."""
    settings = Config(retries={"max_attempts": attempts, "mode": "standard"}, connect_timeout=5,
                      read_timeout=read_timeout_s, **config)
    return session(region, endpoint_url).client(service, endpoint_url=endpoint_url, region_name=region,
                                                config=settings)


class ExecuteApiSigner:
    """SigV4 for ``execute-api`` (HTTP API routes with IAM authorization); refreshable credentials are frozen per
    request so that rotation is honoured."""

    def __init__(self, credentials: Any, region: str) -> None:
        self.credentials = credentials
        self.region = region

    @classmethod
    def for_endpoint(cls, region: str, endpoint_url: str | None) -> ExecuteApiSigner | None:
        """The signer of ``session(region, endpoint_url)``, or ``None`` when no credentials are found."""
        credentials = session(region, endpoint_url).get_credentials()
        return cls(credentials, region) if credentials is not None else None

    @classmethod
    def local(cls) -> ExecuteApiSigner:
        """Signs with the dummy credentials: an emulator never checks the signature, only that one is there."""
        return cls(Credentials(LOCAL_CREDENTIALS["aws_access_key_id"], LOCAL_CREDENTIALS["aws_secret_access_key"]),
                   LOCAL_REGION)

    def headers(self, method: str, url: str, body: bytes) -> dict[str, str]:
        """The request's headers, ``Authorization`` included, for a JSON body."""
        request = AWSRequest(method=method, url=url, data=body, headers={"Content-Type": "application/json"})
        SigV4Auth(self.credentials.get_frozen_credentials(), "execute-api", self.region).add_auth(request)
        return dict(request.headers.items())
