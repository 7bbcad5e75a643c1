"""MiniStack's environment, which every function worker inherits: a Lambda runtime's, not the host shell's."""

from __future__ import annotations

from pathlib import Path

import pytest

from core import LOCAL_REGION, local_credentials_env
from localcloud.process import LAMBDA_RUNTIME_ENV, ministack_env


def test_nothing_of_the_host_reaches_ministack_but_the_cpus_blas_settings(monkeypatch: pytest.MonkeyPatch,
                                                                         tmp_path: Path) -> None:
    host = {"GITHUB_TOKEN": "ghp_x", "PULUMI_ACCESS_TOKEN": "p", "PULUMI_CONFIG_PASSPHRASE": "pw",
            "AWS_PROFILE": "prod", "AWS_SECRET_ACCESS_KEY": "real", "AUTH": "true", "LAMBDA_STRICT": "1",
            "MINISTACK_REGION": "eu-west-3", "VIRTUAL_ENV": "/elsewhere", "HOME": "/root", "PATH": "/host/bin",
            "PYTHONPATH": "/host/lib", "OPENBLAS_CORETYPE": "Haswell"}
    for key, value in host.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("OPENBLAS_L2_SIZE", raising=False)

    env = ministack_env(4566, tmp_path)
    assert env == {**LAMBDA_RUNTIME_ENV, "OPENBLAS_CORETYPE": "Haswell", **local_credentials_env(),
                   "AWS_DEFAULT_REGION": LOCAL_REGION, "GATEWAY_PORT": "4566", "BIND_HOST": "127.0.0.1",
                   "TMPDIR": str(tmp_path), "LOG_LEVEL": "WARNING"}
    assert env["PATH"] == "/usr/local/bin:/usr/bin:/bin" and env["AWS_SECRET_ACCESS_KEY"] != "real"
