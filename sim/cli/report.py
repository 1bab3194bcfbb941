"""``pacing-sim report DIR``: redraw the plots and report.html of a results folder from its tables."""

from __future__ import annotations

import argparse

from sim.cli.common import EXIT_OK, InputError


def add_parser(sub) -> None:
    p = sub.add_parser("report", help="redraw the plots and report.html of a results folder from its tables",
                       description="Redraw plots/*.png and report.html of a results folder (written by run --out) "
                                   "from its tables alone: after editing them, or with a newer version. "
                                   "Exit 0: done; 2: not a results folder.",
                       epilog="examples:\n  pacing-sim run my-campaign.yaml --out results/mine\n"
                              "  pacing-sim report results/mine",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder", metavar="DIR", help="a folder written by run --out")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from sim.results import ResultsFolderError, rebuild

    try:
        written = rebuild(args.folder)
    except ResultsFolderError as exc:
        raise InputError(str(exc)) from None
    print(f"{args.folder}: redrew {len(written) - 1} plot(s) and report.html")
    return EXIT_OK
