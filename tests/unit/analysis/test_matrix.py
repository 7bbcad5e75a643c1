"""An analysis run over a synthetic matrix with a known truth: 2 memory sizes × 2 architectures + the x86_64 twins.

The truth (median warm workload times, ms): at 1024 MB arm64 10, x86_64 12; at 2048 MB arm64 7, x86_64 4.5; each
twin as its sibling. So arm64 wins the 1024 MB cell and loses the 2048 MB one, more memory is faster everywhere but
dearer on arm64, the cheapest variant is 1024 MB arm64 (≈ 1 GB × 10.5 ms × 0.8 price) and the fastest (and the
balanced pick) 2048 MB x86_64, and every twin is equivalent to its sibling. The run is AWS-shaped (each CPU its
label's): 12 execution environments a variant, 1 % apart, compared with a ±5 % margin that 12 environments can
resolve.
"""

from dataclasses import replace

import pytest
from rich.console import Console

from analysis.comparisons import pairs
from analysis.render import comparison_table, markdown, print_table, recommendation_table
from analysis.summary import Result
from analysis.synthetic import SyntheticSpec
from core import ComparisonRow
from stack.variants import Variant, matrix
from tests.unit.analysis.test_summary import RUN, summarize_synthetic

ARM_1G, X86_1G = Variant("python3.13", 1024, "arm64"), Variant("python3.13", 1024, "x86_64")
ARM_2G, X86_2G = replace(ARM_1G, memory_mb=2048), replace(X86_1G, memory_mb=2048)
TWIN_1G, TWIN_2G = replace(X86_1G, role="control"), replace(X86_2G, role="control")
TRUTH = {ARM_1G: 10.0, X86_1G: 12.0, TWIN_1G: 12.0, ARM_2G: 7.0, X86_2G: 4.5, TWIN_2G: 4.5}


MARGIN = 0.05


@pytest.fixture(scope="module")
def result() -> Result:
    spec = SyntheticSpec(RUN, 1200, median_ms=TRUTH, environments=12, environment_spread=0.01)
    return summarize_synthetic(spec, margin=MARGIN)[1]


def rows(result: Result, kind: str, metric: str = "warm_workload_ms") -> dict[tuple[str, str], ComparisonRow]:
    return {(row["baseline"], row["candidate"]): row for row in result.summary["comparisons"]
            if row["kind"] == kind and row["metric"] == metric}


def test_the_pairs_of_a_3_by_2_by_2_matrix_with_twins():
    found = pairs(matrix(["python3.11", "python3.12", "python3.13"], [512, 1024], ["arm64", "x86_64"], "x86_64"))
    kinds = [pair.kind for pair in found]
    assert {kind: kinds.count(kind) for kind in dict.fromkeys(kinds)} == {
        "architecture": 6, "memory": 6, "runtime": 12, "control": 6}
    assert found[0].baseline == "py311-512-x86_64" and found[0].candidate == "py311-512-arm64"
    assert ("py313-512-arm64", "py313-1024-arm64") in {(p.baseline, p.candidate) for p in found if p.kind == "memory"}
    assert ("py311-1024-x86_64", "py313-1024-x86_64") in {(p.baseline, p.candidate) for p in found
                                                         if p.kind == "runtime"}
    controls = [p for p in found if p.kind == "control"]
    assert all(p.candidate == f"{p.baseline}-twin" for p in controls)
    assert not any(p.candidate.endswith("-twin") for p in found if p.kind != "control")  # twins only as controls


def test_every_variant_is_summarised_in_matrix_order_with_what_it_is(result: Result):
    variants = result.summary["variants"]
    assert list(variants) == [v.id for v in sorted(TRUTH, key=Variant.sort_key)]
    assert [(b["memory_mb"], b["architecture"], b["role"]) for b in variants.values()] == [
        (1024, "arm64", "subject"), (1024, "x86_64", "subject"), (1024, "x86_64", "control"),
        (2048, "arm64", "subject"), (2048, "x86_64", "subject"), (2048, "x86_64", "control")]
    for variant, median in TRUTH.items():
        headline = variants[variant.id]["headline"]
        low, high = headline["median_ms"]["ci95"] or [0.0, 0.0]
        assert low < median < high or headline["median_ms"]["value"] == pytest.approx(median, rel=0.05)
        assert (headline["p99_ms"]["value"] or 0) > (headline["median_ms"]["value"] or 0)
        cost = headline["cost_per_million_usd"]
        assert cost["ci95"] and cost["ci95"][0] < (cost["value"] or 0) < cost["ci95"][1]
    assert result.summary["memory_curve"] == {"py313-arm64": [ARM_1G.id, ARM_2G.id],
                                              "py313-x86_64": [X86_1G.id, X86_2G.id]}


def test_arm64_wins_one_cell_and_loses_the_other(result: Result):
    arch = rows(result, "architecture")
    assert set(arch) == {(X86_1G.id, ARM_1G.id), (X86_2G.id, ARM_2G.id)}
    small, large = arch[(X86_1G.id, ARM_1G.id)], arch[(X86_2G.id, ARM_2G.id)]
    assert small["verdict"] == "candidate_better" and small["ratio"] == pytest.approx(1.2, rel=0.05)
    assert large["verdict"] == "baseline_better" and large["ratio"] == pytest.approx(4.5 / 7, rel=0.05)


def test_the_memory_steps_are_faster_and_on_arm64_dearer(result: Result):
    time, cost = rows(result, "memory"), rows(result, "memory", "cost_per_million_usd")
    assert set(time) == {(ARM_1G.id, ARM_2G.id), (X86_1G.id, X86_2G.id)}
    assert time[(ARM_1G.id, ARM_2G.id)]["ratio"] == pytest.approx(10 / 7, rel=0.05)
    assert time[(X86_1G.id, X86_2G.id)]["ratio"] == pytest.approx(12 / 4.5, rel=0.05)
    assert all(row["verdict"] == "candidate_better" for row in time.values())
    assert cost[(ARM_1G.id, ARM_2G.id)]["verdict"] == "baseline_better"  # 2 GB × 7 ms > 1 GB × 10 ms


def test_a_twin_is_never_a_winner(result: Result):
    for metric in ("warm_workload_ms", "cost_per_million_usd"):
        control = rows(result, "control", metric)
        assert set(control) == {(X86_1G.id, TWIN_1G.id), (X86_2G.id, TWIN_2G.id)}
        for row in control.values():
            assert row["verdict"] == "equivalent", row["reason"]
            assert row["ci95"] and 1 / (1 + MARGIN) < row["ci95"][0] < 1.0 < row["ci95"][1] < 1 + MARGIN
    assert "the noise floor holds" in result.summary["verdict"]
    assert result.summary["method"]["noise_floor_ok"] and not result.summary["method"]["flagged_cells"]


def test_the_recommendation_names_the_known_best_and_never_a_twin(result: Result):
    recommendation = result.summary["recommendation"]
    assert recommendation["cheapest"]["variant"] == ARM_1G.id
    assert recommendation["fastest"]["variant"] == X86_2G.id
    assert recommendation["balanced"]["variant"] == X86_2G.id
    for strategy in ("cheapest", "fastest", "balanced"):
        assert recommendation[strategy]["tie"] == [recommendation[strategy]["variant"]]
    assert "recommended: cheapest py313-1024-arm64; fastest py313-2048-x86_64" in result.summary["verdict"]


def test_identical_subjects_are_a_tie_not_a_pick():
    """Two runtimes of one architecture with the same truth: no strategy can tell them apart. (Intervals of two
    identical variants fail to overlap in a few % of seeds — seed 5 is one, on cost — as they should.)"""
    old, new = Variant("python3.12", 1024, "arm64"), Variant("python3.13", 1024, "arm64")
    _, tied = summarize_synthetic(SyntheticSpec(RUN, 600, median_ms={old: 10.0, new: 10.0}, environments=6, seed=6))
    recommendation = tied.summary["recommendation"]
    for strategy in ("cheapest", "fastest", "balanced"):
        choice = recommendation[strategy]
        assert choice["variant"] is None and set(choice["tie"]) == {old.id, new.id}
    (runtime,) = rows(tied, "runtime").values()
    assert (runtime["baseline"], runtime["candidate"]) == (old.id, new.id)
    assert runtime["ratio"] == pytest.approx(1.0, abs=0.05)  # the verdict itself is wrong 5 % of the time by design
    assert "no two variants" not in tied.summary["verdict"]


def test_the_report_shows_the_matrix_and_the_recommendation(result: Result):
    table = comparison_table(result.summary)
    # 6 pairs × (warm median, p90, p99, $/M, init)
    assert len(table.rows) == len(result.summary["comparisons"]) == 6 * 5
    picks = {row[0]: row[1] for row in recommendation_table(result.summary).rows}
    assert picks == {"cheapest": ARM_1G.id, "fastest": X86_2G.id, "balanced": X86_2G.id}
    report = markdown(result.summary)
    assert "## Memory curve" in report and "## Recommendation" in report and "## Execution environments" in report


def test_a_local_matrix_names_no_architecture_and_says_what_ministack_does_not_do():
    spec = SyntheticSpec(RUN, 600, median_ms=TRUTH, environments=6, report_style="ministack",
                         host_machine={"arm64": "x86_64", "x86_64": "x86_64"})
    summary = summarize_synthetic(spec, local=True)[1].summary
    architecture = [row for row in summary["comparisons"] if row["kind"] == "architecture"]
    assert architecture and {row["verdict"] for row in architecture} == {"local_emulation"}
    assert "no architectural verdict: local emulation" in summary["verdict"]
    console = Console(record=True, width=200)
    print_table(summary, console)
    assert "MiniStack neither enforces the memory size nor changes the interpreter per runtime" in console.export_text()
