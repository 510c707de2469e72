"""``python -m experiments.calibration``: the same as ``wengang calibrate``."""

import sys

from experiments.calibration.cli import main

sys.exit(main())
