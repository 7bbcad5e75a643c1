"""CPU-bound pure-Python workloads (interpreter, and the C code of the standard library behind it).

Every input is generated from the request's seed with ``random.Random`` (Mersenne Twister: the same numbers on
every platform), never sorted or patterned, so no shortcut of the algorithm makes the work trivial.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sys
import zlib
from array import array
from collections import Counter
from math import isqrt

from handlers.workloads.base import Workload, canonical_digest, sha256_hex


def _little_endian_u64(values: list[int]) -> bytes:
    packed = array("Q", values)
    if sys.byteorder != "little":
        packed.byteswap()
    return packed.tobytes()


# --- sort: Timsort on random integers ------------------------------------------------------------------------------
def _sort_prepare(size: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    return [rng.getrandbits(63) for _ in range(size)]


SORT = Workload(
    name="sort", description="sorted() of N random 63-bit integers (Timsort on unordered input)",
    size_unit="integers", min_size=1, max_size=5_000_000, default_size=50_000, max_iterations=100,
    prepare=_sort_prepare, compute=sorted, digest=lambda result: sha256_hex(_little_endian_u64(result)),
    peak_mb=lambda size: size * 85e-6,  # measured 68 B per integer: the int, two lists, the packed digest input
)


# --- primes: trial division in the interpreter --------------------------------------------------------------------
def _primes_prepare(size: int, seed: int) -> range:
    start = 1_000_000 + random.Random(seed).randrange(1_000_000)
    return range(start, start + size)


def _primes_compute(candidates: range) -> list[int]:
    found = []
    for n in candidates:
        if n % 2 == 0:
            continue
        limit = isqrt(n)
        d = 3
        while d <= limit and n % d:
            d += 2
        if d > limit:
            found.append(n)
    return found


PRIMES = Workload(
    name="primes", description="primes among N consecutive integers from a seeded start in [1e6, 2e6), by trial "
                               "division in pure Python",
    size_unit="candidates", min_size=1, max_size=1_000_000, default_size=5_000, max_iterations=100,
    prepare=_primes_prepare, compute=_primes_compute,
    digest=lambda primes: sha256_hex(_little_endian_u64(primes)),
    peak_mb=lambda size: 1.0 + size * 4e-6,
)


# --- sha256: hashlib over seeded random bytes ----------------------------------------------------------------------
_CHUNK = 1024 * 1024  # randbytes(n) draws n * 8 bits in one getrandbits call, which must stay below 2**31 bits


def _random_bytes(size_kib: int, seed: int) -> bytes:
    """The same bytes as one ``randbytes(size_kib * 1024)`` (chunks of whole 32-bit words continue the stream),
    drawn 1 MiB at a time so that the maximum size, 256 MiB, does not overflow ``getrandbits``."""
    rng, total = random.Random(seed), size_kib * 1024
    return b"".join(rng.randbytes(min(_CHUNK, total - start)) for start in range(0, total, _CHUNK))


SHA256 = Workload(
    name="sha256", description="SHA-256 of N KiB of seeded random bytes (OpenSSL; CPU crypto extensions count)",
    size_unit="KiB", min_size=1, max_size=262_144, default_size=16_384, max_iterations=100,
    prepare=_random_bytes, compute=lambda data: hashlib.sha256(data).hexdigest(), digest=str,
    peak_mb=lambda size: size * 2.5 / 1024,  # measured 2 bytes per byte hashed while randbytes builds it
)


# --- json: encode and decode a document of records -----------------------------------------------------------------
_WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo",
          "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform", "victor",
          "whiskey", "x-ray", "yankee", "zulu", "Grüße", "naïve", "日本")


def _json_prepare(size: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    return [{
        "id": i,
        "name": " ".join(rng.choice(_WORDS) for _ in range(rng.randint(1, 4))),
        "score": rng.random() * 1000.0,
        "active": rng.random() < 0.5,
        "tags": [rng.choice(_WORDS) for _ in range(rng.randint(0, 5))],
        "location": {"lat": rng.uniform(-90, 90), "lon": rng.uniform(-180, 180), "alt": None},
    } for i in range(size)]


def _json_compute(records: list[dict]) -> str:
    text = json.dumps(records, sort_keys=True)
    if json.loads(text) != records:
        raise ValueError("json round trip changed the document")
    return text


JSON = Workload(
    name="json", description="json.dumps then json.loads of N nested records, checked equal after the round trip",
    size_unit="records", min_size=1, max_size=200_000, default_size=1_500, max_iterations=100,
    prepare=_json_prepare, compute=_json_compute, digest=lambda text: sha256_hex(text.encode("utf-8")),
    peak_mb=lambda size: size * 2.3e-3,  # measured 1.8 KB per record: objects, text, decoded copy
)


# --- regex: parse and aggregate access-log lines ------------------------------------------------------------------
_LOG_LINE = re.compile(r'(?P<ip>\d{1,3}(?:\.\d{1,3}){3}) - (?P<user>[\w-]+) \[(?P<ts>[^\]]+)\] '
                       r'"(?P<method>[A-Z]+) (?P<path>/\S*) HTTP/1\.1" (?P<status>\d{3}) (?P<bytes>\d+)')
_METHODS = ("GET", "GET", "GET", "POST", "PUT", "DELETE")
_STATUSES = (200, 200, 200, 201, 204, 301, 404, 500)


def _regex_prepare(size: int, seed: int) -> str:
    rng = random.Random(seed)
    lines = []
    for _ in range(size):
        ip = ".".join(str(rng.randrange(256)) for _ in range(4))
        path = "/" + "/".join(rng.choice(_WORDS[:26]) for _ in range(rng.randint(1, 3)))
        lines.append(f'{ip} - user{rng.randrange(500)} [25/Nov/2026:08:{rng.randrange(60):02d}:'
                     f'{rng.randrange(60):02d} +0000] "{rng.choice(_METHODS)} {path}?q={rng.getrandbits(32):x} '
                     f'HTTP/1.1" {rng.choice(_STATUSES)} {rng.randrange(100_000)}')
        if rng.random() < 0.05:
            lines.append("malformed line " + rng.choice(_WORDS))
    return "\n".join(lines)


def _regex_compute(text: str) -> dict:
    statuses: Counter[str] = Counter()
    paths: Counter[str] = Counter()
    total_bytes = parsed = 0
    for line in text.splitlines():
        match = _LOG_LINE.match(line)
        if match is None:
            continue
        parsed += 1
        statuses[match["status"]] += 1
        paths[match["path"].split("?", 1)[0].lower()] += 1
        total_bytes += int(match["bytes"])
    return {"parsed": parsed, "bytes": total_bytes, "statuses": dict(statuses),
            "top_paths": sorted(paths.items(), key=lambda kv: (-kv[1], kv[0]))[:10]}


REGEX = Workload(
    name="regex", description="parse N synthetic access-log lines with a regular expression and aggregate "
                              "status codes, bytes and top paths",
    size_unit="lines", min_size=1, max_size=1_000_000, default_size=5_000, max_iterations=100,
    prepare=_regex_prepare, compute=_regex_compute, digest=canonical_digest,
    peak_mb=lambda size: size * 4.7e-4,  # measured 370 B per line
)


# --- zlib: compress and decompress text ---------------------------------------------------------------------------
def _zlib_prepare(size_kib: int, seed: int) -> bytes:
    """Seeded word text, built 64 KiB at a time so that a large size does not hold millions of word objects."""
    rng = random.Random(seed)
    chunks, remaining = [], size_kib * 1024
    while remaining > 0:
        words = " ".join(rng.choice(_WORDS) + str(rng.randrange(100)) for _ in range(65_536 // 6 + 1))
        chunk = words.encode("utf-8")[:min(remaining, 65_536)]
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _zlib_compute(data: bytes) -> bytes:
    restored = zlib.decompress(zlib.compress(data, 6))
    if restored != data:
        raise ValueError("zlib round trip changed the data")
    return restored


ZLIB = Workload(
    name="zlib", description="zlib level 6 compress then decompress N KiB of seeded word text, checked equal "
                             "(the digest is of the restored bytes: compressed bytes may differ between zlib builds)",
    size_unit="KiB", min_size=1, max_size=65_536, default_size=256, max_iterations=100,
    prepare=_zlib_prepare, compute=_zlib_compute, digest=sha256_hex,
    peak_mb=lambda size: size * 4.0 / 1024,  # measured 3.2 bytes per byte: text, compressed, restored
)

WORKLOADS = (SORT, PRIMES, SHA256, JSON, REGEX, ZLIB)
