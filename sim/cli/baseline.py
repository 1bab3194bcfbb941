"""``pacing-sim baseline``: run the experiment and store its summary statistics as a baseline."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.cli.common import EXIT_FAIL, EXIT_OK, InputError, add_executor_options, add_scenario_options, one_scenario


def add_parser(sub) -> None:
    p = sub.add_parser("baseline", help="run the experiment and store its summary statistics as a baseline",
                       description="Run the scenario's experiment and write a baseline (JSON): per service level "
                                   "and metric the mean, variance, n and per-replication values; seed; versions; "
                                   "the resolved scenario and its hash. check runs the same experiment against it.",
                       epilog="""examples:
  mkdir -p baselines && pacing-sim baseline my-campaign.yaml -o baselines/my-campaign.json
  pacing-sim baseline my-campaign.yaml -o baselines/my-campaign.json --force --replications 20""",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", nargs="?", metavar="SCENARIO", help="scenario file (default: the bundled default)")
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="the baseline file to write (its folder must exist; an existing file needs --force)")
    p.add_argument("--force", action="store_true", help="replace an existing baseline file")
    add_scenario_options(p)
    add_executor_options(p)
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from sim.baseline import make_baseline, run_experiment, write_baseline
    from sim.results import ResultsFolderError, check_output_file

    try:
        check_output_file(args.output)  # before the runs: never a device, a link or a folder
    except ResultsFolderError as exc:
        raise InputError(str(exc)) from None
    out = Path(args.output)
    if not out.parent.is_dir():
        raise InputError(f"{args.output}: the folder {out.parent} does not exist; create it first (mkdir -p {out.parent})")
    if out.exists() and not args.force:
        raise InputError(f"{args.output} already exists; pass --force to replace it, or choose another file")
    scn = one_scenario(args)
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
