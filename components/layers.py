"""The dependency layers of a stack: one LayerVersion per (architecture, runtime) its matrix deploys.

Every variant of that pair attaches the same layer (a twin and its sibling, every memory size), so the layer
count grows with the runtimes and architectures, not with the variants, and no two variants of a pair can run
different dependency builds.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pulumi
import pulumi_aws as aws

from stack import FunctionSpec, StackSpec, runtime_tag

COMPONENT_TYPE = "archbench:bench:DependencyLayers"
LayerKey = tuple[str, str]  # (architecture, runtime)


def layer_keys(stack: StackSpec) -> dict[LayerKey, str]:
    """Every (architecture, runtime) pair the stack's variants use, in matrix order → its Python version."""
    return {(fn.architecture, fn.runtime): fn.variant.python_version for fn in stack.functions}


def layer_name(stack: StackSpec, key: LayerKey) -> str:
    """``<prefix>_deps-py313-arm64``: under the stack's name pattern, so the CI role may publish it."""
    arch, runtime = key
    return stack.name(f"deps-{runtime_tag(runtime)}-{arch}")


class DependencyLayers(pulumi.ComponentResource):
    """One LayerVersion per (architecture, runtime), from the zip ``zip_for(arch, python_version)`` returns."""

    layers: dict[LayerKey, aws.lambda_.LayerVersion]

    def __init__(self, name: str, stack: StackSpec, zip_for: Callable[[str, str], Path],
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(COMPONENT_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.layers = {}
        for (arch, runtime), python_version in layer_keys(stack).items():
            zip_path = zip_for(arch, python_version)
            self.layers[(arch, runtime)] = aws.lambda_.LayerVersion(
                f"{name}-{runtime_tag(runtime)}-{arch}", layer_name=layer_name(stack, (arch, runtime)),
                code=pulumi.FileArchive(str(zip_path)), compatible_architectures=[arch],
                compatible_runtimes=[runtime], opts=child)
        self.register_outputs({"arns": {f"{runtime}/{arch}": layer.arn
                                        for (arch, runtime), layer in self.layers.items()}})

    def arn_for(self, spec: FunctionSpec) -> pulumi.Output[str]:
        """The layer a variant attaches: its (architecture, runtime) pair's."""
        arn: pulumi.Output[str] = self.layers[(spec.architecture, spec.runtime)].arn
        return arn
