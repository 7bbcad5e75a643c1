"""What the handler imports, in a fresh interpreter: no numpy/pandas for noop, nothing outside what ships.

Also the cold start as a real process sees it, with stdout swapped for stderr the way MiniStack's worker does.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from core import PROJECT_ROOT

ROOT = PROJECT_ROOT
HANDLERS = ROOT / "handlers"
# distribution name in handlers/requirements.txt → the top-level module it provides
REQUIREMENT_MODULES = {"numpy": "numpy", "pandas": "pandas"}
# What a module may import because every Lambda Python runtime (and MiniStack's venv) carries it: only the load
# worker, which is not the benchmarked handler (``handlers.app`` must not import it: see the probe).
RUNTIME_PROVIDED = {"handlers/loadworker.py": {"botocore"}}

PROBE = r"""
import json, sys
import handlers.workloads
after_registry = sorted(m for m in ("numpy", "pandas") if m in sys.modules)
import handlers.app
after_app = sorted(m for m in ("numpy", "pandas", "boto3", "botocore", "psutil") if m in sys.modules)
sys.stdout = sys.stderr  # what MiniStack's worker does before importing the handler's module
request = {"run_id": "20261125T080000Z-3fa2", "workload": "noop"}
answers = [handlers.app.handler({**request, "seq": seq}, None) for seq in (1, 2)]
after_noop = sorted(m for m in ("numpy", "pandas") if m in sys.modules)
handlers.app.handler({**request, "seq": 3, "workload": "numpy_fft", "size": 64}, None)
print(json.dumps({"after_registry": after_registry, "after_app": after_app, "after_noop": after_noop,
                  "after_fft": "numpy" in sys.modules, "answers": answers}), file=sys.__stdout__)
"""


@pytest.fixture(scope="module")
def probe() -> tuple[dict, list[dict]]:
    """Run the probe once in a fresh interpreter: (its report, the EMF documents it printed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ARCHBENCH_"))}
    env.update(PYTHONPATH=str(ROOT), ARCHBENCH_ARCHITECTURE="x86_64", AWS_LAMBDA_FUNCTION_NAME="archbench-x86-64")
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120,
                          check=True)
    return json.loads(done.stdout), [json.loads(line) for line in done.stderr.splitlines() if line]


def test_noop_never_imports_numpy_or_pandas_and_numeric_workloads_do(probe: tuple[dict, list[dict]]) -> None:
    report, _ = probe
    assert report["after_registry"] == []
    assert report["after_app"] == []
    assert report["after_noop"] == []
    assert report["after_fft"] is True
    assert [a["seq"] for a in report["answers"]] == [1, 2]


def test_cold_start_is_marked_once_with_init_time_and_every_line_is_one_emf_document(
        probe: tuple[dict, list[dict]]) -> None:
    _, documents = probe
    assert all("_aws" in doc for doc in documents)  # nothing else was printed: one JSON document per line
    assert [(d["Seq"], d["ColdStart"]) for d in documents] == [(1, 1), (2, 0), (3, 0)]
    assert 0 < documents[0]["InitMs"] < 60_000
    assert all("InitMs" not in d for d in documents[1:])
    assert {d["Architecture"] for d in documents} == {"x86_64"}
    assert {d["FunctionName"] for d in documents} == {"archbench-x86-64"}


def _top_level_imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _requirements() -> dict[str, str]:
    lines = (line.split("#")[0].strip() for line in (HANDLERS / "requirements.txt").read_text().splitlines())
    pins = {}
    for line in filter(None, lines):
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*(>=\s*[0-9][0-9.]*)(,.*)?", line)
        assert match, f"requirement without a lower bound: {line!r}"
        pins[match[1].lower()] = match[2]
    return pins


def test_requirements_have_lower_bounds_and_no_boto3() -> None:
    pins = _requirements()
    assert set(pins) == set(REQUIREMENT_MODULES)
    assert not {"boto3", "botocore"} & set(pins)


def test_handlers_import_only_stdlib_themselves_and_their_requirements() -> None:
    allowed = set(sys.stdlib_module_names) | {"handlers"} | {REQUIREMENT_MODULES[n] for n in _requirements()}
    strays = {str(path.relative_to(ROOT)): sorted(_top_level_imports(path) - allowed - RUNTIME_PROVIDED.get(
        str(path.relative_to(ROOT)), set())) for path in HANDLERS.rglob("*.py")}
    assert {path: names for path, names in strays.items() if names} == {}
