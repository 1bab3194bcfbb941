"""The ``tune``, ``baseline`` and ``check`` commands (registered through ``sim.cli.EXTRA_COMMANDS``).

Exit codes as for every command: 0 done (a level found, no change); 1 no level satisfies the
constraint, a significant change, or runs failed; 2 the input cannot be used (a bad scenario or
option, a baseline that is missing, corrupt or made for other service levels or metrics).
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from sim import cli
from sim.cli import EXIT_FAIL, EXIT_OK, InputError, add_executor_options, add_scenario_options, jsonable


def parse_rate(text: str) -> float:
    """``0.03`` or ``3%``."""
    t = text.strip()
    try:
        value = float(t[:-1]) / 100 if t.endswith("%") else float(t)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a rate such as 0.03 or 3%; got {text!r}") from None
    if not (0 <= value <= 1) or math.isnan(value):
        raise argparse.ArgumentTypeError(f"expected a rate from 0 to 1 (0.03) or a percentage (3%); got {text!r}")
    return value


def parse_range(text: str) -> tuple[int | None, int | None]:
    """``LOW:HIGH``, ``LOW:`` or ``:HIGH`` (integers of 0 or more)."""
    if ":" not in text:
        raise argparse.ArgumentTypeError(f"expected LOW:HIGH, LOW: or :HIGH, e.g. 50:2000; got {text!r}")
    lo_s, hi_s = (p.strip() for p in text.split(":", 1))
    for p in (lo_s, hi_s):
        if p and not p.isdigit():
            raise argparse.ArgumentTypeError(f"expected service levels as integers of 0 or more, e.g. 50:2000; got {text!r}")
    lo, hi = (int(lo_s) if lo_s else None), (int(hi_s) if hi_s else None)
    if lo is not None and hi is not None and hi < lo:
        raise argparse.ArgumentTypeError(f"the range's high end is below its low end: {text!r}")
    return lo, hi


def parse_metrics(text: str) -> list[str]:
    from sim.metrics import METRICS

    names = [m.strip() for m in text.split(",") if m.strip()]
    bad = [m for m in names if m not in METRICS]
    if bad or not names:
        raise argparse.ArgumentTypeError(f"unknown metric(s) {', '.join(bad) or text!r}; expected some of {', '.join(METRICS)}")
    return names


def _scenario(args: argparse.Namespace):
    path = args.scenario or cli.default_scenario_path()
    return cli.load_all([path], args)[0]


def _warn(msg: str) -> None:
    print(f"warning: {msg}", file=sys.stderr)


# --------------------------------------------------------------------------- tune


def cmd_tune(args: argparse.Namespace) -> int:
    from sim.tune import RunsFailed, TuneError, tune

    scn = _scenario(args)
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


def _ci(s: dict, pct: bool = False) -> str:
    if not s or s.get("n", 0) == 0 or s["mean"] is None or math.isnan(s["mean"]):
        return "undefined"
    k = 100.0 if pct else 1.0
    d = 2 if pct else 1
    if s["n"] < 2 or math.isnan(s["ci_low"]):
        return f"{s['mean'] * k:.{d}f}"
    return f"{s['mean'] * k:.{d}f} [{s['ci_low'] * k:.{d}f}, {s['ci_high'] * k:.{d}f}]"


PCT = {"occupancy", "talk_utilization", "abandon_rate", "abandon_rate_regulatory", "answer_rate", "list_penetration"}


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
            lines.append(f"  {m:<26} {_ci(s, m in PCT)}")
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
                     e["constraint_metric"]: _ci(e["constraint"], True),
                     e["objective_metric"]: _ci(e["objective"], e["objective_metric"] in PCT)})
    lines.append(pd.DataFrame(rows).to_string(index=False))
    for note in res.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- baseline and check


def cmd_baseline(args: argparse.Namespace) -> int:
    from sim.baseline import make_baseline, run_experiment, write_baseline

    from pathlib import Path

    if Path(args.output).is_dir():
        raise InputError(f"{args.output}: is a folder; give the baseline file to write, e.g. {args.output}/baseline.json")
    scn = _scenario(args)
    try:
        values = run_experiment(scn, workers=args.workers, executor=args.executor, scheduler=args.scheduler)
    except RuntimeError as exc:
        print(f"pacing-sim: no baseline written: {exc}", file=sys.stderr)
        return EXIT_FAIL
    doc = make_baseline(scn, values, command=getattr(args, "argv", None) or ["pacing-sim", *sys.argv[1:]])
    try:
        path = write_baseline(doc, args.output)
    except OSError as exc:
        raise InputError(f"{args.output}: cannot write the baseline: {exc.strerror or exc}") from None
    print(f"wrote {path}: {scn.name}, service levels {','.join(map(str, values))}, "
          f"{scn.replications} replications each, seed {scn.seed}, scenario {doc['scenario']['hash'][:19]}")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from sim.baseline import BaselineError, compare, read_baseline, run_experiment
    from sim.metrics import HEADLINE

    try:
        base = read_baseline(args.baseline)
    except BaselineError as exc:
        raise InputError(str(exc)) from None
    scn = _scenario(args)
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
        _warn(w)
    if args.junit_xml:
        from pathlib import Path

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


# --------------------------------------------------------------------------- registration


def register(sub) -> None:
    from sim.baseline import ALPHA, CORRECTIONS, TESTS
    from sim.tune import CONSTRAINT_METRICS, OBJECTIVES

    p = sub.add_parser("tune", help="find the service level with the best objective within an abandon limit",
                       description="Find the service level with the most throughput (or occupancy) whose abandon "
                                   "rate's upper 95 % confidence bound stays within the limit. Widens upward until "
                                   "the constraint binds, then bisects where it binds, adding replications where "
                                   "the decision is not clear. --service-levels gives the first levels to try "
                                   "(default 0, 25, 50, 100, ... doubling). Exit 0: a level found; 1: none "
                                   "satisfies the constraint; 2: bad input.")
    p.add_argument("scenario", nargs="?", metavar="SCENARIO", help="scenario file (default: the bundled default)")
    p.add_argument("--max-abandon", type=parse_rate, default=0.03, metavar="RATE",
                   help="the limit on the constraint metric's upper 95 %% bound: 0.03 or 3%% (default 0.03)")
    p.add_argument("--metric", choices=CONSTRAINT_METRICS, default="abandon_rate", help="the constrained metric")
    p.add_argument("--min-occupancy", type=parse_rate, metavar="SHARE",
                   help="also require occupancy's lower 95 %% bound to reach this (e.g. 0.7)")
    p.add_argument("--objective", choices=OBJECTIVES, default="throughput_per_hour", help="what to maximise")
    p.add_argument("--range", type=parse_range, metavar="LOW:HIGH",
                   help="bound the search, e.g. 50:2000 (default 0: and widen upward)")
    p.add_argument("--max-replications", type=cli.positive_int, metavar="N",
                   help="most replications for an undecided level (default 4x --replications)")
    p.add_argument("--budget", type=cli.positive_int, metavar="RUNS", help="most runs in all (default 50x --replications)")
    p.add_argument("--tolerance", type=cli.positive_int, default=1, metavar="LEVELS",
                   help="stop bisecting when the bracket is this narrow (default 1: the exact integer level)")
    add_scenario_options(p)
    add_executor_options(p)
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--verbose", "-v", action="store_true", help="show each evaluation on stderr")
    p.set_defaults(func=cmd_tune)

    p = sub.add_parser("baseline", help="run the experiment and store its summary statistics as a baseline",
                       description="Run the scenario's experiment and write a baseline (JSON): per service level "
                                   "and metric the mean, variance, n and per-replication values; seed; versions; "
                                   "the resolved scenario and its hash.")
    p.add_argument("scenario", nargs="?", metavar="SCENARIO", help="scenario file (default: the bundled default)")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="the baseline file to write")
    add_scenario_options(p)
    add_executor_options(p)
    p.set_defaults(func=cmd_baseline)

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
    p.set_defaults(func=cmd_check)


if register not in cli.EXTRA_COMMANDS:
    cli.EXTRA_COMMANDS.append(register)
