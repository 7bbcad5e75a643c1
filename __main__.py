"""archbench's Pulumi program: one benchmarked function per architecture and the HTTP API in front of them.

Every value comes from the ``archbench:*`` config keys through ``Settings`` and ``describe_stack``; this file
only wires the components together and exports ``bench``, the contract in ``stack/outputs.py``.
"""

import pulumi
import pulumi_aws as aws

from components import BenchmarkedFunction, HttpApi, Monitoring, ci_deploy_role
from stack import OUTPUT_NAME, Settings, SettingsError, describe_stack, stack_prefix

try:
    settings = Settings.from_mapping(pulumi.Config("archbench").get)
except SettingsError as exc:
    # RunError: Pulumi prints the one line, not the program's traceback.
    raise pulumi.RunError(str(exc)) from None
spec = describe_stack(settings, stack_prefix(pulumi.get_stack()))

layer_zips = {}
if settings.layers:
    from layers import layer_zip

    layer_zips = {fn.architecture: layer_zip(settings, fn.architecture) for fn in spec.functions}

functions = {fn.architecture: BenchmarkedFunction(fn.architecture, fn, layer_zip=layer_zips.get(fn.architecture))
             for fn in spec.functions}
api = HttpApi("api", spec, functions)

region = aws.get_region_output().region
# Alarms and the side-by-side dashboard always; an SNS topic only with archbench:alarmEmail.
monitoring = Monitoring("monitoring", spec, region=region, api_id=api.api.id)
# The GitHub OIDC deploy/preview roles only with archbench:ciGithubRepository.
ci = ci_deploy_role("ci", spec, account_id=aws.get_caller_identity_output().account_id, region=region,
                    api_id=api.api.id)

pulumi.export("dashboard_url", monitoring.dashboard_url)
if ci:
    pulumi.export("ci", {"deploy_role_arn": ci.deploy_role.arn, "preview_role_arn": ci.preview_role.arn})
pulumi.export(OUTPUT_NAME, {
    "region": region,
    "endpoint_url": None,
    "api_url": api.url,
    "functions": {arch: fn.contract_outputs() for arch, fn in functions.items()},
})
