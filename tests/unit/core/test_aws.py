"""AWS access: a local endpoint always gets the dummy credentials, AWS the user's chain; one SigV4 signer."""

from __future__ import annotations

from pathlib import Path

import pytest

from core import LOCAL_REGION, ExecuteApiSigner, client, local_credentials_env, session
from tests.support.aws_env import isolate_aws_credentials


@pytest.fixture
def user_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_aws_credentials(monkeypatch, tmp_path, access_key="AKIDUSER", secret_key="user-secret")


def test_a_local_endpoint_never_gets_the_users_credentials(user_credentials: None) -> None:
    local = session(LOCAL_REGION, "http://127.0.0.1:4566").get_credentials()
    assert (local.access_key, local.secret_key) == ("test", "test")


def test_aws_gets_the_users_credentials(user_credentials: None) -> None:
    remote = session("eu-west-1", None).get_credentials()
    assert (remote.access_key, remote.secret_key) == ("AKIDUSER", "user-secret")


def test_a_client_talks_to_its_endpoint_in_its_region_with_bounded_retries(user_credentials: None) -> None:
    sqs = client("sqs", "eu-west-1", "http://127.0.0.1:4566", attempts=8, read_timeout_s=120,
                 max_pool_connections=32)
    assert sqs.meta.endpoint_url == "http://127.0.0.1:4566" and sqs.meta.region_name == "eu-west-1"
    assert sqs.meta.config.retries["mode"] == "standard" and sqs.meta.config.retries["total_max_attempts"] == 9
    assert (sqs.meta.config.read_timeout, sqs.meta.config.max_pool_connections) == (120, 32)


def test_the_emulators_environment_carries_only_the_dummy_credentials() -> None:
    assert local_credentials_env() == {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}


def test_signed_headers_name_the_key_region_and_service(user_credentials: None) -> None:
    signer = ExecuteApiSigner.for_endpoint("eu-west-1", None)
    assert signer is not None
    headers = signer.headers("POST", "https://abc.execute-api.eu-west-1.amazonaws.com/arm64/process", b"{}")
    assert headers["Content-Type"] == "application/json"
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDUSER/")
    assert "/eu-west-1/execute-api/aws4_request" in headers["Authorization"]
    local = ExecuteApiSigner.local().headers("POST", "http://127.0.0.1:4566/x", b"{}")
    assert local["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=test/")
    assert f"/{LOCAL_REGION}/execute-api/aws4_request" in local["Authorization"]


def test_no_credentials_at_all_means_no_signer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_aws_credentials(monkeypatch, tmp_path)
    assert ExecuteApiSigner.for_endpoint("eu-west-1", None) is None
