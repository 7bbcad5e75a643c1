"""Sender processes: the schedule in N slices (``loadgen.slicing``), each sent by its own process, all started at
one common instant, merged into the driver's ``RunStats``.

One process reaches ~1,700 SendMessageBatch messages a second on this machine (botocore costs ~3 ms of CPU per
call), so a matrix at a production rate outgrows it. Each child opens its own target (client, connections, queue
check), says it is ready, answers a clock ping (its offset against the driver, so a skewed sender is visible),
and waits for the start instant the driver sends to all. A few times a second it sends its progress
(``SenderLive``) for the live display, and at the end its ``SenderReport`` (counts, lag sketch, records).

The children ignore SIGINT: a terminal's Ctrl-C reaches the whole process group, and the driver alone decides.
Its ``stop`` (the command's first Ctrl-C) stops every child's schedule, a second Ctrl-C abandons what no sender
has taken, and every report still merges into an interrupted manifest. A child that dies without a report is
named, and its whole slice counts as failed: never silently missing.
"""

from __future__ import annotations

import math
import multiprocessing
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from core import UserError
from loadgen.planning import LoadPlan
from loadgen.runner import run_schedule
from loadgen.senders import SenderPool
from loadgen.slicing import slice_window
from loadgen.stats import RunStats
from loadgen.targets import open_target
from stack import StackOutputs

START_LEAD_S = 0.5  # the common start is this far after the last child is ready: time to hear it
LIVE_EVERY_S = 0.25
CLOCK_PINGS = 5
READY_TIMEOUT_S = 60.0  # a child imports numpy and boto3 and checks every queue
DRAIN_TIMEOUT_S = 60.0  # after a second Ctrl-C, how long the children may take to report


class SenderProcesses(SenderPool):
    """``count`` children, one slice each."""

    kind = "processes"
    label = "sender process"

    def __init__(self, load: LoadPlan, outputs: StackOutputs, stats: RunStats, *, count: int, linger: float,
                 notice: Callable[[str], None] = lambda message: None) -> None:
        super().__init__(load, stats, count)
        self.outputs, self.linger, self.notice = outputs, linger, notice
        context = multiprocessing.get_context("spawn")  # never fork a process that has threads
        self._stop, self._abandon = context.Event(), context.Event()
        self._conns: dict[int, Connection] = {}
        self._processes: dict[int, BaseProcess] = {}
        for index in range(count):
            mine, theirs = context.Pipe()
            process = context.Process(target=_child, name=f"loadgen-sender-{index}", daemon=True,
                                      args=(theirs, self._stop, self._abandon, load, outputs, index, count, linger))
            self._conns[index], self._processes[index] = mine, process

    def open(self) -> None:
        """Start every child and wait until each has its target open; a child that cannot is a ``UserError``."""
        for process in self._processes.values():
            process.start()
        deadline = time.monotonic() + READY_TIMEOUT_S
        waiting, noticed = set(self._conns), set()
        while waiting:
            ready = self._wait_for(waiting, deadline - time.monotonic())
            if not ready:
                raise UserError(f"sender process {', '.join(map(str, sorted(waiting)))} did not get ready within "
                                f"{READY_TIMEOUT_S:g} s")
            for index in ready:
                try:
                    kind, payload = self._conns[index].recv()
                except EOFError:
                    kind, payload = "error", f"exited with code {self._exit_code(index)} before it was ready"
                if kind == "error":
                    raise UserError(f"sender process {index}: {payload}")
                if kind == "notice":  # every child opens the same target: say it once
                    if payload not in noticed:
                        noticed.add(payload)
                        self.notice(str(payload))
                    continue
                waiting.discard(index)

    def run(self, stop: threading.Event) -> None:
        """Measure each child's clock, start all at one instant, show their progress, absorb their reports."""
        for index, conn in self._conns.items():
            self._offsets[index] = _clock_offset(conn)
        start_at, start_mono = time.time() + START_LEAD_S, time.monotonic() + START_LEAD_S
        for conn in self._conns.values():
            conn.send(("start", start_at))
        self.stats.mark_start(start_mono)
        try:
            self._collect(stop, deadline=math.inf)
        except KeyboardInterrupt:  # a second Ctrl-C: every child gives up what no sender has taken
            self._stop.set()
            self._abandon.set()
            self._collect(stop, deadline=time.monotonic() + DRAIN_TIMEOUT_S)
            raise

    def close(self) -> None:
        """Count whoever never reported as not sent; end the children still running (by their handles)."""
        super().close()
        for process in self._processes.values():
            if process.is_alive():
                process.terminate()
            if process.pid is not None:
                process.join(timeout=5.0)
        for conn in self._conns.values():
            conn.close()

    def _collect(self, stop: threading.Event, deadline: float) -> None:
        pending = set(self._conns) - self._reported - set(self._errors)
        while pending and time.monotonic() < deadline:
            if stop.is_set():
                self._stop.set()
            for index in self._wait_for(pending, 0.1):
                try:
                    kind, payload = self._conns[index].recv()
                except EOFError:  # it died: nothing more will come
                    self._errors[index] = f"exited with code {self._exit_code(index)}"
                    pending.discard(index)
                    continue
                if kind == "live":
                    self.stats.note_live(payload)
                elif kind == "done":
                    self.stats.absorb(payload)
                    self._reported.add(index)
                    pending.discard(index)
                else:
                    self._errors[index] = str(payload)
                    pending.discard(index)

    def _exit_code(self, index: int) -> int | None:
        process = self._processes[index]
        process.join(timeout=5.0)
        return process.exitcode

    def _wait_for(self, indexes: set[int], timeout: float) -> list[int]:
        by_conn = {self._conns[index]: index for index in indexes}
        return [by_conn[conn] for conn in wait(list(by_conn), timeout=max(0.0, timeout))]  # type: ignore[index]


def _child(conn: Connection, stop_flag: Any, abandon_flag: Any, load: LoadPlan, outputs: StackOutputs,
           index: int, count: int, linger: float) -> None:
    """One sender process: its slice of ``load``, from the common start instant the driver sends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    send_lock = threading.Lock()

    def send(kind: str, payload: object) -> None:
        with send_lock:
            conn.send((kind, payload))

    try:
        stats = RunStats(load.variants)
        target = open_target(load, outputs, stats, notice=lambda message: send("notice", message))
    except Exception as exc:  # the driver names it in one line
        send("error", f"{type(exc).__name__}: {exc}" if not isinstance(exc, UserError) else str(exc))
        return
    send("ready", None)
    while (message := conn.recv())[0] == "ping":
        send("clock", time.time())
    start_at = message[1]
    start = time.monotonic() + (start_at - time.time())
    stop, abandon, done = threading.Event(), threading.Event(), threading.Event()
    _follow(stop_flag, stop)
    _follow(abandon_flag, abandon)
    reporter = threading.Thread(target=_report_live, args=(send, stats, index, done), daemon=True)
    reporter.start()
    try:
        run_schedule(load.plan, target, load.variants, stats, senders=load.senders, linger=linger, stop=stop,
                     window=slice_window(load.plan.whole_window, index, count), start=start, abandon=abandon)
    except Exception as exc:
        send("error", f"{type(exc).__name__}: {exc}")
        return
    finally:
        target.close()
        done.set()
        reporter.join()
    send("done", stats.report(index, start))


def _clock_offset(conn: Connection) -> float:
    """The child's clock minus the driver's (s), from the ping with the shortest round trip (as NTP does): the
    error is at most half that round trip."""
    best_rtt, offset = math.inf, 0.0
    for _ in range(CLOCK_PINGS):
        before = time.time()
        conn.send(("ping", None))
        _, child_time = conn.recv()
        after = time.time()
        if after - before < best_rtt:
            best_rtt, offset = after - before, child_time - (before + after) / 2
    return offset


def _follow(flag: Any, event: threading.Event) -> None:
    """Set ``event`` once the driver sets ``flag`` (a multiprocessing event)."""
    def follow() -> None:
        flag.wait()
        event.set()

    threading.Thread(target=follow, daemon=True).start()


def _report_live(send: Callable[[str, object], None], stats: RunStats, index: int, done: threading.Event) -> None:
    while not done.wait(LIVE_EVERY_S):
        send("live", stats.live(index))

