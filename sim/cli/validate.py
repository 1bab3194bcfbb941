"""``pacing-sim validate SCENARIO...``: report every problem of the files, run nothing."""

from __future__ import annotations

import argparse
import sys

from sim.cli.common import EXIT_INPUT, EXIT_OK, add_targets_option
from sim.scenario import ScenarioError, load_scenario


def add_parser(sub) -> None:
    p = sub.add_parser("validate", help="validate scenario files, report every problem, run nothing")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO")
    p.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", dest="overrides")
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
