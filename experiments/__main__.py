"""``python -m experiments sweep|analyze``: the experiment commands without ``wengang``."""

import sys

from experiments.cli import main

sys.exit(main())
