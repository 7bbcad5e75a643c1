"""Entry point: ``python -m loadgen --help``."""

import sys

from loadgen.cli import main

sys.exit(main())
