"""The command line: a thin layer over the library (``pacing-sim`` and ``python -m sim``).

Each command is one module of this package with ``add_parser(subparsers)`` (which sets its
handler); ``COMMANDS`` lists them in the order of ``--help``. Adding a command: a new module and
one line in ``COMMANDS``. The library (``sim`` outside ``sim.cli``) never imports this package.

Exit codes: 0 done; 1 the runs or a check failed; 2 the input cannot be used (a bad scenario,
a bad option), with one clear message per problem and no traceback.
"""

from __future__ import annotations

import argparse
import sys

from sim.cli import baseline, check, fit, frontier, import_, init, report, run, scenarios, tune, validate
from sim.cli.common import EXIT_FAIL, EXIT_INPUT, EXIT_OK, QUICK_ENV, InputError, quick
from sim.scenario import ScenarioError

COMMANDS = (run, report, validate, tune, baseline, check, frontier, import_, fit, init, scenarios)
"""The command modules, in the order ``pacing-sim --help`` lists them."""

__all__ = ["COMMANDS", "EXIT_FAIL", "EXIT_INPUT", "EXIT_OK", "InputError", "build_parser", "main"]


GUIDE = """getting started:
  pacing-sim scenarios                     # the bundled scenarios
  pacing-sim init my-campaign              # my-campaign.yaml to edit, every field commented
  pacing-sim run my-campaign.yaml          # a table: a row per service level
  pacing-sim COMMAND --help                # what a command does, its options, an example

units: tables printed for people show rates in percent (abandon %); JSON, CSV, the results
folder, baselines, scenario files and Python use fractions (0.03). Options that take a rate
accept both: 0.03 or 3%. Durations: seconds or 45s, 10m, 8h.
exit codes: 0 done; 1 runs failed, a check found a change, or no level passed; 2 bad input."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pacing-sim", epilog=GUIDE, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Simulate VoIPbin's outbound campaign engine (campaign loop, retries, queue, agents) for a "
                    "sweep of service levels: agent occupancy, abandon rates and throughput, with 95 % intervals.")
    from sim import __version__

    parser.add_argument("--version", action="version", version=f"pacing-sim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    if not (sys.argv[1:] if argv is None else argv):  # a bare pacing-sim: the help, not an error
        parser.print_help()
        return EXIT_OK
    args = parser.parse_args(argv)
    args.argv = ["pacing-sim", *(sys.argv[1:] if argv is None else argv)]
    if quick() and hasattr(args, "overrides"):
        print(f"pacing-sim: {QUICK_ENV} is set: 30-minute horizon and 2 replications unless the command says otherwise",
              file=sys.stderr)
    try:
        executor = getattr(args, "executor", None)
        if executor == "dask" or (executor is None and getattr(args, "scheduler", None)):
            from sim.experiment import check_executor

            check_executor("dask", args.scheduler)  # before loading anything: a wrong address fails fast
        return int(args.func(args) or 0)
    except ScenarioError as exc:
        for p in exc.problems:
            print(p, file=sys.stderr)
        return EXIT_INPUT
    except InputError as exc:
        print(f"pacing-sim: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except Exception as exc:
        from sim.experiment import ExecutorUnavailable

        if not isinstance(exc, ExecutorUnavailable):
            raise
        print(f"pacing-sim: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("pacing-sim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
