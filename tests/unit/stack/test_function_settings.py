"""archbench:function: parsed from Pulumi config (JSON text) or YAML alike, one clear line per mistake, and what
the deployers build from it (the wrapper as handler, the user's environment, the user's code in the package)."""

from __future__ import annotations

import json
import zipfile
from io import BytesIO
from pathlib import Path

import pytest

from core import PROJECT_ROOT
from handlers.contract import ENV_FUNCTION_DIGEST_EXCLUDE, ENV_FUNCTION_EVENT, ENV_FUNCTION_HANDLER
from localcloud import code_zip
from stack.settings import Settings, SettingsError
from stack.spec import HANDLER, USER_FUNCTION_HANDLER, describe_stack, package_files

EXAMPLE = {"handler": "thumbnail.handler", "codeDir": "examples/thumbnail",
           "requirements": "examples/thumbnail/requirements.txt", "event": "sqs",
           "environment": {"THUMBNAIL_FORMAT": "PNG"}}


def settings(**function: object) -> Settings:
    return Settings.from_mapping({"function": json.dumps(function)}.get)


def test_pulumi_json_text_and_a_yaml_mapping_give_the_same_settings(tmp_path: Path) -> None:
    from_json = settings(**EXAMPLE)
    config = tmp_path / "Pulumi.dev.yaml"
    config.write_text("config:\n  archbench:function:\n" + "".join(
        f"    {key}: {json.dumps(value)}\n" for key, value in EXAMPLE.items()))
    assert Settings.from_pulumi_yaml(config) == from_json
    function = from_json.function
    assert function is not None
    assert (function.module, function.event, function.environment) == ("thumbnail", "sqs",
                                                                        (("THUMBNAIL_FORMAT", "PNG"),))
    assert Settings().function is None


@pytest.mark.parametrize(("change", "message"), [
    ({"codeDir": None}, "archbench:function.codeDir is missing"),
    ({"handler": None}, "archbench:function.handler is missing"),
    ({"handler": "thumbnail"}, "archbench:function.handler must be module.function (e.g. app.handler), got "
                               "'thumbnail'"),
    ({"handler": "nothere.handler"}, "archbench:function.handler module 'nothere' is not in codeDir "
                                     "'examples/thumbnail' (no nothere.py)"),
    ({"event": "kinesis"}, "archbench:function.event must be one of raw, sqs, http; got 'kinesis'"),
    ({"codeDir": "examples/none"}, f"archbench:function.codeDir 'examples/none' is not a directory (relative to "
                                   f"{PROJECT_ROOT})"),
    ({"codeDir": ".", "handler": "stack.describe_stack"},
     "archbench:function.codeDir '.' holds 'handlers', the name of archbench's own package at the root of the "
     "function package: rename it"),
    ({"codeDir": ".."}, "archbench:function.codeDir '..' is outside the project"),
    ({"requirements": "examples/thumbnail/nope.txt"}, "archbench:function.requirements "
                                                      "'examples/thumbnail/nope.txt' is not a file"),
    ({"environment": {"AWS_REGION": "x"}}, "archbench:function.environment 'AWS_REGION' is reserved"),
    ({"environment": {"SIZE": 128}}, "archbench:function.environment must map names to strings"),
    ({"timeout": 3}, "archbench:function.timeout is not a field"),
    ({"digestExclude": "at"}, "archbench:function.digestExclude must be a list of dotted key paths, got 'at'"),
    ({"digestExclude": ["a..b"]}, "archbench:function.digestExclude 'a..b' is not a dotted key path"),
])
def test_each_mistake_is_one_line_naming_the_field(change: dict[str, object], message: str) -> None:
    function = {key: value for key, value in (EXAMPLE | change).items() if value is not None}
    with pytest.raises(SettingsError) as caught:
        settings(**function)
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


def test_not_a_mapping_is_refused() -> None:
    with pytest.raises(SettingsError, match=r"^archbench:function must be a mapping"):
        Settings.from_mapping({"function": "thumbnail.handler"}.get)


def test_every_variant_runs_the_wrapper_with_the_users_environment() -> None:
    stack = describe_stack(settings(**EXAMPLE), "archbench-dev")
    for spec in stack.functions:
        assert spec.handler == USER_FUNCTION_HANDLER
        assert spec.environment[ENV_FUNCTION_HANDLER] == "thumbnail.handler"
        assert spec.environment[ENV_FUNCTION_EVENT] == "sqs"
        assert spec.environment["THUMBNAIL_FORMAT"] == "PNG"
    assert {spec.handler for spec in describe_stack(Settings(), "archbench-dev").functions} == {HANDLER}
    assert ENV_FUNCTION_DIGEST_EXCLUDE not in stack.functions[0].environment
    excluding = describe_stack(settings(**EXAMPLE, digestExclude=["generatedAt", "meta.host"]), "archbench-dev")
    assert excluding.functions[0].environment[ENV_FUNCTION_DIGEST_EXCLUDE] == "generatedAt,meta.host"


def test_the_package_holds_handlers_and_the_users_code_at_its_root() -> None:
    function = settings(**EXAMPLE).function
    names = [name for name, _ in package_files(PROJECT_ROOT, function)]
    assert "thumbnail.py" in names and "requirements.txt" in names and "handlers/userfunction.py" in names
    with zipfile.ZipFile(BytesIO(code_zip(function=function))) as archive:
        assert sorted(archive.namelist()) == sorted(names)
    assert all(name.startswith("handlers/") for name, _ in package_files(PROJECT_ROOT))
