"""Read an ELF header's machine field, so a layer never ships a shared object of the other architecture.

Only the first 20 bytes are read: magic, class, byte order and ``e_machine`` (offset 18, two bytes in the
file's own byte order). No dependency on ``file``/``readelf``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

ELF_MAGIC = b"\x7fELF"
EM_X86_64 = 62
EM_AARCH64 = 183
# The machine every ELF file of a layer must have, per Lambda architecture.
MACHINE_OF_ARCH = {"arm64": EM_AARCH64, "x86_64": EM_X86_64}
MACHINE_NAMES = {3: "i386", 8: "mips", 20: "ppc", 21: "ppc64", 40: "arm", 22: "s390", EM_X86_64: "x86-64",
                 EM_AARCH64: "aarch64", 243: "riscv"}
_HEADER_BYTES = 20
_E_MACHINE = slice(18, 20)
_BYTE_ORDER: dict[int, Literal["little", "big"]] = {1: "little", 2: "big"}


def elf_machine(path: Path) -> int | None:
    """The ``e_machine`` of an ELF file, or ``None`` if the file is not ELF (or too short to be)."""
    with open(path, "rb") as handle:
        header = handle.read(_HEADER_BYTES)
    if len(header) < _HEADER_BYTES or not header.startswith(ELF_MAGIC):
        return None
    order = _BYTE_ORDER.get(header[5])
    if order is None:
        return None
    return int.from_bytes(header[_E_MACHINE], order)


def machine_name(machine: int) -> str:
    return MACHINE_NAMES.get(machine, f"e_machine {machine}")


def elf_files(tree: Path) -> Iterator[tuple[Path, int]]:
    """Every regular ELF file under ``tree`` with its machine (symlinks are skipped: their target is checked)."""
    for directory, _dirs, files in os.walk(tree):
        for name in files:
            path = Path(directory, name)
            if path.is_symlink():
                continue
            machine = elf_machine(path)
            if machine is not None:
                yield path, machine


def wrong_machine_files(tree: Path, arch: str) -> tuple[int, list[tuple[Path, int]]]:
    """How many ELF files ``tree`` holds, and those whose machine is not ``arch``'s."""
    expected = MACHINE_OF_ARCH[arch]
    count = 0
    wrong = []
    for path, machine in elf_files(tree):
        count += 1
        if machine != expected:
            wrong.append((path, machine))
    return count, wrong
