"""Lambda's size limits for a layer, and an error that names what to cut when one is exceeded.

Limits (AWS Lambda quotas): a zip uploaded directly (PublishLayerVersion's ZipFile, as Pulumi's FileArchive
does) is at most 50 MB; the function and all its layers unzipped are at most 250 MB. AWS's MB here is MiB
(250 MB = 262,144,000 bytes).
"""

from __future__ import annotations

from pathlib import Path

from layers.errors import LayerError
from layers.prune import tree_bytes
from stack import code_files

MIB = 1024 * 1024
ZIP_LIMIT_BYTES = 50 * MIB
UNZIPPED_LIMIT_BYTES = 250 * MIB
_NAMED = 3  # how many of the largest packages an over-budget error names


def mib(size: int) -> str:
    """``82.6 MiB``; sizes under a tenth of a MiB in KiB, so small ones do not read as zero."""
    return f"{size / MIB:.1f} MiB" if size >= MIB // 10 else f"{size / 1024:.0f} KiB"


def package_sizes(tree: Path) -> dict[str, int]:
    """Unzipped bytes per top-level entry of the layer's ``python/`` (a package, its ``.libs``, a module)."""
    return {entry.name: tree_bytes(entry) for entry in sorted(tree.iterdir())}


def largest(sizes: dict[str, int], count: int = _NAMED) -> str:
    """``pandas 47.9 MiB, numpy 26.8 MiB, …``: the biggest entries, biggest first."""
    biggest = sorted(sizes.items(), key=lambda item: (-item[1], item[0]))[:count]
    return ", ".join(f"{name} {mib(size)}" for name, size in biggest)


def check_budgets(label: str, zipped: int, unzipped: int, function_bytes: int, sizes: dict[str, int]) -> None:
    """Raise one line naming the limit and the largest packages if the layer does not fit."""
    if zipped > ZIP_LIMIT_BYTES:
        raise LayerError(
            f"{label}: layer zip is {mib(zipped)}, over the {mib(ZIP_LIMIT_BYTES)} direct-upload limit; "
            f"largest packages (unzipped): {largest(sizes)}")
    total = unzipped + function_bytes
    if total > UNZIPPED_LIMIT_BYTES:
        raise LayerError(
            f"{label}: layer {mib(unzipped)} + function {mib(function_bytes)} unzipped is {mib(total)}, over the "
            f"{mib(UNZIPPED_LIMIT_BYTES)} limit; largest packages: {largest(sizes)}")


def function_bytes(root: Path) -> int:
    """Unzipped size of the function package under project ``root`` (the files both deployers ship)."""
    return sum(path.stat().st_size for path in code_files(root))
