"""Reading VoIPbin REST API list responses: pages, resources, records, timestamps.

A list response is ``{"result": [record, ...], "next_page_token": "..."}``. A file may hold one
page, or a JSON list of pages; a folder is read file by file (``*.json``, sorted). Each page's
resource is recognised by its records' fields (the names of the resource's ``WebhookMessage``
struct in voipbin/monorepo), and the pages of one resource are merged.

Every record is checked against its resource's shape: a field the struct always writes (no
``omitempty``) must be there, an enum must hold one of the values the Go code defines, and a
record of another resource in a page is refused. A problem names the file, the record's index
(``result[3]``) and the field: the command line prints them and exits 2.

Conventions of VoIPbin's JSON, each checked in its code:

- ids are UUIDs; the zero UUID ``00000000-0000-0000-0000-000000000000`` means "none"
  (``uuid.Nil``: ``queue_id``, ``next_campaign_id``, ``wait_flow_id`` ... unset);
- timestamps (``*time.Time``) are RFC 3339 in UTC, ``null`` when unset; older versions wrote
  ``"2026-03-02 00:00:00.218406"`` with ``"9999-01-01 00:00:00.000000"`` for unset: both read
  to the same value (``datetime`` in UTC, or ``None``);
- durations are integers of milliseconds (outplan ``try_interval``/``dial_timeout``, queue
  ``wait_timeout``/``service_timeout``, queuecall ``duration_waiting``/``duration_service``);
- a set ``tm_delete`` means the resource was deleted (soft delete).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ZERO_UUID = "00000000-0000-0000-0000-000000000000"
LEGACY_UNSET = "9999-01-01 00:00:00.000000"
MAX_FILE_BYTES = 512 * 1024 * 1024

# --------------------------------------------------------------------------- the resources' shapes
#
# Field kinds: uuid, str, int, ts (timestamp), address (object or null), list, uuids (list of
# UUIDs or null), bool, any. Required fields are the ones the WebhookMessage struct writes
# without omitempty and that the import or fit reads; an omitempty field left out reads as its
# Go zero value.

ACTION_TYPES = frozenset(["amd", "answer", "ai_summary", "ai_talk", "ai_task", "beep", "block", "branch", "call", "case_create", "condition_call_digits", "condition_call_status", "condition_datetime", "condition_variable", "confbridge_join", "conference_join", "connect", "conversation_send", "digits_receive", "digits_send", "echo", "email_send", "empty", "external_media_start", "external_media_stop", "fetch", "fetch_flow", "goto", "hangup", "message_send", "mute", "play", "queue_join", "recording_start", "recording_stop", "sleep", "stop", "stream_echo", "talk", "transcribe_start", "transcribe_stop", "transcribe_recording", "variable_set", "webhook_send", "non_rtc", "rtc"])
"""bin-flow-manager/models/action/action.go, the ``Type`` constants."""


@dataclass(frozen=True)
class Spec:
    kind: str
    required: bool = True
    enum: tuple | None = None
    default: Any = None


def _ts(required: bool = True) -> Spec:
    return Spec("ts", required)


SHAPES: dict[str, dict[str, Spec]] = {
    # bin-campaign-manager/models/campaign/webhook.go
    "campaign": {
        "id": Spec("uuid"), "customer_id": Spec("uuid", False),
        "type": Spec("str", enum=("call", "flow")), "name": Spec("str"), "detail": Spec("str", False, default=""),
        "status": Spec("str", enum=("stop", "stopping", "run")), "service_level": Spec("int"),
        "end_handle": Spec("str", enum=("stop", "continue")), "actions": Spec("list"),
        "outplan_id": Spec("uuid"), "outdial_id": Spec("uuid"), "queue_id": Spec("uuid"), "next_campaign_id": Spec("uuid"),
        "tm_create": _ts(False), "tm_update": _ts(False), "tm_delete": _ts(),
    },
    # bin-campaign-manager/models/outplan/webhook.go
    "outplan": {
        "id": Spec("uuid"), "customer_id": Spec("uuid", False), "name": Spec("str"), "detail": Spec("str", False, default=""),
        "source": Spec("address", False), "dial_timeout": Spec("int"), "try_interval": Spec("int"),
        **{f"max_try_count_{i}": Spec("int") for i in range(5)},
        "tm_create": _ts(False), "tm_update": _ts(False), "tm_delete": _ts(),
    },
    # bin-outdial-manager/models/outdial/webhook.go
    "outdial": {
        "id": Spec("uuid"), "customer_id": Spec("uuid", False), "campaign_id": Spec("uuid"), "name": Spec("str"),
        "detail": Spec("str", False, default=""), "data": Spec("str", False, default=""),
        "tm_create": _ts(False), "tm_update": _ts(False), "tm_delete": _ts(),
    },
    # bin-outdial-manager/models/outdialtarget/webhook.go
    "outdialtarget": {
        "id": Spec("uuid"), "outdial_id": Spec("uuid"), "name": Spec("str", False, default=""),
        "detail": Spec("str", False, default=""), "data": Spec("str", False, default=""),
        "status": Spec("str", enum=("idle", "progressing", "done")),
        **{f"destination_{i}": Spec("address") for i in range(5)},
        **{f"try_count_{i}": Spec("int") for i in range(5)},
        "tm_create": _ts(), "tm_update": _ts(), "tm_delete": _ts(),
    },
    # bin-queue-manager/models/queue/webhook.go (most fields omitempty)
    "queue": {
        "id": Spec("uuid"), "customer_id": Spec("uuid", False), "name": Spec("str", False, default=""),
        "detail": Spec("str", False, default=""), "routing_method": Spec("str", False, ("", "random"), ""),
        "tag_ids": Spec("uuids", False, default=[]), "wait_flow_id": Spec("uuid", False),
        "wait_timeout": Spec("int", False, default=0), "service_timeout": Spec("int", False, default=0),
        "tm_create": _ts(False), "tm_update": _ts(False), "tm_delete": _ts(),
    },
    # bin-agent-manager/models/agent/webhook.go (timestamps omitempty)
    "agent": {
        "id": Spec("uuid"), "customer_id": Spec("uuid", False), "username": Spec("str"), "name": Spec("str", False, default=""),
        "detail": Spec("str", False, default=""), "ring_method": Spec("str", enum=("", "ringall", "linear")),
        "status": Spec("str", enum=("", "available", "away", "busy", "offline", "ringing")),
        "permission": Spec("any", False), "tag_ids": Spec("uuids"), "addresses": Spec("list", False, default=[]),
        "tm_create": _ts(False), "tm_update": _ts(False), "tm_delete": _ts(False),
    },
    # bin-flow-manager/models/flow/webhook.go
    "flow": {
        "id": Spec("uuid"), "customer_id": Spec("uuid", False),
        "type": Spec("str", False, ("", "flow", "conference", "queue", "campaign", "transfer"), ""),
        "name": Spec("str", False, default=""), "detail": Spec("str", False, default=""),
        "actions": Spec("list", False, default=[]), "on_complete_flow_id": Spec("uuid", False),
        "tm_create": _ts(False), "tm_update": _ts(False), "tm_delete": _ts(),
    },
    # bin-call-manager/models/call/webhook.go (every field omitempty)
    "call": {
        "id": Spec("uuid"), "customer_id": Spec("uuid", False), "master_call_id": Spec("uuid", False),
        "groupcall_id": Spec("uuid", False), "chained_call_ids": Spec("uuids", False, default=[]),
        "source": Spec("address", False), "destination": Spec("address", False),
        "status": Spec("str", True, ("dialing", "ringing", "progressing", "terminating", "canceling", "hangup")),
        "direction": Spec("str", False, ("", "incoming", "outgoing"), ""),
        "hangup_by": Spec("str", False, ("", "remote", "local"), ""),
        "hangup_reason": Spec("str", False, ("", "normal", "failed", "busy", "cancel", "timeout", "noanswer", "dialout", "amd"), ""),
        "tm_progressing": _ts(False), "tm_ringing": _ts(False), "tm_hangup": _ts(False),
        "tm_create": _ts(), "tm_update": _ts(False), "tm_delete": _ts(False),
    },
    # bin-campaign-manager/models/campaigncall/webhook.go
    "campaigncall": {
        "id": Spec("uuid"), "customer_id": Spec("uuid", False), "campaign_id": Spec("uuid"),
        "outplan_id": Spec("uuid", False), "outdial_id": Spec("uuid", False), "outdial_target_id": Spec("uuid"),
        "queue_id": Spec("uuid", False), "activeflow_id": Spec("uuid", False), "flow_id": Spec("uuid", False),
        "reference_type": Spec("str", enum=("none", "call", "flow")), "reference_id": Spec("uuid"),
        "status": Spec("str", enum=("dialing", "progressing", "done")), "result": Spec("str", enum=("", "success", "fail")),
        "source": Spec("address", False), "destination": Spec("address", False),
        "destination_index": Spec("int"), "try_count": Spec("int"),
        "tm_create": _ts(), "tm_update": _ts(False), "tm_delete": _ts(),
    },
    # bin-queue-manager/models/queuecall/webhook.go (fields omitempty except the timestamps)
    "queuecall": {
        "id": Spec("uuid"), "customer_id": Spec("uuid", False), "reference_type": Spec("str", False, ("", "call"), ""),
        "reference_id": Spec("uuid"),
        "status": Spec("str", True, ("initiating", "waiting", "connecting", "kicking", "service", "done", "abandoned")),
        "service_agent_id": Spec("uuid", False), "duration_waiting": Spec("int", False, default=0),
        "duration_service": Spec("int", False, default=0),
        "tm_create": _ts(), "tm_service": _ts(), "tm_update": _ts(False), "tm_delete": _ts(),
    },
}

PLURAL = {
    "campaign": "campaigns", "outplan": "outplans", "outdial": "outdials", "outdialtarget": "outdial targets",
    "queue": "queues", "agent": "agents", "flow": "flows", "call": "calls", "campaigncall": "campaigncalls",
    "queuecall": "queuecalls",
}

# Fields that tell a resource apart (checked in this order; the first whose keys are all present wins).
_SIGNATURES: list[tuple[str, tuple[str, ...]]] = [
    ("campaigncall", ("campaign_id", "outdial_target_id")),
    ("outdialtarget", ("outdial_id", "destination_0")),
    ("outdialtarget", ("outdial_id", "try_count_0")),
    ("campaign", ("service_level", "end_handle")),
    ("campaign", ("outplan_id", "outdial_id", "next_campaign_id")),
    ("outplan", ("max_try_count_0",)),
    ("outplan", ("try_interval", "dial_timeout")),
    ("queuecall", ("tm_service",)),
    ("queuecall", ("duration_waiting",)),
    ("queuecall", ("service_agent_id",)),
    ("agent", ("username",)),
    ("agent", ("ring_method",)),
    ("call", ("hangup_reason",)),
    ("call", ("tm_progressing",)),
    ("call", ("tm_hangup",)),
    ("call", ("direction",)),
    ("call", ("master_call_id",)),
    ("queue", ("wait_flow_id",)),
    ("queue", ("routing_method",)),
    ("queue", ("wait_timeout",)),
    ("flow", ("on_complete_flow_id",)),
    ("outdial", ("campaign_id", "data")),
    ("flow", ("actions",)),
    ("outdial", ("campaign_id",)),
]


_NAME_HINTS = {
    "campaigns": "campaign", "campaign": "campaign", "outplans": "outplan", "outplan": "outplan",
    "outdials": "outdial", "outdial": "outdial", "outdialtargets": "outdialtarget", "outdialtarget": "outdialtarget",
    "targets": "outdialtarget", "queues": "queue", "queue": "queue", "agents": "agent", "agent": "agent",
    "flows": "flow", "flow": "flow", "calls": "call", "call": "call", "campaigncalls": "campaigncall",
    "campaigncall": "campaigncall", "queuecalls": "queuecall", "queuecall": "queuecall",
}


def named_kind(path: Path) -> str | None:
    """The resource a file's name announces (``calls.json``, ``outdialtargets-2.json``), if any."""
    stem = re.sub(r"[^a-z]", "", path.name.split(".")[0].lower())
    return _NAME_HINTS.get(stem)


def recognise(record: Any) -> str | None:
    """The resource a record's fields belong to, or None."""
    if not isinstance(record, dict):
        return None
    for kind, keys in _SIGNATURES:
        if all(k in record for k in keys):
            return kind
    return None


# --------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class Problem:
    file: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.where}: {self.message}" if self.where else f"{self.file}: {self.message}"


class RecordError(Exception):
    """Records that cannot be used; the command line prints each problem and exits 2."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        shown = self.problems[:50]
        more = len(self.problems) - len(shown)
        text = "\n".join(str(p) for p in shown)
        if more > 0:
            text += f"\n... and {more:,} more problems not listed"
        super().__init__(text)


# --------------------------------------------------------------------------- values

_LEGACY = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,9})?$")


def parse_timestamp(value: Any) -> datetime | None:
    """RFC 3339 (``2026-03-02T00:00:00.218406Z``, null when unset) or the older
    ``2026-03-02 00:00:00.218406`` (UTC; ``9999-01-01 00:00:00.000000`` when unset) -> UTC datetime or None.
    Raises ValueError on anything else."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("expected a timestamp (RFC 3339 text, or null)")  # noqa: TRY004 (one error type for the caller)
    text = value.strip()
    if text == "" or text.startswith("9999-01-01"):
        return None
    if "T" in text and text[-1] in "Zz" and len(text) <= 27:  # the common case, fast (Python 3.11+)
        try:
            return datetime.fromisoformat(text).astimezone(timezone.utc)
        except ValueError:
            pass
    if _LEGACY.match(text):
        base, _, frac = text.partition(".")
        dt = datetime.strptime(base, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
        return dt.replace(microsecond=int((frac + "000000")[:6])) if frac else dt
    t = text.replace("z", "Z")
    if t.endswith("Z"):
        t = t[:-1] + "+00:00"
    m = re.match(r"^(.*T\d{2}:\d{2}:\d{2})(\.\d+)?([+-]\d{2}:\d{2})$", t)
    if not m:
        raise ValueError("expected an RFC 3339 timestamp such as 2026-03-02T00:00:00.218406Z, "
                         "or the older form 2026-03-02 00:00:00.218406")
    frac = (m.group(2) or ".0")[1:]
    dt = datetime.fromisoformat(m.group(1) + m.group(3))
    dt = dt.replace(microsecond=int((frac + "000000")[:6]))
    if dt.year >= 9999:
        return None
    return dt.astimezone(timezone.utc)


def format_rfc3339(dt: datetime | None) -> str | None:
    """Go's ``time.Time`` JSON form for a UTC time (RFC 3339 with up to nanoseconds, ``Z``)."""
    if dt is None:
        return None
    s = dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f").rstrip("0").rstrip(".")
    return s + "Z"


def format_legacy(dt: datetime | None) -> str:
    """The older VoIPbin form, with the 9999 sentinel for unset."""
    if dt is None:
        return LEGACY_UNSET
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


_CANONICAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _uuid(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("expected a UUID")  # noqa: TRY004 (one error type for the caller)
    if _CANONICAL.fullmatch(value):
        return None if value == ZERO_UUID else value
    try:
        u = str(uuid.UUID(value.strip()))
    except ValueError:
        raise ValueError("expected a UUID such as 3f2a0c1e-...-...") from None
    return None if u == ZERO_UUID else u


def _check(kind: str, spec: Spec, value: Any) -> Any:
    if spec.kind == "uuid":
        return _uuid(value)
    if spec.kind == "ts":
        return parse_timestamp(value)
    if spec.kind == "str":
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise ValueError("expected text")
        if spec.enum is not None and value not in spec.enum:
            shown = ", ".join(repr(v) for v in spec.enum)
            raise ValueError(f"unknown value; expected one of {shown}")
        return value
    if spec.kind == "int":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
            raise ValueError("expected a whole number")
        if value < 0:
            raise ValueError("expected a number of 0 or more")
        return int(value)
    if spec.kind == "address":
        if value is None:
            return None
        if not isinstance(value, dict):
            raise ValueError("expected an address object ({\"type\": \"tel\", \"target\": \"+1...\"}), {} or null")
        return value
    if spec.kind == "list":
        if value is None:
            return []
        if not isinstance(value, list):
            raise ValueError("expected a list")
        return value
    if spec.kind == "uuids":
        if value is None:
            return []
        if not isinstance(value, list):
            raise ValueError("expected a list of UUIDs")
        return [u for u in (_uuid(v) for v in value) if u is not None]
    return value


# --------------------------------------------------------------------------- records and the account


@dataclass
class Record:
    """One record: its checked fields (``f``), where it came from, and the raw JSON (``raw``)."""

    kind: str
    f: dict
    file: str
    index: int
    raw: dict = field(repr=False, default_factory=dict)

    @property
    def id(self) -> str:
        return self.f["id"]

    @property
    def deleted(self) -> bool:
        return self.f.get("tm_delete") is not None

    def where(self) -> str:
        return f"{self.file} result[{self.index}]"


@dataclass
class Account:
    """Every record read, by resource (``account.records['campaign']``), in file and page order."""

    records: dict[str, list[Record]] = field(default_factory=lambda: {k: [] for k in SHAPES})
    files: list[str] = field(default_factory=list)
    timestamp_formats: set = field(default_factory=set)

    def of(self, kind: str) -> list[Record]:
        return self.records[kind]

    def by_id(self, kind: str) -> dict[str, Record]:
        return {r.id: r for r in self.records[kind]}

    def counts(self) -> dict[str, int]:
        return {k: len(v) for k, v in self.records.items() if v}


def check_record(kind: str, raw: dict, file: str, index: int, problems: list[Problem]) -> Record | None:
    out: dict = {}
    ok = True
    for name, spec in SHAPES[kind].items():
        where = f"result[{index}].{name}"
        if name not in raw:
            if spec.required:
                problems.append(Problem(file, where, f"missing field; {'an' if kind[0] in 'aeiou' else 'a'} {kind} record always has it "
                                                     f"(VoIPbin's {kind} WebhookMessage)"))
                ok = False
                continue
            out[name] = spec.default if spec.default is not None else ([] if spec.kind in ("list", "uuids") else None)
            continue
        try:
            out[name] = _check(kind, spec, raw[name])
        except ValueError as exc:
            problems.append(Problem(file, where, f"{exc}; found {_short(raw[name])}"))
            ok = False
    if kind in ("campaign", "flow"):
        for j, a in enumerate(out.get("actions") or []):
            where = f"result[{index}].actions[{j}]"
            if not isinstance(a, dict) or not isinstance(a.get("type"), str):
                problems.append(Problem(file, where, f"expected an action object with a type; found {_short(a)}"))
                ok = False
            elif a["type"] not in ACTION_TYPES:
                problems.append(Problem(file, where + ".type", f"unknown action type; found {a['type']!r} "
                                                               "(bin-flow-manager/models/action/action.go)"))
                ok = False
            elif a.get("option") is not None and not isinstance(a.get("option"), dict):
                problems.append(Problem(file, where + ".option", f"expected an object; found {_short(a.get('option'))}"))
                ok = False
    return Record(kind, out, file, index, raw) if ok else None


def _short(v: Any) -> str:
    text = json.dumps(v, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def _pages(doc: Any) -> list | None:
    """The pages of a file: one list response, or a list of them."""
    if isinstance(doc, dict) and "result" in doc:
        return [doc]
    if isinstance(doc, list) and doc and all(isinstance(p, dict) and "result" in p for p in doc):
        return doc
    return None


def _files(paths: Iterable[str | Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out += sorted(q for q in p.rglob("*.json") if q.is_file())
        else:
            out.append(p)
    return out


def read_account(paths: Iterable[str | Path], kinds: Iterable[str] | None = None) -> Account:
    """Read list responses from files and folders into an ``Account``; raise ``RecordError``
    listing every problem (a file that is not a list response, a record of an unknown shape,
    a record of another resource than its page's, missing fields, unknown enum values).
    ``kinds``: the resources the caller accepts (others are an error)."""
    account = Account()
    problems: list[Problem] = []
    accepted = set(kinds) if kinds is not None else set(SHAPES)
    files = _files(paths)
    if not files:
        raise RecordError([Problem(", ".join(str(p) for p in paths) or "(no path)", "",
                                   "no list responses found (expected .json files or a folder of them)")])
    for path in files:
        name = str(path)
        if not path.is_file():
            problems.append(Problem(name, "", "no such file"))
            continue
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                problems.append(Problem(name, "", f"the file is larger than {MAX_FILE_BYTES:,} bytes"))
                continue
            doc = json.loads(path.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(name, "", f"cannot read the file: {exc}"))
            continue
        except json.JSONDecodeError as exc:
            problems.append(Problem(name, f"line {exc.lineno}", f"not JSON: {exc.msg}"))
            continue
        pages = _pages(doc)
        if pages is None:
            problems.append(Problem(name, "", 'expected a VoIPbin list response {"result": [...], "next_page_token": ...} '
                                              "(or a JSON list of them)"))
            continue
        account.files.append(name)
        for pi, page in enumerate(pages):
            prefix = f"[{pi}]." if len(pages) > 1 else ""
            result = page.get("result")
            if result is None:
                continue
            if not isinstance(result, list):
                problems.append(Problem(name, f"{prefix}result", "expected a list of records"))
                continue
            page_kind: str | None = None
            for i, raw in enumerate(result):
                kind = recognise(raw)
                idx_where = f"{prefix}result[{i}]"
                if kind is None:
                    keys = ", ".join(list(raw)[:8]) if isinstance(raw, dict) else type(raw).__name__
                    problems.append(Problem(name, idx_where, f"not a record of a known VoIPbin resource (fields: {keys})"))
                    continue
                if page_kind is None:
                    page_kind = kind
                    announced = named_kind(path)
                    if announced is not None and announced != kind:
                        problems.append(Problem(name, idx_where, f"a page of {PLURAL[kind]} in a file named for "
                                                                 f"{PLURAL[announced]}"))
                        break
                    if kind not in accepted:
                        shown = ", ".join(PLURAL[k] for k in SHAPES if k in accepted)
                        problems.append(Problem(name, idx_where, f"a page of {PLURAL[kind]}; this command reads {shown}"))
                        break
                elif kind != page_kind:
                    problems.append(Problem(name, idx_where, f"a {kind} record in a page of {PLURAL[page_kind]}"))
                    continue
                before = len(problems)
                rec = check_record(kind, raw, name, i, problems)
                if prefix:
                    for k in range(before, len(problems)):
                        p = problems[k]
                        problems[k] = Problem(p.file, prefix + p.where, p.message)
                if rec is not None:
                    _note_formats(raw, account)
                    account.records[kind].append(rec)
    if problems:
        raise RecordError(problems)
    return account


def _note_formats(raw: dict, account: Account) -> None:
    v = raw.get("tm_create") or raw.get("tm_update")
    if isinstance(v, str):
        account.timestamp_formats.add("legacy" if _LEGACY.match(v.strip()) else "rfc3339")


def convert_timestamps(doc: Any, legacy: bool) -> Any:
    """A copy of a list response (or anything inside one) with every ``tm_*`` timestamp written in
    one format: ``legacy=True`` the older ``YYYY-MM-DD hh:mm:ss.ffffff`` with the 9999 sentinel,
    else RFC 3339 with null."""
    if isinstance(doc, list):
        return [convert_timestamps(x, legacy) for x in doc]
    if isinstance(doc, dict):
        out = {}
        for k, v in doc.items():
            if k.startswith("tm_") and (v is None or isinstance(v, str)):
                dt = parse_timestamp(v)
                out[k] = format_legacy(dt) if legacy else format_rfc3339(dt)
            else:
                out[k] = convert_timestamps(v, legacy)
        return out
    return doc


__all__ = [
    "SHAPES",
    "ZERO_UUID",
    "Account",
    "Problem",
    "Record",
    "RecordError",
    "convert_timestamps",
    "format_legacy",
    "format_rfc3339",
    "parse_timestamp",
    "read_account",
    "recognise",
]
