"""``archbench:function``: the user's own function that every variant runs instead of the built-in workloads.

A mapping (YAML) or its JSON text (Pulumi config gives structured values as JSON):
``handler`` (``module.function``), ``codeDir`` (relative to the project root, which is the Pulumi program's working
directory), ``requirements`` (optional file, relative to the project root too), ``event`` (``raw`` | ``sqs`` |
``http``: the trigger the function is written for), ``environment`` (optional string map) and ``digestExclude``
(optional list of dotted key paths left out of the result digest: values that legitimately differ between runs or
architectures, such as a timestamp or ``platform.machine()``). No pulumi import.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from core import PROJECT_ROOT
from handlers.contract import ENV_FUNCTION_DIGEST_EXCLUDE, ENV_FUNCTION_EVENT, ENV_FUNCTION_HANDLER
from handlers.events import EVENT_KINDS
from stack.errors import SettingsError

KEY = "archbench:function"
FIELDS = ("handler", "codeDir", "requirements", "event", "environment", "digestExclude")
_KEY_PATH_RE = re.compile(r"[^.,\s]+(\.[^.,\s]+)*")
_HANDLER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\.[A-Za-z_][A-Za-z0-9_]*")
_ENV_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Names the deployers or the Lambda runtime own: a user value would change what is measured or break the runtime.
RESERVED_ENV_PREFIXES = ("ARCHBENCH_", "AWS_", "LAMBDA_", "_")
RESERVED_TOP_LEVEL = "handlers"  # archbench's own package sits at the zip root next to the user's code


@dataclass(frozen=True)
class FunctionSettings:
    handler: str
    code_dir: str
    requirements: str = ""
    event: str = "raw"
    environment: tuple[tuple[str, str], ...] = ()
    digest_exclude: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not _HANDLER_RE.fullmatch(self.handler):
            _fail("handler", f"must be module.function (e.g. app.handler), got {self.handler!r}")
        if self.event not in EVENT_KINDS:
            _fail("event", f"must be one of {', '.join(EVENT_KINDS)}; got {self.event!r}")
        code = self.code_path
        if not code.resolve().is_relative_to(PROJECT_ROOT):
            _fail("codeDir", f"{self.code_dir!r} is outside the project ({PROJECT_ROOT}), which the deployers "
                             "package from")
        if not code.is_dir():
            _fail("codeDir", f"{self.code_dir!r} is not a directory (relative to {PROJECT_ROOT})")
        module_path = code.joinpath(*self.module.split("."))
        if not (module_path.with_suffix(".py").is_file() or (module_path / "__init__.py").is_file()):
            _fail("handler", f"module {self.module!r} is not in codeDir {self.code_dir!r} "
                             f"(no {self.module.replace('.', '/')}.py)")
        if (code / RESERVED_TOP_LEVEL).exists():
            _fail("codeDir", f"{self.code_dir!r} holds {RESERVED_TOP_LEVEL!r}, the name of archbench's own package "
                             "at the root of the function package: rename it")
        if self.requirements and not (PROJECT_ROOT / self.requirements).is_file():
            _fail("requirements", f"{self.requirements!r} is not a file (relative to {PROJECT_ROOT})")
        for path in self.digest_exclude:
            if not _KEY_PATH_RE.fullmatch(path):
                _fail("digestExclude", f"{path!r} is not a dotted key path (e.g. generatedAt or meta.host)")
        for name, _ in self.environment:
            if not _ENV_NAME_RE.fullmatch(name):
                _fail("environment", f"{name!r} is not an environment variable name")
            if name.startswith(RESERVED_ENV_PREFIXES):
                _fail("environment", f"{name!r} is reserved (names starting {', '.join(RESERVED_ENV_PREFIXES)} "
                                     "belong to archbench and the Lambda runtime)")

    def function_environment(self) -> dict[str, str]:
        """What the function's environment gets: the user's variables and what the wrapper reads."""
        environment = dict(self.environment)
        environment.update({ENV_FUNCTION_HANDLER: self.handler, ENV_FUNCTION_EVENT: self.event})
        if self.digest_exclude:
            environment[ENV_FUNCTION_DIGEST_EXCLUDE] = ",".join(self.digest_exclude)
        return environment

    @property
    def module(self) -> str:
        return self.handler.rpartition(".")[0]

    @property
    def code_path(self) -> Path:
        return PROJECT_ROOT / self.code_dir

    @property
    def requirements_path(self) -> Path | None:
        return PROJECT_ROOT / self.requirements if self.requirements else None

    @classmethod
    def from_raw(cls, raw: Any) -> FunctionSettings:
        """From a mapping or its JSON text; every problem is one ``SettingsError`` line naming the field."""
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError:
                raise SettingsError(f"{KEY} must be a mapping with {', '.join(FIELDS)}, got {raw!r}") \
                    from None
        if not isinstance(raw, Mapping):
            raise SettingsError(f"{KEY} must be a mapping with {', '.join(FIELDS)}, got {raw!r}")
        unknown = sorted(set(raw) - set(FIELDS))
        if unknown:
            _fail(unknown[0], f"is not a field; {KEY} has {', '.join(FIELDS)}")
        for name in ("handler", "codeDir"):
            if name not in raw:
                _fail(name, "is missing")
        for name in ("handler", "codeDir", "requirements", "event"):
            if name in raw and not isinstance(raw[name], str):
                _fail(name, f"must be a string, got {raw[name]!r}")
        environment = raw.get("environment") or {}
        if not isinstance(environment, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in environment.items()):
            _fail("environment", f"must map names to strings, got {environment!r}")
        exclude = raw.get("digestExclude") or []
        if not isinstance(exclude, list) or not all(isinstance(path, str) for path in exclude):
            _fail("digestExclude", f"must be a list of dotted key paths, got {exclude!r}")
        return cls(handler=raw["handler"].strip(), code_dir=raw["codeDir"].strip(),
                   requirements=raw.get("requirements", "").strip(), event=raw.get("event", "raw").strip(),
                   environment=tuple(sorted(environment.items())), digest_exclude=tuple(exclude))


def _fail(field: str, problem: str) -> NoReturn:
    raise SettingsError(f"{KEY}.{field} {problem}")
