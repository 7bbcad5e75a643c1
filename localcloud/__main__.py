"""``python -m localcloud up [--detach] [--port N] [--endpoint URL] [--config FILE] | down | status``."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from core import UsageError, local_outputs_path, run_cli
from localcloud import cloud
from localcloud.runtime_venv import venv_runtime
from stack import Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m localcloud",
        description="The archbench stack on MiniStack, on a loopback port of this machine (no AWS account).")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{up,down,status}")
    up = commands.add_parser("up", help="start MiniStack, deploy every variant and the API, wait until ready",
                             description="Start MiniStack (or use --endpoint), deploy every variant of the matrix "
                                         "(archbench:runtimes × memorySizes × architectures, plus the control "
                                         "twins), wait until every function answers, write the outputs file. "
                                         "Re-running updates in place.")
    up.add_argument("--detach", action="store_true", help="return once ready and leave the cloud running")
    up.add_argument("--port", type=int, help="loopback port for MiniStack (default: a free one)")
    up.add_argument("--endpoint", help="deploy to an already running MiniStack/LocalStack at this URL instead")
    up.add_argument("--config", type=Path, help="a Pulumi.<stack>.yaml whose archbench:* keys to use")
    commands.add_parser("down", help="stop what `up` started and remove the outputs file",
                        description="Stop the MiniStack that `up` started (by pid, with its workers).")
    commands.add_parser("status", help="say whether a local cloud runs, and where",
                        description="Exit 0 if a local cloud runs and answers, 1 otherwise.")
    return parser


def _up(args: argparse.Namespace) -> int:
    if args.port is not None and not 1 <= args.port <= 65535:
        raise UsageError(f"--port must be between 1 and 65535, got {args.port}")
    if args.endpoint is not None and not args.endpoint.startswith(("http://", "https://")):
        raise UsageError(f"--endpoint must be an http(s) URL such as http://127.0.0.1:4566, got {args.endpoint!r}")
    started = time.monotonic()
    settings = Settings.from_pulumi_yaml(args.config)
    outputs = cloud.up(settings, port=args.port, endpoint=args.endpoint, progress=_progress)
    print(f"local cloud ready in {time.monotonic() - started:.1f} s at {outputs.endpoint_url}")
    width = max(len(variant_id) for variant_id in outputs.functions)
    for variant_id, fn in outputs.variants.items():
        print(f"  {variant_id:{width}} {fn.name}  queue {fn.queue_url}")
        print(f"  {'':{width}} POST {outputs.api_url}{fn.route}")
    print(_emulation_note(args.endpoint))
    print(f"outputs: {local_outputs_path()}")
    print("next: python -m loadgen --rate 20/s --duration 30s (per variant)   ·   python -m localcloud down")
    if args.detach:
        return 0
    print("running in the foreground: Ctrl-C stops it", flush=True)
    return _serve_until_interrupted()


def _emulation_note(endpoint: str | None) -> str:
    """What the emulator does not reproduce, said every time: a local matrix differs in names, not in machines."""
    runtime = None if endpoint else venv_runtime()
    interpreter = f"its own {runtime}" if runtime else "its own interpreter"
    return (f"note: MiniStack runs every variant with {interpreter} and enforces no memory size; each EMF "
            "document's Runtime field says which Python ran")


def _serve_until_interrupted() -> int:
    """Foreground ``up``: stay until Ctrl-C / SIGTERM or until MiniStack dies, then clean up like ``down``."""
    def _terminate(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    try:
        while (state := cloud.read_state()) is not None and state.alive:
            time.sleep(1.0)
        print("localcloud: MiniStack stopped answering", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        code = 0
    print(cloud.down())
    return code


def _progress(message: str) -> None:
    print(f"localcloud: {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return run_cli("localcloud", lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    if args.command == "up":
        return _up(args)
    if args.command == "down":
        print(cloud.down())
        return 0
    running, text = cloud.status()
    print(text)
    return 0 if running else 1


if __name__ == "__main__":
    sys.exit(main())
