"""``memory``: map N MiB of fresh anonymous memory and touch every page, so the process really holds it.

An anonymous ``mmap`` rather than a ``bytearray``: glibc serves blocks under its dynamic mmap threshold (up to
32 MiB) from memory it kept from the previous call, which would measure a memset of warm pages instead of page
faults (measured: 16 MiB took ~3 ms warm versus ~1.3 ms per MiB when every page is fresh).
"""

from __future__ import annotations

import mmap

from handlers.workloads.base import Workload, canonical_digest

MIB = 1024 * 1024
PAGE = 4096  # a fixed stride, not mmap.PAGESIZE: the digest must not depend on the kernel's page size


def _prepare(size: int, seed: int) -> tuple[int, int]:
    return size, seed % 255 + 1  # the byte written to each page: non-zero, so no page stays the shared zero page


def _compute(plan: tuple[int, int]) -> tuple[int, int]:
    size, marker = plan
    with mmap.mmap(-1, size * MIB) as region:
        pages = (size * MIB + PAGE - 1) // PAGE
        region[::PAGE] = bytes((marker,)) * pages
        return size, region[::PAGE].count(marker)


MEMORY = Workload(
    name="memory", description="map N MiB of fresh anonymous memory and write one byte every 4 KiB (every page); "
                               "unmapped afterwards",
    size_unit="MiB", min_size=1, max_size=8_192, default_size=16, max_iterations=20,
    prepare=_prepare, compute=_compute, digest=lambda result: canonical_digest(list(result)),
    # the region, plus two bytes per 4 KiB page for the stride's fill and read-back copies (measured at 8 GiB)
    peak_mb=lambda size: size * 1.001 + 1.0,
)

WORKLOADS = (MEMORY,)
