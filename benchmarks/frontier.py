"""Benchmark: a frontier of all six pacing policies on the bundled default, at the replications
needed for 95 % intervals of about ±0.5 percentage points on the regulatory abandon rate near
the cap. Not part of the test suite.

    python benchmarks/frontier.py                        # pilot, then the frontier with --workers 2
    python benchmarks/frontier.py --json benchmarks/last_frontier.json
    python benchmarks/frontier.py --replications 6       # skip the pilot

1. Pilot: each policy at a knob value near the 3 % cap (VoIPbin SL 600, ratio 3.5, adaptive
   0.03, predictive 0.15) runs ``--pilot`` replications (default 10) of the full 8-hour day; the
   largest sd per replication of ``abandon_rate_regulatory`` among them is the one to beat.
2. n is the smallest number with t(0.975, n-1) x sd / sqrt(n) <= 0.005 (half-width ±0.5 points).
3. The frontier runs with ``replications=n`` (tune's stopping may add replications up to 4n at
   points it cannot decide), ``workers=2``; the wall time, the runs, the headline and the
   machine's load (``os.getloadavg``: the machine is shared, a figure taken under load is slow).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NEAR_CAP = [("voipbin", 600, None), ("ratio", 350, None), ("adaptive", 300, None), ("predictive", 1500, None)]
HALF_WIDTH = 0.005


def replications_for(sd: float, half_width: float = HALF_WIDTH) -> int:
    from scipy import stats

    n = 2
    while stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n) > half_width:
        n += 1
    return n


def main(argv=None) -> int:
    import numpy as np

    import sim
    from sim.policy_frontier import SimulatorEvaluate, knob_value

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "default.yaml"))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--pilot", type=int, default=10, help="replications of the pilot (default 10)")
    ap.add_argument("--replications", type=int, help="skip the pilot and run the frontier at N")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = ap.parse_args(argv)

    scn = sim.load_scenario(args.scenario)
    metric = "abandon_rate_regulatory"
    pilot = {}
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    if args.replications is None:
        ev = SimulatorEvaluate(scn, metric=metric, workers=args.workers)
        try:
            rows = ev.many(NEAR_CAP, list(range(args.pilot)))
        finally:
            ev.close()
        for (p, k, _), runs in zip(NEAR_CAP, rows):
            x = np.array([r[metric] for r in runs], dtype=float)
            pilot[f"{p}@{k}"] = {"mean": float(x.mean()), "sd": float(x.std(ddof=1))}
        sd = max(v["sd"] for v in pilot.values())
        n = replications_for(sd)
    else:
        sd, n = None, args.replications
    pilot_s = time.perf_counter() - t0
    if sd is not None:
        print(f"pilot: {args.pilot} replications at {len(NEAR_CAP)} points near the cap, {pilot_s:.0f} s; "
              f"largest sd per replication of {metric}: {sd * 100:.2f} points -> n = {n}", flush=True)

    t1 = time.perf_counter()
    res = sim.frontier(scn, replications=n, workers=args.workers)
    wall = time.perf_counter() - t1
    load_after = os.getloadavg()
    runs = sum(p.runs for p in res.policies.values())
    out = {
        "command": "python benchmarks/frontier.py" + (f" --replications {n}" if args.replications else ""),
        "scenario": scn.name,
        "policies": list(res.policies),
        "workers": args.workers,
        "pilot": {"replications": args.pilot if sd is not None else None, "points": pilot, "max_sd": sd,
                  "wall_s": round(pilot_s, 1)},
        "replications": n,
        "half_width_target": HALF_WIDTH,
        "wall_s": round(wall, 1),
        "runs": runs,
        "runs_per_s": round(runs / wall, 2),
        "headline": res.headline(),
        "best": {p: (None if pf.best is None else knob_value(p, pf.best))
                 for p, pf in res.policies.items()},
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    print(f"frontier: {len(res.policies)} policies, {n} replications, --workers {args.workers}: "
          f"{wall:.0f} s, {runs} runs ({runs / wall:.1f} runs/s)")
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} (1-min), {os.cpu_count()} cpus")
    print(res.headline())
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2, default=float) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
