"""The governance tables compared with what the audit log says they must hold.

Every change the application makes to who may do what is audited in the same
transaction as the change: people's roles, accreditation and whether they are active;
projects' states, end dates and members; requests' and outputs' states; datasets'
classifications; releases' expiry, revocation and deletion; the latest lodged version
of each analysis plan; data sharing agreements' expiry and ending; retention schedules;
each project's pinned pseudonym key. Replaying those entries in chain order gives the state the
tables must be in. A row changed behind the application's back (raw SQL granting a
role, adding a member, marking a request approved, downgrading a classification,
rewriting a lodged plan's hash) disagrees with the replay and is reported, naming the
row, the field and both values.

The replay reads only the entries that set state (``<object>.<state>`` and a few named
actions); refusals (``*.refused``) and other entries change nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nightingale.governance.models import (
    Agreement,
    AuditEntry,
    Dataset,
    Job,
    LinkageRequest,
    LodgedPlan,
    OutputRequest,
    Person,
    Project,
    ProjectKey,
    Release,
    RetentionRule,
)
from nightingale.governance.states import (
    JOB_STATES,
    OUTPUT_STATES,
    PROJECT_STATES,
    REQUEST_STATES,
)

__all__ = ["Difference", "differences", "replay"]

Fields = dict[str, Any]


@dataclass(frozen=True)
class Difference:
    """One field of one governance object whose table value is not the log's."""

    object_type: str
    object_id: str
    field: str
    in_table: str
    in_log: str

    def describe(self) -> str:
        return (
            f"{self.object_type} {self.object_id}: {self.field} is {self.in_table} in the "
            f"table but {self.in_log} by the audit log"
        )


@dataclass
class Replayed:
    """The state the audit log gives each object, by object type and id."""

    objects: dict[str, dict[str, Fields]] = field(default_factory=dict)

    def of(self, object_type: str, object_id: str) -> Fields:
        return self.objects.setdefault(object_type, {}).setdefault(object_id, {})


def _text(value: Any) -> str:
    """One comparable spelling of a value as the log stores it (dates as ISO text)."""
    if value is None:
        return "none"
    if isinstance(value, set | frozenset | list | tuple):
        return "[" + ", ".join(sorted(str(v) for v in value)) + "]"
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


STATUS_ONLY = {("output", v) for v in OUTPUT_STATES} | {("job", v) for v in JOB_STATES}
"""Objects whose every state change is an entry named ``<object>.<state>``."""


def _apply(replayed: Replayed, entry: AuditEntry, details: dict[str, Any]) -> None:
    kind, _, verb = entry.action.partition(".")
    if "." in verb or kind != entry.object_type:
        return  # refusals (``project.create.refused``), approvals' own entries: no state
    obj = replayed.of(entry.object_type, entry.object_id)
    if kind == "person":
        if verb == "created":
            obj.update(roles=set(details.get("roles", [])), active=True)
            obj["accreditation"] = details.get("accreditation_expires")
        elif verb == "roles_changed":
            obj["roles"] = set(details.get("after", []))
        elif verb == "accreditation_set":
            obj["accreditation"] = details.get("expires")
        elif verb == "deactivated":
            obj["active"] = False
    elif kind == "project":
        if verb == "created":
            obj.update(status="draft", members={details.get("pi")}, end_date=details.get("end"))
            obj["pending"] = set()
        elif verb == "member_added":
            waiting = details.get("status") == "pending"
            obj.setdefault("pending" if waiting else "members", set()).add(details.get("member"))
        elif verb == "member_approved":
            obj.setdefault("pending", set()).discard(details.get("member"))
            obj.setdefault("members", set()).add(details.get("member"))
        elif verb == "member_refused":
            obj.setdefault("pending", set()).discard(details.get("member"))
        elif verb in PROJECT_STATES:
            obj["status"] = verb
    elif kind == "request":
        if verb == "created":
            obj["status"] = "draft"
        elif verb in REQUEST_STATES:
            obj["status"] = verb
    elif (kind, verb) in STATUS_ONLY:
        obj["status"] = verb
    elif kind == "dataset" and verb == "registered":
        obj["classification"] = details.get("classification")
    elif kind == "release":
        if verb == "built":
            obj.update(revoked=False, deleted=False, expires_on=details.get("expires_on"))
            if details.get("request") is not None:
                replayed.of("request", str(details["request"]))["status"] = "released"
        elif verb == "revoked":
            obj["revoked"] = True
        elif verb == "deleted":
            obj["deleted"] = True
    elif kind == "agreement" and verb in {"recorded", "ended"}:
        if verb == "recorded":
            obj.update(ended=False, expires_on=details.get("expires_on"))
        else:
            obj["ended"] = True
    elif kind == "retention" and verb == "set":
        obj["keep_days"] = details.get("keep_days")
    elif kind == "pseudonym" and verb in {"pinned", "rekeyed"}:
        obj["key_id"] = details.get("key_id" if verb == "pinned" else "to")
    elif kind == "plan" and verb in {"lodged", "amended"}:
        obj.update(sha256=details.get("sha256"), revision=details.get("revision"))


def replay(entries: Iterable[AuditEntry]) -> Replayed:
    """The state the entries, in chain order, give each governance object."""
    replayed = Replayed()
    for entry in entries:
        try:
            details = json.loads(entry.details)
        except json.JSONDecodeError:
            details = {}
        _apply(replayed, entry, details if isinstance(details, dict) else {})
    return replayed


def _tables(session: Session) -> dict[str, dict[str, Fields]]:
    """The same fields as the replay, read from the governance tables."""
    found: dict[str, dict[str, Fields]] = {}
    found["person"] = {
        p.username: {
            "roles": set(p.roles),
            "active": p.active,
            "accreditation": p.accreditation_expires,
        }
        for p in session.scalars(select(Person))
    }
    found["project"] = {
        p.slug: {
            "status": p.status,
            "members": set(p.member_usernames),
            "pending": set(p.pending_usernames),
            "end_date": p.end_date,
        }
        for p in session.scalars(select(Project))
    }
    found["request"] = {
        str(r.id): {"status": r.status} for r in session.scalars(select(LinkageRequest))
    }
    found["output"] = {
        str(o.id): {"status": o.status} for o in session.scalars(select(OutputRequest))
    }
    found["job"] = {str(j.id): {"status": j.status} for j in session.scalars(select(Job))}
    found["dataset"] = {
        d.name: {"classification": d.classification} for d in session.scalars(select(Dataset))
    }
    found["release"] = {
        r.release_id: {
            "revoked": r.revoked_at is not None,
            "deleted": r.deleted_at is not None,
            "expires_on": r.expires_on,
        }
        for r in session.scalars(select(Release))
    }
    found["agreement"] = {
        a.reference: {"ended": a.ended_at is not None, "expires_on": a.expires_on}
        for a in session.scalars(select(Agreement))
    }
    found["retention"] = {
        f"{r.scope}/{r.name}": {"keep_days": r.keep_days}
        for r in session.scalars(select(RetentionRule))
    }
    found["pseudonym"] = {
        k.project.slug: {"key_id": k.key_id}
        for k in session.scalars(select(ProjectKey).where(ProjectKey.superseded_at.is_(None)))
    }
    latest: dict[str, LodgedPlan] = {}
    for plan in session.scalars(select(LodgedPlan).order_by(LodgedPlan.revision)):
        latest[f"{plan.project.slug}/{plan.plan_name}"] = plan
    found["plan"] = {
        key: {"sha256": plan.sha256, "revision": plan.revision} for key, plan in latest.items()
    }
    return found


def differences(session: Session) -> list[Difference]:
    """Every governance row whose fields disagree with the audit log, in a stable order.

    Objects the tables hold but the log never mentions, and objects the log created but
    the tables lack, are differences too (``exists``).
    """
    replayed = replay(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
    tables = _tables(session)
    found: list[Difference] = []
    for object_type in sorted(tables):
        rows = tables[object_type]
        logged = replayed.objects.get(object_type, {})
        for object_id in sorted(set(rows) | set(logged)):
            row, log = rows.get(object_id), logged.get(object_id)
            if row is None:
                if log:
                    found.append(Difference(object_type, object_id, "exists", "absent", "present"))
                continue
            if not log:
                found.append(Difference(object_type, object_id, "exists", "present", "absent"))
                continue
            for name in sorted(log):
                if _text(row.get(name)) != _text(log[name]):
                    difference = Difference(
                        object_type, object_id, name, _text(row.get(name)), _text(log[name])
                    )
                    found.append(difference)
    return found
