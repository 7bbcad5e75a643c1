"""A function on MiniStack sees what a Lambda function would, and nothing of the shell that started the cloud.

MiniStack's workers inherit its environment (``localcloud.process.ministack_env``), so this starts its own
MiniStack from a shell holding a GitHub token, Pulumi secrets and an AWS profile, deploys a function that answers
with its environment, and looks.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from core import LOCAL_REGION, client
from localcloud import ensure_venv, start, stop
from stack import LAMBDA_TRUST

HOST_SECRETS = {"GITHUB_TOKEN": "ghp_not-a-real-token", "PULUMI_ACCESS_TOKEN": "pul-not-real",
                "PULUMI_CONFIG_PASSPHRASE": "hunter2", "AWS_PROFILE": "production-admin",
                "AWS_SECRET_ACCESS_KEY": "real-looking-secret", "AUTH": "true", "ARCHBENCH_CANARY": "leaked"}
ECHO = "import os\n\ndef handler(event, context):\n    return dict(os.environ)\n"
# What a Lambda function has (AWS's reserved variables, MiniStack's stand-ins for them), its own variables, and
# MiniStack's settings, which its workers cannot help inheriting.
LAMBDA_KEYS = {"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
               "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
               "AWS_LAMBDA_LOG_STREAM_NAME", "LAMBDA_TASK_ROOT", "PATH", "LANG", "TZ"}
HOST_CPU_KEYS = {"OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"}  # passed on where set: this CPU's BLAS needs them
MINISTACK_KEYS = {"GATEWAY_PORT", "BIND_HOST", "TMPDIR", "LOG_LEVEL", "AWS_ENDPOINT_URL",
                  "AWS_DISABLE_HOST_PREFIX_INJECTION"}


@pytest.fixture
def ministack(tmp_path: Path) -> Iterator[str]:
    python = ensure_venv()
    with pytest.MonkeyPatch.context() as shell:  # the shell that starts it, not the test's own boto3 clients
        for key, value in HOST_SECRETS.items():
            shell.setenv(key, value)
        started = start(python, tmp_path)
    try:
        yield started.endpoint_url
    finally:
        stop(started)


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("echo.py", ECHO)
    return buffer.getvalue()


def test_a_worker_gets_the_lambda_variables_and_its_own_but_no_host_secret(ministack: str) -> None:
    role = client("iam", LOCAL_REGION, ministack).create_role(
        RoleName="echo-env-role", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    lam = client("lambda", LOCAL_REGION, ministack)
    lam.create_function(FunctionName="echo-env", Runtime="python3.13", Handler="echo.handler", Role=role,
                        Code={"ZipFile": _zip()},
                        Environment={"Variables": {"ARCHBENCH_VARIANT": "py313-1024-arm64"}})
    deadline = time.monotonic() + 30
    while lam.get_function_configuration(FunctionName="echo-env").get("State", "Active") != "Active":
        assert time.monotonic() < deadline, "the echo function never became Active"
        time.sleep(0.2)
    answer = lam.invoke(FunctionName="echo-env", Payload=b"{}")
    env = json.loads(answer["Payload"].read())

    assert env["ARCHBENCH_VARIANT"] == "py313-1024-arm64" and env["AWS_LAMBDA_FUNCTION_NAME"] == "echo-env"
    assert env["AWS_REGION"] == LOCAL_REGION
    for key, value in HOST_SECRETS.items():
        assert env.get(key) != value, f"{key} of the host reached the function"
    assert "HOME" not in env and "VIRTUAL_ENV" not in env
    unexpected = set(env) - LAMBDA_KEYS - MINISTACK_KEYS - HOST_CPU_KEYS - {"ARCHBENCH_VARIANT"}
    assert {key for key in unexpected if not key.startswith("_")} == set(), unexpected
