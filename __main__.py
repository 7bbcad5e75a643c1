"""archbench's Pulumi program: one benchmarked function per architecture and the HTTP API in front of them.

Every value comes from the ``archbench:*`` config keys through ``Settings`` and ``describe_stack``; this file
only wires the components together and exports ``bench``, the contract in ``components/outputs.py``.
"""

import hashlib
import re

import pulumi
import pulumi_aws as aws

from components.function import BenchmarkedFunction
from components.http_api import HttpApi
from components.outputs import OUTPUT_NAME
from components.settings import Settings, SettingsError
from components.spec import describe_stack

PREFIX_MAX = 40


def stack_prefix(stack: str) -> str:
    """``archbench-<stack>`` as a resource-name prefix; a long one is cut and given a hash so it stays unique."""
    prefix = "archbench-" + re.sub(r"[^a-z0-9]+", "-", stack.lower()).strip("-")
    if len(prefix) <= PREFIX_MAX:
        return prefix.rstrip("-")
    return f"{prefix[:PREFIX_MAX - 7].rstrip('-')}-{hashlib.sha256(stack.encode()).hexdigest()[:6]}"


try:
    settings = Settings.from_mapping(pulumi.Config("archbench").get)
except SettingsError as exc:
    # RunError: Pulumi prints the one line, not the program's traceback.
    raise pulumi.RunError(str(exc)) from None
spec = describe_stack(settings, stack_prefix(pulumi.get_stack()))

layer_zips = {}
if settings.layers:
    from components.layers import layer_zip

    layer_zips = {fn.architecture: layer_zip(settings, fn.architecture) for fn in spec.functions}

functions = {fn.architecture: BenchmarkedFunction(fn.architecture, fn, layer_zip=layer_zips.get(fn.architecture))
             for fn in spec.functions}
api = HttpApi("api", spec, functions)

# --- Monitoring and CI (wired here by the lead) ---------------------------------------------------------------------
# The dashboard and alarms (SNS topic when settings.alarm_email is set) and the GitHub OIDC deploy role (when
# settings.ci_github_repository is set) are their own components; build them here from `spec` and `functions`.
# ------------------------------------------------------------------------------------------------------------------

pulumi.export(OUTPUT_NAME, {
    "region": aws.get_region_output().region,
    "endpoint_url": None,
    "api_url": api.url,
    "functions": {arch: fn.contract_outputs() for arch, fn in functions.items()},
})
