"""A VoIPbin account's configuration -> a scenario YAML and its targets CSV.

Each imported value carries a comment naming its resource and id. What the API cannot tell
(answer rates, ring, talk and wrap-up times, patience) comes from fitted call records when
given (``sim.voipbin.fit``), else from the bundled default scenario, each marked "assumed".

Every mapping was checked in voipbin/monorepo @ 2bf22fa4e (see docs/import.md):

- campaign (bin-campaign-manager/models/campaign): type, status, service_level, end_handle,
  actions (the user's; the engine appends the queue_join itself, campaignhandler/campaign.go
  ``createFlowActions``), outplan_id, outdial_id, queue_id, next_campaign_id (zero UUID: none);
- outplan (models/outplan): max_try_count_0..4, try_interval and dial_timeout in milliseconds;
- outdial and outdial targets (bin-outdial-manager/models/outdial, outdialtarget): targets in
  the engine's order (``tm_update`` ascending, pkg/dbhandler/outdialtarget.go), destination_0..4;
- queue (bin-queue-manager/models/queue): tag_ids, routing_method, wait_timeout and
  service_timeout in ms, wait_flow_id;
- agent (bin-agent-manager/models/agent): tag_ids (grouped: one agent group per set of tags),
  status, ring_method and addresses (comments only: the model has no field for them).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Any

import yaml

from sim.format import slug
from sim.voipbin.resources import Account, Problem, Record, RecordError
from sim.voipbin.yamlout import Writer

TIMED = ("talk", "play", "sleep", "amd", "hangup")
HANGUP_REASONS = ("normal", "busy", "noanswer", "failed", "cancel", "timeout", "dialout", "amd")
ASSUMED_PLAY = 10.0
"""Seconds a ``play`` action is assumed to last (the API gives media URLs, not their length)."""


@dataclass
class ImportResult:
    yaml_text: str
    csv_files: dict[str, str]
    """File name (beside the scenario) -> CSV text."""
    notes: list[str] = field(default_factory=list)
    """Lines for the user: skipped resources and why."""
    warnings: list[str] = field(default_factory=list)


def bundled_defaults() -> dict:
    text = (importlib_resources.files("sim") / "_bundled" / "default.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _ms(value: int) -> str:
    return f"{int(value)}ms"


def _short(uid: str | None) -> str:
    return uid or "none"


def _unique(name: str, used: set, fallback: str) -> str:
    base = name.strip() or fallback
    out, k = base, 2
    while out in used:
        out, k = f"{base}-{k}", k + 1
    used.add(out)
    return out


def _is_empty_address(addr: dict | None) -> bool:
    return addr is not None and not str(addr.get("target") or "").strip()


def convert_actions(actions: list, src: str, warnings: list[str]) -> list[tuple[dict, str]]:
    """VoIPbin actions -> scenario actions, each with its comment. Durations in options are ms."""
    out = []
    for j, a in enumerate(actions):
        kind = a.get("type")
        opt = dict(a.get("option") or {})
        comment = f"{src} actions[{j}]"
        keep: dict[str, Any] = {}
        for k, v in opt.items():
            if k == "duration" and isinstance(v, (int, float)) and not isinstance(v, bool):
                keep[k] = _ms(v)  # bin-flow-manager/models/action/option.go: milliseconds
            elif isinstance(v, (str, int, float, bool)) or v is None:
                keep[k] = v
        if kind == "play" and "duration" not in keep:
            keep["duration"] = f"{ASSUMED_PLAY:g}s"
            comment += f"; duration assumed {ASSUMED_PLAY:g}s (the API gives the media's URLs, not its length)"
            warnings.append(f"{src} actions[{j}]: a play action's media length is unknown; assumed {ASSUMED_PLAY:g}s")
        if kind == "sleep" and "duration" not in keep:
            keep["duration"] = "0ms"
        if kind == "talk" and not keep.get("text") and "duration" not in keep:
            keep["duration"] = "0s"
            comment += "; no text: takes no time"
        if kind == "hangup" and keep.get("reason") not in (None, *HANGUP_REASONS):
            comment += f"; reason {keep['reason']!r} dropped (an answered call ends normal whatever the reason, except amd)"
            keep.pop("reason")
        if kind == "amd" and keep.get("machine_handle") not in (None, "hangup", "continue"):
            warnings.append(f"{src} actions[{j}]: amd machine_handle {keep['machine_handle']!r} read as 'continue'")
            keep["machine_handle"] = "continue"
        item: dict[str, Any] = {"type": kind}
        if keep:
            item["option"] = keep
        out.append((item, comment))
    return out


def _deleted_line(rec: Record) -> str:
    return f"skipped {rec.kind} {rec.id} ({rec.f.get('name') or rec.f.get('username') or ''}): deleted (tm_delete {rec.f['tm_delete'].isoformat()})"


def import_account(
    account: Account,
    *,
    campaign: str | None = None,
    fitted=None,
    name: str | None = None,
    csv_stem: str = "scenario",
) -> ImportResult:
    """Build the scenario text and the targets CSV(s) from an ``Account``.

    ``campaign``: the id or name of the one campaign to import (default: every campaign not
    deleted). ``fitted``: a ``sim.voipbin.fit.FitResult`` for the behaviour the API cannot tell.
    ``csv_stem``: the scenario file's stem; the targets go to ``<stem>.targets.csv`` (or
    ``<stem>.<outdial>.targets.csv`` with several outdials)."""
    notes: list[str] = []
    warnings: list[str] = []
    problems: list[Problem] = []

    def live(kind: str) -> dict[str, Record]:
        out = {}
        for r in account.of(kind):
            if r.deleted:
                notes.append(_deleted_line(r))
            else:
                out[r.id] = r
        return out

    all_campaigns = {r.id: r for r in account.of("campaign")}
    campaigns = live("campaign")
    outplans = {r.id: r for r in account.of("outplan")}
    outdials = {r.id: r for r in account.of("outdial")}
    queues = {r.id: r for r in account.of("queue")}
    flows = {r.id: r for r in account.of("flow")}

    if campaign is not None:
        chosen = [r for r in all_campaigns.values() if r.id == campaign.lower() or r.f["name"] == campaign]
        if not chosen:
            names = ", ".join(f"{r.f['name']} ({r.id})" for r in all_campaigns.values()) or "none"
            raise RecordError([Problem("--campaign", "", f"no campaign with id or name {campaign!r}; the files hold: {names}")])
        if len(chosen) > 1:
            raise RecordError([Problem("--campaign", "", f"{len(chosen)} campaigns are named {campaign!r}; give its id")])
        if chosen[0].deleted:
            raise RecordError([Problem("--campaign", "", f"campaign {chosen[0].id} was deleted (tm_delete set)")])
        selected = chosen
    else:
        selected = list(campaigns.values())
    if not selected:
        raise RecordError([Problem(", ".join(account.files), "", "no campaign to import (none in the files, or all deleted)")])

    # -- references
    def ref(rec: Record, fld: str, table: dict[str, Record], kind: str) -> Record | None:
        uid = rec.f[fld]
        if uid is None:
            return None
        target = table.get(uid)
        if target is None:
            problems.append(Problem(rec.file, f"result[{rec.index}].{fld}",
                                    f"campaign {rec.id} refers to {kind} {uid}, which is not in the files given"))
        return target

    plan: list[tuple[Record, Record, Record, Record | None]] = []
    for c in selected:
        op = ref(c, "outplan_id", outplans, "outplan")
        od = ref(c, "outdial_id", outdials, "outdial")
        qu = ref(c, "queue_id", queues, "queue")
        if c.f["outplan_id"] is None or c.f["outdial_id"] is None:
            missing = "outplan" if c.f["outplan_id"] is None else "outdial"
            notes.append(f"skipped campaign {c.id} ({c.f['name']}): it has no {missing} (zero UUID); VoIPbin's execute "
                         "loop stops such a campaign on its first step (campaignhandler/execute.go)")
            continue
        if op is None or od is None or (c.f["queue_id"] is not None and qu is None):
            continue
        gone = [r for r in (op, od, qu) if r is not None and r.deleted]
        if gone:
            notes.append(f"skipped campaign {c.id} ({c.f['name']}): its {gone[0].kind} {gone[0].id} is deleted; "
                         "VoIPbin refuses to run it (status_run.go validateResources)")
            continue
        plan.append((c, op, od, qu))
    if problems:
        raise RecordError(problems)
    if not plan:
        raise RecordError([Problem(", ".join(account.files), "", "no campaign can be imported: " + "; ".join(notes[-3:]))])

    # -- names
    used_c: set = set()
    cname = {c.id: _unique(c.f["name"], used_c, f"campaign-{c.id[:8]}") for c, _, _, _ in plan}
    used_p: set = set()
    pname: dict[str, str] = {}
    used_o: set = set()
    oname: dict[str, str] = {}
    used_q: set = set()
    qname: dict[str, str] = {}
    for c, op, od, qu in plan:
        if op.id not in pname:
            pname[op.id] = _unique(op.f["name"], used_p, f"outplan-{op.id[:8]}")
        if od.id not in oname:
            oname[od.id] = _unique(od.f["name"], used_o, f"outdial-{od.id[:8]}")
        if qu is not None and qu.id not in qname:
            qname[qu.id] = _unique(qu.f["name"], used_q, f"queue-{qu.id[:8]}")
    used_outdial = Counter(od.id for _, _, od, _ in plan)
    for oid, n in used_outdial.items():
        if n > 1:
            raise RecordError([Problem(outdials[oid].file, f"result[{outdials[oid].index}]",
                                       f"outdial {oid} is used by {n} campaigns; VoIPbin lets an outdial belong to one campaign")])

    # -- targets, per outdial, in the engine's order
    targets_by_outdial: dict[str, list[Record]] = defaultdict(list)
    for t in account.of("outdialtarget"):
        targets_by_outdial[t.f["outdial_id"]].append(t)
    csv_files: dict[str, str] = {}
    csv_name: dict[str, str] = {}
    dest_report: dict[str, dict] = {}
    outplan_of = {od.id: op for _, op, od, _ in plan}
    for oid, od_name in oname.items():
        rows = []
        skipped_deleted = skipped_done = progressing = tried = 0
        null_slots: Counter = Counter()
        empty_slots: Counter = Counter()
        op = outplan_of[oid]
        max_try = [op.f[f"max_try_count_{i}"] for i in range(5)]
        tlist = sorted(targets_by_outdial.get(oid, []),
                       key=lambda t: (t.f["tm_update"] or t.f["tm_create"], t.f["tm_create"]))
        for t in tlist:
            if t.deleted:
                skipped_deleted += 1
                continue
            if t.f["status"] == "done":
                skipped_done += 1
                continue
            if t.f["status"] == "progressing":
                progressing += 1
            if any(t.f[f"try_count_{i}"] for i in range(5)):
                tried += 1
            cells = []
            for i in range(5):
                d = t.f[f"destination_{i}"]
                if d is None:
                    cells.append("")
                    if max_try[i] > 0:
                        null_slots[i] += 1
                elif _is_empty_address(d):
                    cells.append("")
                    if max_try[i] > 0:
                        empty_slots[i] += 1
                else:
                    cells.append(str(d.get("target")).strip())
            rows.append(cells + [t.id, t.f["name"]])
        fname = f"{csv_stem}.targets.csv" if len(oname) == 1 else f"{csv_stem}.{slug(od_name, fallback='outdial', limit=None)}.targets.csv"
        csv_name[oid] = fname
        csv_files[fname] = _csv(rows)
        od = outdials[oid]
        if skipped_deleted:
            notes.append(f"skipped {skipped_deleted} deleted targets of outdial {oid} ({od.f['name']}) (tm_delete set; "
                         "note VoIPbin's target query does not filter tm_delete, so a running campaign could still dial them)")
        if skipped_done:
            notes.append(f"skipped {skipped_done} targets of outdial {oid} ({od.f['name']}) with status done: "
                         "VoIPbin never dials a done target again")
        if progressing:
            warnings.append(f"outdial {oid}: {progressing} targets were progressing (in flight) at export; imported as idle")
        if tried:
            warnings.append(f"outdial {oid}: {tried} targets have try counts above 0; the simulation starts every "
                            "target at 0 tries (it has no field for earlier attempts)")
        dest_report[oid] = {"null": null_slots, "empty": empty_slots, "n": len(rows)}

    # -- how absent destinations behave
    n_null = sum(sum(r["null"].values()) for r in dest_report.values())
    n_empty = sum(sum(r["empty"].values()) for r in dest_report.values())
    missing_destination = None
    md_comment = ""
    if n_empty:
        md_comment = (f"{n_empty} destination slots with tries left are {{}} (stored as JSON null, not SQL NULL): VoIPbin "
                      "selects them, call-manager refuses the empty address, the campaigncall fails and the campaign "
                      "stops (engine default missing_destination: dial)")
        warnings.append("destinations {} in " + ", ".join(
            f"outdial {oid}: " + ", ".join(f"destination_{i} x{n}" for i, n in sorted(r['empty'].items()))
            for oid, r in dest_report.items() if r["empty"]) +
            ": VoIPbin dials such a slot (it is not SQL NULL), the empty address is refused and the campaign stops; "
            "simulated as such (missing_destination: dial)")
        if n_null:
            warnings.append(f"{n_null} destination slots are null (SQL NULL: VoIPbin skips them) but others are {{}}; "
                            "the simulation has one switch, so the null ones are dialled like the {} ones")
    elif n_null:
        missing_destination = "skip"
        md_comment = (f"{n_null} destination slots with tries left are null (SQL NULL): VoIPbin's target query skips "
                      "them (bin-outdial-manager/pkg/dbhandler/outdialtarget.go, destination_i is null)")
        warnings.append("destinations null in " + ", ".join(
            f"outdial {oid}: " + ", ".join(f"destination_{i} x{n}" for i, n in sorted(r['null'].items()))
            for oid, r in dest_report.items() if r["null"]) +
            ": VoIPbin's target query skips a null destination; simulated with engine.missing_destination: skip")

    # -- agents, grouped by identical tags
    agents = live("agent")
    groups: dict[tuple, list[Record]] = defaultdict(list)
    for a in agents.values():
        groups[tuple(sorted(set(a.f["tag_ids"])))].append(a)
    queue_tags = {tag for qu in (q for _, _, _, q in plan if q is not None) for tag in qu.f["tag_ids"]}

    defaults = bundled_defaults()
    d_agent = defaults["agents"][0]
    d_pop = defaults["population"]

    # -- write
    w = Writer()
    scn_name = name or (cname[plan[0][0].id] if len(plan) == 1 else "voipbin-import")
    w.comment("Imported from VoIPbin API list responses by `pacing-sim import`:")
    for f in account.files:
        w.comment(f"  {f}")
    fmts = " and ".join(sorted(account.timestamp_formats)) or "none"
    w.comment(f"Timestamp formats read: {fmts}. Every value below names the resource and id it comes from;")
    w.comment("'assumed' marks what the API cannot tell (bundled defaults, or fitted from call records).")
    for n in notes:
        w.comment(n)
    w.kv(0, "name", scn_name, "from the campaign's name" if len(plan) == 1 else "several campaigns")
    w.kv(0, "description", f"Imported from VoIPbin: {', '.join(cname[c.id] for c, _, _, _ in plan)}.")
    w.kv(0, "seed", 42, "assumed")
    w.kv(0, "horizon", "8h", "assumed: a working day")
    w.kv(0, "warmup", "0s", "assumed")
    w.kv(0, "replications", 10, "assumed")
    w.comment("service_levels: omitted, so each run uses the first campaign's own service_level (a sweep sets every campaign's)")
    w.blank()
    w.open(0, "engine")
    w.kv(2, "profile", "voipbin", "VoIPbin as coded")
    if missing_destination:
        w.kv(2, "missing_destination", missing_destination, md_comment)
    elif md_comment:
        w.comment(md_comment, 2)
    w.blank()

    w.open(0, "campaigns")
    for c, op, od, qu in plan:
        src = f"campaign {c.id}"
        w.kv(2, "name", cname[c.id], f"{src} name", item=True)
        w.kv(4, "type", c.f["type"], f"{src} type")
        w.kv(4, "service_level", c.f["service_level"], f"{src} service_level")
        w.kv(4, "end_handle", c.f["end_handle"], f"{src} end_handle")
        w.kv(4, "outplan", pname[op.id], f"{src} outplan_id {op.id}")
        w.kv(4, "outdial", oname[od.id], f"{src} outdial_id {od.id}")
        w.kv(4, "queue", qname[qu.id] if qu is not None else None, f"{src} queue_id {_short(c.f['queue_id'])}")
        nxt = c.f["next_campaign_id"]
        nxt_name = cname.get(nxt) if nxt else None
        why = "" if nxt is None or nxt_name else " (not imported); as coded nothing starts it anyway"
        w.kv(4, "next_campaign", nxt_name, f"{src} next_campaign_id {_short(nxt)}{why}")
        w.kv(4, "start_at", "0s", f"{src} status {c.f['status']!r} at export; the simulation sets it to run at 0s")
        acts = convert_actions(c.f["actions"], src, warnings)
        if acts:
            w.open(4, "actions", f"{src} actions (VoIPbin appends the queue_join itself, so does the simulation)")
            for item, comment in acts:
                w.item(6, item, comment)
        else:
            w.kv(4, "actions", [], f"{src} actions: none")
    w.blank()

    w.open(0, "outplans")
    for op in {op.id: op for _, op, _, _ in plan}.values():
        src = f"outplan {op.id}"
        w.kv(2, "name", pname[op.id], f"{src} name", item=True)
        w.kv(4, "try_interval", _ms(op.f["try_interval"]), f"{src} try_interval (ms)")
        w.kv(4, "max_try_count", [op.f[f"max_try_count_{i}"] for i in range(5)], f"{src} max_try_count_0..4")
        w.kv(4, "dial_timeout", _ms(op.f["dial_timeout"]), f"{src} dial_timeout (ms; stored, the engine rings 60s as coded)")
        src_addr = op.f.get("source")
        if src_addr and src_addr.get("target"):
            w.kv(4, "source", str(src_addr["target"]), f"{src} source (caller id; no effect on pacing)")
    w.blank()

    w.open(0, "outdials")
    for _, _, od, _ in plan:
        src = f"outdial {od.id}"
        rep = dest_report[od.id]
        w.kv(2, "name", oname[od.id], f"{src} name", item=True)
        w.kv(4, "targets", csv_name[od.id], f"{src}: {rep['n']} outdial targets, in VoIPbin's order (tm_update ascending)")
    w.blank()

    queue_has_wait_flow = _queue_has_wait_flow()
    used_queues = {q.id: q for _, _, _, q in plan if q is not None}
    if used_queues:
        w.open(0, "queues")
    else:
        w.kv(0, "queues", [], "no imported campaign has a queue")
    for qu in used_queues.values():
        src = f"queue {qu.id}"
        w.kv(2, "name", qname[qu.id], f"{src} name", item=True)
        w.kv(4, "tags", qu.f["tag_ids"], f"{src} tag_ids (agents sharing any one of them count)")
        rm = qu.f["routing_method"]
        if rm == "random":
            w.kv(4, "routing_method", "random", f"{src} routing_method (random is the only one coded)")
        else:
            w.kv(4, "routing_method", "random", f"{src} routing_method {rm!r} (none): VoIPbin's queue loop stops the "
                 "service of each caller it takes, so nobody reaches an agent; simulated as random")
            warnings.append(f"queue {qu.id}: routing_method {rm!r} (none, or absent: the field is omitempty): VoIPbin's "
                            "queue loop stops the queue service of every caller it takes (bin-queue-manager/pkg/"
                            "queuehandler/execute.go), so no call reaches an agent; the simulation routes at random")
        w.kv(4, "wait_timeout", _ms(qu.f["wait_timeout"]), f"{src} wait_timeout (ms; 0 disables)")
        w.kv(4, "service_timeout", _ms(qu.f["service_timeout"]), f"{src} service_timeout (ms; 0 disables)")
        wf = qu.f["wait_flow_id"]
        flow = flows.get(wf) if wf else None
        if wf and flow is None:
            msg = (f"queue {qu.id}: wait_flow_id {wf} is not in the files given (pass the flows' list response); "
                   "the wait flow is taken as none")
            warnings.append(msg)
        if queue_has_wait_flow:
            if flow is not None:
                w.open(4, "wait_flow", f"{src} wait_flow_id {wf}: flow {flow.id} actions")
                for item, comment in convert_actions(flow.f["actions"], f"flow {flow.id}", warnings):
                    w.item(6, item, comment)
            else:
                w.kv(4, "wait_flow", "none", f"{src} wait_flow_id {_short(wf)}" + (" (flow not given: assumed none)" if wf else ""))
        else:
            what = f"flow {flow.id} with {len(flow.f['actions'])} actions" if flow is not None else _short(wf)
            w.comment(f"{src} wait_flow_id {_short(wf)} ({what}): this version's scenario has no queue wait_flow field; "
                      "not imported", 4)
            if wf:
                warnings.append(f"queue {qu.id}: its wait flow ({_short(wf)}) is not imported: the scenario format of this "
                                "version has no queue wait_flow")
    w.blank()

    if groups:
        w.open(0, "agents")
    else:
        w.kv(0, "agents", [], "no agents in the files given")
    beh = fitted.agent if fitted is not None else {}
    beh_note = fitted.notes if fitted is not None else {}
    for gi, (tags, members) in enumerate(sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))):
        ids = ", ".join(m.id for m in members[:3]) + (f" and {len(members) - 3} more" if len(members) > 3 else "")
        status = Counter(m.f["status"] or "none" for m in members)
        ring = Counter(m.f["ring_method"] or "none" for m in members)
        gname = f"tags-{'-'.join(t[:8] for t in tags)}" if tags else "untagged"
        w.kv(2, "name", gname, f"agents grouped by identical tag_ids: {ids}", item=True)
        w.kv(4, "count", len(members), "statuses at export: " + ", ".join(f"{k} {v}" for k, v in sorted(status.items())))
        w.kv(4, "tags", list(tags), "agent tag_ids" + ("" if set(tags) & queue_tags or not tags or not queue_tags
                                                       else " (no queue shares them: these agents take no queue calls)"))
        w.comment("ring_method " + ", ".join(f"{k} x{v}" for k, v in sorted(ring.items())) + "; addresses per agent "
                  + ", ".join(str(len(m.f["addresses"] or [])) for m in members[:10])
                  + " (the model rings one agent, whatever its ring method and addresses)", 4)
        w.kv(4, "shift", {"start": "0s", "end": None}, "assumed: logged in for the whole horizon")
        for key in ("answer_delay", "miss_probability", "talk_time", "wrap_up", "status_reset"):
            if key in beh:
                w.kv(4, key, beh[key], beh_note.get(f"agents.{key}", "fitted from the call records"))
            else:
                w.kv(4, key, d_agent[key], "assumed: bundled default (the API does not say)")
    w.blank()

    w.open(0, "population")
    pop = fitted.population if fitted is not None else {}
    for key in ("outcome", "time_of_day", "ring_time", "busy_time", "failed_time", "patience", "machine_talk_time",
                "amd", "speech_rate_wps"):
        if key in pop:
            value, comment = pop[key], beh_note.get(f"population.{key}", "fitted from the call records")
        else:
            value, comment = d_pop[key], "assumed: bundled default (the API does not say)"
        if key == "outcome":
            w.open(2, "outcome", comment)
            for i, mix in enumerate(value):
                w.item(4, mix, beh_note.get(f"population.outcome[{i}]", f"destination_{i}"))
        else:
            w.kv(2, key, value, comment)

    return ImportResult(w.text(), csv_files, notes, warnings)


def _queue_has_wait_flow() -> bool:
    from sim.scenario.schema import Queue

    return "wait_flow" in Queue.model_fields


def _csv(rows: list[list[str]]) -> str:
    import csv
    import io

    buf = io.StringIO()
    wr = csv.writer(buf, lineterminator="\n")
    wr.writerow([f"destination_{i}" for i in range(5)] + ["id", "name"])
    wr.writerows(rows)
    return buf.getvalue()


def write_import(result: ImportResult, out: str | Path) -> list[Path]:
    """Write the scenario and its CSV files (each to a temporary file first, then renamed)."""
    import os

    out = Path(out)
    written = []
    for fname, text in [(out.name, result.yaml_text), *result.csv_files.items()]:
        path = out.parent / fname
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
        written.append(path)
    return written


__all__ = ["ImportResult", "convert_actions", "import_account", "write_import"]
