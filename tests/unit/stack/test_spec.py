"""describe_stack: the names and per-function settings both deployers build from."""

import dataclasses

import pytest

import localcloud
from handlers.contract import ENV_ARCHITECTURE, NAMESPACE
from stack.settings import Settings
from stack.spec import HANDLER, PREFIX_MAX, describe_stack, stack_prefix

# Fields allowed to differ between the two architectures: the architecture itself and names derived from it.
PER_ARCHITECTURE = {"architecture", "function_name", "queue_name", "dlq_name", "log_group", "route_path",
                    "environment"}


def test_both_functions_are_identical_but_for_the_architecture():
    arm, x86 = describe_stack(Settings(), "archbench-dev").functions
    assert (arm.architecture, x86.architecture) == ("arm64", "x86_64")
    for field in dataclasses.fields(arm):
        if field.name not in PER_ARCHITECTURE:
            assert getattr(arm, field.name) == getattr(x86, field.name), field.name
    assert {k: v for k, v in arm.environment.items() if k != ENV_ARCHITECTURE} == \
        {k: v for k, v in x86.environment.items() if k != ENV_ARCHITECTURE}


def test_names_routes_and_environment_derive_from_prefix_and_architecture():
    stack = describe_stack(Settings(), "archbench-dev")
    x86 = stack.function("x86_64")
    assert x86.function_name == "archbench-dev-x86-64"
    assert (x86.queue_name, x86.dlq_name) == ("archbench-dev-x86-64-queue", "archbench-dev-x86-64-dlq")
    assert x86.log_group == "/aws/lambda/archbench-dev-x86-64"
    assert x86.role_name == "archbench-dev-x86-64-role"
    assert (x86.route_path, x86.route_key) == ("/x86_64/process", "POST /x86_64/process")
    assert x86.handler == HANDLER
    assert x86.environment == {ENV_ARCHITECTURE: "x86_64", "AWS_EMF_NAMESPACE": NAMESPACE}
    assert (stack.api_name, stack.api_access_log_group) == ("archbench-dev-api", "/aws/apigateway/archbench-dev-api")
    assert stack.route_authorization == "AWS_IAM"
    assert describe_stack(Settings(api_auth="none"), "archbench-dev").route_authorization == "NONE"


def test_per_function_settings_come_from_the_settings():
    settings = Settings(memory_mb=2048, timeout_s=25, batch_size=50, batching_window_s=5, max_concurrency=9,
                        dlq_max_receives=4, log_retention_days=30, xray_tracing=True, runtime="python3.12")
    arm = describe_stack(settings, "archbench-dev").function("arm64")
    assert (arm.memory_mb, arm.timeout_s, arm.runtime) == (2048, 25, "python3.12")
    assert (arm.batch_size, arm.batching_window_s, arm.max_concurrency) == (50, 5, 9)
    assert (arm.dlq_max_receives, arm.log_retention_days, arm.xray_tracing) == (4, 30, True)
    assert arm.visibility_timeout_s == 6 * 25 + 5


def test_only_the_configured_architectures_are_described():
    stack = describe_stack(Settings(architectures=("x86_64",)), "archbench-dev")
    assert [f.architecture for f in stack.functions] == ["x86_64"]
    with pytest.raises(KeyError, match="arm64"):
        stack.function("arm64")


def test_names_fit_aws_limits_for_the_longest_prefix():
    prefix = "a" + "b" * 39
    for spec in describe_stack(Settings(), prefix).functions:
        assert len(spec.function_name) <= 64 and len(spec.role_name) <= 64
        assert len(spec.queue_name) <= 80 and len(spec.dlq_name) <= 80


@pytest.mark.parametrize("prefix", ["", "Archbench-dev", "1bench", "archbench_dev", "a" * 41])
def test_a_bad_prefix_is_refused(prefix):
    with pytest.raises(ValueError, match="prefix"):
        describe_stack(Settings(), prefix)


def test_stack_prefix_is_the_one_naming_rule_of_both_deployers() -> None:
    assert stack_prefix("Dev_Team.1") == "archbench-dev-team-1"
    assert stack_prefix("local") == localcloud.PREFIX == "archbench-local"
    long_a, long_b = (stack_prefix("feature-" + "x" * 40 + suffix) for suffix in ("-a", "-b"))
    assert long_a != long_b and len(long_a) == len(long_b) == PREFIX_MAX
    for prefix in ("archbench-dev-team-1", long_a, long_b):
        describe_stack(Settings(), prefix)  # every prefix it makes is one describe_stack accepts
