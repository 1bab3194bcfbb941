"""``pacing-sim validate SCENARIO...``: report every problem of the files, run nothing."""

from __future__ import annotations

import argparse
import sys

from sim.cli.common import EXIT_INPUT, EXIT_OK, add_targets_option
from sim.scenario import ScenarioError, load_scenario


def add_parser(sub) -> None:
    p = sub.add_parser("validate", help="validate scenario files, report every problem, run nothing",
                       description="Check scenario files without running them: every problem of every file, "
                                   "each with the file, the path inside it, the value found and what was expected. "
                                   "Exit 0: all valid; 2: problems (on stderr).",
                       epilog="examples:\n  pacing-sim validate my-campaign.yaml\n  pacing-sim validate scenarios/*.yaml"
                              "\n  pacing-sim validate my-campaign.yaml --set agents.0.count=30",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario files")
    p.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", dest="overrides",
                   help="set any scenario field by dotted path (list items by index), value as YAML; repeatable")
    add_targets_option(p)
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    problems = []
    for f in args.scenarios:
        try:
            scn = load_scenario(f, args.overrides, allow_outside_targets=args.allow_outside_targets)
            print(f"{f}: ok ({scn.name}: {len(scn.campaigns)} campaign(s), {sum(a.count for a in scn.agents)} agents, "
                  f"{len(scn.sweep_levels())} service level(s) x {scn.replications} replications)")
        except ScenarioError as exc:
            problems += exc.problems
    if problems:
        for p in problems:
            print(p, file=sys.stderr)
        return EXIT_INPUT
    return EXIT_OK
