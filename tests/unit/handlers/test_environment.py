"""The execution environment's identity: the CPU model read from real /proc/cpuinfo texts, the id made once."""

from __future__ import annotations

import re

import pytest

from handlers import environment
from handlers.environment import UNKNOWN_CPU, cpu_model

# An x86_64 Lambda's /proc/cpuinfo, the first processor's block as the function printed it:
# shreyasgaonkar/aws-lambda-code-samples, lambda-samples/get_cpu_info/README.md ("cat /proc/cpuinfo", a Lambda on
# the Amazon Linux 2018.03 runtime, kernel 4.14.165-102.205.amzn2.x86_64).
LAMBDA_X86_64 = """processor\t: 0
vendor_id\t: GenuineIntel
cpu family\t: 6
model\t\t: 62
model name\t: Intel(R) Xeon(R) Processor @ 2.50GHz
stepping\t: 4
microcode\t: 0x1
cpu MHz\t\t: 2500.010
cache size\t: 33792 KB
physical id\t: 0
siblings\t: 2
core id\t\t: 0
cpu cores\t: 2
apicid\t\t: 0
initial apicid\t: 0
fpu\t\t: yes
fpu_exception\t: yes
cpuid level\t: 13
wp\t\t: yes
flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht \
syscall nx rdtscp lm constant_tsc rep_good nopl xtopology nonstop_tsc cpuid tsc_known_freq pni pclmulqdq ssse3 cx16 \
pcid sse4_1 sse4_2 x2apic popcnt tsc_deadline_timer aes xsave avx f16c rdrand hypervisor lahf_lm cpuid_fault pti ssbd \
ibrs ibpb stibp fsgsbase tsc_adjust smep erms smap xsaveopt arat md_clear arch_capabilities
bugs\t\t: cpu_meltdown spectre_v1 spectre_v2 spec_store_bypass l1tf mds swapgs
bogomips\t: 5000.02
clflush size\t: 64
cache_alignment\t: 64
address sizes\t: 46 bits physical, 48 bits virtual
power management:

processor\t: 1
vendor_id\t: GenuineIntel
"""

# A Graviton2 host's /proc/cpuinfo (Neoverse N1, the core Lambda's arm64 documents): the lines a c6g.xlarge printed
# in a public "AWS Graviton CPU Verification Results" write-up (code-search archive id 27749862301), which also
# lists Graviton3 as part 0xd40 (Neoverse V1) and Graviton4 as 0xd4f (V2). arm64 kernels print no "model name".
# No Lambda's own arm64 /proc/cpuinfo was found published; Lambda runs arm64 on Graviton2 (its foundation-arch
# page), so this is the block a Lambda arm64 environment is expected to show.
GRAVITON2 = """processor\t: 0
BogoMIPS\t: 243.75
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp
CPU implementer\t: 0x41
CPU architecture: 8
CPU variant\t: 0x3
CPU part\t: 0xd0c
CPU revision\t: 1

processor\t: 1
BogoMIPS\t: 243.75
CPU implementer\t: 0x41
CPU part\t: 0xd0c
"""

GRAVITON3 = "CPU implementer\t: 0x41\nCPU part\t: 0xd40\n"


@pytest.mark.parametrize(("cpuinfo", "model"), [
    (LAMBDA_X86_64, "Intel(R) Xeon(R) Processor @ 2.50GHz"),
    (GRAVITON2, "0x41:0xd0c"),
    (GRAVITON3, "0x41:0xd40"),
    ("", UNKNOWN_CPU),
    ("processor\t: 0\nBogoMIPS\t: 50.00\nCPU implementer\t: 0x41\n", UNKNOWN_CPU),  # no part: not a model
])
def test_the_cpu_model_is_read_from_cpuinfo(cpuinfo: str, model: str) -> None:
    assert cpu_model(cpuinfo) == model


def test_only_the_first_4096_bytes_are_needed_for_a_real_block() -> None:
    assert cpu_model(LAMBDA_X86_64[:4096]) == cpu_model(LAMBDA_X86_64)


def test_without_proc_cpuinfo_the_model_is_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(environment, "_CPUINFO_FILE", "/nonexistent/cpuinfo")
    assert environment._read_cpu_model() == UNKNOWN_CPU


def test_the_environment_id_is_random_hex_made_once_per_process() -> None:
    assert re.fullmatch(r"[0-9a-f]{16}", environment.ENVIRONMENT_ID)
