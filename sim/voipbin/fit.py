"""Call records (calls, campaigncalls, queuecalls) -> the scenario's ``population:`` and ``agents:``.

How each quantity is read from VoIPbin's records (see docs/import.md for the reasoning):

- **dial outcome** per ``destination_index`` (campaigncall -> its call by ``reference_id``): not
  answered (no ``tm_progressing``) and ``hangup_reason`` busy -> busy, failed -> failed, noanswer or
  dialout -> no answer (cancel and other early ends are left out: the outcome was not seen);
  answered with ``hangup_reason: amd`` -> machine (the amd action's verdict, taken at face value);
  answered and ended before reaching the queue of a campaign with a queue -> machine (in the model
  a person always waits for the queue; a machine hangs up when its greeting ends); every other
  answer -> person. Without an amd action, machines that reach the queue cannot be told apart
  from people: they are counted as people (said in the output).
- **ring time**: ``tm_progressing - tm_create`` of answered calls, a sample truncated at the 60 s
  ring timeout (only answers before it are seen); the human and machine shares are divided by
  the fitted P(ring < 60 s), what rang out being part of no answer.
- **busy / failed signal time**: ``tm_hangup - tm_create`` of those calls.
- **patience**: from queue entry (the queuecall's ``tm_create``) to the caller's hang-up without
  an agent; a caller an agent answered is right-censored at the agent's answer (patience runs
  until then), one removed by the queue's ``wait_timeout`` at that timeout, one cut by the 1 h
  limit or still live at the end of the records at that moment.
- **agent answer delay and misses**: the agent's leg (a call whose ``master_call_id`` is the
  customer's call): answered at ``tm_progressing - tm_create``; a leg ended because the caller
  left is censored; ``miss_probability`` is the Kaplan-Meier probability of no answer within
  the ring timeout.
- **talk time**: from the agent's answer to the customer call's ``tm_hangup``, censored by the
  1 h limit and the records' end.
- **answer rate by hour of day** (UTC hour of the dial): a chi-square test of equal rates; when
  it rejects (p < 0.001), ``time_of_day`` multipliers.

Not in these records, so kept from the defaults and marked assumed: wrap-up and status reset
(agent status changes are not in calls or queuecalls), machine talk time, AMD accuracy.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from scipy import stats

from sim.voipbin.dists import Estimate, fit_duration, kaplan_meier
from sim.voipbin.resources import Account, Problem, RecordError
from sim.voipbin.yamlout import Writer

RING_TIMEOUT = 60.0
MAX_CALL = 3600.0
RECORD_KINDS = ("call", "campaigncall", "queuecall", "campaign", "queue", "agent", "outplan", "outdial",
                "outdialtarget", "flow")
OUTCOMES = ("human", "machine", "busy", "failed", "no_answer")


@dataclass
class Proportion:
    name: str
    value: float
    k: float
    n: int

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """Wilson score interval."""
        if self.n == 0:
            return 0.0, 1.0
        z = stats.norm.ppf(0.5 + level / 2)
        p = self.k / self.n
        den = 1 + z * z / self.n
        mid = (p + z * z / (2 * self.n)) / den
        half = z * math.sqrt(p * (1 - p) / self.n + z * z / (4 * self.n * self.n)) / den
        return mid - half, mid + half


@dataclass
class FitResult:
    population: dict = field(default_factory=dict)
    agent: dict = field(default_factory=dict)
    agent_groups: list = field(default_factory=list)
    notes: dict = field(default_factory=dict)
    estimates: dict[str, Estimate] = field(default_factory=dict)
    proportions: dict[str, Proportion] = field(default_factory=dict)
    scale: dict[str, float] = field(default_factory=dict)
    """Per outcome proportion name, the factor its share was divided by (1 / P(ring < timeout))."""
    messages: list[str] = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    hourly: dict | None = None

    def interval(self, name: str, level: float = 0.95) -> tuple[float, float]:
        """The interval of a fitted parameter: ``population.outcome[0].human``,
        ``population.ring_time.mean``, ``agents.miss_probability``, ..."""
        if name in self.proportions:
            lo, hi = self.proportions[name].interval(level)
            f = self.scale.get(name, 1.0)
            return lo * f, hi * f
        key, _, param = name.rpartition(".")
        return self.estimates[key].interval(param, level)

    def value(self, name: str) -> float:
        if name in self.proportions:
            p = self.proportions[name]
            return p.k / p.n * self.scale.get(name, 1.0) if p.n else float("nan")
        key, _, param = name.rpartition(".")
        return self.estimates[key].params[param]

    def parameters(self) -> list[str]:
        out = list(self.proportions)
        for key, est in self.estimates.items():
            out += [f"{key}.{p}" for p in est.params]
        return out

    def table(self) -> str:
        lines = [f"{'parameter':44} {'fitted':>10} {'95 % interval':>23}  note"]
        for name in self.parameters():
            lo, hi = self.interval(name)
            lines.append(f"{name:44} {self.value(name):10.4g} {lo:11.4g} - {hi:<9.4g}  {self._note(name)}")
        return "\n".join(lines)

    def _note(self, name: str) -> str:
        key = name.rpartition(".")[0]
        if key in self.estimates:
            e = self.estimates[key]
            return f"{e.family}, n={e.n_events}{f'+{e.n_censored} censored' if e.n_censored else ''}, {e.ks_kind} {e.ks:.3f}"
        p = self.proportions.get(name)
        return f"{p.k:g} of {p.n}" if p else ""

    def yaml_text(self, source: str = "") -> str:
        """FITTED.yaml: ``population:`` and ``agents:`` in the scenario format, every value commented."""
        from sim.voipbin.importer import bundled_defaults

        d = bundled_defaults()
        w = Writer()
        w.comment("Fitted by `pacing-sim fit` from VoIPbin call records" + (f": {source}" if source else "") + ".")
        w.comment("Maximum likelihood (scipy); each distribution's family chosen by AIC among exponential, lognormal,")
        w.comment("gamma and uniform; intervals are 95 %. 'assumed' marks what the records do not show.")
        for m in self.messages:
            w.comment(m)
        w.open(0, "population")
        for key in ("outcome", "time_of_day", "ring_time", "busy_time", "failed_time", "patience", "machine_talk_time",
                    "amd", "speech_rate_wps"):
            if key in self.population:
                value, comment = self.population[key], self.notes.get(f"population.{key}", "fitted")
            else:
                value, comment = d["population"][key], "assumed: bundled default (not in the records)"
            if key == "outcome":
                w.open(2, "outcome", comment)
                for i, mix in enumerate(value):
                    w.item(4, mix, self.notes.get(f"population.outcome[{i}]", f"destination_{i}"))
            else:
                w.kv(2, key, value, comment)
        w.blank()
        w.open(0, "agents")
        da = d["agents"][0]
        for g in self.agent_groups or [{"name": "agents", "count": 0, "tags": [], "comment": "no agent seen"}]:
            w.kv(2, "name", g["name"], g.get("comment"), item=True)
            w.kv(4, "count", g["count"], g.get("count_comment", "agents seen in the records"))
            w.kv(4, "tags", g["tags"], g.get("tags_comment", "agent tag_ids"))
            w.kv(4, "shift", {"start": "0s", "end": None}, "assumed: logged in for the whole horizon")
            for key in ("answer_delay", "miss_probability", "talk_time", "wrap_up", "status_reset"):
                if key in self.agent:
                    w.kv(4, key, self.agent[key], self.notes.get(f"agents.{key}", "fitted"))
                else:
                    w.kv(4, key, da[key], "assumed: bundled default (agent status changes are not in these records)")
        return w.text()


def _s(a: datetime | None, b: datetime | None) -> float:
    if a is None or b is None:
        return float("nan")
    return (b - a).total_seconds()


def fit_records(account: Account, campaign: str | None = None, *, config: Account | None = None,
                amd_false_positive: float = 0.0, amd_false_negative: float = 0.0) -> FitResult:
    """Fit the called parties' and agents' behaviour from an account's call records.

    ``config``: the account's configuration when it is not among the records (campaigns tell
    whether an amd action runs first, queues their ``wait_timeout``, agents their groups)."""
    calls = account.by_id("call")
    ccs = account.of("campaigncall")
    qcs = account.of("queuecall")
    if not ccs:
        raise RecordError([Problem(", ".join(account.files) or "records", "",
                                   "no campaigncalls in the records; fit needs calls, campaigncalls and queuecalls")])
    campaigns = {**(config.by_id("campaign") if config else {}), **account.by_id("campaign")}
    queues = {**(config.by_id("queue") if config else {}), **account.by_id("queue")}
    agent_records = account.of("agent") or (config.of("agent") if config else [])
    if campaign is not None:
        ids = {cid for cid, r in campaigns.items() if r.f["name"] == campaign} | {campaign.lower()}
        ccs = [cc for cc in ccs if cc.f["campaign_id"] in ids]
        if not ccs:
            raise RecordError([Problem("--campaign", "", f"no campaigncall of campaign {campaign!r} in the records")])
    res = FitResult()

    # the end of the records: what is still live is censored there
    stamps = [r.f.get(k) for kind in ("call", "campaigncall", "queuecall") for r in account.of(kind)
              for k in ("tm_create", "tm_update", "tm_hangup", "tm_progressing", "tm_service")]
    stamps = [t for t in stamps if t is not None]
    data_end = max(stamps)

    legs: dict[str, list] = defaultdict(list)
    for c in account.of("call"):
        if c.f["master_call_id"] is not None:
            legs[c.f["master_call_id"]].append(c)
    qc_by_call = {}
    for q in qcs:
        qc_by_call.setdefault(q.f["reference_id"], q)

    # AMD: does a campaign hang up on machines, and is amd its first timed action?
    camp_ids = {cc.f["campaign_id"] for cc in ccs}
    known = [c for c in camp_ids if c in campaigns]
    has_amd = any(any(a.get("type") == "amd" for a in (campaigns[c].f["actions"] or [])) for c in known)
    amd_first = bool(known) and all(_amd_first(campaigns[c].f["actions"]) for c in known) and has_amd
    if not known:  # no campaign resource: the verdicts tell whether an amd action ran
        has_amd = any(calls.get(cc.f["reference_id"]) is not None and calls[cc.f["reference_id"]].f["hangup_reason"] == "amd"
                      for cc in ccs if cc.f["reference_id"] is not None)
        if has_amd:
            res.messages.append("amd verdicts found but no campaigns' list response: amd detect time not fitted "
                                "(give the campaigns to tell when detection starts)")
    n_amd_verdicts = 0

    per_dest: dict[int, Counter] = defaultdict(Counter)
    ring, busy, failed, detect = [], [], [], []
    hours: dict[int, Counter] = defaultdict(Counter)
    left_out = Counter()
    queued_campaign = {cc.f["campaign_id"]: cc.f["queue_id"] is not None for cc in ccs}
    call_ids = []
    for cc in ccs:
        if cc.f["reference_type"] != "call" or cc.f["reference_id"] is None:
            left_out["not a call (flow campaigncall or no call placed)"] += 1
            continue
        call = calls.get(cc.f["reference_id"])
        if call is None:
            left_out["its call is not in the records"] += 1
            continue
        dest = cc.f["destination_index"]
        f = call.f
        answered = f["tm_progressing"] is not None
        reason = f["hangup_reason"]
        live = f["status"] != "hangup"
        t0 = f["tm_create"]
        if answered:
            if reason == "amd":
                outcome = "machine"
                n_amd_verdicts += 1
                if amd_first:
                    detect.append(_s(f["tm_progressing"], f["tm_hangup"]))
            elif (not live and queued_campaign.get(cc.f["campaign_id"]) and call.id not in qc_by_call
                  and reason == "normal"):
                outcome = "machine"
            else:
                outcome = "human"
            ring.append(_s(t0, f["tm_progressing"]))
        elif live:
            left_out["still ringing at the end of the records"] += 1
            continue
        elif reason == "busy":
            outcome = "busy"
            busy.append(_s(t0, f["tm_hangup"]))
        elif reason == "failed":
            outcome = "failed"
            failed.append(_s(t0, f["tm_hangup"]))
        elif reason in ("noanswer", "dialout", "timeout"):
            outcome = "no_answer"
        else:
            left_out[f"hung up {reason or 'without a reason'} before an answer"] += 1
            continue
        per_dest[dest][outcome] += 1
        hours[t0.hour][outcome] += 1
        hours[t0.hour]["n"] += 1
        call_ids.append(call.id)
    n_used = sum(sum(c.values()) for c in per_dest.values())
    if n_used == 0:
        raise RecordError([Problem(", ".join(account.files) or "records", "",
                                   "no finished call of a campaigncall in the records: nothing to fit")])
    res.counts = {"campaigncalls": len(ccs), "used": n_used, **{f"left out: {k}": v for k, v in left_out.items()}}

    # ring time, truncated at the ring timeout
    est = fit_duration(ring, trunc=RING_TIMEOUT, families=("exponential", "lognormal", "gamma"))
    p_seen = 1.0
    if est is not None:
        res.estimates["population.ring_time"] = est
        res.population["ring_time"] = est.dist
        res.notes["population.ring_time"] = f"fitted: {est.describe()}; answers after the {RING_TIMEOUT:g}s ring timeout are not seen (truncated)"
        p_seen = float(est.cdf(RING_TIMEOUT)) if est.family != "constant" else 1.0
    for name, data in (("busy_time", busy), ("failed_time", failed)):
        e = fit_duration(data)
        if e is not None:
            res.estimates[f"population.{name}"] = e
            res.population[name] = e.dist
            res.notes[f"population.{name}"] = f"fitted: {e.describe()}"

    # outcome mix per destination index
    mixes = []
    top = max(per_dest)
    for i in range(top + 1):
        c = per_dest.get(i, Counter())
        n = sum(c.values())
        if n == 0:
            mixes.append(mixes[-1] if mixes else {"human": 0.0, "machine": 0.0, "busy": 0.0, "failed": 0.0, "no_answer": 1.0})
            res.notes[f"population.outcome[{i}]"] = f"destination_{i}: no call in the records; copied from the previous"
            continue
        k_m = c["machine"]
        k_h = c["human"]
        if has_amd and (amd_false_positive or amd_false_negative):
            ans = k_m + k_h
            k_m = min(max((k_m - amd_false_positive * ans) / max(1 - amd_false_positive - amd_false_negative, 1e-9), 0), ans)
            k_h = ans - k_m
        shares = {
            "human": k_h / n / p_seen, "machine": k_m / n / p_seen, "busy": c["busy"] / n, "failed": c["failed"] / n,
        }
        shares = {k: round(v, 4) for k, v in shares.items()}
        shares["no_answer"] = round(max(1.0 - sum(shares.values()), 0.0), 4)
        mixes.append(shares)
        for k, kk in (("human", k_h), ("machine", k_m), ("busy", c["busy"]), ("failed", c["failed"])):
            name = f"population.outcome[{i}].{k}"
            res.proportions[name] = Proportion(name, kk / n, kk, n)
            if k in ("human", "machine"):
                res.scale[name] = 1 / p_seen
        res.notes[f"population.outcome[{i}]"] = (
            f"destination_{i}: {n} dials: " + ", ".join(f"{k} {c[k]}" for k in OUTCOMES if c[k])
            + (f"; answers divided by P(ring < {RING_TIMEOUT:g}s) = {p_seen:.4f}" if p_seen < 0.9999 else ""))
    res.population["outcome"] = mixes
    res.notes["population.outcome"] = "fitted: shares of dial outcomes per destination index (95 % Wilson intervals in the fit table)"
    if has_amd:
        res.messages.append(f"Machines: {n_amd_verdicts} amd verdicts (hangup_reason amd), taken "
                            + ("at face value (no false positives or negatives assumed)" if not (amd_false_positive or amd_false_negative)
                               else f"with false positives {amd_false_positive:g} and false negatives {amd_false_negative:g}")
                            + "; answered calls that ended before the queue are machines too.")
    else:
        res.messages.append("Machines: no amd action, so only answered calls that ended before reaching the queue are "
                            "counted as machines; machines that reach the queue cannot be told apart from people and "
                            "are counted as people.")
    if detect:
        e = fit_duration(detect)
        if e is not None:
            res.estimates["population.amd.detect_time"] = e
            res.notes["population.amd"] = f"detect_time fitted ({e.describe()}); accuracy assumed (verdicts at face value)"
            res.population["amd"] = {"detect_time": e.dist, "false_positive": amd_false_positive,
                                     "false_negative": amd_false_negative}

    # the queue: patience, agent legs, talk time
    wait_timeouts = {q.id: q.f["wait_timeout"] / 1000 for q in queues.values()}
    if qcs and not queues:
        res.messages.append("No queues' list response: a caller removed by the queue's wait_timeout cannot be told "
                            "from one who hung up (give the queues to censor them)")
    cc_queue = {cc.f["reference_id"]: cc.f["queue_id"] for cc in ccs}
    pat_e, pat_c, talk_e, talk_c, delay_e, delay_c = [], [], [], [], [], []
    miss_e, miss_c = [], []
    no_legs = 0
    agents_seen = set()
    considered = set(call_ids)
    for q in qcs:
        cid = q.f["reference_id"]
        if cid not in considered:
            continue
        call = calls[cid]
        t_q = q.f["tm_create"]
        if q.f["service_agent_id"] is not None:
            agents_seen.add(q.f["service_agent_id"])
        answered_leg = None
        for leg in legs.get(cid, []):
            lf = leg.f
            if lf["tm_progressing"] is not None:
                answered_leg = leg
                delay_e.append(_s(lf["tm_create"], lf["tm_progressing"]))
                miss_e.append(_s(lf["tm_create"], lf["tm_progressing"]))
            elif lf["status"] != "hangup":
                c = _s(lf["tm_create"], data_end)
                delay_c.append(c)
                miss_c.append(c)
            elif lf["hangup_reason"] == "noanswer":
                miss_c.append(RING_TIMEOUT)  # rang out: no answer within the timeout
            else:
                c = _s(lf["tm_create"], lf["tm_hangup"])
                delay_c.append(c)
                miss_c.append(c)
        end = call.f["tm_hangup"] if call.f["status"] == "hangup" else None
        t_s = q.f["tm_service"]
        if not legs.get(cid) and t_s is not None:
            # no agent leg in the records: patience is censored at the service moment (the
            # agent's ring; censoring there is still independent of patience)
            no_legs += 1
            pat_c.append(_s(t_q, t_s))
            continue
        if answered_leg is not None:
            pat_c.append(_s(t_q, answered_leg.f["tm_progressing"]))
            t_a = answered_leg.f["tm_progressing"]
            if end is None:
                talk_c.append(_s(t_a, data_end))
            elif call.f["hangup_reason"] == "timeout":
                talk_c.append(_s(t_a, end))
            else:
                talk_e.append(_s(t_a, end))
            continue
        if end is None:
            pat_c.append(_s(t_q, data_end))
            continue
        d = _s(t_q, end)
        wt = wait_timeouts.get(cc_queue.get(cid) or "", 0.0)
        if call.f["hangup_reason"] == "timeout" or (wt > 0 and q.f["status"] == "abandoned" and abs(d - wt) < 0.01):
            pat_c.append(d)
        else:
            pat_e.append(d)
    e = fit_duration(pat_e, pat_c, families=("exponential", "lognormal", "gamma"))
    if e is not None:
        res.estimates["population.patience"] = e
        res.population["patience"] = e.dist
        res.notes["population.patience"] = (f"fitted: {e.describe()}; callers an agent answered are right-censored at "
                                            "the answer (a plain mean of the abandoned waits would be biased low)")
    e = fit_duration(talk_e, talk_c, families=("exponential", "lognormal", "gamma"))
    if e is not None:
        res.estimates["agents.talk_time"] = e
        res.agent["talk_time"] = e.dist
        res.notes["agents.talk_time"] = f"fitted: {e.describe()} (agent's answer to hang-up)"
    if no_legs:
        res.messages.append(
            f"{no_legs} served queuecalls have no agent leg (a call whose master_call_id is the customer's) in the "
            "records: their patience is censored at the service moment (tm_service); their talk time, the agents' "
            "answer delay and misses cannot be read (the service time mixes conversations with callers who hung up "
            "while the agent rang)" + ("; talk time is kept from the defaults" if not talk_e else ""))
    if delay_e:
        # legs the caller ended before an answer are left out of the delay's distribution (they
        # count in miss_probability below): few, when patience is long against the delays
        e = fit_duration(delay_e)
        if e is not None:
            res.estimates["agents.answer_delay"] = e
            res.agent["answer_delay"] = e.dist
            res.notes["agents.answer_delay"] = (f"fitted: {e.describe()} (agent leg tm_create to tm_progressing; "
                                                f"{len(delay_c)} legs the caller ended first left out)")
    if miss_e or miss_c:
        times, surv = kaplan_meier(np.asarray(miss_e, float), np.asarray(miss_c, float))
        s = float(surv[times < RING_TIMEOUT][-1]) if np.any(times < RING_TIMEOUT) else 1.0
        n_legs = len(miss_e) + len(miss_c)
        n_rang_out = sum(1 for x in miss_c if x >= RING_TIMEOUT)
        # the interval: a binomial one on the legs whose result was seen (answered or rang out)
        seen = len(miss_e) + n_rang_out
        res.proportions["agents.miss_probability"] = Proportion("agents.miss_probability", s, s * seen, seen)
        res.agent["miss_probability"] = round(s, 4)
        res.notes["agents.miss_probability"] = (f"fitted: Kaplan-Meier P(no answer within {RING_TIMEOUT:g}s) over "
                                                f"{n_legs} agent legs ({n_rang_out} rang out)")
    # agent groups
    agents = {a.id: a for a in agent_records if not a.deleted}
    if agents:
        groups: dict[tuple, list] = defaultdict(list)
        for a in agents.values():
            groups[tuple(sorted(set(a.f["tag_ids"])))].append(a)
        for tags, members in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            seen_here = sum(1 for m in members if m.id in agents_seen)
            res.agent_groups.append({
                "name": f"tags-{'-'.join(t[:8] for t in tags)}" if tags else "untagged", "count": len(members),
                "tags": list(tags), "comment": "agents grouped by identical tag_ids (from the agents' list response)",
                "count_comment": f"{seen_here} of them served calls in these records; behaviour fitted over all agents",
            })
    else:
        qtags = sorted({t for q in queues.values() for t in q.f["tag_ids"]})
        res.agent_groups.append({"name": "agents", "count": len(agents_seen), "tags": qtags,
                                 "comment": "no agents' list response given: one group",
                                 "count_comment": "distinct service_agent_id in the queuecalls",
                                 "tags_comment": "the queues' tag_ids" if qtags else "no tags: every queue matches"})
    # answer rate by hour of day
    hrs = sorted(hours)
    if len(hrs) >= 2:
        obs = np.array([[hours[h]["human"], hours[h]["n"] - hours[h]["human"]] for h in hrs], float)
        if obs[:, 0].sum() > 0 and (obs.sum(axis=1) > 0).all():
            _, p, _, _ = stats.chi2_contingency(obs)
            rate = obs[:, 0] / obs.sum(axis=1)
            overall = obs[:, 0].sum() / obs.sum()
            res.hourly = {"hours": hrs, "rate": rate.tolist(), "n": obs.sum(axis=1).astype(int).tolist(), "p": float(p)}
            if p < 1e-3:
                mult = [1.0] * 24
                for h, r in zip(hrs, rate):
                    mult[h] = round(float(r / overall), 4)
                res.population["time_of_day"] = {"clock_start": f"{hrs[0]}h", "multipliers": mult}
                res.notes["population.time_of_day"] = (f"fitted: human answers by UTC hour differ (chi-square p={p:.2g}); "
                                                       "multipliers of the overall rate; clock_start: the hour of "
                                                       "the first dial")
                res.messages.append("With time_of_day, the outcome shares are the overall ones; the multipliers move the "
                                    "human share hour by hour.")
            else:
                res.population["time_of_day"] = None
                res.notes["population.time_of_day"] = f"fitted: no difference in answer rates by hour (chi-square p={p:.2g}, {len(hrs)} hours)"
    res.messages.append("Wrap-up and status reset are not in calls, campaigncalls or queuecalls (agent status "
                        "changes are not recorded there): kept from the defaults.")
    return res


def _amd_first(actions: list) -> bool:
    for a in actions or []:
        t = a.get("type")
        if t == "amd":
            return True
        if t in ("talk", "play", "sleep", "digits_receive", "hangup"):
            return False
    return False


__all__ = ["RECORD_KINDS", "FitResult", "Proportion", "fit_records"]
