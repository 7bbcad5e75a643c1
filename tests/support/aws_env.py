"""An AWS credential chain the test controls: nothing from the machine (profiles, files, instance metadata)."""

from __future__ import annotations

from pathlib import Path

import pytest


def isolate_aws_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                            access_key: str | None = None, secret_key: str = "secret") -> None:
    """Leave only ``access_key``/``secret_key`` in the environment as credentials (or none at all)."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    if access_key is not None:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", access_key)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret_key)
