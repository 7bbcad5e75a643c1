"""The embedded local cloud: the archbench stack on MiniStack, on a loopback port of this machine.

Library API (the CLI, tests and demo use it): ``up`` / ``down`` / ``status`` for the whole lifecycle, and the
parts — ``start`` / ``stop`` a MiniStack process, ``deploy`` a stack to an endpoint, ``wait_ready``.
"""

from localcloud.cloud import PREFIX, down, read_state, status, up
from localcloud.deploy import deploy
from localcloud.errors import LocalCloudError
from localcloud.process import start, stop
from localcloud.ready import wait_ready

__all__ = ["PREFIX", "LocalCloudError", "deploy", "down", "read_state", "start", "status", "stop", "up",
           "wait_ready"]
