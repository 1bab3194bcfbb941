"""The bundled default teaches: its sweep crosses the regulators' 3 % cap, the regulatory abandon
rate rising with the level, and the verdict recommends a level inside the sweep."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import sim

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_default_sweep_rises_through_the_cap_and_recommends_a_level_inside_it():
    scn = sim.load_scenario(ROOT / "scenarios" / "default.yaml")
    result = sim.run(scn, workers=2)
    s = result.summary
    reg = s[s["metric"] == "abandon_rate_regulatory"].sort_values("service_level")
    means = reg["mean"].to_numpy()
    assert np.all(np.diff(means) > 0), f"the regulatory abandon rate rises with every level: {means}"
    assert reg["ci_high"].iloc[0] <= 0.03 < reg["ci_low"].iloc[-1], "the sweep crosses the cap"
    v = result.verdict()
    levels = list(reg["service_level"])
    assert v["recommended_service_level"] in levels[1:-1], v["reason"]
    assert v["reason"].startswith(f"Run service level {v['recommended_service_level']}")
    assert "queue_no_agent" in v["reason"], "above the recommended level, callers wait with no agent: over-dialing"
