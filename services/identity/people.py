"""People administration: creation (employees, guests, invitations), status, roles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, update

from parvis_contracts import events as ev
from parvis_contracts.errors import Conflict, Forbidden, ValidationFailed, not_found

from . import audit, organisations, views
from .access import ADMIN, MEMBER, Viewer, require_admin, roles_of
from .models import Invitation, Organisation, Person, PersonRole, SessionRecord
from .passwords import hash_password, new_token, token_hash

INVITATION_DAYS = 7


def email_key(email: str) -> str:
    return email.strip().lower()


def sort_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed("The request is not valid.", {field: [message]})


def event_data(person: Person) -> dict:
    return {"user_id": person.id, "org_id": person.org_id, "guest": person.guest}


def updated(session, person: Person) -> None:
    """Tell caches of people (the gateway's) that what they hold of ``person`` changed."""
    session.emit(ev.IDENTITY_USER_UPDATED, event_data(person))


#: what the search index holds of a profile (``identity.profile_changed``): a change of one
#: of these fields publishes the whole profile again
SEARCHABLE_FIELDS = (
    "display_name",
    "job_title",
    "department",
    "country",
    "languages",
    "preferred_language",
    "skills",
    "about",
    "education",
    "education_visibility",
    "status",
)
#: who may see the education field when it is published (a private one never is)
PUBLISHED_VISIBILITIES = ("everyone", "employees")


def searchable(person: Person) -> list:
    """The values of ``SEARCHABLE_FIELDS`` (to compare before and after a change)."""
    return [getattr(person, name) for name in SEARCHABLE_FIELDS]


def profile_changed(session, person: Person) -> dict:
    """Publish the person's whole searchable profile (``identity.profile_changed``) with its
    next version; no commit.

    The version is incremented in the database (the UPDATE takes the row's lock), then the
    row is read again: two transactions changing one person publish two versions, the later
    one holding both changes (PostgreSQL's READ COMMITTED reads what the first committed)."""
    session.flush()
    table = Person.__table__
    session.execute(
        update(table).where(table.c.id == person.id).values(profile_version=table.c.profile_version + 1)
    )
    session.refresh(person)
    org = session.get(Organisation, person.org_id)
    visibility = person.education_visibility or "private"
    data = {
        **event_data(person),
        "active": person.status == "active",
        "display_name": person.display_name,
        "job_title": person.job_title,
        "department": person.department,
        "country": person.country,
        "languages": list(person.languages or []),
        "preferred_language": person.preferred_language,
        "skills": list(person.skills or []),
        "about": person.about,
        "education": person.education if visibility in PUBLISHED_VISIBILITIES else None,
        "education_visibility": visibility,
        "org_name": org.name if org is not None else None,
        "version": person.profile_version,
    }
    session.emit(ev.IDENTITY_PROFILE_CHANGED, data)
    return data


def sessions_ended(session, person_id: str, session_id: str | None = None) -> None:
    """Tell caches of sessions (the gateway's) that a session, or every one of a person, ended."""
    session.emit(ev.IDENTITY_SESSION_ENDED, {"user_id": person_id, "session_id": session_id})


def get(session, person_id: str) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise not_found("person")
    return person


def revoke_sessions(session, person_id: str, now: datetime, keep: str | None = None) -> int:
    query = update(SessionRecord).where(
        SessionRecord.person_id == person_id, SessionRecord.revoked_at.is_(None)
    )
    if keep:
        query = query.where(SessionRecord.id != keep)
    revoked = session.execute(query.values(revoked_at=now)).rowcount
    if revoked:
        sessions_ended(session, person_id)
    return revoked


def add_person(
    session,
    now: datetime,
    *,
    email: str,
    display_name: str,
    org: Organisation,
    roles=None,
    guest_expires_at=None,
    password=None,
    preferred_language="en",
    job_title=None,
    department=None,
    country=None,
    languages=None,
    invited_by: Person | None = None,
):
    """Insert a person and their user_created event (no commit); -> (person, invitation token).

    Without a password the person gets an invitation, and ``person_invited`` (mailed by the
    notifications service) names ``invited_by`` (None: the platform itself)."""
    key = email_key(email)
    if session.scalars(select(Person.id).where(Person.email_key == key)).first():
        raise Conflict("A person with this e-mail address already exists.", {"email": email})
    guest = org.kind != "host"
    roles = sorted(set(roles or ()) | {MEMBER})
    if guest and roles != [MEMBER]:
        raise invalid("roles", "A guest can only be a member.")
    if not guest and guest_expires_at is not None:
        raise invalid("guest_expires_at", "Only guests have an access expiry date.")
    languages = list(languages or [])
    name = " ".join(display_name.split())
    person = Person(
        email=email.strip(),
        email_key=key,
        org_id=org.id,
        guest=guest,
        status="active" if password else "invited",
        guest_expires_at=guest_expires_at,
        password_hash=hash_password(password) if password else None,
        display_name=name,
        sort_name=sort_key(name),
        job_title=job_title,
        department=department,
        country=country,
        languages=languages,
        languages_text="," + "".join(f"{code}," for code in languages),
        preferred_language=preferred_language,
        skills=[],
        skills_text=",",
        created_at=now,
        updated_at=now,
    )
    session.add(person)
    session.flush()
    for role in roles:
        if role != MEMBER:
            session.add(PersonRole(person_id=person.id, role=role))
    session.flush()
    session.emit(
        ev.IDENTITY_USER_CREATED, {**event_data(person), "preferred_language": person.preferred_language}
    )
    profile_changed(session, person)
    token = None if password else invite(session, person, org, now, invited_by)
    return person, token


def link_data(person: Person, token: str, expires_at: datetime) -> dict:
    """What a mail with a link for ``person`` needs (``person_invited``,
    ``password_reset_requested``): to whom, in which language, the token and its end."""
    return {
        "user_id": person.id,
        "email": person.email,
        "display_name": person.display_name,
        "language": person.preferred_language,
        "token": token,
        "expires_at": expires_at.astimezone(UTC).isoformat(),
    }


def invite(session, person: Person, org: Organisation, now: datetime, invited_by: Person | None) -> str:
    """Issue an invitation token (only its hash is kept) and publish ``person_invited``
    with it, for the mail; -> the token (no commit)."""
    token = new_token()
    expires_at = now + timedelta(days=INVITATION_DAYS)
    session.add(
        Invitation(token_hash=token_hash(token), person_id=person.id, created_at=now, expires_at=expires_at)
    )
    session.flush()
    session.emit(
        ev.IDENTITY_PERSON_INVITED,
        {
            **link_data(person, token, expires_at),
            "guest": person.guest,
            "org_name": org.name,
            "invited_by": invited_by.id if invited_by is not None else None,
            "invited_by_name": invited_by.display_name if invited_by is not None else None,
        },
    )
    return token


def admin_create(session, viewer: Viewer, now: datetime, *, org_id=None, **data) -> dict:
    require_admin(viewer)
    if org_id is None:
        org = organisations.host(session)
        if org is None:
            raise Conflict("The network has no host company yet; bootstrap it first.")
    else:
        org = session.get(Organisation, org_id)
        if org is None:
            raise not_found("organisation")
    person, token = add_person(session, now, org=org, invited_by=viewer.person, **data)
    audit.record(
        session,
        now,
        audit.GUEST_INVITED if person.guest else audit.PERSON_CREATED,
        viewer.id,
        person.id,
        {
            "org_id": org.id,
            "guest": person.guest,
            "invited": token is not None,
            "roles": roles_of(session, person.id),
            "guest_expires_at": person.guest_expires_at,
        },
    )
    session.commit()
    return {"person": views.admin_item(session, person), "invitation_token": token}


def not_erased(person: Person) -> Person:
    """An erased account is kept only as "Former member": nothing about it changes again."""
    if person.status == "erased":
        raise Conflict("This account was erased; it cannot be changed.")
    return person


def _active_admins(session) -> list[str]:
    return list(
        session.scalars(
            select(Person.id)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .where(PersonRole.role == ADMIN, Person.status == "active")
        )
    )


def deactivate(session, viewer: Viewer, now: datetime, person_id: str) -> dict:
    require_admin(viewer)
    person = not_erased(get(session, person_id))
    if person.id == viewer.id:
        raise Forbidden("You cannot deactivate yourself.")
    if person.status != "deactivated":
        if _active_admins(session) == [person.id]:
            raise Conflict("The network needs at least one active admin.")
        person.status = "deactivated"
        person.updated_at = now
        revoke_sessions(session, person.id, now)
        session.emit(ev.IDENTITY_USER_DEACTIVATED, event_data(person))
        profile_changed(session, person)
        audit.record(session, now, audit.PERSON_DEACTIVATED, viewer.id, person.id, {})
        session.commit()
    return views.admin_item(session, person)


def reactivate(session, viewer: Viewer, now: datetime, person_id: str) -> dict:
    require_admin(viewer)
    person = not_erased(get(session, person_id))
    if person.status == "deactivated":
        # someone who never chose a password goes back to the invited state
        person.status = "active" if person.password_hash else "invited"
        person.updated_at = now
        session.emit(ev.IDENTITY_USER_REACTIVATED, event_data(person))
        profile_changed(session, person)
        audit.record(session, now, audit.PERSON_REACTIVATED, viewer.id, person.id, {"status": person.status})
        session.commit()
    return views.admin_item(session, person)


def set_roles(session, viewer: Viewer, now: datetime, person_id: str, roles: list[str]) -> dict:
    require_admin(viewer)
    person = not_erased(get(session, person_id))
    if person.guest and roles != [MEMBER]:
        raise invalid("roles", "A guest can only be a member.")
    before = roles_of(session, person.id)
    if before != roles:
        if ADMIN in before and ADMIN not in roles and _active_admins(session) == [person.id]:
            raise Conflict("The network needs at least one admin: appoint another one first.")
        session.execute(delete(PersonRole).where(PersonRole.person_id == person.id))
        for role in roles:
            if role != MEMBER:
                session.add(PersonRole(person_id=person.id, role=role))
        person.updated_at = now
        session.flush()
        session.emit(ev.IDENTITY_USER_ROLES_CHANGED, {**event_data(person), "roles": roles})
        audit.record(session, now, audit.ROLES_CHANGED, viewer.id, person.id, {"from": before, "to": roles})
        session.commit()
    return views.admin_item(session, person)


def set_guest_expiry(session, viewer: Viewer, now: datetime, person_id: str, guest_expires_at) -> dict:
    require_admin(viewer)
    person = not_erased(get(session, person_id))
    if not person.guest:
        raise invalid("guest_expires_at", "Only guests have an access expiry date.")
    before = person.guest_expires_at
    person.guest_expires_at = guest_expires_at
    person.updated_at = now
    updated(session, person)
    audit.record(
        session,
        now,
        audit.GUEST_EXPIRY_CHANGED,
        viewer.id,
        person.id,
        {"from": before, "to": guest_expires_at},
    )
    session.commit()
    return views.admin_item(session, person)


def bootstrap(
    session,
    viewer: Viewer,
    now: datetime,
    *,
    host_name,
    host_country,
    admin_email,
    admin_password,
    admin_name,
) -> dict:
    """Create the host company and the first admin if absent; return both (idempotent)."""
    if not viewer.system:
        raise Forbidden("Only the platform itself can bootstrap the network.")
    created = {"organisation": False, "admin": False}
    org = organisations.host(session)
    if org is None:
        org = organisations.add(session, host_name, "host", host_country, now)
        created["organisation"] = True
    admin = session.scalars(select(Person).where(Person.email_key == email_key(admin_email))).first()
    if admin is None:
        admin, _ = add_person(
            session,
            now,
            email=admin_email,
            display_name=admin_name,
            org=org,
            roles=[ADMIN, MEMBER],
            password=admin_password,
        )
        created["admin"] = True
    session.commit()
    count = session.scalar(
        select(func.count(Person.id)).where(Person.org_id == org.id, Person.status != "deactivated")
    )
    return {
        "organisation": organisations.view(org, count),
        "admin": views.admin_item(session, admin),
        "created": created,
    }
