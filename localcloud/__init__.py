"""The embedded local cloud: the archbench stack on MiniStack, on a loopback port of this machine.

Library API (the CLI, tests and demo use it): ``up`` / ``down`` / ``status`` for the whole lifecycle, and the
parts — ``ensure_venv`` and ``start`` / ``stop`` a MiniStack process, ``deploy`` a stack to an endpoint (its
``code_zip``; every variant of its matrix, and what the matrix dropped removed), ``wait_ready`` (``noop_request``,
``post_json`` to a route), ``consumers_paused`` (the queues' consumers held for a block).
"""

from localcloud.cloud import PREFIX, down, read_state, status, up
from localcloud.deploy import code_zip, deploy
from localcloud.errors import LocalCloudError
from localcloud.http import post_json
from localcloud.mappings import consumers_paused
from localcloud.process import start, stop
from localcloud.ready import noop_request, wait_ready
from localcloud.runtime_venv import ensure_venv, venv_runtime

__all__ = [
    "PREFIX",
    "LocalCloudError",
    "code_zip",
    "consumers_paused",
    "deploy",
    "down",
    "ensure_venv",
    "noop_request",
    "post_json",
    "read_state",
    "start",
    "status",
    "stop",
    "up",
    "venv_runtime",
    "wait_ready",
]
