"""archbench's Pulumi components: one ``ComponentResource`` per resource group, built from the stack model.

The model they read (settings, spec, alarms, outputs) is the Pulumi-free ``stack`` package, which the local cloud
reads too; importing this face imports pulumi and pulumi_aws.
"""

from components.boundary import FunctionBoundary
from components.ci_role import CiDeployRole, ci_deploy_role
from components.dashboard import dashboard_body
from components.function import BenchmarkedFunction
from components.http_api import HttpApi
from components.iam_policies import StateLocation
from components.layers import DependencyLayers
from components.load_workers import LoadWorkers
from components.monitoring import Monitoring

__all__ = ["BenchmarkedFunction", "CiDeployRole", "DependencyLayers", "FunctionBoundary", "HttpApi", "LoadWorkers",
           "Monitoring", "StateLocation", "ci_deploy_role", "dashboard_body"]
