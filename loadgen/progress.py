"""The live display: what was sent per variant, target vs achieved rate, schedule lag and errors.

A terminal gets a table, one row per variant (32 at most: ``stack.MAX_VARIANTS``); a log gets one line that
stays short whatever the matrix: the range of sent counts, and only the variants that have errors."""

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
    views = snapshot.variants.values()
    sent = [v.sent for v in views]
    low, high = (min(sent), max(sent)) if sent else (0, 0)
    errors = sum(v.errors for v in views)
    failing = ", ".join(f"{variant} {v.errors}" for variant, v in snapshot.variants.items() if v.errors)
    spread = str(low) if low == high else f"{low}–{high}"
    failing = f" ({failing})" if failing else ""
    return (f"run {plan.run_id}: {_position(snapshot, plan)}; sent {spread} per variant ({len(sent)} variants), "
            f"errors {errors}{failing}, late {sum(v.started_late for v in views)}; "
            f"lag p99 {snapshot.lag_p99_ms:.1f} ms")


def render(snapshot: Snapshot, plan: Plan, target: str) -> Group:
    """One frame: a header line, a row per variant, the latest error if any."""
    elapsed = snapshot.elapsed_s
    window_s = plan.profile.round_s  # the whole duration without rounds
    position = (_position(snapshot, plan) if plan.profile.kind == "cold"
                else f"{_round(snapshot, plan)}{min(elapsed, window_s):6.1f}/{window_s:g} s  "
                     f"due {snapshot.dispatched}/{plan.total}")
    header = Text.assemble(
        (f"run {plan.run_id}", "bold"),
        f"  {plan.profile.kind} → {target}  {position}"
        f"  lag p50 {snapshot.lag_p50_ms:.1f} ms  p99 {snapshot.lag_p99_ms:.1f} ms",
    )
    table = Table(box=None, pad_edge=False)
    for column in ("variant", "sent", "target /s", "achieved /s", "behind", f"late >{LATE_AFTER_S * 1000:g} ms",
                   "retried", "errors"):
        table.add_column(column, justify="left" if column == "variant" else "right")
    # After the schedule ends, the last senders catch up on the same window; cold rounds follow no schedule; the
    # pauses between rounds (updates, settling) are not sending time.
    window = elapsed if plan.profile.kind == "cold" else snapshot.offset_s + min(elapsed, window_s)
    target_rate = snapshot.dispatched / window if window > 0 else 0.0
    for variant, view in snapshot.variants.items():
        achieved = view.sent / window if window > 0 else 0.0
        behind = snapshot.dispatched - view.sent - view.failed
        table.add_row(variant, str(view.sent), f"{target_rate:.1f}", f"{achieved:.1f}", str(behind),
                      _warn(view.started_late), str(view.retried), _warn(view.errors))
    parts: list[Text | Table] = [header, table]
    if snapshot.last_error:
        parts.append(Text(f"last error: {snapshot.last_error}", style="red"))
    return Group(*parts)


def _position(snapshot: Snapshot, plan: Plan) -> str:
    """How far the run is: its round, its time and the requests due so far, or the cold round."""
    if plan.profile.kind == "cold":
        return f"round {snapshot.dispatched}/{plan.total}"
    return (f"{_round(snapshot, plan)}{snapshot.elapsed_s:.0f}/{plan.profile.round_s:g} s, due "
            f"{snapshot.dispatched}/{plan.total}")


def _round(snapshot: Snapshot, plan: Plan) -> str:
    """``round 2/3: `` (counted from 1) while ``--rounds`` runs; nothing for a run of one round."""
    if plan.rounds == 1 or snapshot.round_index is None:
        return ""
    return f"round {snapshot.round_index + 1}/{plan.rounds}: "


def _warn(count: int) -> Text:
    return Text(str(count), style="bold red" if count else "")
