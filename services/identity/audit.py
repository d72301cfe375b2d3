"""The audit log: an append-only record of security events, and the expiry of idle guests.

Other modules call :func:`record` in the transaction of the change they audit (the
row commits, or rolls back, with it)::

    audit.record(session, now, audit.PERSON_DEACTIVATED, viewer.id, person.id, {})

What a row never holds: a password, a session, invitation or reset token, a session id, a
cookie, a CSRF token (:func:`scrub` drops such keys whatever the caller passes). An
e-mail address typed at sign-in is not kept either (people type passwords into the
e-mail field): a failure names the person only when the address is theirs.

Refused requests (the gateway's 401 and 403 answers) arrive in batches from the
gateway (:func:`record_refusals`) and are aggregated: one row per (minute, IP, person,
method and route, status) with a ``count``, and at most ``PARVIS_AUDIT_REFUSALS_PER_MINUTE``
such rows per minute; the rest of that minute's refusals add to one overflow row. A
flood of 401s therefore writes a bounded number of rows. Calls refused on the bus (a
caller context expired, forged, replayed or bound to another call) arrive the same way
from each service process (``parvis_contracts.entrypoints.RefusalReporter``): method
``RPC``, route ``service.method``, the refusal's reason and the kind of caller the
context claimed (``caller``), one row per minute and such key.

The maintenance timer (:func:`maintain`) deletes rows older than
``PARVIS_AUDIT_RETENTION_DAYS`` and expires guests inactive for ``PARVIS_GUEST_INACTIVE_DAYS``.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy import delete, exists, func, select, update

from parvis_contracts import cursors, settings
from parvis_contracts import events as ev
from parvis_contracts.errors import Forbidden

from . import people as people_module
from .access import Viewer
from .models import AuditEvent, Person, SessionRecord

# --- actions ------------------------------------------------------------------

SIGN_IN = "sign_in"
SIGN_IN_FAILED = "sign_in_failed"
SIGN_OUT = "sign_out"
PASSWORD_CHANGED = "password_changed"
INVITATION_ACCEPTED = "invitation_accepted"
PASSWORD_RESET_REQUESTED = "password_reset_requested"
PASSWORD_RESET = "password_reset"
PERSON_CREATED = "person_created"
GUEST_INVITED = "guest_invited"
GUEST_ADDED_TO_COMMUNITY = "guest_added_to_community"
ROLES_CHANGED = "roles_changed"
PERSON_DEACTIVATED = "person_deactivated"
PERSON_REACTIVATED = "person_reactivated"
GUEST_EXPIRY_CHANGED = "guest_expiry_changed"
GUEST_EXPIRED = "guest_expired"
PERSON_ERASED = "person_erased"
ACCESS_REFUSED = "access_refused"

ACTIONS = (
    SIGN_IN,
    SIGN_IN_FAILED,
    SIGN_OUT,
    PASSWORD_CHANGED,
    INVITATION_ACCEPTED,
    PASSWORD_RESET_REQUESTED,
    PASSWORD_RESET,
    PERSON_CREATED,
    GUEST_INVITED,
    GUEST_ADDED_TO_COMMUNITY,
    ROLES_CHANGED,
    PERSON_DEACTIVATED,
    PERSON_REACTIVATED,
    GUEST_EXPIRY_CHANGED,
    GUEST_EXPIRED,
    PERSON_ERASED,
    ACCESS_REFUSED,
)

#: a key containing one of these words is dropped from ``details``
SECRET_WORDS = ("password", "token", "session", "cookie", "csrf", "secret", "authorization", "hash")
MAX_TEXT = 300
MAX_ITEMS = 50
BATCH = 200
MAX_BATCHES = 20
REFUSALS_PER_CALL = 500


def retention_days() -> int:
    return max(1, settings.value("PARVIS_AUDIT_RETENTION_DAYS"))


def guest_inactive_days() -> int:
    return max(1, settings.value("PARVIS_GUEST_INACTIVE_DAYS"))


def refusals_per_minute() -> int:
    return max(1, settings.value("PARVIS_AUDIT_REFUSALS_PER_MINUTE"))


# --- writing ------------------------------------------------------------------


def _secret_key(key) -> bool:
    lowered = str(key).lower()
    return any(word in lowered for word in SECRET_WORDS)


def scrub(value, depth: int = 0):
    """A JSON-safe copy of ``value`` without secret-named keys, long texts cut."""
    if depth > 4:
        return None
    if isinstance(value, dict):
        return {
            str(k)[:60]: scrub(v, depth + 1) for k, v in list(value.items())[:MAX_ITEMS] if not _secret_key(k)
        }
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value) if isinstance(value, (set, frozenset)) else value
        return [scrub(v, depth + 1) for v in list(items)[:MAX_ITEMS]]
    if isinstance(value, str):
        return value[:MAX_TEXT]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)[:MAX_TEXT]


def record(
    session,
    now: datetime,
    action: str,
    actor_id: str | None,
    subject_id: str | None,
    details: dict | None = None,
) -> AuditEvent:
    """Add one event to the session (the caller commits it with its own change)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    row = AuditEvent(
        at=now, action=action, actor_id=actor_id, subject_id=subject_id, details=scrub(details or {}), count=1
    )
    session.add(row)
    return row


def record_counted(
    session,
    now: datetime,
    action: str,
    actor_id: str | None,
    subject_id: str | None,
    details: dict,
    key: tuple,
) -> AuditEvent:
    """Like :func:`record`, but equal events (same action and ``key``) of the same minute
    share one row whose ``count`` grows: for events anyone can cause in bulk."""
    minute = now.replace(second=0, microsecond=0)
    bucket = _bucket(action, minute.isoformat(), *key)
    row = session.scalars(select(AuditEvent).where(AuditEvent.bucket == bucket)).first()
    if row is not None:
        row.count = (row.count or 0) + 1
        return row
    row = record(session, minute, action, actor_id, subject_id, details)
    row.bucket = bucket
    session.flush()
    return row


# --- refused access, aggregated -------------------------------------------------


class RefusalSchema(Schema):
    class Meta:
        unknown = RAISE

    ip = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    user_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    #: an HTTP method (the gateway), or ``RPC``: a call refused on the bus by a service,
    #: whose ``route`` is then ``service.method``
    method = fields.String(
        required=True,
        validate=validate.OneOf(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "*", "RPC")),
    )
    route = fields.String(required=True, validate=validate.Length(1, 300))
    status = fields.Integer(required=True, strict=True, validate=validate.OneOf((401, 403)))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    count = fields.Integer(load_default=1, strict=True, validate=validate.Range(1, 1_000_000))
    #: a bus refusal: the kind of caller the refused context claimed (``unknown`` when
    #: its signature or shape did not hold)
    caller = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(("person", "anonymous", "system", "unknown")),
    )


class RecordRefusalsSchema(Schema):
    class Meta:
        unknown = RAISE

    refusals = fields.List(
        fields.Nested(RefusalSchema), required=True, validate=validate.Length(max=REFUSALS_PER_CALL)
    )


def _bucket(*parts) -> str:
    return hashlib.sha256("|".join("" if p is None else str(p) for p in parts).encode()).hexdigest()


def _add_to_bucket(session, minute: datetime, bucket: str, count: int, make) -> None:
    row = session.scalars(select(AuditEvent).where(AuditEvent.bucket == bucket)).first()
    if row is not None:
        row.count = (row.count or 0) + count
        return
    row = make()
    row.bucket, row.count = bucket, count
    session.add(row)
    session.flush()


def record_refusals(session, viewer: Viewer, now: datetime, refusals: list[dict]) -> dict:
    """Aggregate a batch of the gateway's refusals into this minute's rows (system only)."""
    if not viewer.system:
        raise Forbidden("Only the platform itself records refused requests.")
    minute = now.replace(second=0, microsecond=0)
    cap = refusals_per_minute()
    rows = (
        session.scalar(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.action == ACCESS_REFUSED, AuditEvent.at == minute
            )
        )
        or 0
    )
    recorded = overflow = 0
    for item in refusals:
        key = (item["ip"], item["user_id"], item["method"], item["route"], item["status"], item["reason"])
        if item["caller"] is not None:
            key += (item["caller"],)
        bucket = _bucket(minute.isoformat(), *key)
        exists_already = session.scalar(select(AuditEvent.id).where(AuditEvent.bucket == bucket))
        if exists_already is None and rows >= cap:
            overflow += item["count"]
            continue
        if exists_already is None:
            rows += 1

        def make(item=item):
            details = {
                "ip": item["ip"],
                "method": item["method"],
                "route": item["route"],
                "status": item["status"],
                "reason": item["reason"],
            }
            if item["caller"] is not None:
                details["caller"] = item["caller"]
            return AuditEvent(
                at=minute,
                action=ACCESS_REFUSED,
                actor_id=item["user_id"],
                subject_id=None,
                details=scrub(details),
            )

        _add_to_bucket(session, minute, bucket, item["count"], make)
        recorded += item["count"]
    if overflow:
        _add_to_bucket(
            session,
            minute,
            _bucket(minute.isoformat(), "overflow"),
            overflow,
            lambda: AuditEvent(
                at=minute,
                action=ACCESS_REFUSED,
                actor_id=None,
                subject_id=None,
                details={"overflow": True, "route": "*"},
            ),
        )
    session.commit()
    return {"recorded": recorded, "overflow": overflow}


# --- reading ---------------------------------------------------------------------


class AuditLogSchema(Schema):
    class Meta:
        unknown = RAISE

    limit = fields.Integer(load_default=50, strict=True, validate=validate.Range(1, 200))
    cursor = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 100))
    action = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(ACTIONS))
    subject = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 64))


class AuditItemSchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    action = fields.String()
    actor_id = fields.String(allow_none=True)
    actor_name = fields.String(allow_none=True)
    subject_id = fields.String(allow_none=True)
    subject_name = fields.String(allow_none=True)
    count = fields.Integer()
    details = fields.Dict()


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditItemSchema))
    next_cursor = fields.String(allow_none=True)


def require_reader(viewer: Viewer) -> None:
    """The audit log is read by network admins and global community managers (access table)."""
    if not viewer.is_global_manager:
        raise Forbidden("Only a network admin or a global community manager can read the audit log.")


def encode_cursor(row_id: int) -> str:
    return cursors.encode("audit", row_id)


def decode_cursor(cursor: str) -> int:
    kind, row_id = cursors.decode(cursor, (str, int), "the audit log")
    if kind != "audit":
        cursors.refuse("the audit log")
    return row_id


def listing(
    session,
    viewer: Viewer,
    limit: int = 50,
    cursor: str | None = None,
    action: str | None = None,
    subject: str | None = None,
) -> dict:
    """Newest first; ``subject`` matches the person acted upon or the actor."""
    require_reader(viewer)
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    if cursor:
        query = query.where(AuditEvent.id < decode_cursor(cursor))
    if action:
        query = query.where(AuditEvent.action == action)
    if subject:
        query = query.where((AuditEvent.subject_id == subject) | (AuditEvent.actor_id == subject))
    rows = list(session.scalars(query.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    ids = {pid for row in rows for pid in (row.actor_id, row.subject_id) if pid}
    names = (
        {
            pid: name
            for pid, name in session.execute(select(Person.id, Person.display_name).where(Person.id.in_(ids)))
        }
        if ids
        else {}
    )
    items = [
        {
            "id": row.id,
            "at": row.at,
            "action": row.action,
            "actor_id": row.actor_id,
            "actor_name": names.get(row.actor_id),
            "subject_id": row.subject_id,
            "subject_name": names.get(row.subject_id),
            "count": row.count or 1,
            "details": row.details or {},
        }
        for row in rows
    ]
    return {"items": items, "next_cursor": encode_cursor(rows[-1].id) if more and rows else None}


# --- maintenance -------------------------------------------------------------------


def sweep(session, now: datetime, days: int | None = None, batch: int = 1000) -> int:
    """Delete rows older than the retention period, in bounded batches."""
    limit = now - timedelta(days=days or retention_days())
    total = 0
    for _ in range(MAX_BATCHES):
        ids = list(
            session.scalars(
                select(AuditEvent.id).where(AuditEvent.at < limit).order_by(AuditEvent.id).limit(batch)
            )
        )
        if not ids:
            break
        session.execute(delete(AuditEvent).where(AuditEvent.id.in_(ids)))
        session.commit()
        total += len(ids)
    return total


def last_active(session, person: Person) -> datetime:
    """The last time a person was seen (a session's last request) or their account changed
    (creation, reactivation, profile or access change)."""
    seen = session.scalar(
        select(func.max(SessionRecord.last_seen_at)).where(SessionRecord.person_id == person.id)
    )
    return max(filter(None, (person.updated_at, person.created_at, seen)))


def inactive_guests(session, now: datetime, days: int, batch: int = BATCH) -> list[Person]:
    cutoff = now - timedelta(days=days)
    seen_since = exists(
        select(SessionRecord.id).where(
            SessionRecord.person_id == Person.id, SessionRecord.last_seen_at >= cutoff
        )
    )
    return list(
        session.scalars(
            select(Person)
            .where(
                Person.guest.is_(True),
                Person.status.in_(("active", "invited")),
                Person.updated_at < cutoff,
                ~seen_since,
            )
            .order_by(Person.updated_at, Person.id)
            .limit(batch)
        )
    )


def expire_inactive_guests(session, now: datetime, days: int | None = None, batch: int = BATCH) -> list[str]:
    """Deactivate guests not seen for ``days``: sessions revoked, sign-in refused, the
    ``user_deactivated`` event published, an audit row each. An admin reactivates them
    with the usual reactivation."""
    days = days or guest_inactive_days()
    expired: list[str] = []
    for _ in range(MAX_BATCHES):
        people = inactive_guests(session, now, days, batch)
        if not people:
            break
        for person in people:
            since = last_active(session, person)
            # conditional: another replica's timer may have expired them a moment ago
            taken = session.execute(
                update(Person)
                .where(Person.id == person.id, Person.status.in_(("active", "invited")))
                .values(status="deactivated", updated_at=now)
            ).rowcount
            if taken != 1:
                continue
            people_module.revoke_sessions(session, person.id, now)
            session.emit(
                ev.IDENTITY_USER_DEACTIVATED, {"user_id": person.id, "org_id": person.org_id, "guest": True}
            )
            people_module.profile_changed(session, person)
            record(
                session,
                now,
                GUEST_EXPIRED,
                None,
                person.id,
                {"reason": "inactive", "inactive_days": days, "last_active_at": since},
            )
            expired.append(person.id)
        session.commit()
    return expired


def maintain(session, now: datetime) -> dict:
    """One pass of the identity timer: idle guests expire, old audit rows go."""
    expired = expire_inactive_guests(session, now)
    swept = sweep(session, now)
    return {"guests_expired": len(expired), "audit_rows_deleted": swept}
