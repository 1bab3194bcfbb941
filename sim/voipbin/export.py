"""A simulated run written as a VoIPbin account: configuration and call records in the REST API's
list-response shapes, so that ``pacing-sim import`` and ``pacing-sim fit`` read it back (the round
trip that tests them).

Written per run (scenario, service level, replication) into ``DIR/voipbin/<scenario>/sl<SL>-r<R>/``:
``campaigns.json, outplans.json, outdials.json, outdialtargets.json, queues.json, agents.json``
(the configuration) and ``calls.json, campaigncalls.json, queuecalls.json`` (the records).

How a simulated campaigncall becomes records (the shapes of bin-call-manager ``call``,
bin-campaign-manager ``campaigncall``, bin-queue-manager ``queuecall``):

- the customer's call: ``tm_create`` = ``tm_ringing`` = the dial, ``tm_progressing`` = the
  answer (absent when not answered), ``tm_hangup`` and ``hangup_reason`` = the hang-up;
- the campaigncall: ``reference_id`` = that call, ``destination_index``, ``try_count``,
  ``status`` done with its ``result`` (dialing while live);
- a queuecall for a call that reached the queue: ``tm_create`` = queue entry, ``tm_service`` =
  the agent's ring (VoIPbin's service moment), ``duration_waiting``/``duration_service`` in ms,
  ``service_agent_id``; status ``done`` once served, ``abandoned`` when it left while waiting;
- the agent's leg, a call whose ``master_call_id`` is the customer's call (queue-manager creates
  it so, queuecallhandler/execute.go): ``tm_create`` = the ring, ``tm_progressing`` = the agent's
  answer, ``hangup_reason`` normal (talked), noanswer (rang out) or cancel (the caller left).

Times are UTC from ``2026-03-02T09:00:00Z`` (or ``time_of_day.clock_start``) at simulated time 0.
"""

from __future__ import annotations

import json
import math
import os
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.scenario.schema import Scenario
from sim.voipbin.resources import ZERO_UUID, format_legacy, format_rfc3339

NS = uuid.UUID("6d1c1a8e-3b7a-4b8e-9a57-70616369e67f")
MAX_TARGET_RECORDS = 100_000
"""Above this many targets in a list, only the ones the run dialled are written."""
DAY0 = datetime(2026, 3, 2, tzinfo=timezone.utc)


def _id(*parts: Any) -> str:
    return str(uuid.uuid5(NS, "/".join(str(p) for p in parts)))


class _Clock:
    def __init__(self, scn: Scenario, legacy: bool):
        tod = scn.population.time_of_day
        self.t0 = DAY0 + timedelta(seconds=tod.clock_start if tod is not None else 9 * 3600.0)
        self.legacy = legacy

    def dt(self, t: float) -> datetime | None:
        if t is None or (isinstance(t, float) and math.isnan(t)):
            return None
        return self.t0 + timedelta(microseconds=round(float(t) * 1e6))

    def __call__(self, t: float | None) -> str | None:
        d = self.dt(t) if t is not None else None
        return format_legacy(d) if self.legacy else format_rfc3339(d)


def _page(records: list) -> dict:
    return {"result": records, "next_page_token": ""}


def account_config(scn: Scenario, key: str, clock: _Clock, n_targets: dict[str, int] | None = None) -> dict[str, list]:
    """The scenario's configuration as VoIPbin resources (ids derived from ``key`` and names)."""
    cust = _id(key, "customer")
    created = clock(0.0)
    none = clock(None)
    cid = {c.name: _id(key, "campaign", c.name) for c in scn.campaigns}
    pid = {o.name: _id(key, "outplan", o.name) for o in scn.outplans}
    oid = {o.name: _id(key, "outdial", o.name) for o in scn.outdials}
    qid = {q.name: _id(key, "queue", q.name) for q in scn.queues}
    tag = lambda name: _id(key, "tag", name)
    owner = {c.outdial: cid[c.name] for c in scn.campaigns}

    def stamp(rec: dict) -> dict:
        rec.update(tm_create=created, tm_update=created, tm_delete=none)
        return rec

    campaigns = [stamp({
        "id": cid[c.name], "customer_id": cust, "type": c.type, "name": c.name, "detail": "", "status": "run",
        "service_level": c.service_level, "end_handle": c.end_handle,
        "actions": [{"id": ZERO_UUID, "next_id": ZERO_UUID, "type": a.type,
                     **({"option": _option(a)} if _option(a) else {}), "tm_execute": None} for a in c.actions],
        "outplan_id": pid[c.outplan], "outdial_id": oid[c.outdial], "queue_id": qid.get(c.queue, ZERO_UUID) if c.queue else ZERO_UUID,
        "next_campaign_id": cid.get(c.next_campaign, ZERO_UUID) if c.next_campaign else ZERO_UUID,
    }) for c in scn.campaigns]
    outplans = [stamp({
        "id": pid[o.name], "customer_id": cust, "name": o.name, "detail": "",
        "source": {"type": "tel", "target": o.source or "+15550000000"},
        "dial_timeout": round(o.dial_timeout * 1000), "try_interval": round(o.try_interval * 1000),
        **{f"max_try_count_{i}": o.max_try_count[i] for i in range(5)},
    }) for o in scn.outplans]
    outdials = [stamp({"id": oid[o.name], "customer_id": cust, "campaign_id": owner.get(o.name, ZERO_UUID),
                       "name": o.name, "detail": "", "data": ""}) for o in scn.outdials]
    targets = []
    # an absent destination: null (SQL NULL, skipped by VoIPbin's target query) when the scenario
    # skips it, {} (stored as JSON null, dialled, refused) when the engine dials it as coded
    absent = None if scn.semantics().missing_destination == "skip" else {}
    for o in scn.outdials:
        if isinstance(o.targets, int):
            n = o.targets
            if n > MAX_TARGET_RECORDS and n_targets is not None:
                n = min(n, n_targets.get(o.name, n))  # a huge list: only the targets the run reached
            masks = np.full(n, (1 << o.destinations) - 1, dtype=np.uint8)
        else:
            masks = np.frombuffer(scn.target_masks.get(o.name, b""), dtype=np.uint8)
        for j, m in enumerate(masks):
            t = clock(j * 1e-6)  # creation order = list order
            rec = {"id": _id(key, "target", o.name, j), "outdial_id": oid[o.name], "name": f"target-{j}", "detail": "",
                   "data": "", "status": "idle"}
            for i in range(5):
                rec[f"destination_{i}"] = {"type": "tel", "target": f"+1555{j:07d}{i}"} if m >> i & 1 else absent
            for i in range(5):
                rec[f"try_count_{i}"] = 0
            rec.update(tm_create=t, tm_update=t, tm_delete=none)
            targets.append(rec)
    queues = [stamp({
        "id": qid[q.name], "customer_id": cust, "name": q.name, "detail": "", "routing_method": q.routing_method,
        "tag_ids": [tag(t) for t in q.tags], "wait_flow_id": ZERO_UUID,
        **({"wait_timeout": round(q.wait_timeout * 1000)} if q.wait_timeout else {}),
        **({"service_timeout": round(q.service_timeout * 1000)} if q.service_timeout else {}),
    }) for q in scn.queues]
    agents = []
    k = 0
    for g in scn.agents:
        for j in range(g.count):
            agents.append(stamp({
                "id": _id(key, "agent", k), "customer_id": cust, "username": f"{g.name}-{j}@example.com", "name": f"{g.name} {j}",
                "detail": "", "ring_method": "ringall", "status": "available", "permission": 0,
                "tag_ids": [tag(t) for t in g.tags], "addresses": [{"type": "extension", "target": f"{g.name}-{j}"}],
                "direct_hash": "",
            }))
            k += 1
    return {"campaigns": campaigns, "outplans": outplans, "outdials": outdials, "outdialtargets": targets,
            "queues": queues, "agents": agents}


def _option(a) -> dict:
    opt = a.option.model_dump(exclude_none=True)
    if "duration" in opt:
        opt["duration"] = round(opt["duration"] * 1000)  # VoIPbin: ms
    return opt


def call_records(scn: Scenario, calls: pd.DataFrame, key: str, clock: _Clock) -> dict[str, list]:
    """One run's campaigncalls (a ``calls`` table of one scenario, level and replication) as
    VoIPbin calls (customer and agent legs), campaigncalls and queuecalls."""
    cust = _id(key, "customer")
    camp = {c.name: c for c in scn.campaigns}
    ring_timeout = scn.engine.timers.ring_timeout
    out_calls: list[dict] = []
    ccs: list[dict] = []
    qcs: list[dict] = []
    none = clock(None)
    cols = {c: calls[c].to_numpy() for c in calls.columns}
    for i in range(len(calls)):
        cname = cols["campaign"][i]
        c = camp[cname]
        tgt = int(cols["target"][i])
        dest = int(cols["destination_index"][i])
        t_dial = float(cols["t_dial"][i])
        t_ans = float(cols["t_answer"][i])
        t_q = float(cols["t_queue"][i])
        t_ring = float(cols["t_agent_ring"][i])
        t_aa = float(cols["t_agent_answer"][i])
        t_end = float(cols["t_hangup"][i])
        reason = cols["reason"][i]
        result = cols["result"][i]
        outcome = cols["outcome"][i]
        live = math.isnan(t_end)
        call_id = _id(key, "call", i)
        cc_id = _id(key, "campaigncall", i)
        flow_type = c.type == "flow"
        address = {"type": "tel", "target": f"+1555{tgt:07d}{dest}"}
        if not flow_type and outcome != "not_placed":
            status = "hangup" if not live else ("progressing" if not math.isnan(t_ans) else "ringing")
            out_calls.append({
                "id": call_id, "customer_id": cust, "owner_type": "", "owner_id": ZERO_UUID,
                "flow_id": _id(key, "flow", cname), "activeflow_id": _id(key, "activeflow", i), "type": "flow",
                "source": {"type": "tel", "target": "+15550000000"}, "destination": address,
                "status": status, "direction": "outgoing",
                **({"hangup_by": "remote" if reason == "normal" else "local", "hangup_reason": reason} if not live else {}),
                **({"tm_progressing": clock(t_ans)} if not math.isnan(t_ans) else {}),
                "tm_ringing": clock(t_dial),
                **({"tm_hangup": clock(t_end)} if not live else {}),
                "tm_create": clock(t_dial), "tm_update": clock(t_dial if live else t_end),
            })
        ccs.append({
            "id": cc_id, "customer_id": cust, "campaign_id": _id(key, "campaign", cname),
            "outplan_id": _id(key, "outplan", c.outplan), "outdial_id": _id(key, "outdial", c.outdial),
            "outdial_target_id": _id(key, "target", c.outdial, tgt),
            "queue_id": _id(key, "queue", c.queue) if c.queue else ZERO_UUID,
            "activeflow_id": _id(key, "activeflow", i), "flow_id": _id(key, "flow", cname),
            "reference_type": "flow" if flow_type else "call",
            "reference_id": ZERO_UUID if flow_type or outcome == "not_placed" else call_id,
            "status": "done" if not live else ("progressing" if flow_type else "dialing"),
            "result": "" if live else result,
            "source": {"type": "tel", "target": "+15550000000"}, "destination": address,
            "destination_index": dest, "try_count": int(cols["try_count"][i]),
            "tm_create": clock(t_dial), "tm_update": clock(t_dial if live else t_end), "tm_delete": none,
        })
        if math.isnan(t_q):
            continue
        agent = int(cols["agent"][i])
        served = not math.isnan(t_ring)
        wait_end = t_ring if served else (t_end if not live else None)
        if served:
            status = "done" if not live else "service"
        else:
            status = "abandoned" if not live else "waiting"
        qc = {
            "id": _id(key, "queuecall", i), "customer_id": cust, "reference_type": "call", "reference_id": call_id,
            "status": status,
            **({"service_agent_id": _id(key, "agent", agent)} if agent >= 0 else {}),
            **({"duration_waiting": round((wait_end - t_q) * 1000)} if wait_end is not None and wait_end > t_q else {}),
            **({"duration_service": round((t_end - t_ring) * 1000)} if served and not live and t_end > t_ring else {}),
            "tm_create": clock(t_q), "tm_service": clock(t_ring if served else None),
            "tm_update": clock(t_end if not live else (t_ring if served else t_q)), "tm_delete": none,
        }
        qcs.append(qc)
        if served:
            answered = not math.isnan(t_aa)
            ring_end = t_ring + ring_timeout
            if answered:
                leg_end, leg_reason = t_end, "normal"
            elif not live and t_end < ring_end:
                leg_end, leg_reason = t_end, "cancel"  # the caller left while the agent rang
            elif live and not answered and t_ring + ring_timeout > _data_end(calls):
                leg_end, leg_reason = float("nan"), ""
            else:
                leg_end, leg_reason = ring_end, "noanswer"
            leg_live = math.isnan(leg_end)
            out_calls.append({
                "id": _id(key, "agentcall", i), "customer_id": cust, "owner_type": "", "owner_id": ZERO_UUID,
                "flow_id": _id(key, "agentflow", i), "type": "flow", "master_call_id": call_id,
                "groupcall_id": _id(key, "groupcall", i),
                "source": {"type": "tel", "target": "+15550000000"},
                "destination": {"type": "extension", "target": f"agent-{agent}"},
                "status": "hangup" if not leg_live else ("progressing" if answered else "ringing"),
                "direction": "outgoing",
                **({"hangup_by": "remote", "hangup_reason": leg_reason} if not leg_live else {}),
                **({"tm_progressing": clock(t_aa)} if answered else {}),
                "tm_ringing": clock(t_ring),
                **({"tm_hangup": clock(leg_end)} if not leg_live else {}),
                "tm_create": clock(t_ring), "tm_update": clock(t_ring if leg_live else leg_end),
            })
    return {"calls": out_calls, "campaigncalls": ccs, "queuecalls": qcs}


def _data_end(calls: pd.DataFrame) -> float:
    v = calls.attrs.get("data_end")
    if v is None:
        vals = calls[["t_dial", "t_answer", "t_queue", "t_agent_ring", "t_agent_answer", "t_hangup"]].to_numpy(dtype=float)
        v = float(np.nanmax(vals)) if vals.size else 0.0
        calls.attrs["data_end"] = v
    return v


def write_run(scn: Scenario, calls: pd.DataFrame, folder: str | os.PathLike, *, key: str | None = None,
              legacy: bool = False, pretty: bool = False) -> Path:
    """Write one run's account (configuration + records) into ``folder`` (created)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    key = key or scn.name
    clock = _Clock(scn, legacy)
    used = {}
    if len(calls):
        for c in scn.campaigns:
            sub = calls.loc[calls["campaign"] == c.name, "target"]
            used[c.outdial] = int(sub.max()) + 1 if len(sub) else 0
    docs = account_config(scn, key, clock, used)
    docs.update(call_records(scn, calls, key, clock))
    for name, records in docs.items():
        text = json.dumps(_page(records), indent=1 if pretty else None, separators=None if pretty else (",", ":"))
        (folder / f"{name}.json").write_text(text + "\n", encoding="utf-8")
    return folder


def write_records(result, out: str | os.PathLike, *, legacy: bool = False) -> list[Path]:
    """Every run of an ``ExperimentResult`` kept with its calls, each into
    ``out/voipbin/<scenario>/sl<SL>-r<R>/``."""
    out = Path(out)
    written = []
    for frame in result.call_frames():
        if not len(frame):
            continue
        name = str(frame["scenario"].iloc[0])
        sl = int(frame["service_level"].iloc[0])
        rep = int(frame["replication"].iloc[0])
        scn = next(s for s in result.scenarios if s.name == name)
        written.append(write_run(scn, frame.reset_index(drop=True), out / "voipbin" / name / f"sl{sl}-r{rep}",
                                 key=f"{name}/{sl}/{rep}", legacy=legacy))
    return written


__all__ = ["account_config", "call_records", "write_records", "write_run"]
