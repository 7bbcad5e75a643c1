"""Settings: defaults, coercion of Pulumi (string) and YAML-typed values, and errors that name the key."""


import pytest
import yaml

from core import PROJECT_ROOT
from stack.settings import Settings, SettingsError

EXAMPLE_CONFIG = PROJECT_ROOT / "Pulumi.example.yaml"


def test_defaults_are_the_documented_ones():
    s = Settings()
    assert (s.memory_mb, s.timeout_s, s.runtime) == (1024, 30, "python3.13")
    assert (s.batch_size, s.batching_window_s, s.max_concurrency, s.dlq_max_receives) == (10, 0, 5, 5)
    assert (s.log_retention_days, s.api_auth, s.xray_tracing) == (14, "iam", False)
    assert s.architectures == ("arm64", "x86_64")
    assert s.queue_visibility_timeout_s == 180


def test_missing_keys_take_the_defaults():
    assert Settings.from_mapping(lambda key: None) == Settings()


def test_pulumi_cli_strings_are_coerced():
    raw = {"memoryMb": " 2048 ", "apiThrottleRate": "12.5", "xrayTracing": "true", "layers": "no",
           "architectures": "x86_64, arm64", "apiAuth": "none"}
    s = Settings.from_mapping(raw.get)
    assert (s.memory_mb, s.api_throttle_rate, s.xray_tracing, s.layers) == (2048, 12.5, True, False)
    assert (s.architectures, s.api_auth) == (("x86_64", "arm64"), "none")
    assert Settings.from_mapping({"architectures": '["arm64"]'}.get).architectures == ("arm64",)


def test_yaml_typed_values_are_coerced():
    raw = {"memoryMb": 512, "timeoutSeconds": 20.0, "apiThrottleRate": 50, "xrayTracing": True,
           "architectures": ["arm64"]}
    s = Settings.from_mapping(raw.get)
    assert (s.memory_mb, s.timeout_s, s.api_throttle_rate, s.xray_tracing) == (512, 20, 50.0, True)
    assert s.architectures == ("arm64",)


@pytest.mark.parametrize(("key", "value"), [
    ("memoryMb", "64"), ("memoryMb", "lots"), ("memoryMb", 1.5), ("memoryMb", True),
    ("timeoutSeconds", 0), ("timeoutSeconds", "31"), ("timeoutSeconds", "901"),
    ("runtime", "python3.10"), ("runtime", 3.13),
    ("batchSize", 0), ("batchSize", 20),  # above 10 without a batching window
    ("batchingWindowSeconds", 301),
    ("maxConcurrency", 1),
    ("dlqMaxReceives", 0),
    ("logRetentionDays", 13),
    ("apiAuth", "open"),
    ("apiThrottleRate", 0), ("apiThrottleRate", "fast"),
    ("apiThrottleBurst", 0),
    ("architectures", "sparc"), ("architectures", ""), ("architectures", "arm64,arm64"), ("architectures", 5),
    ("architectures", "[1]"),
    ("xrayTracing", "maybe"),
    ("layers", "2"),
    ("alarmEmail", "ops-at-example"),
    ("ciGithubRepository", "no-slash"),
    ("ciStateBucket", "Not_A_Bucket"),
    ("ciOidcProviderArn", "arn:aws:iam::123456789012:role/deploy"),
])
def test_a_bad_value_is_an_error_naming_its_key(key, value):
    with pytest.raises(SettingsError, match=f"archbench:{key}"):
        Settings.from_mapping({key: value}.get)


def test_an_unknown_workload_is_refused():
    pytest.importorskip("handlers.workloads")
    with pytest.raises(SettingsError, match="archbench:allowedWorkloads"):
        Settings.from_mapping({"allowedWorkloads": "sort,no-such-workload"}.get)


def test_example_stack_config_documents_every_key_with_its_default():
    config = yaml.safe_load(EXAMPLE_CONFIG.read_text())["config"]
    ours = {key.removeprefix("archbench:"): value for key, value in config.items() if key.startswith("archbench:")}
    assert set(ours) == set(Settings.keys())
    assert Settings.from_mapping(ours.get) == Settings()


def test_a_timeout_the_http_api_cannot_wait_for_is_refused_with_the_reason() -> None:
    assert Settings(timeout_s=30).timeout_s == 30
    with pytest.raises(SettingsError) as caught:
        Settings.from_mapping({"timeoutSeconds": "45"}.get)
    assert str(caught.value) == (
        "archbench:timeoutSeconds must be at most 30, got 45: the stack always deploys the HTTP API, whose Lambda "
        "integration waits at most 30 s, so a longer invocation would answer 503 while the function still runs")


def test_the_dlq_receive_count_default_is_aws_recommendation_and_the_example_says_so() -> None:
    assert Settings().dlq_max_receives == 5
    assert Settings.from_pulumi_yaml(EXAMPLE_CONFIG).dlq_max_receives == 5
