"""The end-to-end tests' fixture ``local_cloud``: the whole stack on a real MiniStack, once per test session.

Every test in this directory is marked ``ministack`` (deselect with ``-m "not ministack"``).
The session's state dir is a temp dir, so the outputs file, MiniStack's temp dirs and logs never touch the
checkout; MiniStack's virtualenv is shared with the checkout (created on first use, ~30 s once).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from stack import Settings, StackOutputs

# Short Lambda timeout → short visibility timeout (6 ×) so DLQ redrive is observable in seconds; two receives
# before the DLQ so the redrive count is really exercised. Everything else is the default, as on AWS.
LOCAL_TEST_SETTINGS = Settings(timeout_s=2, dlq_max_receives=2)


HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.ministack)


@pytest.fixture(scope="session")
def local_cloud_settings() -> Settings:
    """The settings the session's local cloud was deployed with."""
    return LOCAL_TEST_SETTINGS


@pytest.fixture(scope="session")
def local_cloud(tmp_path_factory: pytest.TempPathFactory, local_cloud_settings: Settings) -> Iterator[StackOutputs]:
    """MiniStack on a free loopback port with every variant (the default matrix: arm64, x86_64 and the x86_64 twin)
    and the API deployed and answering.

    ``ARCHBENCH_STATE_DIR`` points at a session temp dir from here on, so ``find_outputs()`` (loadgen, analysis)
    finds this cloud's outputs file. MiniStack is stopped by its pid, workers included, at the end of the session.
    """
    import localcloud

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ARCHBENCH_STATE_DIR", str(tmp_path_factory.mktemp("archbench-state")))
        try:
            outputs = localcloud.up(local_cloud_settings)
        except localcloud.LocalCloudError as exc:
            pytest.fail(f"the local cloud did not come up: {exc}", pytrace=False)
        try:
            yield outputs
        finally:
            localcloud.down()


@pytest.fixture
def own_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The test's run manifests and reports in its own temp dir (``pytestmark = usefixtures("own_runs")``)."""
    monkeypatch.setenv("ARCHBENCH_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("ARCHBENCH_REPORTS_DIR", str(tmp_path / "reports"))
