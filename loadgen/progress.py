"""The live display: what was sent per architecture, target vs achieved rate, schedule lag and errors."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from loadgen.plan import Plan
from loadgen.stats import LATE_AFTER_S, Snapshot

PLAIN_EVERY_S = 10.0  # without a terminal (CI, a log file): one line this often
ERRORS_EVERY_S = 0.25  # ... and new first errors of a kind are printed within this


@contextmanager
def live_progress(snapshot: Callable[[], Snapshot], plan: Plan, target: str, console: Console,
                  first_errors: Callable[[], list[str]] | None = None) -> Iterator[None]:
    """A live table on a terminal; elsewhere a plain line every ``PLAIN_EVERY_S`` seconds, and the first error
    of each kind (``RunStats.take_first_errors``) as soon as it happens, one line each, so a CI log says why sends
    fail."""
    if console.is_terminal:
        with Live(get_renderable=lambda: render(snapshot(), plan, target), console=console,
                  refresh_per_second=4):
            yield
        return
    done = threading.Event()

    def print_errors() -> None:
        for message in first_errors() if first_errors else ():
            console.print(f"run {plan.run_id}: error: {message}", soft_wrap=True, highlight=False, markup=False)

    def report() -> None:
        next_line = time.monotonic() + PLAIN_EVERY_S
        while not done.wait(ERRORS_EVERY_S):
            print_errors()
            if time.monotonic() >= next_line:
                next_line += PLAIN_EVERY_S
                console.print(plain_line(snapshot(), plan), soft_wrap=True, highlight=False)

    reporter = threading.Thread(target=report, name="loadgen-progress", daemon=True)
    reporter.start()
    try:
        yield
    finally:
        done.set()
        reporter.join()
        print_errors()


def plain_line(snapshot: Snapshot, plan: Plan) -> str:
    sent = "  ".join(f"{arch} sent {v.sent} errors {v.errors} late {v.started_late}"
                     for arch, v in snapshot.archs.items())
    return (f"run {plan.run_id}: {snapshot.elapsed_s:.0f}/{plan.profile.duration_s:g} s, due "
            f"{snapshot.dispatched}/{plan.total}; {sent}; lag p99 {snapshot.lag_p99_ms:.1f} ms")


def render(snapshot: Snapshot, plan: Plan, target: str) -> Group:
    """One frame: a header line, a row per architecture, the latest error if any."""
    elapsed = snapshot.elapsed_s
    duration = plan.profile.duration_s
    header = Text.assemble(
        (f"run {plan.run_id}", "bold"),
        f"  {plan.profile.kind} → {target}  {min(elapsed, duration):6.1f}/{duration:g} s"
        f"  due {snapshot.dispatched}/{plan.total}"
        f"  lag p50 {snapshot.lag_p50_ms:.1f} ms  p99 {snapshot.lag_p99_ms:.1f} ms",
    )
    table = Table(box=None, pad_edge=False)
    for column in ("arch", "sent", "target /s", "achieved /s", "behind", f"late >{LATE_AFTER_S * 1000:g} ms",
                   "retried", "errors"):
        table.add_column(column, justify="left" if column == "arch" else "right")
    window = min(elapsed, duration)  # after the schedule ends, the last senders catch up on the same window
    target_rate = snapshot.dispatched / window if window > 0 else 0.0
    for arch, view in snapshot.archs.items():
        achieved = view.sent / window if window > 0 else 0.0
        behind = snapshot.dispatched - view.sent - view.failed
        table.add_row(arch, str(view.sent), f"{target_rate:.1f}", f"{achieved:.1f}", str(behind),
                      _warn(view.started_late), str(view.retried), _warn(view.errors))
    parts: list[Text | Table] = [header, table]
    if snapshot.last_error:
        parts.append(Text(f"last error: {snapshot.last_error}", style="red"))
    return Group(*parts)


def _warn(count: int) -> Text:
    return Text(str(count), style="bold red" if count else "")
