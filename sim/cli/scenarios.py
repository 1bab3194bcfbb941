"""``pacing-sim scenarios``: list the bundled scenarios (``init --from`` takes any of them)."""

from __future__ import annotations

import argparse
import json

from sim.cli.common import EXIT_OK

EXAMPLE = """examples:
  pacing-sim scenarios
  pacing-sim init my-campaign --from small-team
  pacing-sim scenarios --format json"""


def add_parser(sub) -> None:
    p = sub.add_parser("scenarios", help="list the bundled scenarios",
                       description="List the scenarios bundled with pacing-sim (the repository's scenarios/ "
                                   "folder, also installed with the package): the key init --from takes, the "
                                   "scenario's name and its description.",
                       epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--format", choices=("table", "json"), default="table",
                   help="table: for people; json: a list of {key, name, description, path}")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from sim.scenario.library import bundled

    items = bundled()
    if args.format == "json":
        print(json.dumps([{"key": b.key, "name": b.name, "description": b.description, "path": str(b.path)}
                          for b in items], indent=2))
        return EXIT_OK
    width = max(len(b.key) for b in items)
    for b in items:
        print(f"{b.key:<{width}}  {b.description}")
    print("\nStart from one: pacing-sim init NAME --from KEY")
    return EXIT_OK
