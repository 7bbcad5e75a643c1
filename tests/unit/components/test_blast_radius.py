"""The README's worst case per hour of a hostile caller, recomputed from what the default program deploys.

The bounds come from the mocked program's inputs (each function's reserved concurrency, memory and architecture,
the routes and their throttle) and the prices from ``core.pricing``; the README's table must state the same
figures, so a changed default or price that leaves the README behind fails here.
"""

from __future__ import annotations

import re

from core import PROJECT_ROOT
from core.pricing import HTTP_API_PER_MILLION_REQUESTS_USD, LAMBDA_PER_GB_S_USD, LAMBDA_PER_MILLION_REQUESTS_USD
from tests.support.pulumi_harness import run_program

HOUR_S = 3600
LOG_BYTES_PER_REQUEST = 2500  # the README's estimate: START/END/REPORT, one EMF document, one error line, access log
LOGS_PER_GB_USD = 0.50  # CloudWatch Logs standard ingestion, us-east-1


def test_the_readme_states_the_worst_case_the_defaults_allow():
    program = run_program({"layers": False})
    functions = program.of_type("aws:lambda/function:Function")
    (stage,) = program.of_type("aws:apigatewayv2/stage:Stage")
    routes = program.of_type("aws:apigatewayv2/route:Route")
    compute = {arch: sum(f.inputs["reservedConcurrentExecutions"] * HOUR_S * f.inputs["memorySize"] / 1024
                         * LAMBDA_PER_GB_S_USD[arch] for f in functions if f.inputs["architectures"] == [arch])
               for arch in ("arm64", "x86_64")}
    requests = len(routes) * stage.inputs["defaultRouteSettings"]["throttlingRateLimit"] * HOUR_S
    api, invocations = (requests / 1e6 * price for price in (HTTP_API_PER_MILLION_REQUESTS_USD,
                                                              LAMBDA_PER_MILLION_REQUESTS_USD))
    logs = requests * LOG_BYTES_PER_REQUEST / 1e9 * LOGS_PER_GB_USD
    total = sum(compute.values()) + api + invocations + logs
    assert requests == 1_080_000 and sum(f.inputs["reservedConcurrentExecutions"] for f in functions) == 30

    readme = PROJECT_ROOT.joinpath("README.md").read_text()
    table = readme[readme.index("Worst case per hour of a hostile caller"):readme.index("### CI/CD with GitHub")]
    stated = [float(x) for x in re.findall(r"\| \*{0,2}≈? ?\$(\d+\.\d\d)\*{0,2} [(|]", table)]
    assert stated == [round(v, 2) for v in (compute["arm64"], compute["x86_64"], api, invocations, logs, total)]
