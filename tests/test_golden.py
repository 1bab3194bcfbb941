"""Seeded golden results: the JSON of a short sweep of a fixed scenario must not change.

The scenario is ``tests/data/golden_scenario.yaml``, a frozen copy of the bundled default as it
was when the golden file was first written (the default itself may change to teach better).

A change here means the simulation's numbers moved. If that is intended (a fidelity fix, a new
random stream), regenerate the file and say why in the commit:

    python -m sim run tests/data/golden_scenario.yaml --horizon 1h --replications 2 \
        --service-levels 100,300 --format json > tests/data/golden_default_1h.json

Speed-ups must leave it identical.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

GOLDEN = Path(__file__).parent / "data" / "golden_default_1h.json"


def test_golden_sweep_matches_the_golden_json():
    cmd = [sys.executable, "-m", "sim", "run", "tests/data/golden_scenario.yaml", "--horizon", "1h", "--replications", "2",
           "--service-levels", "100,300", "--format", "json"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=Path(__file__).parents[1]).stdout
    assert json.loads(out) == json.loads(GOLDEN.read_text())
