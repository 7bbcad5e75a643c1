"""The one command-line envelope: a user's mistake is one line on stderr and an exit code from one table.

Every command (``loadgen``, ``analysis.compare``, ``localcloud``, ``layers``) runs its body through ``run_cli``:
a ``UserError`` prints ``<prog>: error: <message>`` and exits with the error's code; an AWS call that fails prints
the same kind of line; Ctrl-C prints ``<prog>: interrupted``. No traceback for anything the user can fix.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable

from botocore.exceptions import BotoCoreError, ClientError

from handlers.contract import is_run_id, run_id_problem

EXIT_OK = 0
EXIT_FAILED = 1  # a problem the user can act on (no stack, no logs, MiniStack failed, sends failed)
EXIT_USAGE = 2  # the command line itself is wrong (argparse uses 2 as well)
EXIT_UNACCOUNTED = 3  # analysis: the report was written, but messages are unaccounted for
EXIT_INTERRUPTED = 130  # Ctrl-C, as a shell reports SIGINT

_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


class UserError(Exception):
    """Something the user can fix; the message is printed as one line. Subclasses set ``exit_code``."""

    exit_code = EXIT_FAILED


class UsageError(UserError, ValueError):
    """An option or argument that cannot be used as given."""

    exit_code = EXIT_USAGE


def run_cli(prog: str, body: Callable[[], int], interrupted: str = "interrupted") -> int:
    """Run a command's body; turn a ``UserError``, a failed AWS call or Ctrl-C into one line and an exit code."""
    try:
        return body()
    except UserError as exc:
        code, message = exc.exit_code, str(exc)
    except (BotoCoreError, ClientError) as exc:
        code, message = EXIT_FAILED, f"an AWS call failed: {exc}"
    except KeyboardInterrupt:
        print(f"{prog}: {interrupted}", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(f"{prog}: error: {' '.join(message.split())}", file=sys.stderr)  # one line, never wrapped
    return code


def parse_duration(text: str, *, allow_zero: bool = False) -> float:
    """``30s``, ``10m``, ``1h`` (and ``250ms``) → seconds."""
    match = _DURATION_RE.match(text)
    if not match:
        raise UsageError(f"duration {text!r} is not like 30s, 10m or 1h")
    seconds = float(match.group(1)) * _DURATION_UNITS[match.group(2)]
    if seconds < 0 or (seconds == 0 and not allow_zero) or not math.isfinite(seconds):
        raise UsageError(f"duration {text!r} must be more than zero")
    return seconds


def check_run_id(text: str, option: str = "--run-id") -> str:
    """``text`` when it is a run id; otherwise the one usage error every command gives."""
    if not is_run_id(text):
        raise UsageError(f"{option} {run_id_problem(text)}")
    return text
