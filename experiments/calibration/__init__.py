"""Calibration of the Baoji baseline to the case (issues 5, 8 and 12).

``wengang calibrate --report`` runs the baseline as it stands and regenerates
``docs/calibration.md``; ``wengang calibrate --fit`` first refits the free
parameters, writes them into ``scenarios/baoji_baseline.yaml`` (``source:
calibrated`` and the target they were fitted to), then reports.

One job per module:

* :mod:`.targets` - the case's figures as read, the calendar, the free parameters;
* :mod:`.runs` - runs of the model and the model's value of every target;
* :mod:`.emulator` - polynomial emulators and their bounded optimisation;
* :mod:`.fitting` - the two-stage fit and writing its values;
* :mod:`.yaml_edit` - changing a scenario file's values without disturbing it;
* :mod:`.findings`, :mod:`.report` - the computed findings and the page;
* :mod:`.cli` - the command.
"""

from experiments.calibration.cli import main, register_calibrate

__all__ = ["main", "register_calibrate"]
