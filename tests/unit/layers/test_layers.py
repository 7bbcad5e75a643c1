"""Dependency layers: ELF reader, pruning, budgets, cache and zip (offline, from a local wheel), then the real
layers from PyPI for both architectures and the arm64 verification under qemu (marked ``registry``)."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import pytest

import layers.__main__ as layers_cli
from core import PROJECT_ROOT, state_dir
from layers import Layer, LayerError, build_layer
from layers.__main__ import main
from layers.budget import MIB, UNZIPPED_LIMIT_BYTES, ZIP_LIMIT_BYTES, check_budgets, package_sizes
from layers.elf import EM_AARCH64, EM_X86_64, elf_machine, wrong_machine_files
from layers.prune import BOOKKEEPING, BUILD_INPUTS, CACHES, SCRIPTS, STUBS, TESTS, prune
from layers.verify import ProbeRun, Verification

# Taken at collection, before any session fixture points ARCHBENCH_STATE_DIR elsewhere: the registry tests reuse
# the developer's cached layers and Debian roots (CI starts from a clean clone, so there they are built cold).
CACHED_STATE_DIR = state_dir()
IN_CI = os.environ.get("CI", "").lower() == "true"


def elf_header(machine: int, byte_order: Literal["little", "big"] = "little") -> bytes:
    """The first 20 bytes of a 64-bit ELF shared object for ``machine``, padded like a real file."""
    data = {"little": 1, "big": 2}[byte_order]
    ident = b"\x7fELF" + bytes([2, data, 1]) + bytes(9)
    return ident + (3).to_bytes(2, byte_order) + machine.to_bytes(2, byte_order) + bytes(44)


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    path.write_bytes(data)
    return path


# --- ELF reader -----------------------------------------------------------------------------------------------------
def test_elf_machine_reads_both_byte_orders_and_rejects_non_elf(tmp_path: Path) -> None:
    assert elf_machine(write(tmp_path / "a.so", elf_header(EM_AARCH64))) == EM_AARCH64
    assert elf_machine(write(tmp_path / "x.so", elf_header(EM_X86_64))) == EM_X86_64
    assert elf_machine(write(tmp_path / "ppc.so", elf_header(21, "big"))) == 21
    assert elf_machine(write(tmp_path / "text.so", "not an ELF file at all")) is None
    assert elf_machine(write(tmp_path / "short.so", b"\x7fELF\x02\x01")) is None


def test_wrong_machine_files_finds_foreign_objects_whatever_their_name(tmp_path: Path) -> None:
    write(tmp_path / "pkg" / "_core.cpython-313-aarch64-linux-gnu.so", elf_header(EM_AARCH64))
    foreign = write(tmp_path / "pkg.libs" / "libopenblas.so.0", elf_header(EM_X86_64))
    write(tmp_path / "pkg" / "__init__.py", "")
    (tmp_path / "pkg" / "link.so").symlink_to(foreign)  # a symlink is not counted twice

    assert wrong_machine_files(tmp_path, "arm64") == (2, [(foreign, EM_X86_64)])
    count, wrong = wrong_machine_files(tmp_path, "x86_64")
    assert count == 2 and [path.name for path, _ in wrong] == ["_core.cpython-313-aarch64-linux-gnu.so"]


# --- pruning --------------------------------------------------------------------------------------------------------
def test_prune_removes_what_lambda_never_loads_and_keeps_what_imports_need(tmp_path: Path) -> None:
    tree = tmp_path / "python"
    kept: dict[str, bytes | str] = {
        "pkg/__init__.py": "VALUE = 1\n",
        "pkg/core.cpython-313-x86_64-linux-gnu.so": elf_header(EM_X86_64),
        "pkg/testing/__init__.py": "# a public API module, not a test suite\n",
        "pkg/py.typed": "",
        "pkg-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n",
        "pkg-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\n",
        "pkg-1.0.dist-info/entry_points.txt": "[pandas_plotting_backends]\n",
        "pkg-1.0.dist-info/licenses/LICENSE": "BSD",
    }
    removed: dict[str, tuple[str, str]] = {
        "pkg/tests/test_core.py": (TESTS, "x" * 300),
        "pkg/tests/data/big.csv": (TESTS, "y" * 700),
        "pkg/__pycache__/core.cpython-313.pyc": (CACHES, "c" * 50),
        "pkg/core.pyi": (STUBS, "s" * 20),
        "pkg/include/pkg/api.h": (BUILD_INPUTS, "h" * 10),
        "pkg/lib/libpkgmath.a": (BUILD_INPUTS, "a" * 5),
        "pkg/_lib.pxd": (BUILD_INPUTS, "p" * 3),
        "bin/pkg-config": (SCRIPTS, "#!/usr/bin/python3\n"),
        "pkg-1.0.dist-info/RECORD": (BOOKKEEPING, "r" * 40),
        "pkg-1.0.dist-info/INSTALLER": (BOOKKEEPING, "pip\n"),
    }
    for name, data in kept.items():
        write(tree / name, data)
    for name, (_category, data) in removed.items():
        write(tree / name, data)

    report = prune(tree)

    remaining = sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*") if p.is_file())
    assert remaining == sorted(kept)
    expected: dict[str, int] = {}
    for category, data in removed.values():
        expected[category] = expected.get(category, 0) + len(data)
    assert report == expected
    assert not (tree / "pkg" / "include").exists() and not (tree / "pkg" / "lib").exists()  # emptied, then gone
    # importlib.metadata still finds the pruned distribution and its version.
    import importlib.metadata

    assert [d.version for d in importlib.metadata.distributions(path=[str(tree)])] == ["1.0"]


# --- budgets --------------------------------------------------------------------------------------------------------
def sized_tree(tmp_path: Path, sizes_mib: dict[str, int]) -> Path:
    """A layer tree whose top-level entries have the given sizes (sparse files: no disk used)."""
    tree = tmp_path / "python"
    for name, size in sizes_mib.items():
        target = tree / name / "blob.bin" if not name.endswith(".py") else tree / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as handle:
            handle.truncate(size * MIB)
    return tree


def test_budget_errors_name_the_largest_packages(tmp_path: Path) -> None:
    sizes = package_sizes(sized_tree(tmp_path, {"numpy": 30, "pandas": 120, "tzdata": 3, "numpy.libs": 90,
                                                "six.py": 1}))
    assert sizes["pandas"] == 120 * MIB and sizes["six.py"] == MIB

    with pytest.raises(LayerError) as zipped:
        check_budgets("arm64/python3.13", ZIP_LIMIT_BYTES + 1, 100 * MIB, MIB, sizes)
    assert "direct-upload limit" in str(zipped.value)
    assert str(zipped.value).endswith("pandas 120.0 MiB, numpy.libs 90.0 MiB, numpy 30.0 MiB")

    unzipped = sum(sizes.values())  # 244 MiB: fits alone, not with a 7 MiB function
    check_budgets("arm64/python3.13", 40 * MIB, unzipped, UNZIPPED_LIMIT_BYTES - unzipped, sizes)
    with pytest.raises(LayerError) as total:
        check_budgets("arm64/python3.13", 40 * MIB, unzipped, 7 * MIB, sizes)
    message = str(total.value)
    assert "251.0 MiB, over the 250.0 MiB limit" in message and "pandas 120.0 MiB, numpy.libs" in message
    assert "\n" not in message


# --- build, cache and zip, offline from a local wheel ---------------------------------------------------------------
def make_wheel(directory: Path, files: dict[str, bytes], name: str = "fakepkg", tag: str = "py3-none-any") -> Path:
    """A valid ``<name>-1.0-<tag>.whl`` (with a correct RECORD) holding ``files``."""
    files = {**files,
             f"{name}-1.0.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n".encode(),
             f"{name}-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                                          + f"Tag: {tag}\n".encode()}
    record = []
    for member, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{member},sha256={digest},{len(data)}")
    record.append(f"{name}-1.0.dist-info/RECORD,,")
    wheel = directory / f"{name}-1.0-{tag}.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for member, data in files.items():
            archive.writestr(member, data)
        archive.writestr(f"{name}-1.0.dist-info/RECORD", "\n".join(record) + "\n")
    return wheel


@pytest.fixture
def offline_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """pip reads only a local folder with one wheel; the state dir is a temp dir. Returns the requirements file."""
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    make_wheel(wheels, {"fakepkg/__init__.py": b"ANSWER = 42\n",
                        "fakepkg/_native.cpython-313-x86_64-linux-gnu.so": elf_header(EM_X86_64),
                        "fakepkg/tests/test_fake.py": b"def test(): pass\n" * 100,
                        "fakepkg/__init__.pyi": b"ANSWER: int\n"})
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheels))
    monkeypatch.setenv("ARCHBENCH_STATE_DIR", str(tmp_path / "state"))
    return write(tmp_path / "requirements.txt", "fakepkg>=1.0\n")


def test_build_prunes_zips_python_folder_and_hits_the_cache(offline_index: Path) -> None:
    layer = build_layer("x86_64", "3.13", requirements=offline_index)

    assert layer.directory.parent == state_dir() / "layers"
    with zipfile.ZipFile(layer.zip_path) as archive:
        names = sorted(archive.namelist())
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert names == ["python/fakepkg-1.0.dist-info/METADATA", "python/fakepkg-1.0.dist-info/WHEEL",
                     "python/fakepkg/__init__.py", "python/fakepkg/_native.cpython-313-x86_64-linux-gnu.so"]
    manifest = layer.manifest
    assert manifest["packages"] == {"fakepkg": "1.0"} and manifest["elf_files"] == 1
    assert manifest["zipped_bytes"] == layer.zip_path.stat().st_size
    assert manifest["pruned_bytes"][TESTS] == 1700
    assert manifest["unzipped_bytes_before_prune"] > manifest["unzipped_bytes"]

    zip_bytes, zip_mtime = layer.zip_path.read_bytes(), layer.zip_path.stat().st_mtime_ns
    again = build_layer("x86_64", "3.13", requirements=offline_index)
    assert again.directory == layer.directory and again.zip_path.stat().st_mtime_ns == zip_mtime  # not rebuilt

    rebuilt = build_layer("x86_64", "3.13", requirements=offline_index, rebuild=True)
    assert rebuilt.zip_path.read_bytes() == zip_bytes  # deterministic: same inputs, same bytes

    offline_index.write_text("fakepkg==1.0\n")  # other requirements: another key, and the old entry is removed
    changed = build_layer("x86_64", "3.13", requirements=offline_index)
    assert changed.directory != layer.directory and not layer.directory.exists()
    assert build_layer("x86_64", "3.12", requirements=offline_index).directory != changed.directory


def test_build_refuses_a_shared_object_of_the_other_architecture(offline_index: Path) -> None:
    with pytest.raises(LayerError, match=r"1 of 1 ELF files are not aarch64: "
                                         r"fakepkg/_native\.cpython-313-x86_64-linux-gnu\.so \(x86-64\)"):
        build_layer("arm64", "3.13", requirements=offline_index)
    assert not list((state_dir() / "layers").glob("arm64-*"))  # nothing cached


def test_build_reports_pip_and_file_errors_in_one_line(offline_index: Path) -> None:
    offline_index.write_text("no-such-package-archbench>=1\n")
    with pytest.raises(LayerError, match=r"^pip install for the x86_64 layer failed: ERROR: "):
        build_layer("x86_64", "3.13", requirements=offline_index)
    with pytest.raises(LayerError, match="cannot read the layer's requirements"):
        build_layer("x86_64", "3.13", requirements=offline_index.with_name("missing.txt"))


def test_the_users_requirements_join_the_layer_and_its_key(offline_index: Path) -> None:
    wheels = Path(os.environ["PIP_FIND_LINKS"])
    make_wheel(wheels, {"userpkg/__init__.py": b"USER = 1\n"}, name="userpkg")
    user = write(offline_index.with_name("user-requirements.txt"), "userpkg==1.0\n")
    alone = build_layer("x86_64", "3.13", requirements=offline_index)
    both = build_layer("x86_64", "3.13", requirements=offline_index, user_requirements=user)
    assert both.manifest["packages"] == {"fakepkg": "1.0", "userpkg": "1.0"}
    assert both.directory != alone.directory and "userpkg==1.0" in both.manifest["requirements"]


def test_a_user_requirement_without_a_wheel_for_one_architecture_names_package_and_platform(
        offline_index: Path) -> None:
    wheels = Path(os.environ["PIP_FIND_LINKS"])
    make_wheel(wheels, {"x86only/__init__.py": b""}, name="x86only", tag="cp313-cp313-manylinux2014_x86_64")
    user = write(offline_index.with_name("user-requirements.txt"), "x86only==1.0\n")
    assert build_layer("x86_64", "3.13", requirements=offline_index, user_requirements=user).manifest[
        "packages"]["x86only"] == "1.0"
    with pytest.raises(LayerError) as caught:
        build_layer("arm64", "3.13", requirements=offline_index, user_requirements=user)
    message = str(caught.value)
    assert message.startswith("pip install for the arm64 layer failed: ERROR: ") and "x86only" in message
    assert "no wheel for cp313 on manylinux_2_28_aarch64 / manylinux2014_aarch64" in message and "\n" not in message


# --- verification verdict and command line --------------------------------------------------------------------------
def probe_run(arch: str, digests: Mapping[str, str | None], errors: tuple[str, ...] = ()) -> ProbeRun:
    results = {name: {"size": 10, "digest": digest, "error": {"code": "x"} if name in errors else None}
               for name, digest in digests.items()}
    return ProbeRun(arch, arch == "arm64", 1.0, results)


def test_verification_names_the_workloads_that_differ_or_failed() -> None:
    same = {"sort": "aa", "numpy_fft": "bb"}
    assert Verification("arm64", probe_run("x86_64", same), probe_run("arm64", same), 2.0).problem() is None

    differ = Verification("arm64", probe_run("x86_64", same), probe_run("arm64", {**same, "numpy_fft": "cc"}), 2.0)
    assert differ.problem() == "arm64 and x86_64 digests differ for: numpy_fft"
    assert [row[-1] for row in differ.rows()] == [True, False]

    failed = Verification("arm64", probe_run("x86_64", same),
                          probe_run("arm64", {**same, "sort": None}, errors=("sort",)), 2.0)
    assert failed.problem() == "arm64: workloads failed: sort"

    one_sided = Verification("arm64", probe_run("x86_64", {"sort": "aa"}), probe_run("arm64", same), 2.0)
    assert one_sided.problem() == "arm64 and x86_64 digests differ for: numpy_fft"


def test_cli_mistakes_are_one_line_and_non_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--arch", "arm64", "--runtime", "python3.12"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("layers: error: no Debian release ships Python 3.12") and err.count("\n") == 1
    with pytest.raises(SystemExit) as exit_:
        main(["verify", "--timeout", "0"])
    assert exit_.value.code == 2 and "--timeout: must be a whole number of seconds >= 1" in capsys.readouterr().err


def test_build_makes_one_layer_per_architecture_and_runtime_of_the_settings(
        offline_index: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    built: list[tuple[str, str]] = []

    def build_from_the_offline_index(arch: str, python_version: str, rebuild: bool = False,
                                     user_requirements: Path | None = None) -> Layer:
        built.append((arch, python_version))
        return build_layer(arch, python_version, requirements=offline_index, rebuild=rebuild,
                           user_requirements=user_requirements)

    monkeypatch.setattr(layers_cli, "build_layer", build_from_the_offline_index)
    config = write(tmp_path / "Pulumi.dev.yaml", "config:\n  archbench:architectures: [x86_64]\n"
                                                  "  archbench:control: none\n"
                                                  "  archbench:runtimes: [python3.12, python3.13]\n")
    assert main(["build", "--config", str(config), "--out", str(tmp_path / "dist")]) == 0
    assert built == [("x86_64", "3.12"), ("x86_64", "3.13")]
    printed = capsys.readouterr().out.split()
    assert printed == [str(tmp_path / "dist" / f"archbench-deps-x86_64-{runtime}.zip")
                       for runtime in ("python3.12", "python3.13")]
    assert all(Path(path).stat().st_size > 0 for path in printed)
    cached = sorted(entry.name.rsplit("-", 1)[0] for entry in (state_dir() / "layers").iterdir())
    assert cached == ["x86_64-py3.12", "x86_64-py3.13"]  # one cache entry per (architecture, Python version)

    built.clear()
    assert main(["build", "--config", str(config), "--runtime", "python3.13", "--runtime", "python3.13"]) == 0
    assert built == [("x86_64", "3.13")]  # the options pick from the pairs, each once


def test_build_with_an_unreadable_config_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write(tmp_path / "Pulumi.bad.yaml", "config:\n  archbench:memoryMb: 2048\n")
    assert main(["build", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("layers: error: archbench:memoryMb was replaced by archbench:memorySizes")
    assert err.count("\n") == 1


def test_importing_layers_does_not_import_pulumi() -> None:
    code = "import sys, layers; sys.exit('pulumi' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, check=False).returncode == 0


# --- the real layers, from PyPI -------------------------------------------------------------------------------------
