"""Write ``scripts/deploy-requirements.txt``: every wheel the deploy jobs install, each pinned with its sha256.

pip resolves ``scripts/deploy-requirements.in`` for the CI runner (CPython 3.13, manylinux x86_64, wheels only)
and downloads the files; their hashes are computed here from the bytes pip got. The jobs then run
``pip install --require-hashes --no-deps -r scripts/deploy-requirements.txt``: a file that differs from these
bytes, or a package not listed, is refused.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
SOURCE, LOCKED = HERE / "deploy-requirements.in", HERE / "deploy-requirements.txt"
PYTHON_VERSION = "3.13"
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        platforms = [arg for platform in PLATFORMS for arg in ("--platform", platform)]
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--dest", tmp, "--only-binary=:all:",
                        "--python-version", PYTHON_VERSION, "--implementation", "cp", *platforms, "-r", str(SOURCE)],
                       check=True)
        lines = [f"# Made by `python scripts/lock_deploy_requirements.py` from {SOURCE.name} for CPython "
                 f"{PYTHON_VERSION} on manylinux x86_64 (the CI runner). Do not edit.",
                 "# pip install --require-hashes --no-deps -r scripts/deploy-requirements.txt"]
        for wheel in sorted(Path(tmp).glob("*.whl"), key=lambda p: p.name.lower()):
            name, version = wheel.name.split("-")[:2]
            digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
            lines.append(f"{re.sub(r'[-_.]+', '-', name).lower()}=={version} \\\n    --hash=sha256:{digest}")
    LOCKED.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
