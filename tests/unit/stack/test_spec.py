"""describe_stack: the names and per-function settings both deployers build from, one function per variant."""

import dataclasses

import pytest

import localcloud
from handlers.contract import ENV_ARCHITECTURE, ENV_VARIANT, NAMESPACE
from stack.settings import Settings, SettingsError
from stack.spec import HANDLER, PREFIX_MAX, STACK_NAME_MAX, describe_stack, stack_prefix

# Fields allowed to differ between variants: the variant itself and the names derived from its id.
PER_VARIANT = {"variant", "function_name", "queue_name", "dlq_name", "log_group", "route_path", "environment"}
MATRIX = Settings(runtimes=("python3.12", "python3.13", "python3.14"), memory_sizes=(512, 2048))


def test_every_variant_is_identical_but_for_its_runtime_memory_and_architecture():
    functions = describe_stack(MATRIX, "archbench-dev").functions
    assert len(functions) == 18
    first = functions[0]
    for spec in functions[1:]:
        for field in dataclasses.fields(spec):
            if field.name not in PER_VARIANT:
                assert getattr(spec, field.name) == getattr(first, field.name), field.name
        assert {k: v for k, v in spec.environment.items() if k not in (ENV_ARCHITECTURE, ENV_VARIANT)} == \
            {k: v for k, v in first.environment.items() if k not in (ENV_ARCHITECTURE, ENV_VARIANT)}


def test_a_twin_differs_from_its_sibling_in_its_names_only():
    stack = describe_stack(Settings(), "archbench-dev")
    sibling, twin = stack.function("py313-1024-x86_64"), stack.function("py313-1024-x86_64-twin")
    assert (twin.role, sibling.role) == ("control", "subject")
    assert (twin.architecture, twin.memory_mb, twin.runtime) == (sibling.architecture, sibling.memory_mb,
                                                                  sibling.runtime)
    assert twin.variant.sibling == sibling.variant
    assert twin.function_name != sibling.function_name and twin.route_path != sibling.route_path


def test_names_routes_and_environment_derive_from_prefix_and_variant():
    stack = describe_stack(Settings(), "archbench-dev")
    x86 = stack.function("py313-1024-x86_64")
    assert x86.function_name == "archbench-dev_py313-1024-x86_64"
    assert (x86.queue_name, x86.dlq_name) == ("archbench-dev_py313-1024-x86_64-queue",
                                              "archbench-dev_py313-1024-x86_64-dlq")
    assert x86.log_group == "/aws/lambda/archbench-dev_py313-1024-x86_64"
    assert x86.role_name == "archbench-dev_py313-1024-x86_64-role"
    assert (x86.route_path, x86.route_key) == ("/py313-1024-x86_64/process", "POST /py313-1024-x86_64/process")
    assert x86.handler == HANDLER
    assert x86.environment == {ENV_ARCHITECTURE: "x86_64", ENV_VARIANT: "py313-1024-x86_64",
                               "AWS_EMF_NAMESPACE": NAMESPACE}
    assert (stack.api_name, stack.api_access_log_group) == ("archbench-dev_api", "/aws/apigateway/archbench-dev_api")
    assert stack.name_pattern == "archbench-dev_*"
    assert stack.route_authorization == "AWS_IAM"
    assert describe_stack(Settings(api_auth="none"), "archbench-dev").route_authorization == "NONE"


def test_per_function_settings_come_from_the_settings():
    settings = Settings(memory_sizes=(2048,), timeout_s=25, batch_size=50, batching_window_s=5, max_concurrency=9,
                        dlq_max_receives=4, log_retention_days=30, xray_tracing=True, runtimes=("python3.12",))
    arm = describe_stack(settings, "archbench-dev").function("py312-2048-arm64")
    assert (arm.memory_mb, arm.timeout_s, arm.runtime) == (2048, 25, "python3.12")
    assert (arm.batch_size, arm.batching_window_s, arm.max_concurrency) == (50, 5, 9)
    assert (arm.dlq_max_receives, arm.log_retention_days, arm.xray_tracing) == (4, 30, True)
    assert arm.visibility_timeout_s == 6 * 25 + 5


def test_only_the_configured_architectures_are_described():
    stack = describe_stack(Settings(architectures=("x86_64",)), "archbench-dev")
    assert [f.variant_id for f in stack.functions] == ["py313-1024-x86_64", "py313-1024-x86_64-twin"]
    with pytest.raises(KeyError, match="py313-1024-arm64"):
        stack.function("py313-1024-arm64")


def test_names_fit_aws_limits_for_the_longest_prefix_and_variant():
    prefix = "a" + "b" * (PREFIX_MAX - 1)
    settings = Settings(runtimes=("python3.11", "python3.14"), memory_sizes=(128, 10240))
    functions = describe_stack(settings, prefix).functions
    assert max(len(spec.variant_id) for spec in functions) == len("py314-10240-x86_64-twin")
    for spec in functions:
        assert len(spec.function_name) <= 64 and len(spec.role_name) <= 64, spec.function_name
        assert len(spec.queue_name) <= 80 and len(spec.dlq_name) <= 80
        assert len(spec.log_group) <= 512


@pytest.mark.parametrize("prefix", ["", "Archbench-dev", "1bench", "archbench_dev", "a" * (PREFIX_MAX + 1)])
def test_a_bad_prefix_is_refused(prefix):
    with pytest.raises(ValueError, match="prefix"):
        describe_stack(Settings(), prefix)


def test_stack_prefix_is_the_one_naming_rule_of_both_deployers() -> None:
    assert stack_prefix("dev-team-1") == "archbench-dev-team-1"
    assert stack_prefix("local") == localcloud.PREFIX == "archbench-local"
    longest = stack_prefix("x" * STACK_NAME_MAX)
    assert len(longest) == PREFIX_MAX
    for prefix in ("archbench-dev-team-1", longest):
        describe_stack(Settings(), prefix)  # every prefix it makes is one describe_stack accepts


# Each of these would have been rewritten into another stack's prefix (or cut to one), sharing its names and rights.
@pytest.mark.parametrize("name", ["Dev_Team.1", "prod_eu", "prod.eu", "Prod", "prod--eu", "-prod", "prod-", "",
                                  "x" * (STACK_NAME_MAX + 1)])
def test_a_stack_name_is_taken_as_it_is_or_refused_with_one_line(name) -> None:
    with pytest.raises(SettingsError, match=r"^the stack name must be lowercase letters and digits") as caught:
        stack_prefix(name)
    assert repr(name) in str(caught.value) and "\n" not in str(caught.value)


def test_two_stacks_whose_names_share_a_prefix_share_no_resource_name() -> None:
    prod, prod_eu = (describe_stack(Settings(), stack_prefix(name)) for name in ("prod", "prod-eu"))
    pattern = prod.name_pattern.removesuffix("*")
    names_eu = [prod_eu.api_name] + [n for f in prod_eu.functions for n in (f.function_name, f.queue_name,
                                                                                f.dlq_name, f.role_name)]
    assert not any(name.startswith(pattern) for name in names_eu)
