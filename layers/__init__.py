"""Per-architecture dependency layers: built from ``handlers/requirements.txt``, pruned, checked, cached.

``layer_zip(settings, arch)`` is what the Pulumi program calls, ``build_layer`` and ``verify`` what the command
line ``python -m layers build|verify`` calls. No pulumi import here or below.
"""

from __future__ import annotations

from pathlib import Path

from layers.build import Layer, build_layer
from layers.errors import LayerError
from layers.verify import Verification, verify
from stack import Settings


def layer_zip(settings: Settings, arch: str) -> Path:
    """The zip to publish as ``arch``'s LayerVersion for ``settings.runtime``: built or cached, within budget."""
    layer = build_layer(arch, settings.python_version)
    layer.check_budgets()
    return layer.zip_path


__all__ = ["Layer", "LayerError", "Verification", "build_layer", "layer_zip", "verify"]
