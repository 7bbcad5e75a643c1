"""Settings: defaults, coercion of Pulumi (string) and YAML-typed values, and errors that name the key."""


import pytest
import yaml

from core import PROJECT_ROOT
from stack.settings import Settings, SettingsError

EXAMPLE_CONFIG = PROJECT_ROOT / "Pulumi.example.yaml"


def test_defaults_are_the_documented_ones():
    s = Settings()
    assert (s.memory_sizes, s.timeout_s, s.runtimes, s.control) == ((1024,), 30, ("python3.13",), "x86_64")
    assert (s.batch_size, s.batching_window_s, s.max_concurrency, s.dlq_max_receives) == (10, 0, 5, 5)
    assert (s.log_retention_days, s.api_auth, s.xray_tracing) == (14, "iam", False)
    assert s.architectures == ("arm64", "x86_64")
    assert [v.id for v in s.variants] == ["py313-1024-arm64", "py313-1024-x86_64", "py313-1024-x86_64-twin"]
    assert s.queue_visibility_timeout_s == 180
    assert (s.reserved_concurrency, s.function_concurrency) == (0, 5 + 5)  # the queue's share plus the API's
    assert (s.ci_preview_environment, s.ci_github_environment) == ("", "production")


def test_missing_keys_take_the_defaults():
    assert Settings.from_mapping(lambda key: None) == Settings()


def test_pulumi_cli_strings_are_coerced():
    raw = {"memorySizes": " 2048, 512 ", "runtimes": "python3.12", "apiThrottleRate": "12.5", "xrayTracing": "true",
           "layers": "no",
           "architectures": "x86_64, arm64", "apiAuth": "none"}
    s = Settings.from_mapping(raw.get)
    assert (s.memory_sizes, s.runtimes) == ((2048, 512), ("python3.12",))
    assert (s.api_throttle_rate, s.xray_tracing, s.layers) == (12.5, True, False)
    assert (s.architectures, s.api_auth) == (("x86_64", "arm64"), "none")
    assert Settings.from_mapping({"architectures": '["arm64"]', "control": "none"}.get).architectures == ("arm64",)
    assert Settings.from_mapping({"memorySizes": '["256", 512]'}.get).memory_sizes == (256, 512)


def test_yaml_typed_values_are_coerced():
    raw = {"memorySizes": [512, 1769], "timeoutSeconds": 20.0, "apiThrottleRate": 50, "xrayTracing": True,
           "architectures": ["arm64"], "control": "arm64", "runtimes": ["python3.11", "python3.14"]}
    s = Settings.from_mapping(raw.get)
    assert (s.memory_sizes, s.timeout_s, s.api_throttle_rate, s.xray_tracing) == ((512, 1769), 20, 50.0, True)
    assert s.architectures == ("arm64",)
    assert Settings.from_mapping({"memorySizes": 2048}.get).memory_sizes == (2048,)  # one bare value


@pytest.mark.parametrize(("key", "value"), [
    ("memorySizes", "64"), ("memorySizes", "lots"), ("memorySizes", 1.5), ("memorySizes", True),
    ("memorySizes", "[]"), ("memorySizes", "1024,1024"), ("memorySizes", "[1024, 1.5]"), ("memorySizes", "[11000]"),
    ("memoryMb", 1024),  # renamed: the error names the old key and its replacement
    ("timeoutSeconds", 0), ("timeoutSeconds", "31"), ("timeoutSeconds", "901"),
    ("runtimes", "python3.10"), ("runtimes", 3.13), ("runtimes", "[]"), ("runtimes", "nodejs22.x"),
    ("runtime", "python3.13"),
    ("control", "sparc"), ("control", "true"),
    ("batchSize", 0), ("batchSize", 20),  # above 10 without a batching window
    ("batchingWindowSeconds", 301),
    ("maxConcurrency", 1),
    ("reservedConcurrency", 4), ("reservedConcurrency", 1001), ("reservedConcurrency", "many"),
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
    ("ciGithubEnvironment", "prod env"), ("ciPreviewEnvironment", "pr/preview"),
    ("ciOidcProviderArn", "arn:aws:iam::123456789012:role/deploy"),
])
def test_a_bad_value_is_an_error_naming_its_key(key, value):
    with pytest.raises(SettingsError, match=f"archbench:{key}"):
        Settings.from_mapping({key: value}.get)


def test_a_renamed_key_says_what_replaced_it() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_mapping({"memoryMb": 2048}.get)
    assert str(caught.value) == ("archbench:memoryMb was replaced by archbench:memorySizes, a list (e.g. "
                                 "memorySizes: [1024]): rename the key")


def test_the_control_must_be_a_deployed_architecture() -> None:
    with pytest.raises(SettingsError, match="archbench:control is x86_64, which archbench:architectures does not"):
        Settings(architectures=("arm64",))
    assert [v.id for v in Settings(architectures=("arm64",), control="none").variants] == ["py313-1024-arm64"]


def test_the_matrix_is_every_cell_on_every_architecture_plus_one_twin_per_cell() -> None:
    s = Settings(runtimes=("python3.12", "python3.13", "python3.14"), memory_sizes=(2048, 512))
    ids = [v.id for v in s.variants]
    assert len(ids) == len(set(ids)) == 3 * 2 * 2 + 3 * 2
    assert ids[:3] == ["py312-512-arm64", "py312-512-x86_64", "py312-512-x86_64-twin"]
    assert ids[-1] == "py314-2048-x86_64-twin"
    twins = [v for v in s.variants if v.is_control]
    assert all(t.sibling in s.variants and t.sibling.architecture == "x86_64" for t in twins)


def test_a_matrix_too_large_to_deploy_is_refused_with_the_count() -> None:
    with pytest.raises(SettingsError, match="the matrix has 36 variants"):
        Settings(runtimes=("python3.12", "python3.13", "python3.14"), memory_sizes=(128, 256, 512, 1024))


def test_reserved_concurrency_holds_the_queues_share_and_leaves_the_accounts_pool_alone() -> None:
    assert Settings(max_concurrency=40).function_concurrency == 45
    assert Settings(max_concurrency=8, reserved_concurrency=8).function_concurrency == 8
    with pytest.raises(SettingsError, match=r"^archbench:reservedConcurrency must be between 8 and 1000, got 7$"):
        Settings(max_concurrency=8, reserved_concurrency=7)
    # 18 variants × 55 = 990: more than an account with the default quota can reserve.
    with pytest.raises(SettingsError) as caught:
        Settings(runtimes=("python3.12", "python3.13", "python3.14"), memory_sizes=(512, 1024), max_concurrency=50)
    assert str(caught.value) == (
        "archbench:reservedConcurrency reserves 55 for each of 18 variants, 990 in all: an account with Lambda's "
        "default 1,000 concurrency can reserve at most 900; lower it (or maxConcurrency)")


def test_ci_settings_keep_pull_requests_away_from_the_deploy_role_and_other_stacks_state() -> None:
    with pytest.raises(SettingsError, match=r"^archbench:ciPreviewEnvironment must differ"):
        Settings(ci_github_repository="o/r", ci_state_bucket="state-bucket", ci_preview_environment="production")
    with pytest.raises(SettingsError, match=r"^archbench:ciGithubRepository needs archbench:ciStateBucket"):
        Settings(ci_github_repository="o/r")
    assert Settings(ci_github_repository="o/r", ci_state_bucket="state-bucket",
                    ci_preview_environment="preview").ci_preview_environment == "preview"


def test_an_unknown_workload_is_refused():
    pytest.importorskip("handlers.workloads")
    with pytest.raises(SettingsError, match="archbench:allowedWorkloads"):
        Settings.from_mapping({"allowedWorkloads": "sort,no-such-workload"}.get)


def test_example_stack_config_documents_every_key_with_its_default():
    config = yaml.safe_load(EXAMPLE_CONFIG.read_text())["config"]
    ours = {key.removeprefix("archbench:"): value for key, value in config.items() if key.startswith("archbench:")}
    # archbench:function has no default to show: the example documents it in a comment
    assert set(ours) == set(Settings.keys()) - {"function"}
    assert "#   archbench:function:" in EXAMPLE_CONFIG.read_text()
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
