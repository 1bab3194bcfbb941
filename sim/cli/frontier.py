"""``pacing-sim frontier``: VoIPbin's rule against the dialers the industry runs, on the same calls.

Exit 0: done; 1: runs failed; 2: bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from sim.cli.common import (
    EXIT_FAIL,
    EXIT_OK,
    InputError,
    add_executor_options,
    add_scenario_options,
    one_scenario,
    parse_rate,
    positive_int,
)
from sim.format import jsonable


def _policies(text: str) -> list[str]:
    from sim.engine.pacing import POLICIES

    names = [p.strip() for p in text.split(",") if p.strip()]
    bad = [p for p in names if p not in POLICIES]
    if bad or not names:
        raise argparse.ArgumentTypeError(f"expected policies from {', '.join(POLICIES)} separated by commas; "
                                         f"got {text!r}")
    return names


def add_parser(sub) -> None:
    p = sub.add_parser(
        "frontier", help="compare VoIPbin's pacing rule with the dialers the industry runs",
        description="Sweep each pacing policy's knob (VoIPbin's service level; the ratio dialer's level; the "
                    "adaptive and predictive dialers' targets) on common random numbers, and give per policy the "
                    "curve of throughput and occupancy against the regulatory abandon rate and the best throughput "
                    "it reaches within the cap, found as tune finds a service level. --switches also flips each "
                    "engine switch of VoIPbin's code to its documented value, one at a time: which single change "
                    "to VoIPbin recovers the most.",
        epilog="""examples:
  pacing-sim frontier                                          # the bundled default, every policy
  pacing-sim frontier my-campaign.yaml --replications 10 --workers 2 --out results/frontier
  pacing-sim frontier my-campaign.yaml --policies voipbin,ratio,predictive --max-abandon 3% --format json
  pacing-sim frontier my-campaign.yaml --switches              # which single change to VoIPbin helps most""",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", nargs="?", metavar="SCENARIO", help="scenario file (default: the bundled default)")
    p.add_argument("--policies", type=_policies, metavar="P,P",
                   help="the policies to compare (default all: voipbin,documented,progressive,ratio,adaptive,predictive)")
    p.add_argument("--max-abandon", type=parse_rate, metavar="RATE",
                   help="the cap on the constraint metric's upper 95 %% bound (default: the scenario's regulatory cap, 3 %%)")
    p.add_argument("--metric", choices=("abandon_rate_regulatory", "abandon_rate"), default="abandon_rate_regulatory",
                   help="the constrained metric (default abandon_rate_regulatory)")
    p.add_argument("--max-replications", type=positive_int, metavar="N",
                   help="most replications for an undecided point (default 4x --replications)")
    p.add_argument("--switches", action="store_true",
                   help="also evaluate each VoIPbin engine switch flipped to its documented value")
    p.add_argument("--out", metavar="DIR", help="write the results folder (frontier.csv, plots/frontier.png, report.html)")
    p.add_argument("--force", action="store_true", help="replace an existing results folder DIR")
    add_scenario_options(p)
    add_executor_options(p)
    p.add_argument("--format", choices=("table", "json"), default="table",
                   help="table (for people, rates in %%) or json (rates as fractions)")
    p.add_argument("--verbose", "-v", action="store_true", help="show each policy's search on stderr")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from sim.policy_frontier import FrontierError, frontier, write
    from sim.results.paths import ResultsFolderError, check_target

    scn = one_scenario(args)
    if args.out:
        try:
            check_target(args.out, force=args.force)
        except ResultsFolderError as exc:
            raise InputError(str(exc)) from None
    log = (lambda msg: print(msg, file=sys.stderr)) if args.verbose else None
    t0 = time.time()
    try:
        res = frontier(scn, policies=args.policies, max_abandon=args.max_abandon, metric=args.metric,
                       replications=args.replications, max_replications=args.max_replications,
                       switches=args.switches, workers=args.workers, executor=args.executor,
                       scheduler=args.scheduler, log=log)
    except FrontierError as exc:
        raise InputError(str(exc)) from None
    except RuntimeError as exc:
        print(f"pacing-sim: {exc}", file=sys.stderr)
        return EXIT_FAIL
    if args.out:
        try:
            write(res, args.out, scenario=scn, force=args.force, command=args.argv, wall_seconds=time.time() - t0)
        except (ResultsFolderError, OSError) as exc:
            raise InputError(f"cannot write {args.out}: {exc}") from None
    if args.format == "json":
        print(json.dumps(jsonable(res.to_dict()), indent=2))
    else:
        sys.stdout.write(frontier_text(res))
    return EXIT_OK


def frontier_text(res) -> str:
    import math

    lines = [res.headline(), ""]
    from sim import registry
    from sim.format import clip

    constraint = registry.get(res.metric)
    lines.append(f"best within the cap ({constraint.title(res.rules)}: upper 95 % bound <= {res.cap * 100:g} %; "
                 "rates in %):")
    rows = []
    for _, r in res.best_table().iterrows():
        tp = r.get("throughput_per_hour")
        found = isinstance(tp, float) and not math.isnan(tp)
        knob = r["knob"]
        rows.append([r["policy"], (r["knob_name"] or "-") + ("" if knob is None or (isinstance(knob, float) and math.isnan(knob)) else f" {knob:g}"),
                     f"{tp:.1f} [{r['throughput_per_hour_ci_low']:.1f}, {r['throughput_per_hour_ci_high']:.1f}]" if found else "none qualifies",
                     f"{r['occupancy'] * 100:.1f}" if found else "",
                     f"{r[res.metric] * 100:.2f} (<= {clip(None, r[res.metric + '_ci_high'], constraint.bounds)[1] * 100:.2f})" if found else "",
                     f"{(r.get('vs_voipbin') or 0) * 100:+.1f}" if found and "vs_voipbin" in r and r.get("vs_voipbin") == r.get("vs_voipbin") else "",
                     str(int(r["runs"]))])
    head = ["policy", "knob", "conv/h [95 %]", "occupancy %", constraint.heading(res.rules), "vs voipbin %", "runs"]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    for row in [head, *rows]:
        lines.append("  ".join(str(x).ljust(w) for x, w in zip(row, widths)).rstrip())
    lines += registry.footnotes([constraint], res.rules)
    lines.append(f"upper bound (every agent talking all the time): {res.upper_bound:.0f} conversations an hour")
    if res.switches:
        lines.append("")
        lines.append("each VoIPbin switch flipped to its documented value (VoIPbin's rule tuned again):")
        for s in res.switches:
            tp = s.get("throughput_per_hour")
            lines.append(f"  {s['switch']} = {s['value']}: " + (
                "no service level qualifies" if tp is None else
                f"SL {s['service_level']}, {tp:.1f} conv/h" + (
                    f" ({s['vs_voipbin'] * 100:+.1f} % vs as coded)" if s.get("vs_voipbin") is not None else "")))
    return "\n".join(lines) + "\n"
