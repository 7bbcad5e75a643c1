"""``--rounds R``: the duration split into R equal rounds, each on fresh environments (one update per function, in
a seeded shuffled order), every request naming its round, the rounds in the manifest, and clear argument errors."""

from __future__ import annotations

import json
import re
import threading
from typing import Any

import pytest

from core import ManifestError, RunManifest, UsageError, read_manifest, run_dir
from loadgen import LoadRequest, Profile, WorkloadShare, build_plan, plan_load, run_load
from loadgen.cli import main
from loadgen.progress import plain_line
from loadgen.recycle import RecycleError
from loadgen.rounds import ROUND_VAR, run_rounds
from loadgen.stats import RunStats
from stack import StackOutputs
from tests.unit.loadgen.fake_api import VARIANTS, Recorder, received_by_variant
from tests.unit.loadgen.test_cold import stubbed

RUN_ID = "rounds-1"
NOOP = (WorkloadShare("noop", 1.0, 0),)


class FakeLambda:
    """The Lambda API as the recycler uses it: configurations that remember their variables, updates that finish
    at once, and a log of each update's (function, marker) with how many requests the API had received by then."""

    def __init__(self, refuse_updates: bool = False) -> None:
        self.variables: dict[str, dict[str, str]] = {}
        self.updates: list[tuple[str, str, int]] = []
        self.refuse_updates = refuse_updates

    def get_function_configuration(self, FunctionName: str) -> dict[str, Any]:
        return {"FunctionName": FunctionName, "LastUpdateStatus": "Successful",
                "Environment": {"Variables": dict(self.variables.get(FunctionName, {"LOG_LEVEL": "INFO"}))}}

    def update_function_configuration(self, FunctionName: str, Environment: dict[str, Any]) -> dict[str, Any]:
        if self.refuse_updates:
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}},
                              "UpdateFunctionConfiguration")
        self.variables[FunctionName] = dict(Environment["Variables"])
        self.updates.append((FunctionName, Environment["Variables"][ROUND_VAR], len(Recorder.received)))
        return {"FunctionName": FunctionName, "LastUpdateStatus": "InProgress"}

    def get_waiter(self, name: str) -> Any:
        assert name == "function_updated"

        class Done:
            def wait(self, **kwargs: Any) -> None:
                """Every update has already finished."""

        return Done()

    def orders(self) -> list[list[str]]:
        """The variants in the order their functions were updated, one list per round (by marker)."""
        by_marker: dict[str, list[str]] = {}
        for name, marker, _ in self.updates:
            by_marker.setdefault(marker, []).append(name.removeprefix("bench_"))
        return list(by_marker.values())


def stack(base: str, lam: FakeLambda) -> StackOutputs:
    """The fake API's stack, whose Lambda client is ``lam``."""
    return stubbed(base, lam)


def rounds_load(outputs: StackOutputs | None, rounds: int, *, rate: float = 20.0, duration: float = 1.5,
                seed: int = 2, kind: str = "sustained") -> Any:
    request = LoadRequest(rate_text=f"{rate:g}/s", profile=Profile(kind, rate, duration, rounds=rounds,
                                                                    burst_interval_s=0.5),
                          mix=NOOP, iterations=1, seed=seed, run_id=RUN_ID, target="api")
    return plan_load(request, outputs)


def plan_of(rate: float, duration: float, rounds: int, kind: str = "sustained") -> Any:
    return build_plan(RUN_ID, Profile(kind, rate, duration, rounds=rounds, start_rate_per_s=1.0,
                                      burst_interval_s=1.0), NOOP, 1, 0)


def windows(plan: Any) -> list[range]:
    return [plan.round_window(r).seqs for r in range(plan.rounds)]


# --- the split ------------------------------------------------------------------------------------------------------

def test_a_duration_that_does_not_divide_gives_equal_times_and_every_request_once() -> None:
    plan = plan_of(rate=10.0, duration=10.0, rounds=3)  # rounds of 3.33 s: seq 34 is due at 3.4 s
    assert windows(plan) == [range(0, 34), range(34, 67), range(67, 100)]
    assert [plan.round_window(r).offset_s for r in range(3)] == pytest.approx([0.0, 10 / 3, 20 / 3])
    for r, seqs in enumerate(windows(plan)):
        due = plan.due[seqs.start:seqs.stop] - plan.round_window(r).offset_s
        assert due.min() >= -1e-9 and due.max() < 10 / 3  # each round's schedule runs within its own time
        assert {plan.round_of(seq) for seq in seqs} == {r}


def test_rounds_shorter_than_a_second_still_split_by_time() -> None:
    plan = plan_of(rate=4.0, duration=2.0, rounds=5)  # 0.4 s rounds; due 0, 0.25, 0.5, …, 1.75
    assert [len(seqs) for seqs in windows(plan)] == [2, 2, 1, 2, 1]


def test_a_request_due_on_a_boundary_opens_the_next_round_and_a_ramps_rounds_are_equal_in_time() -> None:
    burst = plan_of(rate=2.0, duration=4.0, rounds=2, kind="burst")  # bursts of 2 at 0, 1, 2 and 3 s
    assert windows(burst) == [range(0, 4), range(4, 8)]  # the burst at 2 s is round 1's first
    ramp = plan_of(rate=9.0, duration=2.0, rounds=2, kind="ramp")  # 1/s → 9/s: 10 requests, 3 in the first second
    assert windows(ramp) == [range(0, 3), range(3, 10)]


def test_one_round_is_the_whole_plan_and_requests_do_not_name_it() -> None:
    plan = plan_of(rate=10.0, duration=2.0, rounds=1)
    assert windows(plan) == [range(0, 20)]
    assert "round" not in json.loads(plan.request(5, 0.0).to_json())


def test_every_request_names_its_round() -> None:
    plan = plan_of(rate=10.0, duration=3.0, rounds=3)
    assert [plan.request(seq, 0.0).round for seq in (0, 9, 10, 19, 20, 29)] == [0, 0, 1, 1, 2, 2]
    assert json.loads(plan.request(15, 0.0).to_json())["round"] == 1


@pytest.mark.parametrize(("profile", "message"), [
    (lambda: Profile("sustained", 1.0, 3.0, rounds=5), "--rounds 5 leaves round 2 (0.6 s) without a request"),
    (lambda: Profile("sustained", 1.0, 3.0, rounds=0), "--rounds must be 1–100, got 0"),
    (lambda: Profile("sustained", 10.0, 60.0, rounds=101), "--rounds must be 1–100, got 101"),
    (lambda: Profile("cold", 0.0, 0.0, count=3, rounds=2), "--rounds is not for --profile cold"),
])
def test_impossible_rounds_are_refused(profile, message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build_plan(RUN_ID, profile(), NOOP, 1, 0)


# --- the run --------------------------------------------------------------------------------------------------------

def test_each_round_updates_every_function_in_a_seeded_order_before_its_requests(api: str) -> None:
    lam = FakeLambda()
    outputs = stack(api, lam)
    load = rounds_load(outputs, rounds=6, rate=12.0, duration=3.0)  # 6 rounds of 0.5 s, 6 requests each

    manifest = run_load(load, outputs, stop=threading.Event())

    per_round = load.plan.total // 6 * len(VARIANTS)
    # Round r's updates come after every request of rounds 0 … r-1 was answered and before any of round r.
    assert [(marker, received) for _, marker, received in lam.updates] == [
        (f"{RUN_ID}-{r}", r * per_round) for r in range(6) for _ in VARIANTS]
    orders = lam.orders()
    assert all(sorted(order) == sorted(VARIANTS) for order in orders)  # every variant once per round
    assert len({tuple(order) for order in orders}) > 1  # a new shuffle each round, not one order for the run
    assert manifest.rounds is not None
    assert [r["order"] for r in manifest.rounds] == orders and [r["index"] for r in manifest.rounds] == list(range(6))
    assert all(r["settled"] for r in manifest.rounds)
    assert all(a["ended_at"] <= b["started_at"] for a, b in zip(manifest.rounds, manifest.rounds[1:], strict=False))

    for received in received_by_variant().values():
        assert sorted(received) == list(range(load.plan.total))
        assert {seq: body["round"] for seq, (_, body) in received.items()} == {
            seq: seq // 6 for seq in range(load.plan.total)}
    assert manifest.config["rounds"] == 6 and not manifest.interrupted
    assert manifest.achieved_rate_per_s == pytest.approx(12.0, rel=0.05)  # the pauses between rounds not counted
    assert manifest.to_dict() == read_manifest(RUN_ID).to_dict()


def test_the_same_seed_gives_the_same_orders_and_another_seed_others(api: str) -> None:
    def orders(seed: int) -> list[list[str]]:
        lam = FakeLambda()
        outputs = stack(api, lam)
        run_load(rounds_load(outputs, rounds=4, rate=8.0, duration=1.0, seed=seed), outputs, stop=threading.Event())
        return lam.orders()

    assert orders(5) == orders(5)
    assert orders(5) != orders(6)


def test_one_round_updates_nothing_and_records_no_rounds(api: str) -> None:
    lam = FakeLambda()
    outputs = stack(api, lam)
    manifest = run_load(rounds_load(outputs, rounds=1, rate=10.0, duration=0.5), outputs, stop=threading.Event())
    assert lam.updates == [] and manifest.rounds is None
    assert "rounds" not in json.loads((run_dir(RUN_ID) / "manifest.json").read_text())
    assert all("round" not in body for _, _, body in Recorder.received)


def test_a_refused_update_names_the_option_and_the_permissions(api: str) -> None:
    outputs = stack(api, FakeLambda(refuse_updates=True))
    with pytest.raises(RecycleError) as caught:
        run_load(rounds_load(outputs, rounds=3), outputs, stop=threading.Event())
    assert re.match(r"UpdateFunctionConfiguration on bench_\S+ was refused: --rounds needs "
                    "lambda:GetFunctionConfiguration and lambda:UpdateFunctionConfiguration on the stack's functions",
                    str(caught.value))
    assert Recorder.received == [] and read_manifest(RUN_ID).interrupted


class SlowQueues:
    """A target that accepts everything and whose round 1 never drains (a collaborator: the queues)."""

    batch_size = 10

    def __init__(self, stats: RunStats) -> None:
        self.stats = stats
        self.settles = 0

    def send(self, variant: str, seqs: list[int], due_mono: list[float]) -> None:
        self.stats.begin(variant, due_mono)
        self.stats.finish(variant, sent=len(seqs))

    def settle(self, variants: tuple[str, ...], stop: threading.Event, timeout_s: float) -> list[str]:
        self.settles += 1
        return [variants[0]] if self.settles == 2 else []

    def close(self) -> None:
        """Nothing to release."""


def test_a_round_that_does_not_drain_is_noted_unsettled_and_the_run_goes_on() -> None:
    from loadgen.recycle import FunctionRecycler

    plan = plan_of(rate=20.0, duration=0.6, rounds=3)
    stats = RunStats(VARIANTS)
    recycler = FunctionRecycler(FakeLambda(), {v: f"bench_{v}" for v in VARIANTS}, variable=ROUND_VAR,
                                needed_by="--rounds")
    run_rounds(plan, SlowQueues(stats), VARIANTS, stats, recycler, senders=1, linger=0.0, stop=threading.Event(),
               settle_timeout_s=0.0)
    assert [r.settled for r in stats.rounds] == [True, False, True]
    assert stats.take_first_errors() == [f"round 1: not processed within 0 s by {VARIANTS[0]}; the next round may "
                                         "find its environments warm"]
    assert {counts.sent for counts in stats.variants.values()} == {plan.total}


def test_a_stop_ends_the_run_in_its_round_and_starts_no_other(api: str) -> None:
    lam = FakeLambda()
    outputs = stack(api, lam)
    stop = threading.Event()
    original = lam.update_function_configuration

    def update(FunctionName: str, Environment: dict[str, Any]) -> dict[str, Any]:
        if Environment["Variables"][ROUND_VAR].endswith("-1"):
            threading.Timer(0.1, stop.set).start()  # a Ctrl-C early in round 1
        return original(FunctionName, Environment)

    lam.update_function_configuration = update  # type: ignore[method-assign]
    manifest = run_load(rounds_load(outputs, rounds=4, rate=20.0, duration=4.0), outputs, stop=stop)

    assert manifest.interrupted and manifest.rounds is not None
    assert [r["index"] for r in manifest.rounds] == [0, 1]
    assert [r["settled"] for r in manifest.rounds] == [True, False]
    sent = {counts.sent for counts in manifest.targets.values()}
    # Round 0 whole, round 1 cut short: on a busy machine the stop can come before round 1 sends anything.
    assert len(sent) == 1 and 20 <= sent.pop() < 40
    assert manifest.achieved_rate_per_s == pytest.approx(20.0, rel=0.25)


# --- the manifest record --------------------------------------------------------------------------------------------

def test_the_rounds_record_round_trips_and_old_manifests_still_load(api: str) -> None:
    outputs = stack(api, FakeLambda())
    manifest = run_load(rounds_load(outputs, rounds=2, rate=10.0, duration=0.4), outputs, stop=threading.Event())
    data = manifest.to_dict()
    assert set(data["rounds"][0]) == {"index", "started_at", "ended_at", "order", "settled"}
    assert RunManifest.from_dict(json.loads(json.dumps(data))).rounds == manifest.rounds
    old = {key: value for key, value in data.items() if key != "rounds"}
    assert RunManifest.from_dict(old).rounds is None
    data["rounds"][1]["settled"] = "false"
    with pytest.raises(ManifestError, match="a round's settled must be true or false"):
        RunManifest.from_dict(data, source="m.json")


# --- the command line -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("args", "message"), [
    (["--rate", "5/s", "--duration", "1m", "--rounds", "0"], "--rounds must be 1–100, got 0"),
    (["--rate", "5/s", "--duration", "1m", "--rounds", "101"], "--rounds must be 1–100, got 101"),
    (["--profile", "cold", "--count", "3", "--rounds", "2"], "--rounds is not for --profile cold"),
    (["--rate", "1/s", "--duration", "3s", "--rounds", "5"], "--rounds 5 leaves round 2 (0.6 s) without a request"),
])
def test_bad_rounds_are_one_line_and_exit_2(args: list[str], message: str, capsys) -> None:
    assert main([*args, "--workload", "noop", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_the_dry_run_shows_the_rounds_in_the_plan_and_the_cost(capsys) -> None:
    assert main(["--rate", "10/s", "--duration", "10s", "--rounds", "3", "--workload", "noop", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "3 rounds of 3.33333 s (33–34 requests each), each on fresh execution environments" in out
    assert ("AWS cost guard: 300 work items (Lambda invocations at most) in 3 rounds, each on new environments "
            "whose init time is not priced; estimated $") in out


def test_help_names_the_permissions_rounds_need(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--rounds ROUNDS" in help_text
    assert ("--profile cold and --rounds change an environment variable (ARCHBENCH_COLD_ROUND, ARCHBENCH_ROUND) on "
            "every variant's function before each round, so they need lambda:GetFunctionConfiguration and "
            "lambda:UpdateFunctionConfiguration") in help_text


def test_the_progress_line_names_the_round() -> None:
    plan = plan_of(rate=10.0, duration=9.0, rounds=3)
    stats = RunStats(VARIANTS)
    stats.begin_round(1, VARIANTS, 0.0)
    assert plain_line(stats.snapshot(), plan).startswith(f"run {RUN_ID}: round 2/3: 0/3 s, due 0/90;")
