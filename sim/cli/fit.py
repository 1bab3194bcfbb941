"""``pacing-sim fit RECORDS_DIR -o FITTED.yaml [--report DIR]``: VoIPbin call records (calls,
campaigncalls, queuecalls) -> ``population:`` and ``agents:`` blocks by maximum likelihood
(``sim.voipbin.fit``; docs/import.md).

Exit code 2 when the records cannot be used (see ``sim.cli.import_``), one line per problem
naming the file and the record, no traceback, nothing written.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

from sim.cli.common import EXIT_INPUT, EXIT_OK
from sim.cli.import_ import _campaign_id, _problems, _refuse_existing


def handle(args: argparse.Namespace) -> int:
    from sim.voipbin.fit import fit_records
    from sim.voipbin.resources import RecordError, read_account

    out = Path(args.output)
    if not out.parent.is_dir():
        print(f"pacing-sim: -o {args.output}: the folder {str(out.parent)!r} does not exist", file=sys.stderr)
        return EXIT_INPUT
    if not Path(args.records).exists():
        print(f"pacing-sim: {args.records}: no such file or folder", file=sys.stderr)
        return EXIT_INPUT
    try:
        account = read_account([args.records])
        fit = fit_records(account, _campaign_id(account, args.campaign))
    except RecordError as exc:
        return _problems(exc)
    if _refuse_existing([out] + ([Path(args.report)] if args.report else []), args.force):
        return EXIT_INPUT
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    tmp.write_text(fit.yaml_text(str(args.records)), encoding="utf-8")
    os.replace(tmp, out)
    if args.report:
        from sim.voipbin.report import write_report

        rep = Path(args.report)
        stage = rep.with_name(f".{rep.name}.tmp-{os.getpid()}")
        if stage.exists():
            shutil.rmtree(stage)
        write_report(fit, stage, f"records: {args.records}")
        if rep.exists():
            shutil.rmtree(rep)
        os.replace(stage, rep)
    if args.format == "json":
        print(json.dumps({name: {"value": fit.value(name), "ci_low": fit.interval(name)[0], "ci_high": fit.interval(name)[1]}
                          for name in fit.parameters()}, indent=1))
    else:
        for m in fit.messages:
            print(f"# {m}")
        print(fit.table())
        print(f"wrote {out}" + (f" and {args.report}/report.html" if args.report else ""))
    return EXIT_OK


def add_parser(sub) -> None:
    p = sub.add_parser("fit", help="VoIPbin call records -> population: and agents: blocks, by maximum likelihood",
                       description="Estimate the called people's and the agents' behaviour (outcome mix, ring time, "
                                   "patience, talk time, ...) from VoIPbin call records by maximum likelihood, and "
                                   "write them as a scenario's population: and agents: blocks. Exit 2: bad input.",
                       epilog="examples:\n  pacing-sim fit examples/voipbin/records -o fitted.yaml --report fit-report",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("records", metavar="RECORDS_DIR", help="a folder (or file) of list responses: calls, campaigncalls, queuecalls")
    p.add_argument("-o", "--output", required=True, metavar="FITTED.yaml", help="the YAML file to write")
    p.add_argument("--campaign", metavar="ID|NAME", help="only this campaign's campaigncalls")
    p.add_argument("--report", metavar="DIR", help="write DIR/report.html: each fit drawn against the data's histogram")
    p.add_argument("--format", choices=("table", "json"), default="table", help="the fitted parameters on stdout")
    p.add_argument("--force", action="store_true", help="replace existing output files")
    p.set_defaults(func=handle)



__all__ = ["add_parser", "handle"]
