"""`pacing-sim import`: VoIPbin list responses -> scenario + targets CSV (sim.voipbin).

The accounts here are written from a scenario by ``sim.voipbin.export.account_config`` (the
shapes of VoIPbin's WebhookMessage structs), then edited record by record, so each test knows
the truth it compares with.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from sim.scenario.load import load_scenario, parse_scenario
from sim.voipbin import export, resources
from sim.voipbin.importer import import_account, write_import
from sim.voipbin.resources import RecordError, convert_timestamps, read_account
from tests.conftest import BASE, merge

ZERO = resources.ZERO_UUID


def truth(base_dir=None, **patch):
    data = merge(BASE, {
        "name": "acct",
        "campaigns": [{"name": "promo", "type": "call", "service_level": 180, "end_handle": "continue",
                       "outplan": "two-numbers", "outdial": "march", "queue": "sales",
                       "actions": [{"type": "talk", "option": {"text": "Hello there, please hold.", "language": "en-US"}},
                                   {"type": "sleep", "option": {"duration": "1500ms"}}]}],
        "outplans": [{"name": "two-numbers", "try_interval": "90s", "max_try_count": [3, 2, 0, 0, 0], "dial_timeout": "25s"}],
        "outdials": [{"name": "march", "targets": 12, "destinations": 2}],
        "queues": [{"name": "sales", "tags": ["sales", "vip"], "wait_timeout": "45s", "service_timeout": "10m"}],
        "agents": [{"name": "a", "count": 3, "tags": ["sales"], "talk_time": {"dist": "constant", "value": 100}},
                   {"name": "b", "count": 2, "tags": ["vip", "sales"], "talk_time": {"dist": "constant", "value": 100}}],
    })
    data.update(patch)
    return parse_scenario(data, "truth.yaml", base_dir=base_dir)


def account_docs(scn, legacy: bool = False) -> dict[str, list]:
    return export.account_config(scn, "k", export._Clock(scn, legacy))


def write_docs(folder: Path, docs: dict[str, list]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, recs in docs.items():
        (folder / f"{name}.json").write_text(json.dumps({"result": recs, "next_page_token": ""}))
    return folder


def do_import(folder: Path, out: Path, **kw):
    res = import_account(read_account([folder]), csv_stem=out.stem, **kw)
    write_import(res, out)
    return res, load_scenario(out)


def test_configuration_imports_field_by_field(tmp_path):
    """Every imported value is the truth's: ms -> seconds, references by id -> names, tag UUIDs
    shared by queue and agents, targets in order, agents grouped by identical tags (the order of
    an agent's tag_ids does not matter)."""
    scn = truth()
    docs = account_docs(scn)
    docs["agents"][3]["tag_ids"] = list(reversed(docs["agents"][3]["tag_ids"]))
    res, got = do_import(write_docs(tmp_path / "acct", docs), tmp_path / "out.yaml")
    c = got.campaigns[0]
    assert (c.name, c.type, c.service_level, c.end_handle, c.outplan, c.outdial, c.queue, c.next_campaign) == (
        "promo", "call", 180, "continue", "two-numbers", "march", "sales", None)
    assert [(a.type, a.option.text, a.option.duration) for a in c.actions] == [
        ("talk", "Hello there, please hold.", None), ("sleep", None, 1.5)]
    op = got.outplans[0]
    assert (op.try_interval, op.max_try_count, op.dial_timeout) == (90.0, [3, 2, 0, 0, 0], 25.0)
    q = got.queues[0]
    tag = {name: export._id("k", "tag", name) for name in ("sales", "vip")}
    assert (q.wait_timeout, q.service_timeout, sorted(q.tags)) == (45.0, 600.0, sorted(tag.values()))
    groups = sorted((g.count, sorted(g.tags)) for g in got.agents)
    assert groups == [(2, sorted([tag["sales"], tag["vip"]])), (3, [tag["sales"]])]
    assert got.target_masks["march"] == bytes([3] * 12)
    assert got.engine.missing_destination is None
    # every imported line names its resource and id
    text = (tmp_path / "out.yaml").read_text()
    for rec in docs["campaigns"] + docs["outplans"] + docs["queues"]:
        assert rec["id"] in text
    assert "try_interval: \"90000ms\"  # outplan" in text
    assert res.warnings == [] and res.notes == []


def test_both_timestamp_formats_give_the_same_scenario(tmp_path):
    """RFC 3339 with null, and the older '2026-03-02 00:00:00.218406' with the 9999 sentinel:
    the same scenario, the same targets CSV (only the header line naming the format differs)."""
    scn = truth()
    docs = account_docs(scn)
    # targets created out of list order: the engine takes them by tm_update ascending
    docs["outdialtargets"][0]["tm_update"] = "2026-03-02T10:00:00.5Z"
    docs["outdialtargets"][5]["tm_delete"] = "2026-03-02T09:30:00.000001Z"
    a = write_docs(tmp_path / "rfc", docs)
    b = write_docs(tmp_path / "legacy", convert_timestamps(docs, legacy=True))
    raw = json.loads((b / "outdialtargets.json").read_text())["result"]
    assert raw[1]["tm_delete"] == "9999-01-01 00:00:00.000000" and raw[5]["tm_delete"] == "2026-03-02 09:30:00.000001"
    r1, _ = do_import(a, tmp_path / "one.yaml")
    r2, _ = do_import(b, tmp_path / "two.yaml")
    strip = lambda t: [ln for ln in t.splitlines() if not ln.startswith("#")]
    assert strip(r1.yaml_text.replace("one.targets", "x")) == strip(r2.yaml_text.replace("two.targets", "x"))
    assert (tmp_path / "one.targets.csv").read_text() == (tmp_path / "two.targets.csv").read_text()
    ids = [ln.split(",")[5] for ln in (tmp_path / "one.targets.csv").read_text().splitlines()[1:]]
    t = docs["outdialtargets"]
    assert ids == [x["id"] for i, x in enumerate(t) if i not in (0, 5)] + [t[0]["id"]]
    assert "Timestamp formats read: rfc3339" in r1.yaml_text and "Timestamp formats read: legacy" in r2.yaml_text
    assert any("skipped 1 deleted targets" in n for n in r1.notes)


def test_zero_uuid_is_none_and_deleted_resources_are_skipped_with_a_line(tmp_path):
    scn = truth()
    docs = account_docs(scn)
    docs["campaigns"][0]["queue_id"] = ZERO
    docs["campaigns"][0]["next_campaign_id"] = ZERO
    gone = copy.deepcopy(docs["campaigns"][0])
    gone.update(id="5b1f9f0e-0000-4000-8000-000000000001", name="old", tm_delete="2026-02-01T00:00:00Z")
    docs["campaigns"].append(gone)
    docs["agents"][0]["tm_delete"] = "2026-02-01T00:00:00Z"
    res, got = do_import(write_docs(tmp_path / "acct", docs), tmp_path / "out.yaml")
    assert [c.name for c in got.campaigns] == ["promo"] and got.campaigns[0].queue is None
    assert sum(g.count for g in got.agents) == 4
    assert any(n.startswith("skipped campaign 5b1f9f0e") and "deleted" in n for n in res.notes)
    assert any(n.startswith("skipped agent") for n in res.notes)
    assert "# skipped campaign 5b1f9f0e" in res.yaml_text


def test_next_campaign_and_campaign_choice(tmp_path):
    scn = truth(campaigns=[
        {"name": "first", "outplan": "two-numbers", "outdial": "march", "queue": "sales", "next_campaign": "second"},
        {"name": "second", "outplan": "two-numbers", "outdial": "april", "queue": "sales"}],
        outdials=[{"name": "march", "targets": 3}, {"name": "april", "targets": 2}])
    folder = write_docs(tmp_path / "acct", account_docs(scn))
    _, got = do_import(folder, tmp_path / "all.yaml")
    assert [(c.name, c.next_campaign) for c in got.campaigns] == [("first", "second"), ("second", None)]
    assert len(got.target_masks["march"]) == 3 and len(got.target_masks["april"]) == 2
    _, one = do_import(folder, tmp_path / "one.yaml", campaign="first")
    assert [(c.name, c.next_campaign) for c in one.campaigns] == [("first", None)]
    _, by_id = do_import(folder, tmp_path / "two.yaml", campaign=export._id("k", "campaign", "second"))
    assert [c.name for c in by_id.campaigns] == ["second"]
    with pytest.raises(RecordError, match="no campaign with id or name 'third'"):
        import_account(read_account([folder]), campaign="third")


def test_null_and_empty_destinations(tmp_path):
    """destination_1 null (SQL NULL: the target query skips it) -> engine.missing_destination: skip;
    destination_1 {} (stored as JSON null, selected, refused by call-manager, the campaign stops)
    -> the engine's default (dial), with a warning saying so. A slot the outplan never dials
    (max_try_count 0) changes nothing."""
    scn = truth()
    docs = account_docs(scn)
    for t in docs["outdialtargets"][:4]:
        t["destination_2"] = {}
    res, got = do_import(write_docs(tmp_path / "a", docs), tmp_path / "a.yaml")
    assert got.engine.missing_destination is None and res.warnings == []

    nulls = copy.deepcopy(docs)
    for t in nulls["outdialtargets"][2:5]:
        t["destination_1"] = None
    res, got = do_import(write_docs(tmp_path / "b", nulls), tmp_path / "b.yaml")
    assert got.engine.missing_destination == "skip"
    assert got.target_masks["march"] == bytes([3, 3, 1, 1, 1] + [3] * 7)
    assert any("null" in w and "skips" in w for w in res.warnings)

    empty = copy.deepcopy(docs)
    empty["outdialtargets"][3]["destination_1"] = {}
    res, got = do_import(write_docs(tmp_path / "c", empty), tmp_path / "c.yaml")
    assert got.engine.semantics().missing_destination == "dial"
    assert got.target_masks["march"][3] == 1
    assert any("{}" in w and "campaign stops" in w for w in res.warnings)


@pytest.mark.parametrize("switch", ["dial", "skip"])
def test_exported_absent_destinations_round_trip(tmp_path, switch):
    """A run's configuration writes an absent destination as VoIPbin would hold it under the
    scenario's switch: {} when the engine dials it (as coded), null when it skips it; the import
    gives back the same switch and the same target list."""
    csv = tmp_path / "t.csv"
    csv.write_text("destination_0,destination_1\n+1,+2\n+3,\n,+4\n")
    scn = truth(tmp_path, outdials=[{"name": "march", "targets": "t.csv"}], engine={"missing_destination": switch})
    docs = account_docs(scn)
    assert docs["outdialtargets"][1]["destination_1"] == ({} if switch == "dial" else None)
    res, got = do_import(write_docs(tmp_path / "acct", docs), tmp_path / "out.yaml")
    assert got.engine.semantics().missing_destination == switch
    assert got.target_masks["march"] == scn.target_masks["march"] == bytes([3, 1, 2])
    assert any(("{}" if switch == "dial" else "null") in w for w in res.warnings)


def test_queue_without_routing_method_warns(tmp_path):
    """routing_method is omitempty: absent means "" (none), which VoIPbin's queue loop does not
    route (every caller's queue service is stopped); the model routes at random and says so."""
    docs = account_docs(truth())
    del docs["queues"][0]["routing_method"]
    res, got = do_import(write_docs(tmp_path / "acct", docs), tmp_path / "out.yaml")
    assert got.queues[0].routing_method == "random"
    assert any("routing_method ''" in w and "no call reaches an agent" in w for w in res.warnings)


def test_pages_merged_and_recognised_by_content(tmp_path):
    """A resource in several pages (one file each, or one file holding a list of pages) is merged;
    file names do not matter."""
    scn = truth()
    docs = account_docs(scn)
    folder = tmp_path / "acct"
    t = docs.pop("outdialtargets")
    write_docs(folder, {f"x{i}": recs for i, recs in enumerate(docs.values())})
    (folder / "t1.json").write_text(json.dumps([{"result": t[:5], "next_page_token": "a"}, {"result": t[5:9]}]))
    (folder / "t2.json").write_text(json.dumps({"result": t[9:], "next_page_token": ""}))
    acc = read_account([folder])
    assert len(acc.of("outdialtarget")) == 12 and len(acc.of("agent")) == 5


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["outplans"][0].pop("max_try_count_1"), "outplans.json: result[0].max_try_count_1: missing field"),
    (lambda d: d["campaigns"][0].update(status="paused"), "campaigns.json: result[0].status: unknown value"),
    (lambda d: d["agents"][2].update(ring_method="roundrobin"), "agents.json: result[2].ring_method: unknown value"),
    (lambda d: d["outdialtargets"][7].update(destination_0="+155512"), "outdialtargets.json: result[7].destination_0: expected an address"),
    (lambda d: d["queues"][0].update(wait_timeout="45s"), "queues.json: result[0].wait_timeout: expected a whole number"),
    (lambda d: d["campaigns"][0].update(queue_id="sales"), "campaigns.json: result[0].queue_id: expected a UUID"),
    (lambda d: d["outplans"][0].update(tm_create="yesterday"), "outplans.json: result[0].tm_create: expected an RFC 3339"),
    (lambda d: d["agents"].insert(1, d["queues"][0]), "agents.json: result[1]: a queue record in a page of agents"),
    (lambda d: d["campaigns"][0]["actions"].append({"type": "tlak"}), "campaigns.json: result[0].actions[2].type: unknown action type"),
    (lambda d: d["queues"].append({"foo": 1}), "queues.json: result[1]: not a record of a known VoIPbin resource"),
    (lambda d: d.update(agents=d.pop("queues")), "agents.json: result[0]: a page of queues in a file named for agents"),
])
def test_bad_records_name_the_file_and_the_record(tmp_path, edit, message):
    docs = account_docs(truth())
    edit(docs)
    folder = write_docs(tmp_path / "acct", docs)
    with pytest.raises(RecordError) as err:
        read_account([folder])
    assert any(str(p).startswith(str(folder / message.split(":")[0])) and message.split(": ", 1)[1] in str(p)
               for p in err.value.problems), str(err.value)


def test_missing_reference_and_not_a_list_response(tmp_path):
    docs = account_docs(truth())
    docs.pop("outplans")
    folder = write_docs(tmp_path / "acct", docs)
    with pytest.raises(RecordError, match=r"campaigns.json: result\[0\].outplan_id: campaign .* refers to outplan .* not in the files"):
        import_account(read_account([folder]))
    (folder / "junk.json").write_text('{"campaigns": []}')
    with pytest.raises(RecordError, match=r"junk.json: expected a VoIPbin list response"):
        read_account([folder])


EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "voipbin"


def test_example_account_imports_its_truth_in_either_timestamp_format(tmp_path):
    """examples/voipbin/account (RFC 3339) and the same files in the older format give the same
    scenario, and it is truth.yaml's configuration: campaign, outplan (ms -> s), queue, agent
    groups by tags (a deleted agent skipped), the targets (deleted and done ones skipped, null
    landlines absent) and missing_destination: skip."""
    truth_scn = load_scenario(EXAMPLE / "truth.yaml")
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    for f in sorted((EXAMPLE / "account").glob("*.json")):
        (legacy / f.name).write_text(json.dumps(convert_timestamps(json.loads(f.read_text()), legacy=True)))
    r1, got = do_import(EXAMPLE / "account", tmp_path / "a.yaml")
    r2, _ = do_import(legacy, tmp_path / "b.yaml")
    body = lambda t, stem: [ln.replace(stem, "X") for ln in t.splitlines() if not ln.startswith("#")]
    assert body(r1.yaml_text, "a.targets") == body(r2.yaml_text, "b.targets")
    c, t = got.campaigns[0], truth_scn.campaigns[0]
    assert c.model_dump() == {**t.model_dump(), "start_at": 0.0}
    assert got.outplans[0].model_dump() == {**truth_scn.outplans[0].model_dump(), "source": "+15550000000"}
    q, tq = got.queues[0], truth_scn.queues[0]
    assert (q.wait_timeout, q.service_timeout, len(q.tags)) == (tq.wait_timeout, tq.service_timeout, 1)
    assert sorted((g.count, len(g.tags)) for g in got.agents) == [(4, 2), (8, 1)]
    assert got.target_masks["renewals-march"] == truth_scn.target_masks["renewals-march"]
    assert got.engine.missing_destination == "skip"
    assert len(r1.notes) == 4
    # the wait flow is imported (queues[].wait_flow, issue 11), no longer a warning
    assert [a.type for a in q.wait_flow] == ["talk", "sleep"] and not any("wait flow" in w for w in r1.warnings)
