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


def add_parser(sub) -> None:
    from sim.baseline import ALPHA, CORRECTIONS, TESTS

    p = sub.add_parser("check", help="run the experiment again and test for a significant change against a baseline",
                       description="Run the same experiment and test each headline metric at each service level "
                                   "for a change against the baseline (paired t-test with the baseline's seed, "
                                   "Welch t-test with another), corrected over all metrics and levels so that the "
                                   "chance of any false alarm is --alpha (max-T permutation) or at most --alpha "
                                   "(Holm). Exit 0: no change; 1: a change; 2: cannot compare.")
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
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from sim.baseline import BaselineError, compare, read_baseline, run_experiment
    from sim.registry import HEADLINE

    try:
        base = read_baseline(args.baseline)
    except BaselineError as exc:
        raise InputError(str(exc)) from None
    scn = one_scenario(args)
    base_levels = sorted(r["service_level"] for r in base["results"])
    if sorted(scn.sweep_levels()) != base_levels:
        raise InputError(f"{args.baseline}: cannot compare: the baseline has service levels "
                         f"{','.join(map(str, base_levels))}, this run {','.join(map(str, scn.sweep_levels()))} "
                         f"(use --service-levels {','.join(map(str, base_levels))}, or make a new baseline)")
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
