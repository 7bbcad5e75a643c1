"""Dependency layers per (architecture, Python version): built from ``handlers/requirements.txt``, pruned, checked,
cached.

``layer_zip(arch, python_version)`` is what the Pulumi program calls, once per (architecture, runtime) pair its
matrix deploys; ``build_layer`` and ``verify`` are what the command line ``python -m layers build|verify`` calls.
No pulumi import here or below.
"""

from __future__ import annotations

from pathlib import Path

from layers.build import Layer, build_layer
from layers.errors import LayerError
from layers.verify import Verification, verify


def layer_zip(arch: str, python_version: str, user_requirements: Path | None = None) -> Path:
    """The zip to publish as the LayerVersion of ``arch`` and ``python<python_version>``: built or cached, within
    budget; with archbench:function's requirements too when given."""
    layer = build_layer(arch, python_version, user_requirements=user_requirements)
    layer.check_budgets()
    return layer.zip_path


__all__ = ["Layer", "LayerError", "Verification", "build_layer", "layer_zip", "verify"]
