"""numpy workloads, built so that the exact answer does not depend on the CPU's floating-point kernels.

numpy is imported in ``prepare`` at first use, never at module import: a ``noop`` cold start must not pay for it.
Different BLAS/FFT kernels (OpenBLAS on arm64 vs x86_64, FMA or not, SIMD width) sum in different orders, so raw
float bits differ between architectures. The inputs are therefore chosen so the true result is a small integer
that float64 represents exactly, and the digest is of the rounded result:
- matmul: integer-valued matrices with entries in [-8, 8]; every partial sum is an integer far below 2**53, so
  float64 GEMM is exact in any summation order.
- fft: the signal is the inverse FFT of a seeded spectrum of random integers in [-100, 100], so the true forward
  transform is those integers; float errors are ~1e-12, far below the 0.5 that rounding tolerates.
"""

from __future__ import annotations

from typing import Any

from handlers.workloads.base import Workload, sha256_hex


def _numpy() -> Any:
    import numpy  # first use only; see module docstring

    return numpy


def _integer_digest(values: Any) -> str:
    """sha256 of the values rounded to int64, little-endian: equal wherever the exact answer is equal."""
    np = _numpy()
    return sha256_hex(np.ascontiguousarray(np.rint(values).astype("<i8")).tobytes())


# --- numpy_matmul ---------------------------------------------------------------------------------------------------
def _matmul_prepare(size: int, seed: int) -> tuple[Any, Any]:
    np = _numpy()
    rng = np.random.Generator(np.random.PCG64(seed))
    a = rng.integers(-8, 9, size=(size, size)).astype(np.float64)
    b = rng.integers(-8, 9, size=(size, size)).astype(np.float64)
    return a, b


MATMUL = Workload(
    name="numpy_matmul", description="float64 matrix product of two seeded N×N integer-valued matrices (BLAS GEMM)",
    size_unit="N (matrix side)", min_size=2, max_size=3_000, default_size=700, max_iterations=50,
    prepare=_matmul_prepare, compute=lambda ab: ab[0] @ ab[1], digest=_integer_digest,
    peak_mb=lambda size: size * size * 40e-6,  # measured 32 B per element: A, B, A @ B, the digest's int64 copy
)


# --- numpy_fft ------------------------------------------------------------------------------------------------------
def _fft_prepare(size: int, seed: int) -> Any:
    """A noise-like signal whose exact spectrum is a seeded random integer in every bin (made by an inverse FFT)."""
    np = _numpy()
    rng = np.random.Generator(np.random.PCG64(seed))
    bins = size // 2 + 1
    spectrum = rng.integers(-100, 101, size=bins) + 1j * rng.integers(-100, 101, size=bins)
    spectrum[0] = spectrum[0].real  # a real signal has a real DC bin ...
    if size % 2 == 0:
        spectrum[-1] = spectrum[-1].real  # ... and a real Nyquist bin
    return np.fft.irfft(spectrum, n=size)


FFT = Workload(
    name="numpy_fft", description="real FFT (numpy's pocketfft) of N samples of a noise-like signal whose exact "
                                  "spectrum is integer",
    size_unit="samples", min_size=2, max_size=4_194_304, default_size=1_048_576, max_iterations=50,
    prepare=_fft_prepare, compute=lambda signal: _numpy().fft.rfft(signal),
    digest=lambda spectrum: _integer_digest(spectrum.view(_numpy().float64)),  # re, im interleaved
    peak_mb=lambda size: size * 40e-6,  # measured 31 B per sample
)

WORKLOADS = (MATMUL, FFT)
