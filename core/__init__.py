"""The ground floor every host-side tool stands on: paths, AWS access, prices, the run manifest, files, the
architectures' names, and the command-line envelope.

It imports nothing of the tools above it, only the wire contract in ``handlers.contract``; no pulumi. Other
packages import from this face.
"""

from core.arch import ARCHITECTURES, COLOURS, LINUX_MACHINE, OTHER_ARCH, arch_of_machine
from core.aws import LOCAL_REGION, ExecuteApiSigner, client, local_credentials_env, session
from core.cli import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_UNACCOUNTED,
    EXIT_USAGE,
    UsageError,
    UserError,
    check_run_id,
    parse_duration,
    run_cli,
)
from core.files import write_deterministic_zip, write_json_atomic
from core.manifest import (
    MANIFEST_NAME,
    ManifestError,
    RunManifest,
    TargetCounts,
    read_manifest,
    run_dir,
    write_manifest,
)
from core.paths import (
    PROJECT_ROOT,
    local_outputs_path,
    ministack_venv_dir,
    reports_dir,
    runs_dir,
    state_dir,
)
from core.pricing import (
    HTTP_API_PER_MILLION_REQUESTS_USD,
    LAMBDA_PER_GB_S_USD,
    LAMBDA_PER_MILLION_REQUESTS_USD,
    PRICE_SOURCE,
    SQS_PER_MILLION_REQUESTS_USD,
    PriceList,
    prices_for,
)

__all__ = [
    "ARCHITECTURES",
    "COLOURS",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_UNACCOUNTED",
    "EXIT_USAGE",
    "HTTP_API_PER_MILLION_REQUESTS_USD",
    "LAMBDA_PER_GB_S_USD",
    "LAMBDA_PER_MILLION_REQUESTS_USD",
    "LINUX_MACHINE",
    "LOCAL_REGION",
    "MANIFEST_NAME",
    "OTHER_ARCH",
    "PRICE_SOURCE",
    "PROJECT_ROOT",
    "SQS_PER_MILLION_REQUESTS_USD",
    "ExecuteApiSigner",
    "ManifestError",
    "PriceList",
    "RunManifest",
    "TargetCounts",
    "UsageError",
    "UserError",
    "arch_of_machine",
    "check_run_id",
    "client",
    "local_credentials_env",
    "local_outputs_path",
    "ministack_venv_dir",
    "parse_duration",
    "prices_for",
    "read_manifest",
    "reports_dir",
    "run_cli",
    "run_dir",
    "runs_dir",
    "session",
    "state_dir",
    "write_deterministic_zip",
    "write_json_atomic",
    "write_manifest",
]
