"""Sign-in, throttling, sessions, invitations and password changes."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, select

from parvis_contracts import settings
from parvis_contracts.errors import Unauthenticated, ValidationFailed, not_found

from . import audit, views
from .access import Viewer, can_sign_in, guest_expired, require_person
from .models import Invitation, Person, SessionRecord, SignInFailure
from .passwords import hash_password, needs_rehash, new_token, token_hash, verify_password
from .people import email_key, profile_changed, revoke_sessions, sessions_ended
from .throttle import refuse_beyond

MAX_FAILURES = 10
FAILURE_WINDOW = timedelta(minutes=15)
FAILURE_RETENTION = timedelta(days=1)
LAST_SEEN_GRANULARITY = timedelta(minutes=1)
BAD_CREDENTIALS = "E-mail or password is incorrect."
DEAD_SESSION = "Your session has ended. Sign in again."


# --- throttling --------------------------------------------------------------


def check_throttle(session, key: str, now: datetime) -> None:
    """Refuse once MAX_FAILURES failures exist within the window for this e-mail."""
    times = session.scalars(
        select(SignInFailure.at)
        .where(SignInFailure.email_key == key, SignInFailure.at > now - FAILURE_WINDOW)
        .order_by(SignInFailure.at)
    )
    refuse_beyond(list(times), MAX_FAILURES, FAILURE_WINDOW, now, "failed sign-in attempts")


def record_failure(session, key: str, now: datetime) -> None:
    """Remember a failed attempt (committed at once: the caller raises next)."""
    session.execute(
        delete(SignInFailure).where(
            SignInFailure.email_key == key, SignInFailure.at < now - FAILURE_RETENTION
        )
    )
    session.add(SignInFailure(email_key=key, at=now))
    session.commit()


# --- sessions ------------------------------------------------------------------

#: built once (SQLAlchemy then reuses the statement and its cache key instead of building
#: both per call): a session by its token's hash, and with its person for ``resolve``, which
#: every signed-in request calls (one statement instead of two; an outer join, so a session
#: whose person row is gone is still found, and revoked)
_SESSION_BY_HASH = select(SessionRecord).where(SessionRecord.token_hash == bindparam("token_hash"))
_SESSION_AND_PERSON_BY_HASH = (
    select(SessionRecord, Person)
    .outerjoin(Person, Person.id == SessionRecord.person_id)
    .where(SessionRecord.token_hash == bindparam("token_hash"))
)


def _lifetime(person: Person) -> timedelta:
    if person.guest:
        return timedelta(hours=settings.value("PARVIS_GUEST_SESSION_HOURS"))
    return timedelta(hours=settings.value("PARVIS_SESSION_HOURS"))


def _idle() -> timedelta:
    return timedelta(minutes=settings.value("PARVIS_SESSION_IDLE_MINUTES"))


def open_session(session, person: Person, now: datetime, user_agent=None, ip=None) -> dict:
    """Create a session (and commit); the token is returned once, only its hash is kept."""
    token = new_token()
    record = SessionRecord(
        token_hash=token_hash(token),
        person_id=person.id,
        created_at=now,
        expires_at=now + _lifetime(person),
        last_seen_at=now,
        user_agent=user_agent,
        ip=ip,
    )
    session.add(record)
    session.commit()
    return {
        "session_token": token,
        "expires_at": record.expires_at,
        "person": views.principal(session, person),
    }


def sign_in(session, now: datetime, email: str, password: str, user_agent=None, ip=None) -> dict:
    key = email_key(email)
    check_throttle(session, key, now)
    person = session.scalars(select(Person).where(Person.email_key == key)).first()
    # unknown e-mail and invited people verify against a dummy hash: same cost
    ok = verify_password(person.password_hash if person else None, password)
    if not ok or person is None or not can_sign_in(person, now):
        reason = "unknown_email" if person is None else "bad_credentials" if not ok else "not_allowed"
        # never the typed e-mail (it may be a password typed in the wrong field); attempts
        # on unknown addresses (anyone can make many) share one row per minute and IP
        if person is None:
            audit.record_counted(
                session, now, audit.SIGN_IN_FAILED, None, None, {"ip": ip, "reason": reason}, key=(ip, reason)
            )
        else:
            audit.record(session, now, audit.SIGN_IN_FAILED, None, person.id, {"ip": ip, "reason": reason})
        record_failure(session, key, now)
        raise Unauthenticated(BAD_CREDENTIALS)
    if needs_rehash(person.password_hash):
        person.password_hash = hash_password(password)
    audit.record(session, now, audit.SIGN_IN, person.id, person.id, {"ip": ip, "user_agent": user_agent})
    return open_session(session, person, now, user_agent, ip)


def resolve(session, now: datetime, session_token: str, touch: bool = True) -> dict:
    """Who holds ``session_token``; ``touch`` false leaves the last-seen time as it is (a
    background check is not activity: it must not hold the idle timeout off)."""
    row = session.execute(_SESSION_AND_PERSON_BY_HASH, {"token_hash": token_hash(session_token)}).first()
    record, person = row if row is not None else (None, None)
    if record is None or record.revoked_at is not None:
        raise Unauthenticated(DEAD_SESSION)
    if now >= record.expires_at or now - record.last_seen_at > _idle():
        raise Unauthenticated(DEAD_SESSION)
    if person is None or not can_sign_in(person, now):
        record.revoked_at = now
        sessions_ended(session, record.person_id, record.id)
        session.commit()
        raise Unauthenticated(DEAD_SESSION)
    if touch and now - record.last_seen_at >= LAST_SEEN_GRANULARITY:
        record.last_seen_at = now
        session.commit()
    return {
        "session_id": record.id,
        "expires_at": record.expires_at,
        "valid_until": valid_until(record, person),
        "person": views.principal(session, person),
    }


def valid_until(record: SessionRecord, person: Person) -> datetime:
    """When the session stops resolving if nothing changes: its end, its idle timeout
    (counted from the last seen time just recorded) or the end of the guest's last day."""
    until = min(record.expires_at, record.last_seen_at + _idle())
    if person.guest and person.guest_expires_at is not None:
        day_after = datetime.combine(person.guest_expires_at + timedelta(days=1), datetime.min.time())
        until = min(until, day_after.replace(tzinfo=until.tzinfo))
    return until


def sign_out(session, now: datetime, session_token: str) -> dict:
    record = session.scalars(_SESSION_BY_HASH, {"token_hash": token_hash(session_token)}).first()
    if record is not None and record.revoked_at is None:
        record.revoked_at = now
        sessions_ended(session, record.person_id, record.id)
        audit.record(session, now, audit.SIGN_OUT, record.person_id, record.person_id, {})
        session.commit()
    return {"signed_out": True}


def change_password(
    session, viewer: Viewer, now: datetime, current_password: str, new_password: str, session_id: str | None
) -> dict:
    person = require_person(viewer)
    check_throttle(session, person.email_key, now)
    if not verify_password(person.password_hash, current_password):
        record_failure(session, person.email_key, now)
        raise ValidationFailed(
            "The request is not valid.", {"current_password": ["The current password is incorrect."]}
        )
    if current_password == new_password:
        raise ValidationFailed(
            "The request is not valid.",
            {"new_password": ["Choose a password different from the current one."]},
        )
    person.password_hash = hash_password(new_password)
    person.updated_at = now
    revoked = revoke_sessions(session, person.id, now, keep=session_id)
    audit.record(
        session, now, audit.PASSWORD_CHANGED, person.id, person.id, {"signed_out_elsewhere": revoked}
    )
    session.commit()
    return {"changed": True, "revoked_sessions": revoked}


# --- invitations -------------------------------------------------------------


def _open_invitation(session, token: str, now: datetime) -> tuple[Invitation, Person]:
    invitation = session.scalars(select(Invitation).where(Invitation.token_hash == token_hash(token))).first()
    person = session.get(Person, invitation.person_id) if invitation else None
    if (
        invitation is None
        or person is None
        or invitation.used_at is not None
        or now >= invitation.expires_at
        or person.status != "invited"
        or guest_expired(person, now)
    ):
        raise not_found("invitation")
    return invitation, person


def get_invitation(session, now: datetime, token: str) -> dict:
    _, person = _open_invitation(session, token, now)
    return {"email": person.email, "display_name": person.display_name}


def accept_invitation(session, now: datetime, token: str, password: str) -> dict:
    invitation, person = _open_invitation(session, token, now)
    invitation.used_at = now
    person.password_hash = hash_password(password)
    person.status = "active"
    person.updated_at = now
    audit.record(session, now, audit.INVITATION_ACCEPTED, person.id, person.id, {})
    profile_changed(session, person)  # in the directory (and the search) from now on
    session.flush()
    return open_session(session, person, now)
