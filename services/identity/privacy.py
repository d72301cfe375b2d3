"""Privacy (GDPR): a person's own data exported, and their account erased.

``export(...)`` answers everything identity holds about one person, for the
person themself or a network admin: every profile field (the personal ones
whatever their visibility), roles, organisation, sessions (when, from which
browser and address: never a token or its hash), the pending invitation's dates,
the password reset links' dates and recent failed sign-ins on their address.

``erase(...)`` removes the personal data and keeps the row, so that the content
the person wrote elsewhere still has an author: the name becomes "Former member",
the e-mail address, phone, birth date, education, job, department, country,
languages, skills, about, time zone and photo reference are cleared, the password
hash is dropped, roles, sessions, invitations, password reset links and requests,
failed sign-ins and the shared-community read model rows are deleted, and the status
becomes ``erased`` (which can never sign in again). ``identity.user_erased`` is
published in the same transaction: every other service drops what it holds (see
docs/security.md, "Privacy (GDPR)").
Erasing twice changes nothing and publishes nothing the second time.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime

from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy import Text, cast, delete, or_, select, update

from parvis_contracts import events as ev
from parvis_contracts.errors import Conflict, Forbidden, ValidationFailed

from .access import ADMIN, Viewer, require_person, roles_of
from .auth import check_throttle, record_failure
from .models import (
    Invitation,
    Organisation,
    PasswordReset,
    PasswordResetRequest,
    Person,
    PersonRole,
    SessionRecord,
    SharedCommunity,
    SignInFailure,
)
from .passwords import verify_password
from .people import get, sort_key

try:  # the audit log (services/identity/audit.py) records erasures when it exists
    from . import audit
    from .models import AuditEvent
except ImportError:  # pragma: no cover - before the audit log is installed
    audit = AuditEvent = None

#: what an audit row may say about the erased person beyond ids: dropped at erasure
AUDIT_PERSONAL_KEYS = ("ip", "user_agent", "email")

FORMER_MEMBER = "Former member"
ERASED = "erased"
#: what an erased person's sign-in key becomes: unique, never a valid e-mail address
ERASED_KEY_PREFIX = "erased:"

PROFILE_FIELDS = (
    "display_name",
    "email",
    "job_title",
    "department",
    "country",
    "languages",
    "preferred_language",
    "auto_translate",
    "time_zone",
    "skills",
    "about",
    "birth_date",
    "education",
    "phone",
    "birth_date_visibility",
    "education_visibility",
    "phone_visibility",
    "photo_sha256",
    "photo_content_type",
    "guest",
    "status",
    "guest_expires_at",
    "created_at",
    "updated_at",
)


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def require_self_or_admin(viewer: Viewer, person_id: str) -> None:
    """The person themself, a network admin, or the platform itself."""
    if viewer.system or viewer.is_admin or viewer.id == person_id:
        return
    raise Forbidden("Only the person themself or a network admin can do this.")


# --- export ------------------------------------------------------------------------


def export(session, viewer: Viewer, person_id: str) -> dict:
    require_self_or_admin(viewer, person_id)
    person = get(session, person_id)
    org = session.get(Organisation, person.org_id)
    profile = {"id": person.id}
    profile.update({name: _plain(getattr(person, name)) for name in PROFILE_FIELDS})
    sessions = session.scalars(
        select(SessionRecord)
        .where(SessionRecord.person_id == person.id)
        .order_by(SessionRecord.created_at, SessionRecord.id)
    )
    invitations = session.scalars(
        select(Invitation)
        .where(Invitation.person_id == person.id)
        .order_by(Invitation.created_at, Invitation.id)
    )
    resets = session.scalars(
        select(PasswordReset)
        .where(PasswordReset.person_id == person.id)
        .order_by(PasswordReset.created_at, PasswordReset.id)
    )
    failures = session.scalars(
        select(SignInFailure.at).where(SignInFailure.email_key == person.email_key).order_by(SignInFailure.at)
    )
    return {
        "service": "identity",
        "person_id": person.id,
        "profile": profile,
        "roles": roles_of(session, person.id),
        "organisation": (
            {"id": org.id, "name": org.name, "kind": org.kind, "country": org.country} if org else None
        ),
        "sessions": [
            {
                "created_at": _plain(s.created_at),
                "expires_at": _plain(s.expires_at),
                "last_seen_at": _plain(s.last_seen_at),
                "revoked_at": _plain(s.revoked_at),
                "user_agent": s.user_agent,
                "ip": s.ip,
            }
            for s in sessions
        ],
        "invitations": [
            {
                "created_at": _plain(i.created_at),
                "expires_at": _plain(i.expires_at),
                "used_at": _plain(i.used_at),
            }
            for i in invitations
        ],
        "password_resets": [
            {
                "created_at": _plain(r.created_at),
                "expires_at": _plain(r.expires_at),
                "used_at": _plain(r.used_at),
            }
            for r in resets
        ],
        "failed_sign_ins": [_plain(at) for at in failures],
        "security_events": _audit_events(session, person.id),
    }


def _audit_rows(session, person_id: str):
    if AuditEvent is None:
        return []
    return list(
        session.scalars(
            select(AuditEvent)
            .where(or_(AuditEvent.actor_id == person_id, AuditEvent.subject_id == person_id))
            .order_by(AuditEvent.id)
        )
    )


def _audit_events(session, person_id: str) -> list[dict]:
    """The audit log's events by or about the person (ids of others only)."""
    return [
        {
            "at": _plain(row.at),
            "action": row.action,
            "actor_id": row.actor_id,
            "subject_id": row.subject_id,
            "count": row.count,
            "details": row.details or {},
        }
        for row in _audit_rows(session, person_id)
    ]


def _scrub_audit(session, person_id: str) -> int:
    """Keep the audit trail (who did what, when: ids), drop addresses and browsers."""
    changed = 0
    for row in _audit_rows(session, person_id):
        details = dict(row.details or {})
        if any(key in details for key in AUDIT_PERSONAL_KEYS):
            row.details = {k: v for k, v in details.items() if k not in AUDIT_PERSONAL_KEYS}
            changed += 1
    return changed


# --- erasure -----------------------------------------------------------------------


def _other_active_admins(session, person_id: str) -> int:
    rows = session.scalars(
        select(Person.id)
        .join(PersonRole, PersonRole.person_id == Person.id)
        .where(PersonRole.role == ADMIN, Person.status == "active", Person.id != person_id)
    )
    return len(list(rows))


def check_password(session, viewer: Viewer, now: datetime, password) -> None:
    """The caller's own password, throttled like a sign-in (a wrong one is recorded)."""
    person = require_person(viewer)
    check_throttle(session, person.email_key, now)
    if not isinstance(password, str) or not verify_password(person.password_hash, password):
        record_failure(session, person.email_key, now)
        raise ValidationFailed("The request is not valid.", {"password": ["The password is incorrect."]})


def erase_me(session, viewer: Viewer, now: datetime, password: str) -> dict:
    person = require_person(viewer)
    check_password(session, viewer, now, password)
    return erase(session, viewer, now, person.id)


def erase_person(session, viewer: Viewer, now: datetime, person_id: str) -> dict:
    """An admin erases someone else (their own account: ``erase_me``, with the password)."""
    if not viewer.is_admin:
        raise Forbidden("Only a network admin can erase someone else's account.")
    if viewer.id == person_id:
        raise Forbidden("Erase your own account from your settings, with your password.")
    return erase(session, viewer, now, person_id)


def erase(session, viewer: Viewer, now: datetime, person_id: str) -> dict:
    """Erase the person's personal data (authorisation already checked); commit."""
    person = get(session, person_id)
    photo = person.photo_sha256
    if person.status == ERASED:
        return _result(session, person, photo, already=True)
    if (
        ADMIN in roles_of(session, person.id)
        and person.status == "active"
        and _other_active_admins(session, person.id) == 0
    ):
        raise Conflict(
            "The network needs at least one active admin: appoint another one before this account is erased."
        )
    email_key = person.email_key
    person.display_name = FORMER_MEMBER
    person.sort_name = sort_key(FORMER_MEMBER)
    person.email = ""
    person.email_key = ERASED_KEY_PREFIX + person.id
    person.password_hash = None
    person.status = ERASED
    for name in (
        "job_title",
        "department",
        "country",
        "about",
        "birth_date",
        "education",
        "phone",
        "photo_sha256",
        "photo_content_type",
        "guest_expires_at",
        "time_zone",
    ):
        setattr(person, name, None)
    person.languages, person.languages_text = [], ","
    person.skills, person.skills_text = [], ","
    person.auto_translate = False
    for name in ("birth_date", "education", "phone"):
        setattr(person, f"{name}_visibility", "private")
    person.updated_at = now
    session.execute(delete(PersonRole).where(PersonRole.person_id == person.id))
    revoked = session.execute(delete(SessionRecord).where(SessionRecord.person_id == person.id)).rowcount
    session.execute(delete(Invitation).where(Invitation.person_id == person.id))
    session.execute(delete(PasswordReset).where(PasswordReset.person_id == person.id))
    session.execute(
        delete(PasswordResetRequest).where(
            PasswordResetRequest.email_hash == hashlib.sha256(email_key.encode()).hexdigest()
        )
    )
    session.execute(delete(SignInFailure).where(SignInFailure.email_key == email_key))
    session.execute(delete(SharedCommunity).where(SharedCommunity.user_id == person.id))
    _scrub_audit(session, person.id)
    _scrub_profile_events(session, person.id)
    session.flush()
    session.emit(
        ev.IDENTITY_USER_ERASED, {"user_id": person.id, "org_id": person.org_id, "guest": person.guest}
    )
    if audit is not None:
        audit.record(
            session,
            now,
            getattr(audit, "PERSON_ERASED", "erasure"),
            viewer.id,
            person.id,
            {"by": "self" if viewer.id == person.id else "admin", "signed_out": revoked},
        )
    session.commit()
    return _result(session, person, photo, already=False)


def _scrub_profile_events(session, person_id: str) -> int:
    """The person's ``profile_changed`` events still in the outbox lose their texts now (the
    relay blanks them once published: these may not be yet), so no copy of the profile stays
    in identity's database. No commit."""
    table = session.outbox_table
    event = ev.IDENTITY_PROFILE_CHANGED
    rows = session.execute(
        select(table.c.id, table.c.payload).where(
            table.c.source == event.source,
            table.c.event_type == event.name,
            cast(table.c.payload, Text).contains(person_id, autoescape=True),
        )
    ).all()
    changed = 0
    for row_id, payload in rows:
        kept = ev.kept_after_relay(event, payload or {})
        if (payload or {}).get("user_id") == person_id and kept is not None and kept != payload:
            session.execute(update(table).where(table.c.id == row_id).values(payload=kept))
            changed += 1
    return changed


def _result(session, person: Person, photo: str | None, already: bool) -> dict:
    shared = (
        bool(photo)
        and session.scalars(
            select(Person.id).where(Person.photo_sha256 == photo, Person.id != person.id)
        ).first()
        is not None
    )
    return {
        "person_id": person.id,
        "erased": True,
        "already_erased": already,
        # the photo's blob (the gateway's store): delete it unless another profile uses it
        "photo": photo if photo and not shared else None,
    }


# --- inputs --------------------------------------------------------------------------


class PersonIdIn(Schema):
    class Meta:
        unknown = RAISE

    person_id = fields.String(required=True, validate=validate.Length(1, 64))


class EraseMeIn(Schema):
    class Meta:
        unknown = RAISE

    password = fields.String(required=True, validate=validate.Length(1, 1024))
