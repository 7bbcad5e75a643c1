"""The stack model both deployers build from: settings, the derived names and policies, the alarms, and the
stack outputs contract with its discovery.

No pulumi here: the Pulumi components (``components``) and the local cloud's boto3 deployer (``localcloud``) read
the same model, so the two cannot drift. Other packages import from this face.
"""

from stack.alarms import (
    LAMBDA_NAMESPACE,
    PERIOD_S,
    SQS_NAMESPACE,
    Alarm,
    function_alarms,
    queue_age_threshold_s,
    stack_alarms,
)
from stack.function import FunctionSettings
from stack.load_workers import (
    WORKER_ARCHITECTURE,
    WORKER_MEMORY_MB,
    LoadWorkerSpec,
    describe_load_workers,
    load_worker_policy,
    progress_key,
    result_key,
    stop_key,
)
from stack.outputs import (
    OUTPUT_NAME,
    FunctionOutputs,
    LoadWorkerOutputs,
    OutputsError,
    StackOutputs,
    find_outputs,
    load_outputs_file,
)
from stack.settings import CONTROL_CHOICES, MAX_VARIANTS, RUNTIMES, Settings, SettingsError
from stack.spec import (
    CODE_DIR,
    HANDLER,
    LAMBDA_TRUST,
    LOG_ACTIONS,
    NAME_DELIMITER,
    QUEUE_ACTIONS,
    XRAY_ACTIONS,
    FunctionSpec,
    StackSpec,
    code_files,
    describe_stack,
    execution_policy,
    package_files,
    stack_prefix,
)
from stack.variants import ROLES, Role, Variant, matrix, runtime_tag

__all__ = [
    "CODE_DIR",
    "CONTROL_CHOICES",
    "HANDLER",
    "LAMBDA_NAMESPACE",
    "LAMBDA_TRUST",
    "LOG_ACTIONS",
    "MAX_VARIANTS",
    "NAME_DELIMITER",
    "OUTPUT_NAME",
    "PERIOD_S",
    "QUEUE_ACTIONS",
    "ROLES",
    "RUNTIMES",
    "SQS_NAMESPACE",
    "WORKER_ARCHITECTURE",
    "WORKER_MEMORY_MB",
    "XRAY_ACTIONS",
    "Alarm",
    "FunctionOutputs",
    "FunctionSettings",
    "FunctionSpec",
    "LoadWorkerOutputs",
    "LoadWorkerSpec",
    "OutputsError",
    "Role",
    "Settings",
    "SettingsError",
    "StackOutputs",
    "StackSpec",
    "Variant",
    "code_files",
    "describe_load_workers",
    "describe_stack",
    "execution_policy",
    "find_outputs",
    "function_alarms",
    "load_outputs_file",
    "load_worker_policy",
    "matrix",
    "package_files",
    "progress_key",
    "queue_age_threshold_s",
    "result_key",
    "runtime_tag",
    "stack_alarms",
    "stack_prefix",
    "stop_key",
]
