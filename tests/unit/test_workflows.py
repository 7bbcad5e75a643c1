"""The GitHub workflow, read as an attacker with push access to a branch would read it.

A pull request's code runs in the preview job: it must hold nothing that opens another stack. Every action is
pinned by commit SHA, the Pulumi jobs install only hash-locked wheels, and each job's role, stack, backend and
passphrase come from its own environment. ``actionlint`` runs too when it is on PATH.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from core import PROJECT_ROOT

WORKFLOWS = PROJECT_ROOT / ".github" / "workflows"
CI = WORKFLOWS / "ci.yml"
LOCKED = PROJECT_ROOT / "scripts" / "deploy-requirements.txt"
PINS = PROJECT_ROOT / "scripts" / "deploy-requirements.in"
PULUMI_JOBS = ("preview", "staging", "production")
INSTALL = "python -m venv .venv && .venv/bin/pip install --require-hashes --no-deps -r scripts/deploy-requirements.txt"
USES_RE = re.compile(r"^\s*-?\s*uses:\s*(?P<action>[^@\s]+)@(?P<ref>\S+)(?:\s+#\s*(?P<tag>\S+))?\s*$")
EXPRESSION_RE = re.compile(r"\$\{\{\s*(secrets|vars)\.([A-Za-z0-9_]+)")


def load_workflow(path: Path) -> dict[str, Any]:
    workflow = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the bare key `on` as the boolean true.
    workflow["on"] = workflow.pop(True, workflow.get("on"))
    return workflow


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job.get("steps", []) if s.get("uses", "").split("@")[0] == action]


def references(node: Any, kind: str) -> set[str]:
    """The ``secrets.X`` or ``vars.X`` names an expression anywhere under ``node`` reads."""
    return {name for found, name in EXPRESSION_RE.findall(yaml.safe_dump(node)) if found == kind}


@pytest.fixture(scope="module")
def ci() -> dict[str, Any]:
    return load_workflow(CI)


def test_every_action_is_pinned_by_commit_sha_with_its_tag_in_a_comment():
    for path in sorted(WORKFLOWS.glob("*.yml")):
        lines = [line for line in path.read_text().splitlines() if re.match(r"^\s*-?\s*uses:", line)]
        assert lines, path.name
        pins: dict[str, set[str]] = {}
        for line in lines:
            found = USES_RE.match(line)
            assert found, f"{path.name}: unparsable {line!r}"
            assert re.fullmatch(r"[0-9a-f]{40}", found["ref"]), f"{path.name}: {line.strip()}"
            assert found["tag"] and re.fullmatch(r"v\d+\.\d+\.\d+", found["tag"]), f"{path.name}: {line.strip()}"
            pins.setdefault(found["action"], set()).add(found["ref"])
        # One action, one pin: every use of an action names the same commit.
        assert all(len(refs) == 1 for refs in pins.values()), pins


def test_the_pulumi_jobs_install_only_the_hash_locked_wheels(ci: dict[str, Any]):
    for name in PULUMI_JOBS:
        runs = [step["run"] for step in ci["jobs"][name]["steps"] if "run" in step]
        assert runs == [INSTALL], name
        assert not steps_using(ci["jobs"][name], "actions/setup-python")[0]["with"].get("cache"), \
            "a cache restored into a job with AWS credentials could hold what a pull request left"
    requirements = LOCKED.read_text().replace("\\\n", " ").splitlines()
    entries = [line.split() for line in requirements if line and not line.startswith("#")]
    assert len(entries) >= 20
    for entry in entries:
        assert re.fullmatch(r"[a-z0-9-]+==[^=\s]+", entry[0]), entry
        assert len(entry) >= 2 and all(re.fullmatch(r"--hash=sha256:[0-9a-f]{64}", part) for part in entry[1:]), entry
    locked = {entry[0] for entry in entries}
    pinned = {line.strip() for line in PINS.read_text().splitlines() if line.strip() and not line.startswith("#")}
    assert pinned <= locked, "every pin of deploy-requirements.in is locked"


def test_every_secret_and_variable_a_pulumi_job_reads_is_its_environments(ci: dict[str, Any]):
    assert not references({k: v for k, v in ci.items() if k != "jobs"}, "secrets")
    assert not references(ci["jobs"]["checks"], "secrets") and not references(ci["jobs"]["checks"], "vars")
    environments = {name: ci["jobs"][name].get("environment") for name in PULUMI_JOBS}
    assert environments == {"preview": "preview", "staging": "staging", "production": "production"}
    for name in PULUMI_JOBS:
        job = ci["jobs"][name]
        # The same names in every job: each resolves in that job's environment, none names another stack's.
        assert references(job, "secrets") == {"PULUMI_CONFIG_PASSPHRASE"}, name
        assert references(job, "vars") == {"AWS_ROLE_ARN", "AWS_REGION", "PULUMI_STACK", "PULUMI_BACKEND_URL"}, name
    assert "PULUMI_ACCESS_TOKEN" not in CI.read_text(), "a Pulumi Cloud token opens every stack its user can see"


def test_every_workflow_grants_an_oidc_token_only_to_jobs_that_assume_an_aws_role():
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert files
    for path in files:
        workflow = load_workflow(path)
        assert "id-token" not in (workflow.get("permissions") or {}), f"{path.name}: id-token at workflow level"
        assert "pull_request_target" not in workflow["on"], f"{path.name}: pull_request_target runs with secrets"
        for name, job in workflow["jobs"].items():
            wants_token = (job.get("permissions") or {}).get("id-token") == "write"
            assumes_role = bool(steps_using(job, "aws-actions/configure-aws-credentials"))
            assert wants_token == assumes_role, f"{path.name}:{name}"
            for step in steps_using(job, "aws-actions/configure-aws-credentials"):
                assert set(step["with"]) == {"role-to-assume", "aws-region", "role-session-name"}
            for step in steps_using(job, "actions/checkout"):
                assert step["with"]["persist-credentials"] is False, f"{path.name}:{name}"
        text = path.read_text()
        assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text


def test_ci_triggers_and_default_permissions(ci: dict[str, Any]):
    assert ci["on"] == {"pull_request": {"branches": ["main"]}, "push": {"branches": ["main"]}}
    assert ci["permissions"] == {"contents": "read"}
    assert set(ci["jobs"]) == {"checks", *PULUMI_JOBS}


def test_checks_run_ruff_and_make_test_without_cloud_access(ci: dict[str, Any]):
    job = ci["jobs"]["checks"]
    assert [s.get("run") for s in job["steps"] if "run" in s] == [
        "sudo bash scripts/ci-system-deps.sh", "make lint", "make test"]
    assert "permissions" not in job and "if" not in job and "environment" not in job


def pulumi_step(job: dict[str, Any]) -> dict[str, Any]:
    (step,) = steps_using(job, "pulumi/actions")
    assert step["with"]["cloud-url"] == "${{ vars.PULUMI_BACKEND_URL }}"
    assert step["with"]["stack-name"] == "${{ vars.PULUMI_STACK }}"
    assert set(step["env"]) == {"PULUMI_CONFIG_PASSPHRASE"}
    return step


def test_pull_requests_preview_staging_in_the_preview_environment(ci: dict[str, Any]):
    job = ci["jobs"]["preview"]
    assert job["needs"] == "checks"
    assert "github.event_name == 'pull_request'" in job["if"]
    assert "head.repo.full_name == github.repository" in job["if"], "forks get no OIDC token"
    assert pulumi_step(job)["with"]["command"] == "preview"


def test_main_deploys_staging_then_production_after_approval(ci: dict[str, Any]):
    staging, production = ci["jobs"]["staging"], ci["jobs"]["production"]
    for job in (staging, production):
        assert "github.event_name == 'push'" in job["if"] and "refs/heads/main" in job["if"]
        assert pulumi_step(job)["with"]["command"] == "up"
        assert job["concurrency"]["cancel-in-progress"] is False
    assert production["needs"] == "staging"


@pytest.mark.skipif(shutil.which("actionlint") is None, reason="actionlint is not on PATH")
def test_actionlint_finds_nothing():
    result = subprocess.run(["actionlint", *map(str, sorted(WORKFLOWS.glob("*.yml")))], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
