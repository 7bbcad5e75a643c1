"""The run the report tests write reports of: arm64, x86_64 and the x86_64 A/A twin (python3.13, 1024 MB), 400
synthetic work items each of sort and noop, summarized as a local run — so every block of the summary, the A/A
noise-floor check and the notes are there, and the plots have items to draw."""

from __future__ import annotations

from analysis import Result, SyntheticSpec
from stack import Variant
from tests.unit.analysis.test_summary import RUN, summarize_synthetic

ARM64, X86_64 = Variant("python3.13", 1024, "arm64"), Variant("python3.13", 1024, "x86_64")
TWIN = Variant("python3.13", 1024, "x86_64", "control")


def report_result() -> Result:
    """A fresh result (tests change its summary); drawn in about 0.1 s."""
    spec = SyntheticSpec(RUN, 400, median_ms={ARM64: 10.0, X86_64: 12.0, TWIN: 12.0}, workloads=("sort", "noop"),
                         cold_every=20)
    return summarize_synthetic(spec, local=True)[1]
