"""Benchmark: wall time, dial attempts per second, peak memory and cost per dial in bare SimPy
timeouts, for three sizes of scenario; plus the speed-up of a 2-worker sweep.

    python benchmarks/run.py                 # table
    python benchmarks/run.py --json out.json # and the figures as JSON, to compare commits
    python benchmarks/run.py --sizes small,medium --repeat 3
    python benchmarks/run.py --markdown benchmarks/last.json   # the table README.md shows

Each size runs in a fresh subprocess (so peak memory is that size's own) and measures, in the
same process, how many bare ``env.timeout`` events SimPy runs per second (before and after each
run); the cost per dial is (wall seconds per dial) x (bare timeouts per second around that run),
the median over the runs: a figure that holds across machines, and across a machine whose speed
drifts. Wall time and the bare rate reported are medians too.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = str(ROOT / "tests" / "data" / "golden_scenario.yaml")  # the sizes below are defined on the default of earlier versions, frozen, so the figures stay comparable

SIZES = {
    # name: (description, overrides, service level)
    "small": ("20 agents, 8 h, one campaign", ["agents.0.count=20", "outdials.0.targets=50000"], 300),
    "medium": ("200 agents, 8 h, one campaign", ["agents.0.count=200", "outdials.0.targets=200000"], 300),
    "large": ("1,000 agents, 1,000,000 targets, 8 h, five campaigns on one queue", None, 300),
}


def large_scenario():
    from sim.scenario import load_scenario

    scn = load_scenario(DEFAULT, ["agents.0.count=1000"])
    data = scn.model_dump(mode="json", by_alias=True)
    camp = data["campaigns"][0]
    data["campaigns"] = [{**camp, "name": f"campaign-{i}", "outdial": f"list-{i}"} for i in range(5)]
    data["outdials"] = [{"name": f"list-{i}", "targets": 200_000, "destinations": 2} for i in range(5)]
    from sim.scenario.load import parse_scenario

    return parse_scenario(data, "large")


BARE_N = 300_000
"""Bare timeouts per measurement of the machine's speed (about 0.3 s)."""


def bare_timeouts_per_second(n: int = 1_000_000) -> float:
    import simpy

    env = simpy.Environment()

    def loop():
        timeout = env.timeout
        for _ in range(n):
            yield timeout(1)

    env.process(loop())
    start = time.perf_counter()
    env.run()
    return n / (time.perf_counter() - start)


def child(size: str, repeat: int) -> dict:
    from sim.experiment import Task, run_task
    from sim.scenario import load_scenario

    desc, overrides, level = SIZES[size]
    scn = large_scenario() if overrides is None else load_scenario(DEFAULT, overrides)
    # The machine's speed drifts (other jobs, a shared host; consecutive bare measurements have
    # been seen 40 % apart): each run is bracketed by bare measurements, its cost per dial taken
    # against their mean, and the median over the runs reported. Every run is replication 0.
    walls, costs, bares, dials = [], [], [bare_timeouts_per_second(BARE_N)], 0
    for _ in range(repeat):
        start = time.perf_counter()
        out = run_task(scn, Task(0, level, 0))
        wall = time.perf_counter() - start
        if out.error:
            raise SystemExit(out.error)
        dials = int(out.metrics["dials"])
        bares.append(bare_timeouts_per_second(BARE_N))
        walls.append(wall)
        costs.append(wall / dials * (bares[-2] + bares[-1]) / 2)
    wall, bare = statistics.median(walls), statistics.median(bares)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "description": desc,
        "service_level": level,
        "agents": sum(a.count for a in scn.agents),
        "targets": sum(o.targets for o in scn.outdials),
        "wall_s": round(wall, 4),
        "dials": dials,
        "dials_per_s": round(dials / wall, 1),
        "peak_mem_mb": round(peak_mb, 1),
        "bare_timeouts_per_s": round(bare, 0),
        "cost_per_dial_in_timeouts": round(statistics.median(costs), 2),
        "cost_per_dial_runs": [round(c, 2) for c in costs],
    }


def parallel_child(workers: int, reps: int) -> float:
    from sim.experiment import run
    from sim.scenario import load_scenario

    scn = load_scenario(DEFAULT, SIZES["medium"][1])
    start = time.perf_counter()
    run(scn, service_levels=[100, 300], replications=reps, workers=workers)
    return time.perf_counter() - start


def parallel(reps: int = 8) -> dict:
    """A sweep of medium-sized runs (about 0.5 to 1 s each), serial and on 2 worker processes,
    each measured in a fresh process."""
    times = {}
    for workers in (1, 2):
        proc = subprocess.run([sys.executable, __file__, "--parallel-child", str(workers), "--repeat", str(reps)],
                              capture_output=True, text=True, check=True)
        times[workers] = float(proc.stdout.strip().splitlines()[-1])
    return {"runs": 2 * reps, "serial_s": round(times[1], 3), "two_workers_s": round(times[2], 3),
            "speedup": round(times[1] / times[2], 2), "cpus": os.cpu_count()}


def markdown_table(doc: dict) -> str:
    """The figures of a benchmark JSON (``--json``) as the Markdown table README.md and
    docs/performance.md carry (``--markdown FILE`` prints it; tests/test_docs.py checks both pages)."""
    names = {"small": "small", "medium": "medium", "large": "large (5 campaigns)"}
    rows = ["| size | agents | targets | dial attempts | wall s | dials/s | peak MB | cost per dial (bare timeouts) |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, s in doc["sizes"].items():
        rows.append(f"| {names.get(name, name)} | {s['agents']:,} | {s['targets']:,} | {s['dials']:,} | {s['wall_s']:.2f} | "
                    f"{s['dials_per_s']:,.0f} | {s['peak_mem_mb']:.0f} | {s['cost_per_dial_in_timeouts']:.1f} |")
    sizes = doc["sizes"]
    if "small" in sizes and "large" in sizes:
        ratio = sizes["large"]["cost_per_dial_in_timeouts"] / sizes["small"]["cost_per_dial_in_timeouts"]
        rows.append("")
        rows.append(f"Cost per dial, large over small: x{ratio:.2f} (the wall time per dial, with the machine's "
                    "speed taken out).")
    if "parallel" in doc:
        p = doc["parallel"]
        rows.append(f"A sweep of {p['runs']} medium runs: {p['serial_s']:.1f} s serially, {p['two_workers_s']:.1f} s on "
                    f"2 worker processes (x{p['speedup']:.2f}).")
    return "\n".join(rows) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="small,medium,large")
    ap.add_argument("--repeat", type=int, default=3, help="runs per size; the median counts")
    ap.add_argument("--json", metavar="FILE")
    ap.add_argument("--no-parallel", action="store_true")
    ap.add_argument("--markdown", metavar="JSON", help="print the Markdown table of a benchmark JSON (e.g. benchmarks/last.json) and exit")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--parallel-child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.markdown:
        print(markdown_table(json.loads(Path(args.markdown).read_text())), end="")
        return 0
    if args.parallel_child:
        print(parallel_child(args.parallel_child, args.repeat))
        return 0
    if args.child:
        print(json.dumps(child(args.child, args.repeat)))
        return 0
    sizes = {}
    for size in args.sizes.split(","):
        proc = subprocess.run([sys.executable, __file__, "--child", size, "--repeat", str(args.repeat)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            return 1
        sizes[size] = json.loads(proc.stdout.strip().splitlines()[-1])
    doc = {"sizes": sizes}
    if not args.no_parallel:
        doc["parallel"] = parallel(reps=max(args.repeat, 8))
    doc["python"] = sys.version.split()[0]
    print(f"{'size':8} {'agents':>7} {'targets':>10} {'dials':>8} {'wall s':>8} {'dials/s':>9} {'peak MB':>8} {'cost/dial':>10}")
    for name, s in sizes.items():
        print(f"{name:8} {s['agents']:>7} {s['targets']:>10,} {s['dials']:>8,} {s['wall_s']:>8.2f} {s['dials_per_s']:>9,.0f} "
              f"{s['peak_mem_mb']:>8.0f} {s['cost_per_dial_in_timeouts']:>10.1f}")
    if len(sizes) > 1:
        names = list(sizes)
        base = sizes[names[0]]
        for n in names[1:]:
            s = sizes[n]
            print(f"  {n} / {names[0]}: dials x{s['dials'] / base['dials']:.1f}, wall x{s['wall_s'] / base['wall_s']:.1f}, "
                  f"cost per dial x{s['cost_per_dial_in_timeouts'] / base['cost_per_dial_in_timeouts']:.2f}")
    print(f"bare SimPy: {sizes[next(iter(sizes))]['bare_timeouts_per_s']:,.0f} timeouts/s "
          "(cost/dial = wall per dial in units of one bare timeout)")
    if "parallel" in doc:
        p = doc["parallel"]
        print(f"sweep of {p['runs']} runs: serial {p['serial_s']:.2f} s, 2 workers {p['two_workers_s']:.2f} s, speed-up x{p['speedup']}")
    if args.json:
        Path(args.json).write_text(json.dumps(doc, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
