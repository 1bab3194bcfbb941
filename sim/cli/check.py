"""``pacing-sim check``: run the experiment again and test for a significant change against a baseline.

Exit 0: no significant change; 1: a change (each named), or runs failed; 2: cannot compare.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sim.cli.common import (
    EXIT_FAIL,
    EXIT_OK,
    InputError,
    add_executor_options,
    add_scenario_options,
    one_scenario,
    parse_metrics,
    parse_rate,
    warn,
)
from sim.format import jsonable


EXAMPLE = """examples:
  pacing-sim baseline my-campaign.yaml -o baselines/my-campaign.json
  pacing-sim check my-campaign.yaml --baseline baselines/my-campaign.json --junit-xml reports/pacing.xml
  pacing-sim check my-campaign.yaml --baseline baselines/my-campaign.json --seed 7   # independent runs (Welch)"""


def add_parser(sub) -> None:
    from sim.baseline import ALPHA, CORRECTIONS, TESTS

    p = sub.add_parser("check", help="run the experiment again and test for a significant change against a baseline",
                       description="Run the baseline's experiment again (its horizon, warm-up, service levels and "
                                   "replications, read from the baseline; an option that contradicts them is exit 2) "
                                   "and test each headline metric at each service level "
                                   "for a change against the baseline (paired t-test with the baseline's seed, "
                                   "Welch t-test with another), corrected over all metrics and levels so that the "
                                   "chance of any false alarm is --alpha (max-T permutation) or at most --alpha "
                                   "(Holm). Exit 0: no change; 1: a change; 2: cannot compare.",
                       epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", nargs="?", metavar="SCENARIO", help="scenario file (default: the bundled default)")
    p.add_argument("--baseline", required=True, metavar="FILE", help="a file written by pacing-sim baseline")
    p.add_argument("--alpha", type=parse_rate, default=ALPHA, metavar="RATE",
                   help="family-wise false-alarm rate over all metrics and levels (default 0.05)")
    p.add_argument("--test", choices=TESTS, default="auto",
                   help="auto: paired with the baseline's seed, Welch with another (default)")
    p.add_argument("--correction", choices=CORRECTIONS, default="auto",
                   help="for the family of tests: max-T permutation (independent runs) or Holm; auto picks "
                        "max-T for Welch with enough replications, Holm otherwise")
    p.add_argument("--metrics", type=parse_metrics, metavar="M,M,...",
                   help="metrics to test (default the headline metrics)")
    p.add_argument("--junit-xml", metavar="FILE", help="also write a JUnit report (a test case per metric and level)")
    p.add_argument("--changes-only", action="store_true", help="list only what moved")
    add_scenario_options(p)
    add_executor_options(p)
    p.add_argument("--format", choices=("table", "json"), default="table",
                   help="table: for people, rates in percent; json: for programs, rates as fractions")
    p.set_defaults(func=handle)


def _told_warmup(args: argparse.Namespace) -> bool:
    return any(o.split("=", 1)[0].strip() == "warmup" for o in args.overrides)


def baseline_experiment(scn, base: dict, args: argparse.Namespace):
    """The scenario with the baseline's experiment: its horizon, warm-up, service levels and
    replications, unless an option says otherwise. An option that contradicts the baseline's
    horizon, warm-up or levels is an error (the metrics would measure something else); other
    replications are allowed (the tests use what there is)."""
    from sim.format import duration
    from sim.scenario.edit import with_overrides

    content = (base.get("scenario") or {}).get("content") or {}
    levels = sorted(r["service_level"] for r in base["results"])
    told = {"horizon": args.horizon is not None, "warmup": _told_warmup(args),
            "service_levels": bool(args.service_levels), "replications": args.replications is not None}
    want = {"horizon": content.get("horizon"), "warmup": content.get("warmup"), "service_levels": levels,
            "replications": base.get("replications")}
    have = {"horizon": scn.horizon, "warmup": scn.warmup, "service_levels": sorted(scn.sweep_levels()),
            "replications": scn.replications}
    option = {"horizon": "--horizon", "warmup": "--set warmup=...", "service_levels": "--service-levels"}
    label = {"horizon": "horizon", "warmup": "warm-up", "service_levels": "service levels"}
    show = {"horizon": duration, "warmup": duration, "service_levels": lambda v: ",".join(map(str, v))}
    updates = {}
    for key, value in want.items():
        if value is None or have[key] == value:
            continue
        if told[key] and key != "replications":
            raise InputError(f"{args.baseline}: cannot compare: the baseline ran {label[key]} {show[key](value)}, and "
                             f"{option[key]} asks for {show[key](have[key])}; drop {option[key]} (check runs the "
                             "baseline's experiment), or make a new baseline")
        if not told[key]:
            updates[key] = value
    if updates:
        scn = with_overrides(scn, {k: (list(v) if isinstance(v, list) else v) for k, v in updates.items()})
    return scn


def handle(args: argparse.Namespace) -> int:
    from sim.baseline import BaselineError, compare, read_baseline, run_experiment
    from sim.registry import HEADLINE

    try:
        base = read_baseline(args.baseline)
    except BaselineError as exc:
        raise InputError(str(exc)) from None
    scn = baseline_experiment(one_scenario(args), base, args)
    metrics = args.metrics or list(HEADLINE)
    if not 0 < args.alpha < 1:
        raise InputError(f"--alpha must be above 0 and below 1; got {args.alpha:g}")
    try:
        values = run_experiment(scn, workers=args.workers, executor=args.executor, scheduler=args.scheduler)
        report = compare(base, scn, values, metrics=metrics, alpha=args.alpha, test=args.test,
                         correction=args.correction, baseline_file=args.baseline)
    except (BaselineError, ValueError) as exc:
        raise InputError(str(exc)) from None
    except RuntimeError as exc:
        print(f"pacing-sim: check failed: {exc}", file=sys.stderr)
        return EXIT_FAIL
    for w in report.warnings:
        warn(w)
    if args.junit_xml:
        try:
            Path(args.junit_xml).parent.mkdir(parents=True, exist_ok=True)
            Path(args.junit_xml).write_text(report.junit_xml())
        except OSError as exc:
            raise InputError(f"{args.junit_xml}: cannot write the JUnit report: {exc.strerror or exc}") from None
    if args.format == "json":
        print(json.dumps(jsonable(report.to_dict()), indent=2))
    else:
        sys.stdout.write(report.text(all_rows=not args.changes_only))
    return EXIT_OK if report.passed else EXIT_FAIL
