"""``pacing-sim tune``: the service level with the best objective within an abandon limit.

Exit 0: a level found; 1: no level satisfies the constraint, or runs failed; 2: bad input.
"""

from __future__ import annotations

import argparse
import json
import sys

from sim.cli.common import (
    EXIT_FAIL,
    EXIT_OK,
    InputError,
    add_executor_options,
    add_scenario_options,
    one_scenario,
    parse_range,
    parse_rate,
    positive_int,
)
from sim import registry
from sim.format import jsonable, summary_interval


def add_parser(sub) -> None:
    from sim.tune import CONSTRAINT_METRICS, OBJECTIVES

    p = sub.add_parser("tune", help="find the service level with the best objective within an abandon limit",
                       description="Find the service level with the most throughput (or occupancy) whose abandon "
                                   "rate's upper 95 % confidence bound stays within the limit. Widens upward until "
                                   "the constraint binds, then bisects where it binds, adding replications where "
                                   "the decision is not clear. --service-levels gives the first levels to try "
                                   "(default 0, 25, 50, 100, ... doubling). Exit 0: a level found; 1: none "
                                   "satisfies the constraint; 2: bad input. Rates: 0.03 or 3%%.",
                       epilog="""examples:
  pacing-sim tune my-campaign.yaml --max-abandon 3%
  pacing-sim tune my-campaign.yaml --max-abandon 3% --metric abandon_rate_regulatory --range 50:2000
  pacing-sim tune my-campaign.yaml --max-abandon 0.03 --min-occupancy 0.7 --objective occupancy --format json""",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", nargs="?", metavar="SCENARIO", help="scenario file (default: the bundled default)")
    p.add_argument("--max-abandon", type=parse_rate, metavar="RATE",
                   help="the limit on the constraint metric's upper 95 %% bound: 0.03 or 3%% (default: the scenario's "
                        "regulatory.max_abandon, 3 %%)")
    p.add_argument("--metric", choices=CONSTRAINT_METRICS, default="abandon_rate_regulatory",
                   help="the constrained metric (default %(default)s: the regulators' clock)")
    p.add_argument("--min-occupancy", type=parse_rate, metavar="SHARE",
                   help="also require occupancy's lower 95 %% bound to reach this (e.g. 0.7)")
    p.add_argument("--objective", choices=OBJECTIVES, default="throughput_per_hour", help="what to maximise")
    p.add_argument("--range", type=parse_range, metavar="LOW:HIGH",
                   help="bound the search, e.g. 50:2000 (default 0: and widen upward)")
    p.add_argument("--max-replications", type=positive_int, metavar="N",
                   help="most replications for an undecided level (default 4x --replications)")
    p.add_argument("--budget", type=positive_int, metavar="RUNS", help="most runs in all (default 50x --replications)")
    p.add_argument("--tolerance", type=positive_int, default=1, metavar="LEVELS",
                   help="stop bisecting when the bracket is this narrow (default 1: the exact integer level)")
    add_scenario_options(p)
    add_executor_options(p)
    p.add_argument("--format", choices=("table", "json"), default="table",
                   help="table: for people, rates in percent (default); json: for programs, rates as fractions")
    p.add_argument("--verbose", "-v", action="store_true", help="show each evaluation on stderr")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from sim.experiment import RunsFailed
    from sim.tune import TuneError, tune

    scn = one_scenario(args)
    log = (lambda msg: print(msg, file=sys.stderr)) if args.verbose else None
    try:
        res = tune(scn, max_abandon=args.max_abandon, metric=args.metric, min_occupancy=args.min_occupancy,
                   objective=args.objective, range=args.range, replications=args.replications,
                   max_replications=args.max_replications, budget=args.budget, start=args.service_levels,
                   tolerance=args.tolerance,
                   workers=args.workers, executor=args.executor, scheduler=args.scheduler, log=log)
    except RunsFailed as exc:
        print(f"pacing-sim: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except TuneError as exc:
        raise InputError(str(exc)) from None
    if args.format == "json":
        print(json.dumps(jsonable(res.to_dict()), indent=2))
    else:
        sys.stdout.write(tune_text(res))
    if not res.found:
        print(f"pacing-sim: no service level satisfies the constraint ({res.runs} runs)", file=sys.stderr)
        return EXIT_FAIL
    return EXIT_OK


def _ci(s: dict, metric: str) -> str:
    """Mean [95 % interval]: rates in % with 2 decimals (the interval cut to [0, 100]), the rest with 1."""
    m = registry.get(metric)
    return summary_interval(s, spec=".2f" if m.percent else ".1f", scale=m.scale, brackets=True,
                            missing="undefined", bounds=m.bounds)


def tune_text(res) -> str:
    import pandas as pd

    c = res.constraint
    rule = f"{c['metric']}'s upper 95 % bound <= {c['max']:g}"
    if c.get("min_occupancy") is not None:
        rule += f" and occupancy's lower bound >= {c['min_occupancy']:g}"
    lines = []
    if res.found:
        lines.append(f"{res.scenario}: service level {res.service_level}: the highest {res.objective} with {rule}; "
                     f"{res.runs} runs" + ("" if res.clear else " (not every decision is statistically clear)"))
        lines.append("")
        lines.append(f"at {res.service_level} ({res.metrics[res.objective]['n']} replications; mean [95 % interval], "
                     "rates in %):")
        for m, s in res.metrics.items():
            lines.append(f"  {m:<26} {_ci(s, m)}")
        lines.append("")
        lines.append("neighbours ruled out:")
        for e in res.rejected:
            lines.append(f"  {e['service_level']}: {e['reason']}")
        if not res.rejected:
            lines.append("  (none evaluated)")
    else:
        lines.append(f"{res.scenario}: no service level satisfies {rule} ({res.runs} runs)")
    lines.append("")
    lines.append(f"levels evaluated ({len(res.evaluated)}), rates in %:")
    rows = []
    for e in res.evaluated:
        rows.append({"SL": e["service_level"], "n": e["n"], "status": e["status"] + (" *" if e["service_level"] == res.service_level else ""),
                     e["constraint_metric"]: _ci(e["constraint"], e["constraint_metric"]),
                     e["objective_metric"]: _ci(e["objective"], e["objective_metric"])})
    lines.append(pd.DataFrame(rows).to_string(index=False))
    for note in res.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines) + "\n"
