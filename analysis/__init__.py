"""Compare what every variant of the matrix measured in one run: ``compare_run`` (the library call) and
``python -m analysis.compare`` (the command line over it).

One concern per module: sources (``insights``, ``logevents``) fetch raw log events, ``parse`` and ``dataset`` turn
them into work items joined to Lambda invocations, ``stats``/``cost``/``reconcile`` compute (``queues`` reads SQS
for ``reconcile`` and the window), ``comparisons`` pairs the variants, ``recommend`` picks among them,
``summary`` assembles the JSON contract (typed in ``core.summary``), ``verdict``/``render``/``plots``/``reportdir``
present it, ``pipeline`` runs them in order, ``compare`` is the command line. Other packages import from this face."""

from analysis.dataset import RunData, build_run_data, from_records
from analysis.errors import AnalysisError
from analysis.events import LogEvent, TimeWindow
from analysis.insights import InsightsSource
from analysis.logevents import LogEventsSource
from analysis.parse import LineParser
from analysis.pipeline import Comparison, compare_run
from analysis.queues import SqsQueues, wait_for_drain
from analysis.reconcile import reconcile, unknown
from analysis.reportdir import write_report
from analysis.summary import Context, Result, summarize
from analysis.synthetic import SyntheticRun, SyntheticSpec, synthetic_run

__all__ = [
    "AnalysisError",
    "Comparison",
    "Context",
    "InsightsSource",
    "LineParser",
    "LogEvent",
    "LogEventsSource",
    "Result",
    "RunData",
    "SqsQueues",
    "SyntheticRun",
    "SyntheticSpec",
    "TimeWindow",
    "build_run_data",
    "compare_run",
    "from_records",
    "reconcile",
    "summarize",
    "synthetic_run",
    "unknown",
    "wait_for_drain",
    "write_report",
]
