"""``python -m layers build|verify``: the command line of the dependency layers."""

from __future__ import annotations

import argparse
import itertools
import shutil
import sys
from pathlib import Path

from core import ARCHITECTURES, UsageError, read_events, run_cli
from layers.build import build_layer
from layers.debian import DEFAULT_MIRROR
from layers.errors import LayerError
from layers.verify import PROBE_TIMEOUT_S, UserRun, verify
from stack import RUNTIMES, Settings

DEFAULT_VERIFY_RUNTIME = Settings().runtimes[0]


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return run_cli("layers", lambda: args.command(args))


def python_version(runtime: str) -> str:
    """``3.13`` for the Lambda runtime ``python3.13``: what pip resolves the wheels for."""
    return runtime.removeprefix("python")


def _build(args: argparse.Namespace) -> int:
    """Every requested (architecture, runtime) pair; by default every pair the settings' matrix deploys."""
    settings = Settings.from_pulumi_yaml(args.config)
    archs = args.arch or settings.architectures
    runtimes = args.runtime or settings.runtimes
    for arch, runtime in itertools.product(dict.fromkeys(archs), dict.fromkeys(runtimes)):
        layer = build_layer(arch, python_version(runtime), rebuild=args.rebuild,
                            user_requirements=settings.function.requirements_path if settings.function else None)
        layer.check_budgets()
        print(_copied(layer.zip_path, args.out, arch, runtime) if args.out else layer.zip_path)
    return 0


def _copied(zip_path: Path, out: Path, arch: str, runtime: str) -> Path:
    try:
        out.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copyfile(zip_path, out / f"archbench-deps-{arch}-{runtime}.zip"))
    except OSError as exc:
        raise LayerError(f"cannot copy the layer into --out {out}: {exc.strerror}") from None


def _verify(args: argparse.Namespace) -> int:
    user = _user_run(args)
    result = verify(args.arch, python_version(args.runtime), mirror=args.mirror, timeout=args.timeout, user=user)
    tested, reference = result.tested, result.reference
    item, items = ("event", "sample events") if user else ("workload", "workloads")
    print(f"{item:<16}{'size':>9}  {tested.arch + ' digest':<18}{reference.arch + ' digest':<18}same")
    for name, size, tested_digest, reference_digest, equal in result.rows():
        print(f"{name:<16}{size:>9}  {tested_digest[:16]:<18}{reference_digest[:16]:<18}{'yes' if equal else 'NO'}")
    problem = result.problem()
    if problem is not None:
        raise LayerError(problem)
    how = {True: "under qemu", False: "natively"}
    print(f"OK: {tested.arch} ({how[tested.emulated]}, {tested.seconds:.0f} s) and {reference.arch} "
          f"({how[reference.emulated]}, {reference.seconds:.0f} s) agree on all {len(tested.results)} {items}; "
          f"{result.seconds:.0f} s in all")
    return 0


def _user_run(args: argparse.Namespace) -> UserRun | None:
    """``--config`` with archbench:function and ``--events``: verify the user's handler instead of the workloads."""
    function = Settings.from_pulumi_yaml(args.config).function if args.config else None
    if (function is None) != (args.events is None):
        raise UsageError("verify --events needs --config with archbench:function, and archbench:function needs "
                         "--events (the sample events to run the handler on)")
    if function is None:
        return None
    return UserRun(function, tuple(event for event, _ in read_events(args.events)))


def _seconds(text: str) -> int:
    """``--timeout``: a whole number of seconds above zero, or argparse's one-line usage error."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of seconds >= 1, got {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m layers",
        description="Build the Lambda dependency layers (one per architecture and runtime), or verify that the "
                    "arm64 layer computes the same answers as the x86_64 one. Progress on stderr, results on "
                    "stdout.")
    commands = parser.add_subparsers(required=True, metavar="{build,verify}")

    build = commands.add_parser(
        "build", help="build (or take from the cache) the layer zips; prints one path per line",
        description="For every architecture and runtime (by default every pair the settings' matrix deploys: "
                    "archbench:architectures × archbench:runtimes), pip install the handlers' requirements, prune, "
                    "check every ELF file's machine and the Lambda size limits, zip python/. Cached by a hash of "
                    "requirements + Python version + architecture.")
    build.add_argument("--arch", action="append", choices=ARCHITECTURES,
                       help="only this architecture (repeatable; default: archbench:architectures)")
    build.add_argument("--runtime", action="append", choices=RUNTIMES,
                       help="only this Lambda runtime (repeatable; default: archbench:runtimes)")
    build.add_argument("--config", type=Path, metavar="FILE",
                       help="a Pulumi.<stack>.yaml whose archbench:* keys give the defaults (else the built-in ones)")
    build.add_argument("--out", type=Path, metavar="DIR",
                       help="also copy each zip into DIR as archbench-deps-<arch>-<runtime>.zip")
    build.add_argument("--rebuild", action="store_true", help="ignore the cache (pick up new releases)")
    build.set_defaults(command=_build)

    check = commands.add_parser(
        "verify", help="run every workload with this layer under its CPU (qemu) and compare digests",
        description="Run a small request of every workload through the handler with ARCH's layer under an ARCH "
                    "Python from a Debian root (qemu-user when foreign) and with the other architecture's layer "
                    "natively; succeed when every result digest is equal. Needs qemu-user-static and "
                    "debootstrap (scripts/ci-system-deps.sh); the roots are cached under .archbench/.")
    check.add_argument("--arch", default="arm64", choices=ARCHITECTURES, help="the layer under test (default arm64)")
    check.add_argument("--runtime", choices=RUNTIMES, default=DEFAULT_VERIFY_RUNTIME,
                       help=f"Lambda runtime (default {DEFAULT_VERIFY_RUNTIME}; a Debian suite must ship it)")
    check.add_argument("--mirror", default=DEFAULT_MIRROR, help=f"Debian mirror (default {DEFAULT_MIRROR})")
    check.add_argument("--timeout", type=_seconds, default=PROBE_TIMEOUT_S, metavar="S",
                       help=f"limit for each architecture's run, seconds (default {PROBE_TIMEOUT_S})")
    check.add_argument("--config", type=Path, metavar="FILE",
                       help="a Pulumi.<stack>.yaml with archbench:function: verify your handler (with --events)")
    check.add_argument("--events", type=Path, metavar="FILE",
                       help="your sample events, as for loadgen --events: each is run on both architectures")
    check.set_defaults(command=_verify)
    return parser


if __name__ == "__main__":
    sys.exit(main())
