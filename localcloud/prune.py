"""Remove what a local stack no longer describes, so a matrix that shrank on a re-run of ``up`` leaves no orphans.

Every resource of a stack is named ``<prefix>_…`` (``StackSpec.name_pattern``: no other stack's names match it), so
a resource that carries the prefix but is not in the spec belongs to a variant dropped from the matrix, as Pulumi
would delete it. Left behind, its event source mapping would keep polling and its warm workers keep running.
"""

from __future__ import annotations

import contextlib
from typing import Any

from localcloud.clients import Clients
from localcloud.paging import every_item
from stack import StackSpec


def remove_stale(stack: StackSpec, clients: Clients, api_id: str, keep: set[str] | None = None) -> list[str]:
    """Delete every function, queue, log group, role, route and integration of ``stack``'s prefix that ``stack``
    does not describe, but the names in ``keep`` (the load worker's); return the names of the functions removed
    (sorted)."""
    lam, sqs, logs, iam, api = clients.lam, clients.sqs, clients.logs, clients.iam, clients.api
    mine = stack.name("")  # every name of the stack starts with ``<prefix>_``
    keep = keep or set()
    wanted = {fn.function_name for fn in stack.functions} | keep
    stale = sorted(name for name in _function_names(lam) if name.startswith(mine) and name not in wanted)
    for name in stale:
        for mapping in lam.list_event_source_mappings(FunctionName=name)["EventSourceMappings"]:
            lam.delete_event_source_mapping(UUID=mapping["UUID"])
        lam.delete_function(FunctionName=name)
    queues = {name for fn in stack.functions for name in (fn.queue_name, fn.dlq_name)}
    for url in sqs.list_queues(QueueNamePrefix=mine).get("QueueUrls", []):
        if url.rsplit("/", 1)[-1] not in queues:
            sqs.delete_queue(QueueUrl=url)
    groups = {fn.log_group for fn in stack.functions} | keep
    for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=f"/aws/lambda/{mine}"):
        for group in page["logGroups"]:
            if group["logGroupName"] not in groups:
                logs.delete_log_group(logGroupName=group["logGroupName"])
    roles = {fn.role_name for fn in stack.functions} | keep
    for page in iam.get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            if role["RoleName"].startswith(mine) and role["RoleName"] not in roles:
                _delete_role(iam, role["RoleName"])
    _remove_stale_routes(api, api_id, stack)
    return stale


def _function_names(lam: Any) -> list[str]:
    return [fn["FunctionName"] for page in lam.get_paginator("list_functions").paginate() for fn in page["Functions"]]


def _delete_role(iam: Any, name: str) -> None:
    for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        iam.delete_role_policy(RoleName=name, PolicyName=policy)
    iam.delete_role(RoleName=name)


def _remove_stale_routes(api: Any, api_id: str, stack: StackSpec) -> None:
    """Routes not in the spec, then integrations no route targets any more (a dropped variant's)."""
    keys = {fn.route_key for fn in stack.functions}
    targets = set()
    for route in every_item(api.get_routes, "Items", ApiId=api_id):
        if route["RouteKey"] in keys:
            targets.add(route.get("Target", ""))
        else:
            api.delete_route(ApiId=api_id, RouteId=route["RouteId"])
    for integration in every_item(api.get_integrations, "Items", ApiId=api_id):
        if f"integrations/{integration['IntegrationId']}" not in targets:
            with contextlib.suppress(api.exceptions.NotFoundException):
                api.delete_integration(ApiId=api_id, IntegrationId=integration["IntegrationId"])
