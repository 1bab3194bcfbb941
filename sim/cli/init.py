"""``pacing-sim init [NAME] [--from SCENARIO]``: write a starter scenario, every field commented."""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

from sim.cli.common import EXIT_OK, InputError

EXAMPLE = """examples:
  pacing-sim init my-campaign                      # my-campaign.yaml, from the bundled default
  pacing-sim init my-campaign --from cold-list     # from another bundled scenario (pacing-sim scenarios)
  pacing-sim validate my-campaign.yaml && pacing-sim run my-campaign.yaml"""


def add_parser(sub) -> None:
    p = sub.add_parser(
        "init", help="write a starter scenario file, every field commented",
        description="Write a scenario file to edit: a bundled scenario with every field written out (defaults "
                    "included) and commented with its meaning, unit and limits. It validates as written. "
                    "Durations are seconds or strings such as 45s, 10m, 8h; probabilities and shares are "
                    "fractions from 0 to 1.",
        epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", nargs="?", default="scenario", metavar="NAME",
                   help="the scenario's name; the file is NAME.yaml (or NAME itself if it ends in .yaml/.yml); "
                        "default: scenario")
    p.add_argument("--from", dest="source", default="default", metavar="SCENARIO",
                   help="the bundled scenario to start from, by file name or a unique prefix "
                        "(default: default; list them with pacing-sim scenarios)")
    p.add_argument("--force", action="store_true", help="replace an existing file")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from sim.scenario import load_scenario
    from sim.scenario.annotate import annotated_yaml
    from sim.scenario.library import find, header_comment

    try:
        src = find(args.source)
    except KeyError as exc:
        raise InputError(str(exc.args[0])) from None
    target = Path(args.name if args.name.endswith((".yaml", ".yml")) else f"{args.name}.yaml")
    name = target.name.rsplit(".", 1)[0]
    if not re.fullmatch(r"[^\s/\\][^/\\]{0,199}", name):
        raise InputError(f"{args.name!r}: expected a scenario name of 1 to 200 characters without slashes")
    if not target.parent.is_dir():
        raise InputError(f"{target}: the folder {target.parent} does not exist")
    if target.exists() and not args.force:
        raise InputError(f"{target} already exists; pass --force to replace it, or choose another name")
    scn = load_scenario(src.path).model_copy(update={"name": name})
    header = (header_comment(src.path) + "\n\n" if header_comment(src.path) else "") + (
        f"Written by `pacing-sim init {name} --from {src.key}`: every field, with its meaning and "
        "[type, limits]. Check it with `pacing-sim validate`; the full reference is docs/scenarios.md in "
        "pacing-sim's repository.")
    text = annotated_yaml(scn, header)
    copied = []
    for od in scn.outdials:  # a target list read from a CSV file travels with the scenario
        if isinstance(od.targets, str):
            dest = target.parent / od.targets
            if not dest.exists():
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src.path.parent / od.targets, dest)
                copied.append(str(dest))
    target.write_text(text, encoding="utf-8")
    load_scenario(target)  # what we wrote validates (a ScenarioError here is a bug, shown as exit 2)
    extra = f" and {', '.join(copied)}" if copied else ""
    print(f"wrote {target}{extra}: {name}, from the bundled {src.key}. Next: edit it, then "
          f"pacing-sim validate {target} && pacing-sim run {target}")
    return EXIT_OK
