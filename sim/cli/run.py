"""``pacing-sim run``: run the experiment of one or more scenarios; print a table, JSON or CSV."""

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
    default_scenario_path,
    load_all,
)
from sim.format import CUT_NOTE, jsonable, summary_interval


def add_parser(sub) -> None:
    p = sub.add_parser(
        "run", help="run the experiment of one or more scenarios",
        description="Run a scenario's experiment: every service level of the sweep, each with the same random "
                    "numbers, a number of replications each. Prints a table (a row per service level, each "
                    "metric as mean ± half-width of its 95 %% interval, rates in percent), or JSON/CSV for "
                    "programs (rates as fractions). Exit 0: done; 1: runs failed (each named); 2: bad input.",
        epilog="""examples:
  pacing-sim run                                          # the bundled default scenario
  pacing-sim run my-campaign.yaml --service-levels 50,100,200 --replications 20
  pacing-sim run my-campaign.yaml --set agents.0.count=30 --format json
  pacing-sim run my-campaign.yaml --out results/mine      # tables, plots, report.html; resumable""",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenarios", nargs="*", metavar="SCENARIO", help="scenario files or folders (default: the bundled default scenario)")
    add_scenario_options(p)
    add_executor_options(p)
    p.add_argument("--format", choices=("table", "json", "csv"), default="table",
                   help="table: for people, rates in percent (default); json: one object, rates as fractions "
                        "(docs/results.md); csv: summary.csv's rows")
    p.add_argument("--out", metavar="DIR", help="write the results folder (tables, plots, report) to DIR; an "
                   "interrupted sweep resumes from DIR.partial when run again")
    p.add_argument("--force", action="store_true", help="replace an existing --out folder (once the new one is complete)")
    p.add_argument("--voipbin-records", action="store_true",
                   help="with --out: also write each run's calls as VoIPbin records (calls, campaigncalls, queuecalls, "
                   "and the configuration) in DIR/voipbin/<scenario>/sl<SL>-r<R>/, for pacing-sim fit and import")
    add_verdict_options(p)
    p.set_defaults(func=handle)


def add_verdict_options(p) -> None:
    """The verdict's constraint, as ``tune`` takes it."""
    from sim.cli.common import parse_rate
    from sim.verdict import CONSTRAINT_METRICS, DEFAULT_METRIC

    g = p.add_argument_group("verdict", "which service level of the sweep to run: the most conversations an hour "
                             "whose constraint metric's upper 95 % bound is within the limit")
    g.add_argument("--max-abandon", type=parse_rate, metavar="RATE",
                   help="the limit: 0.03 or 3%% (default: the scenario's regulatory.max_abandon, 3 %%)")
    g.add_argument("--metric", choices=CONSTRAINT_METRICS, default=DEFAULT_METRIC,
                   help="the constrained metric (default %(default)s)")
    g.add_argument("--min-occupancy", type=parse_rate, metavar="SHARE",
                   help="also require occupancy's lower 95 %% bound to reach this (e.g. 0.7)")


def verdict_options(args: argparse.Namespace) -> dict:
    return {"metric": getattr(args, "metric", None), "limit": getattr(args, "max_abandon", None),
            "min_occupancy": getattr(args, "min_occupancy", None)}


def handle(args: argparse.Namespace) -> int:
    from sim.experiment import WorkerLost
    from sim.experiment import run as run_sweep
    from sim.results import ResultsFolderError, partial_path

    paths = args.scenarios or [default_scenario_path()]
    out = args.out
    executor = args.executor
    if args.scheduler and executor is None:
        executor = "dask"
    if args.scheduler and executor != "dask":
        raise InputError(f"--scheduler is a Dask scheduler address; it needs --executor dask, not {executor}")
    if args.voipbin_records and out is None:
        raise InputError("--voipbin-records writes into the results folder: give --out DIR")
    if out is not None:
        from sim.results import check_target

        try:
            check_target(out, force=args.force)  # before any work, not after it
        except ResultsFolderError as exc:
            raise InputError(str(exc).replace("force=True", "--force")) from None
    scenarios = load_all(paths, args)
    try:
        result = run_sweep(scenarios, workers=args.workers, executor=executor, scheduler=args.scheduler, out=out,
                           force=args.force, progress=True, command=getattr(args, "argv", None),
                           voipbin_records=args.voipbin_records, raise_on_failure=False,
                           verdict=verdict_options(args))
    except ResultsFolderError as exc:
        raise InputError(str(exc).replace("force=True", "--force")) from None
    except (KeyboardInterrupt, WorkerLost) as exc:
        if out is not None:
            print(f"pacing-sim: the finished runs are kept in {partial_path(out)}; run the same command again to "
                  "resume without running them again", file=sys.stderr)
        if isinstance(exc, KeyboardInterrupt):
            raise
        print(f"pacing-sim: {exc}", file=sys.stderr)
        return EXIT_FAIL
    emit(result, args.format)
    if out is not None:
        print(f"pacing-sim: results written to {out} (report: {Path(out) / 'report.html'})", file=sys.stderr)
    code = report_failures(result)
    if code and out is not None:
        print(f"pacing-sim: the finished runs are kept in {partial_path(out)}; the same command with --force runs "
              "only the failed ones again", file=sys.stderr)
    return code


# --------------------------------------------------------------------------- output


def result_json(result, scenario_index: int = 0) -> dict:
    """The contract's JSON: every metric of its table, then the counts behind the rates."""
    from sim.registry import ALL

    from sim.abandons import CAUSES

    scn = result.scenarios[scenario_index]
    summary = result.metric_summary(scenario_index)
    reps = max((t.replication for t in result.tasks if t.scenario == scenario_index), default=-1) + 1

    def causes(ms: dict) -> dict:
        """Mean count per replication of each cause, for each abandon count."""
        return {count: {c: ms[f"{count}_{c}"]["mean"] for c in CAUSES} for count in ("abandoned", "abandoned_regulatory")}

    return jsonable({
        "scenario": scn.name,
        "seed": scn.seed,
        "replications": reps,
        "verdict": result.verdict(scenario_index),
        "results": [
            {"service_level": sl, "metrics": {m: summary[sl][m] for m in [*ALL, *(k for k in summary[sl] if k not in ALL)]},
             "causes": causes(summary[sl])}
            for sl in summary
        ],
    })


def result_table(result) -> str:
    """A table per scenario: a row per service level, the registry's table columns as mean ± half-width."""
    import pandas as pd

    from sim import registry

    lines = []
    for si, scn in enumerate(result.scenarios):
        summary = result.metric_summary(si)
        reps = max((t.replication for t in result.tasks if t.scenario == si), default=-1) + 1
        rules = registry.regulatory(scn)
        rows = []
        for sl, ms in summary.items():
            row = {"SL": sl}
            for m in registry.TABLE:
                row[m.heading(rules)] = summary_interval(ms[m.name], spec=f".{m.digits}f", scale=m.scale,
                                                         bounds=m.bounds)
            rows.append(row)
        prof = scn.engine.profile
        lines += verdict_lines(result.verdict(si))
        cut = any("[" in str(v) for row in rows for v in row.values())
        lines.append(f"{scn.name}: {reps} replications per service level, seed {scn.seed}, engine profile {prof}; "
                     "mean ± half-width of the 95 % interval")
        lines.append(pd.DataFrame(rows).to_string(index=False) if rows else "(no finished runs)")
        if cut:
            lines.append(CUT_NOTE)
        if rows:  # what the heading on the regulators' clock measures, from the scenario's regulatory block
            lines += registry.footnotes(registry.TABLE, rules)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def run_json(result) -> dict:
    """``--format json``: one shape whatever the number of scenarios. ``scenarios`` lists one
    object per scenario (``scenario``, ``seed``, ``replications``, ``results``); the first
    scenario's keys are also at the top, so a script written for one scenario
    (``doc["results"]``) reads the same output as before."""
    each = [result_json(result, i) for i in range(len(result.scenarios))]
    return {**each[0], "scenarios": each}


def verdict_lines(v: dict) -> list[str]:
    """The verdict as the table output's first lines: the answer, then the reason, wrapped."""
    import textwrap

    sl = v["recommended_service_level"]
    head = (f"VERDICT: run service level {sl}" if sl is not None else "VERDICT: no service level of the sweep qualifies")
    limit = f"{v['limit'] * 100:g} %"
    head += f" ({v['metric']} upper 95 % bound <= {limit}"
    head += f", occupancy lower bound >= {v['min_occupancy'] * 100:g} %)" if v.get("min_occupancy") is not None else ")"
    marks = "  ".join(f"{e['service_level']} {'pass' if e['passes'] else 'fail'}" for e in v["levels"])
    return [head, *textwrap.wrap(v["reason"], 100, break_on_hyphens=False), f"levels: {marks}", ""]


def emit(result, fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(run_json(result), indent=2))
    elif fmt == "csv":
        sys.stdout.write(result.summary.to_csv(index=False))
    else:
        sys.stdout.write(result_table(result))


def report_failures(result) -> int:
    failed = result.failures
    if not failed:
        return EXIT_OK
    for o in failed:
        t = o.task
        first = (o.error or "").splitlines()[0]
        print(f"run failed: scenario {result.scenarios[t.scenario].name}, service level {t.service_level}, "
              f"replication {t.replication}: {first}", file=sys.stderr)
    print(f"{len(failed)} of {len(result.outputs)} runs failed", file=sys.stderr)
    return EXIT_FAIL
