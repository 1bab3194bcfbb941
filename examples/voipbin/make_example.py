"""Write the example VoIPbin account of this folder from truth.yaml (run from the repository root:
``python examples/voipbin/make_example.py``). The files it writes are committed; this script says
how they were made.

- truth-targets.csv: 400 customers, a mobile and (five in six) a landline;
- account/: the configuration as VoIPbin's REST API lists it (RFC 3339 timestamps), from the
  scenario, with what a real account also has: a deleted campaign, deleted and done targets, a
  wait flow (flows.json), a deleted agent, agents whose tag_ids come in another order, statuses
  of the moment, the targets in two pages, an unused destination_2 set to {};
- records/: one run of truth.yaml as VoIPbin's calls (with the agents' legs), campaigncalls and
  queuecalls, in the older timestamp format ("2026-03-02 09:00:00.000000", the 9999 sentinel).
"""

from __future__ import annotations

import copy
import json
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

import sim
from sim.voipbin import export
from sim.voipbin.resources import convert_timestamps

KEY = "northwind-example"


def targets_csv() -> None:
    lines = ["destination_0,destination_1"]
    for j in range(400):
        mobile = f"+44770090{j:04d}"
        landline = "" if j % 6 == 5 else f"+44207946{j:04d}"
        lines.append(f"{mobile},{landline}")
    (HERE / "truth-targets.csv").write_text("\n".join(lines) + "\n")


def page(records, token: str = "") -> dict:
    return {"result": records, "next_page_token": token}


def main() -> None:
    targets_csv()
    scn = sim.load_scenario(HERE / "truth.yaml")
    result = sim.run(scn, keep_calls=True)
    calls = next(iter(result.call_frames())).reset_index(drop=True)
    with tempfile.TemporaryDirectory() as tmp:
        export.write_run(scn, calls, tmp, key=KEY)
        docs = {p.stem: json.loads(p.read_text())["result"] for p in Path(tmp).glob("*.json")}

    # --- the configuration, as a real account would list it
    camp = docs["campaigns"][0]
    old = copy.deepcopy(camp)
    old.update(id=export._id(KEY, "campaign", "winter-test"), name="winter-test", status="stop",
               service_level=80, tm_create="2025-12-01T10:00:00.123456Z", tm_update="2026-01-10T08:00:00Z",
               tm_delete="2026-01-10T08:00:00Z")
    docs["campaigns"].append(old)
    flow_id = export._id(KEY, "flow", "hold-music")
    docs["queues"][0]["wait_flow_id"] = flow_id
    docs["flows"] = [{
        "id": flow_id, "customer_id": camp["customer_id"], "type": "flow", "name": "renewals hold",
        "detail": "played while a customer waits for an advisor",
        "actions": [
            {"id": export._id(KEY, "action", 1), "next_id": "00000000-0000-0000-0000-000000000000", "type": "talk",
             "option": {"text": "All our advisors are busy. Please stay on the line.", "language": "en-GB"}},
            {"id": export._id(KEY, "action", 2), "next_id": "00000000-0000-0000-0000-000000000000", "type": "sleep",
             "option": {"duration": 10000}},
        ],
        "on_complete_flow_id": "00000000-0000-0000-0000-000000000000",
        "tm_create": camp["tm_create"], "tm_update": camp["tm_update"], "tm_delete": None,
    }]
    targets = docs.pop("outdialtargets")
    for t in targets[:40]:
        t["destination_2"] = {}  # set but empty; the outplan never dials destination_2
    extra = []
    for k, status in enumerate(("done", "done", "done", "idle", "idle")):
        t = copy.deepcopy(targets[k])
        t.update(id=export._id(KEY, "extra-target", k), name=f"earlier-{k}", status=status)
        if status == "done":
            t.update(try_count_0=1, tm_update="2026-02-27T16:00:00Z")
        else:
            t.update(tm_delete="2026-02-28T09:00:00Z", tm_update="2026-02-28T09:00:00Z")
        extra.append(t)
    targets = extra[:3] + targets + extra[3:]
    statuses = ["available", "available", "offline", "busy", "available", "away"]
    for i, a in enumerate(docs["agents"]):
        a["status"] = statuses[i % len(statuses)]
        if len(a["tag_ids"]) > 1 and i % 2:
            a["tag_ids"] = list(reversed(a["tag_ids"]))
    gone = copy.deepcopy(docs["agents"][0])
    gone.update(id=export._id(KEY, "agent", "left"), username="left@example.com", name="left in January",
                tm_delete="2026-01-31T17:00:00Z", status="offline")
    docs["agents"].append(gone)

    account = HERE / "account"
    records = HERE / "records"
    for d in (account, records):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir()

    def dump(path: Path, doc) -> None:
        path.write_text(json.dumps(doc, indent=1) + "\n")

    for name in ("campaigns", "outplans", "outdials", "queues", "agents", "flows"):
        dump(account / f"{name}.json", page(docs[name]))
    half = len(targets) // 2
    dump(account / "outdialtargets-1.json", page(targets[:half], "2026-03-01 08:00:00.000350"))
    dump(account / "outdialtargets-2.json", page(targets[half:]))
    for name in ("calls", "campaigncalls", "queuecalls"):
        (records / f"{name}.json").write_text(json.dumps(convert_timestamps(page(docs[name]), legacy=True)) + "\n")


if __name__ == "__main__":
    main()
