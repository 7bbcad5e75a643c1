"""The one settings object both deployers read: the Pulumi program and the local cloud.

Values come from Pulumi config keys ``archbench:<key>`` (``Pulumi.<stack>.yaml``) or any other mapping of the
same keys; everything has a default here. This module must not import pulumi: ``localcloud`` reads it too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from core import ARCHITECTURES
from stack.errors import SettingsError
from stack.function import FunctionSettings
from stack.variants import Variant, matrix

RUNTIMES = ("python3.11", "python3.12", "python3.13", "python3.14")
CONTROL_CHOICES = (*ARCHITECTURES, "none")
# Each variant is a function, two queues, a log group, a role, a route and its alarms: a bound a user would not
# reach by accident, well inside API Gateway's 300 routes and a dashboard's 500 widgets.
MAX_VARIANTS = 32
# Keys an older Pulumi.<stack>.yaml may still hold → what replaced them.
RENAMED_KEYS = {"memoryMb": "memorySizes", "runtime": "runtimes"}
API_AUTH_MODES = ("iam", "none")
API_MAX_TIMEOUT_S = 30  # an HTTP API Lambda integration waits at most 30 s (its maximum integration timeout)
# Concurrent executions per function left for the API next to its queue's event source: what loadgen --target api
# needs at 50 requests/s of 100 ms each. The default reservedConcurrency is maxConcurrency plus this.
API_CONCURRENCY_SHARE = 5
# An account's default Lambda concurrency is 1,000, of which 100 must stay unreserved: what the stack may reserve.
ACCOUNT_RESERVABLE_CONCURRENCY = 900
# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                      2922, 3288, 3653)


_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_REPO_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_ENVIRONMENT_RE = re.compile(r"^[A-Za-z0-9._-]{1,255}$")
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_OIDC_PROVIDER_RE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com$")


def _meta(key: str, doc: str) -> dict[str, str]:
    return {"key": key, "doc": doc}


@dataclass(frozen=True)
class Settings:
    """Every knob of the benchmarked stack; identical for every variant but its runtime, memory and architecture."""

    memory_sizes: tuple[int, ...] = field(
        default=(1024,), metadata=_meta("memorySizes", "Lambda memory sizes to compare, each 128–10240 MB"))
    runtimes: tuple[str, ...] = field(
        default=("python3.13",), metadata=_meta("runtimes", "Lambda runtimes to compare: " + " | ".join(RUNTIMES)))
    control: str = field(default="x86_64", metadata=_meta(
        "control", "the architecture given an A/A twin in every (runtime, memory) cell: arm64 | x86_64 | none"))
    timeout_s: int = field(default=30, metadata=_meta(
        "timeoutSeconds", f"Lambda timeout, 1–{API_MAX_TIMEOUT_S} s (the HTTP API waits at most that long)"))
    batch_size: int = field(default=10, metadata=_meta("batchSize", "SQS records per invocation, 1–10000"))
    batching_window_s: int = field(
        default=0, metadata=_meta("batchingWindowSeconds", "SQS batching window, 0–300 s"))
    max_concurrency: int = field(
        default=5, metadata=_meta("maxConcurrency", "event source mapping maximum concurrency, 2–1000"))
    reserved_concurrency: int = field(
        default=0, metadata=_meta(
            "reservedConcurrency", "concurrent executions reserved for (and capping) each function, "
            f"maxConcurrency–1000; 0 = maxConcurrency + {API_CONCURRENCY_SHARE}"))
    dlq_max_receives: int = field(
        default=5, metadata=_meta("dlqMaxReceives", "receives before a message moves to the DLQ, 1–1000 "
                                                    "(AWS recommends at least 5 for Lambda SQS sources)"))
    log_retention_days: int = field(
        default=14, metadata=_meta("logRetentionDays", "CloudWatch Logs retention, an allowed period"))
    api_auth: str = field(default="iam", metadata=_meta("apiAuth", "HTTP API authorization: iam | none"))
    api_throttle_rate: float = field(
        default=100.0, metadata=_meta("apiThrottleRate", "HTTP API steady-state requests/s, > 0"))
    api_throttle_burst: int = field(
        default=200, metadata=_meta("apiThrottleBurst", "HTTP API burst, >= 1"))
    architectures: tuple[str, ...] = field(
        default=ARCHITECTURES, metadata=_meta("architectures", "which of arm64, x86_64 to deploy"))
    xray_tracing: bool = field(
        default=False, metadata=_meta("xrayTracing", "X-Ray active tracing (disturbs timings)"))
    allowed_workloads: tuple[str, ...] = field(
        default=(), metadata=_meta("allowedWorkloads", "workloads the handler accepts; empty = all"))
    layers: bool = field(
        default=True,
        metadata=_meta("layers", "build and attach one dependency layer per (architecture, runtime), "
                       "shared by its variants"))
    load_workers: bool = field(
        default=False, metadata=_meta("loadWorkers", "deploy the loadgen worker function and its results bucket "
                                                     "(`loadgen --workers lambda:N`)"))
    alarm_email: str = field(
        default="", metadata=_meta("alarmEmail", "email subscribed to the alarms' SNS topic; empty = no topic"))
    ci_github_repository: str = field(
        default="", metadata=_meta("ciGithubRepository", "OWNER/NAME allowed to deploy via OIDC; empty = no role"))
    ci_github_environment: str = field(
        default="production", metadata=_meta("ciGithubEnvironment", "GitHub environment the deploy role trusts"))
    ci_preview_environment: str = field(
        default="", metadata=_meta(
            "ciPreviewEnvironment", "GitHub environment whose jobs may preview this stack; empty = no preview role"))
    ci_state_bucket: str = field(
        default="", metadata=_meta("ciStateBucket", "S3 bucket of the Pulumi state the CI roles may use; empty = none"))
    ci_oidc_provider_arn: str = field(
        default="", metadata=_meta(
            "ciOidcProviderArn", "the account's GitHub OIDC provider to reuse; empty = create it (one per account)"))
    function: FunctionSettings | None = field(
        default=None, metadata=_meta(
            "function", "your own function instead of the built-in workloads: handler, codeDir, requirements, "
            "event (raw | sqs | http), environment; unset = the built-in workloads"))

    def __post_init__(self) -> None:
        _check_list("memorySizes", self.memory_sizes)
        for memory in self.memory_sizes:
            _check_range("memorySizes", memory, 128, 10240)
        _check_list("runtimes", self.runtimes)
        for runtime in self.runtimes:
            _check_choice("runtimes", runtime, RUNTIMES)
        _check_range("timeoutSeconds", self.timeout_s, 1, 900)
        if self.timeout_s > API_MAX_TIMEOUT_S:  # the stack always deploys the HTTP API routes
            raise SettingsError(
                f"archbench:timeoutSeconds must be at most {API_MAX_TIMEOUT_S}, got {self.timeout_s}: the stack "
                f"always deploys the HTTP API, whose Lambda integration waits at most {API_MAX_TIMEOUT_S} s, so a "
                "longer invocation would answer 503 while the function still runs")
        _check_range("batchSize", self.batch_size, 1, 10000)
        _check_range("batchingWindowSeconds", self.batching_window_s, 0, 300)
        if self.batch_size > 10 and self.batching_window_s == 0:
            raise SettingsError("archbench:batchSize above 10 needs archbench:batchingWindowSeconds >= 1 (AWS rule)")
        _check_range("maxConcurrency", self.max_concurrency, 2, 1000)
        _check_range("dlqMaxReceives", self.dlq_max_receives, 1, 1000)
        _check_choice("logRetentionDays", self.log_retention_days, LOG_RETENTION_DAYS)
        _check_choice("apiAuth", self.api_auth, API_AUTH_MODES)
        if not self.api_throttle_rate > 0:
            raise SettingsError(f"archbench:apiThrottleRate must be > 0, got {self.api_throttle_rate}")
        _check_range("apiThrottleBurst", self.api_throttle_burst, 1, 5000)
        _check_list("architectures", self.architectures)
        for arch in self.architectures:
            _check_choice("architectures", arch, ARCHITECTURES)
        _check_choice("control", self.control, CONTROL_CHOICES)
        if self.control != "none" and self.control not in self.architectures:
            raise SettingsError(f"archbench:control is {self.control}, which archbench:architectures does not "
                                f"deploy ({', '.join(self.architectures)}): name one of them, or none")
        if len(self.variants) > MAX_VARIANTS:
            raise SettingsError(
                f"the matrix has {len(self.variants)} variants (runtimes × memorySizes × architectures, plus the "
                f"control twins); at most {MAX_VARIANTS} are deployed: shorten a list or set archbench:control none")
        self._check_concurrency()
        if self.allowed_workloads:
            # Imported here so settings stay importable without the handlers on the path.
            from handlers.workloads import WORKLOADS

            for name in self.allowed_workloads:
                _check_choice("allowedWorkloads", name, tuple(WORKLOADS))

        if self.alarm_email and not _EMAIL_RE.match(self.alarm_email):
            raise SettingsError(f"archbench:alarmEmail is not an email address: {self.alarm_email!r}")
        if self.ci_github_repository and not _REPO_RE.match(self.ci_github_repository):
            raise SettingsError(
                f"archbench:ciGithubRepository must be OWNER/NAME, got {self.ci_github_repository!r}")
        for key, environment in (("ciGithubEnvironment", self.ci_github_environment),
                                 ("ciPreviewEnvironment", self.ci_preview_environment)):
            if environment and not _ENVIRONMENT_RE.match(environment):
                raise SettingsError(f"archbench:{key} must be a GitHub environment name (letters, digits, "
                                    f"'.', '_', '-'), got {environment!r}")
        if self.ci_preview_environment and self.ci_preview_environment == self.ci_github_environment:
            raise SettingsError("archbench:ciPreviewEnvironment must differ from archbench:ciGithubEnvironment: "
                                "pull requests must never get the deploy role or its environment's secrets")
        if self.ci_github_repository and not self.ci_state_bucket:
            raise SettingsError("archbench:ciGithubRepository needs archbench:ciStateBucket: the CI roles may read "
                                "and write only this stack's state, kept under its own prefix of that S3 bucket")
        if self.ci_state_bucket and not _BUCKET_RE.match(self.ci_state_bucket):
            raise SettingsError(f"archbench:ciStateBucket is not an S3 bucket name: {self.ci_state_bucket!r}")
        if self.ci_oidc_provider_arn and not _OIDC_PROVIDER_RE.match(self.ci_oidc_provider_arn):
            raise SettingsError("archbench:ciOidcProviderArn must be arn:aws:iam::ACCOUNT:oidc-provider/"
                                f"token.actions.githubusercontent.com, got {self.ci_oidc_provider_arn!r}")

    def _check_concurrency(self) -> None:
        """Each function's reserved concurrency holds its event source and leaves the account's pool alone."""
        if self.reserved_concurrency:
            _check_range("reservedConcurrency", self.reserved_concurrency, self.max_concurrency, 1000)
        total = len(self.variants) * self.function_concurrency
        if total > ACCOUNT_RESERVABLE_CONCURRENCY:
            raise SettingsError(
                f"archbench:reservedConcurrency reserves {self.function_concurrency} for each of "
                f"{len(self.variants)} variants, {total} in all: an account with Lambda's default 1,000 "
                f"concurrency can reserve at most {ACCOUNT_RESERVABLE_CONCURRENCY}; lower it (or maxConcurrency)")

    @property
    def function_concurrency(self) -> int:
        """Each function's reserved concurrency: the setting, or its queue's share plus the API's."""
        return self.reserved_concurrency or self.max_concurrency + API_CONCURRENCY_SHARE

    @property
    def queue_visibility_timeout_s(self) -> int:
        """AWS guidance for SQS event sources: at least 6 × function timeout, plus the batching window."""
        return 6 * self.timeout_s + self.batching_window_s

    @property
    def variants(self) -> tuple[Variant, ...]:
        """Every deployed configuration, in sort order (``stack.variants.matrix``)."""
        control = None if self.control == "none" else self.control
        return matrix(self.runtimes, self.memory_sizes, self.architectures, control)

    @classmethod
    def from_mapping(cls, get: Callable[[str], Any]) -> Settings:
        """Build from a getter of config keys (``pulumi.Config("archbench").get`` or ``dict.get``).

        Values may be strings (Pulumi config) or native YAML/JSON types; a missing key takes the default.
        """
        for old, new in RENAMED_KEYS.items():
            if get(old) is not None:
                raise SettingsError(f"archbench:{old} was replaced by archbench:{new}, a list (e.g. "
                                    f"{new}: {_list_example(new)}): rename the key")
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = get(f.metadata["key"])
            if raw is None:
                continue
            values[f.name] = (FunctionSettings.from_raw(raw) if f.name == "function"
                              else _coerce(f.metadata["key"], raw, f.default))
        return cls(**values)

    @classmethod
    def from_pulumi_yaml(cls, path: Path | None) -> Settings:
        """Defaults, or the ``archbench:*`` keys of a ``Pulumi.<stack>.yaml``: the same settings Pulumi reads."""
        if path is None:
            return cls()
        try:
            document = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise SettingsError(f"cannot read {path}: {' '.join(str(exc).split())}") from None
        values = document.get("config") if isinstance(document, dict) else None
        if not isinstance(values, dict):
            values = {}
        return cls.from_mapping(lambda key: values.get(f"archbench:{key}"))

    @classmethod
    def keys(cls) -> dict[str, str]:
        """Config key → one-line description, for documentation and ``--help``."""
        return {f.metadata["key"]: f.metadata["doc"] for f in fields(cls)}


def _coerce(key: str, raw: Any, default: Any) -> Any:
    """Turn a config value into the default's type, or raise an error that names the key."""
    try:
        if isinstance(default, bool):
            return _to_bool(raw)
        if isinstance(default, int):
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError
            return int(str(raw).strip()) if isinstance(raw, str) else int(raw)
        if isinstance(default, float):
            if isinstance(raw, bool):
                raise ValueError
            return float(raw)
        if isinstance(default, tuple):
            if default and isinstance(default[0], int):
                return tuple(_to_int(item) for item in _to_list(raw))
            return tuple(_to_list(raw))
        if not isinstance(raw, str):
            raise ValueError
        return raw.strip()
    except (TypeError, ValueError) as exc:
        kind = _KIND_NAMES.get(type(default), "string")
        raise SettingsError(f"archbench:{key} must be {kind}, got {raw!r}") from exc


_KIND_NAMES = {bool: "true or false", int: "an integer", float: "a number", tuple: "a list"}


def _to_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise ValueError(raw)


def _to_list(raw: Any) -> list[Any]:
    """A JSON array, a YAML list, a comma-separated string, or one bare value (``memorySizes: 1024``)."""
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("["):
            raw = json.loads(text)
        else:
            return [part.strip() for part in text.split(",") if part.strip()]
    if isinstance(raw, int) and not isinstance(raw, bool):
        return [raw]
    if not isinstance(raw, Sequence) or not all(isinstance(item, str | int) for item in raw):
        raise ValueError(raw)
    return list(raw)


def _to_int(item: Any) -> int:
    """A whole number from a list item, which Pulumi config may give as a string."""
    if isinstance(item, bool) or (isinstance(item, float) and not item.is_integer()):
        raise ValueError(item)
    return int(item.strip()) if isinstance(item, str) else int(item)


def _list_example(key: str) -> str:
    default = getattr(Settings(), next(f.name for f in fields(Settings) if f.metadata["key"] == key))
    return "[" + ", ".join(str(value) for value in default) + "]"


def _check_list(key: str, values: tuple[Any, ...]) -> None:
    """At least one value, none twice."""
    if not values:
        raise SettingsError(f"archbench:{key} must name at least one value")
    if len(set(values)) != len(values):
        raise SettingsError(f"archbench:{key} has a duplicate: {list(values)}")


def _check_range(key: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise SettingsError(f"archbench:{key} must be between {low} and {high}, got {value}")


def _check_choice(key: str, value: Any, allowed: Sequence[Any]) -> None:
    if value not in allowed:
        choices = ", ".join(str(a) for a in allowed)
        raise SettingsError(f"archbench:{key} must be one of {choices}; got {value!r}")
