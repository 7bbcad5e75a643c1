"""The HTTP API in front of the benchmarked functions: one ``POST /<variant id>/process`` route per variant."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from components.function import BenchmarkedFunction
from stack import StackSpec

COMPONENT_TYPE = "archbench:bench:HttpApi"
# One JSON document per request, enough to reconcile what loadgen sent with what the functions saw.
ACCESS_LOG_FORMAT = json.dumps({
    "requestId": "$context.requestId", "requestTime": "$context.requestTimeEpoch",
    "routeKey": "$context.routeKey", "status": "$context.status", "ip": "$context.identity.sourceIp",
    "responseLatency": "$context.responseLatency", "integrationLatency": "$context.integrationLatency",
    "integrationStatus": "$context.integrationStatus", "integrationError": "$context.integrationErrorMessage",
    "error": "$context.error.message",
}, separators=(",", ":"))


class HttpApi(pulumi.ComponentResource):
    """API Gateway v2 HTTP API: Lambda proxy routes (payload 2.0), ``$default`` stage, throttling, access logs."""

    api: aws.apigatewayv2.Api
    log_group: aws.cloudwatch.LogGroup
    stage: aws.apigatewayv2.Stage
    routes: dict[str, aws.apigatewayv2.Route]
    url: pulumi.Output[str]

    def __init__(self, name: str, stack: StackSpec, functions: Mapping[str, BenchmarkedFunction],
                 opts: pulumi.ResourceOptions | None = None) -> None:
        """``functions`` is keyed by variant id, like ``stack.functions`` and the ``bench`` output."""
        super().__init__(COMPONENT_TYPE, name, None, opts)
        settings = stack.settings
        child = pulumi.ResourceOptions(parent=self)

        self.api = aws.apigatewayv2.Api(name, name=stack.api_name, protocol_type="HTTP", opts=child)
        self.routes = {}
        for spec in stack.functions:
            variant_id = spec.variant_id
            function = functions[variant_id].function
            integration = aws.apigatewayv2.Integration(
                f"{name}-{variant_id}-integration", api_id=self.api.id, integration_type="AWS_PROXY",
                integration_method="POST", integration_uri=function.invoke_arn, payload_format_version="2.0",
                opts=child)
            self.routes[variant_id] = aws.apigatewayv2.Route(
                f"{name}-{variant_id}-route", api_id=self.api.id, route_key=spec.route_key,
                target=integration.id.apply(lambda integration_id: f"integrations/{integration_id}"),
                authorization_type=stack.route_authorization, opts=child)
            aws.lambda_.Permission(
                f"{name}-{variant_id}-invoke", action="lambda:InvokeFunction", function=function.name,
                principal="apigateway.amazonaws.com",
                source_arn=self.api.execution_arn.apply(spec.api_invoke_source_arn), opts=child)

        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-access-logs", name=stack.api_access_log_group,
            retention_in_days=settings.log_retention_days, opts=child)
        self.stage = aws.apigatewayv2.Stage(
            f"{name}-stage", api_id=self.api.id, name="$default", auto_deploy=True,
            default_route_settings={"throttling_rate_limit": settings.api_throttle_rate,
                                    "throttling_burst_limit": settings.api_throttle_burst},
            access_log_settings={"destination_arn": self.log_group.arn, "format": ACCESS_LOG_FORMAT},
            opts=child)
        # The $default stage is served at the API's root: routes are appended to this URL as they are.
        self.url = self.api.api_endpoint
        self.register_outputs({"url": self.url})
