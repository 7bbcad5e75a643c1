"""archbench's Pulumi program: one benchmarked function per variant of the matrix and the HTTP API in front of them.

Every value comes from the ``archbench:*`` config keys through ``Settings`` and ``describe_stack``; this file
only wires the components together and exports ``bench``, the contract in ``stack/outputs.py``, keyed by variant id.
"""

from functools import partial

import pulumi
import pulumi_aws as aws

from components import (
    BenchmarkedFunction,
    DependencyLayers,
    FunctionBoundary,
    HttpApi,
    LoadWorkers,
    Monitoring,
    StateLocation,
    ci_deploy_role,
)
from stack import OUTPUT_NAME, Settings, SettingsError, describe_load_workers, describe_stack, stack_prefix

try:
    settings = Settings.from_mapping(pulumi.Config("archbench").get)
    spec = describe_stack(settings, stack_prefix(pulumi.get_stack()))
except SettingsError as exc:
    # RunError: Pulumi prints the one line, not the program's traceback.
    raise pulumi.RunError(str(exc)) from None
region = aws.get_region_output().region
account_id = aws.get_caller_identity_output().account_id

dependency_layers = None
if settings.layers:
    # Imported only here: building a layer runs pip for the target platform.
    from layers import layer_zip

    # One layer per (architecture, runtime), shared by every variant of that pair.
    # With archbench:function, its requirements are built into every layer too.
    requirements = settings.function.requirements_path if settings.function else None
    zip_for = layer_zip if requirements is None else partial(layer_zip, user_requirements=requirements)
    dependency_layers = DependencyLayers("layers", spec, zip_for)

# Every function role's ceiling, whatever its inline policy says.
boundary = FunctionBoundary("function-boundary", spec, account_id=account_id, region=region)
functions = {
    fn.variant_id: BenchmarkedFunction(
        fn.variant_id, fn, boundary.arn, layer_arn=dependency_layers.arn_for(fn) if dependency_layers else None)
    for fn in spec.functions
}
api = HttpApi("api", spec, functions)

# Alarms per variant and the comparison dashboard always; an SNS topic only with archbench:alarmEmail.
monitoring = Monitoring("monitoring", spec, region=region, api_id=api.api.id)
# The GitHub OIDC deploy/preview roles only with archbench:ciGithubRepository; the state is the stack's own prefix.
state = StateLocation(bucket=settings.ci_state_bucket, prefix=spec.prefix, project=pulumi.get_project(),
                      stack=pulumi.get_stack())
ci = ci_deploy_role("ci", spec, state, account_id=account_id, region=region, api_id=api.api.id)

# The loadgen worker function and its results bucket only with archbench:loadWorkers.
worker_spec = describe_load_workers(spec)
load_workers = (LoadWorkers("load-workers", worker_spec, functions, account_id=account_id,
                            api_execution_arn=api.api.execution_arn, boundary_arn=boundary.arn)
                if worker_spec else None)

pulumi.export("dashboard_url", monitoring.dashboard_url)
if ci:
    pulumi.export("ci", {"deploy_role_arn": ci.deploy_role.arn,
                         "preview_role_arn": ci.preview_role.arn if ci.preview_role else None})
pulumi.export(OUTPUT_NAME, {
    "region": region,
    "endpoint_url": None,
    "api_url": api.url,
    "functions": {variant_id: fn.contract_outputs() for variant_id, fn in functions.items()},
    **({"load_workers": load_workers.contract_outputs()} if load_workers else {}),
    **({"user_function": settings.function.handler} if settings.function else {}),
})
