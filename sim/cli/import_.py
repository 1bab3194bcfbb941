"""``pacing-sim import PATH... -o SCENARIO.yaml``: VoIPbin API list responses (campaigns, outplans,
outdials and their targets, queues, flows, agents) -> a scenario YAML and its targets CSV
(``sim.voipbin.importer``; docs/import.md).

Exit code 2 when the input cannot be used (records that are not VoIPbin list responses, a
missing field, an unknown enum value, a page mixing resources, a reference to a resource not
given, an output that exists without ``--force``): one line per problem naming the file and the
record (``result[3].status``), no traceback, nothing written.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from sim.cli.common import EXIT_INPUT, EXIT_OK


def _problems(exc) -> int:
    for p in exc.problems:
        print(p, file=sys.stderr)
    return EXIT_INPUT


def _refuse_existing(paths: list[Path], force: bool) -> bool:
    existing = [p for p in paths if p.exists()]
    if existing and not force:
        print(f"pacing-sim: {existing[0]} exists; pass --force to replace it", file=sys.stderr)
        return True
    return False


def handle(args: argparse.Namespace) -> int:
    from sim.scenario import ScenarioError, load_scenario
    from sim.voipbin.fit import fit_records
    from sim.voipbin.importer import import_account, write_import
    from sim.voipbin.resources import RecordError, read_account

    out = Path(args.output)
    if out.suffix not in (".yaml", ".yml"):
        print(f"pacing-sim: -o {args.output}: expected a scenario file name ending in .yaml", file=sys.stderr)
        return EXIT_INPUT
    if not out.parent.is_dir():
        print(f"pacing-sim: -o {args.output}: the folder {str(out.parent)!r} does not exist", file=sys.stderr)
        return EXIT_INPUT
    try:
        account = read_account(args.paths)
        fitted = None
        if args.calls:
            records = read_account([args.calls])
            cid = _campaign_id(account, args.campaign)
            fitted = fit_records(records, cid, config=account)
        res = import_account(account, campaign=args.campaign, fitted=fitted, name=args.name, csv_stem=out.stem)
    except RecordError as exc:
        return _problems(exc)
    targets = [out] + [out.parent / f for f in res.csv_files]
    if _refuse_existing(targets, args.force):
        return EXIT_INPUT
    # check the scenario where it is built, then move it into place: nothing half-written
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=f".{out.stem}.tmp-") as tmp:
        staged = write_import(res, Path(tmp) / out.name)
        try:
            load_scenario(staged[0])
        except ScenarioError as exc:  # a mapping this version cannot express: say which
            print("pacing-sim: the imported scenario does not validate (please report this):", file=sys.stderr)
            for p in exc.problems:
                print(f"  {p}", file=sys.stderr)
            return EXIT_INPUT
        for p in staged:
            os.replace(p, out.parent / p.name)
    for n in res.notes:
        print(f"note: {n}", file=sys.stderr)
    for w in res.warnings:
        print(f"warning: {w}", file=sys.stderr)
    csvs = ", ".join(str(out.parent / f) for f in res.csv_files)
    print(f"wrote {out} and {csvs}" + (" (behaviour fitted from the call records)" if fitted else
                                       " (behaviour assumed: bundled defaults; give --calls to fit it)"))
    return EXIT_OK


def _campaign_id(account, campaign):
    if campaign is None:
        return None
    for r in account.of("campaign"):
        if r.f["name"] == campaign:
            return r.id
    return campaign


def add_parser(sub) -> None:
    p = sub.add_parser("import", help="VoIPbin API list responses (campaigns, outplans, outdials and targets, queues, "
                                      "flows, agents) -> a scenario YAML and its targets CSV",
                       description="Turn VoIPbin REST API list responses into a scenario (every value commented "
                                   "with the resource and id it came from) and its targets CSV; with --calls, fit "
                                   "the behaviour from call records too. Exit 2: bad input.",
                       epilog="examples:\n  pacing-sim import examples/voipbin/account -o march.yaml "
                              "--calls examples/voipbin/records",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("paths", nargs="+", metavar="PATH", help="JSON list responses, or folders of them (recognised by content)")
    p.add_argument("-o", "--output", required=True, metavar="SCENARIO.yaml", help="the scenario to write; the targets go beside it")
    p.add_argument("--calls", metavar="RECORDS_DIR", help="call records (calls, campaigncalls, queuecalls) to fit the behaviour from")
    p.add_argument("--campaign", metavar="ID|NAME", help="import this campaign only (default: every campaign not deleted)")
    p.add_argument("--name", help="the scenario's name (default: the campaign's)")
    p.add_argument("--force", action="store_true", help="replace existing output files")
    p.set_defaults(func=handle)



__all__ = ["add_parser", "handle"]
