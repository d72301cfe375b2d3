"""Profiles: one's own (full), other people's (as the viewer may see them), and what the
platform needs to mail people (``mail_profiles``, for the system only)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from parvis_contracts import events as ev
from parvis_contracts.errors import Forbidden

from . import views
from .access import Viewer, can_sign_in, require_person, visible_people_clause, visible_person
from .models import Person
from .people import profile_changed, searchable, sort_key, updated

SIMPLE_FIELDS = (
    "job_title",
    "department",
    "country",
    "preferred_language",
    "about",
    "birth_date",
    "education",
    "phone",
    "auto_translate",
    "time_zone",
)


def get_me(session, viewer: Viewer) -> dict:
    person = require_person(viewer)
    return views.own_profile(session, person, viewer)


#: what a person's card or principal shows (the gateway remembers both): a change is told
REMEMBERED_FIELDS = (
    "display_name",
    "job_title",
    "department",
    "country",
    "preferred_language",
    "auto_translate",
    "time_zone",
)


def update_me(session, viewer: Viewer, now: datetime, changes: dict) -> dict:
    person = require_person(viewer)
    language_before = person.preferred_language
    remembered_before = [getattr(person, name) for name in REMEMBERED_FIELDS]
    searchable_before = searchable(person)
    if "display_name" in changes:
        person.display_name = " ".join(changes["display_name"].split())
        person.sort_name = sort_key(person.display_name)
    for name in SIMPLE_FIELDS:
        if name in changes:
            setattr(person, name, changes[name])
    if "languages" in changes:
        person.languages = list(changes["languages"])
        person.languages_text = "," + "".join(f"{c}," for c in person.languages)
    if "skills" in changes:
        person.skills = list(changes["skills"])
        person.skills_text = "," + "".join(f"{s}," for s in person.skills)
    for name, level in (changes.get("visibility") or {}).items():
        setattr(person, f"{name}_visibility", level)
    person.updated_at = now
    if person.preferred_language != language_before:
        # translation pre-translates into the languages of a community's members
        session.emit(ev.IDENTITY_USER_LANGUAGE_CHANGED, language_event(person))
    if [getattr(person, name) for name in REMEMBERED_FIELDS] != remembered_before:
        updated(session, person)
    if searchable(person) != searchable_before:
        # the search index's copy of the profile (people search, the expertise finder)
        profile_changed(session, person)
    session.commit()
    return views.own_profile(session, person, viewer)


def language_event(person: Person) -> dict:
    return {
        "user_id": person.id,
        "org_id": person.org_id,
        "guest": person.guest,
        "preferred_language": person.preferred_language,
    }


def set_photo(session, viewer: Viewer, now: datetime, sha256: str, content_type: str) -> dict:
    """Record the reference of the caller's own photo (the bytes live in a blob store)."""
    person = require_person(viewer)
    person.photo_sha256 = sha256
    person.photo_content_type = content_type
    person.updated_at = now
    updated(session, person)
    session.commit()
    return views.own_profile(session, person, viewer)


def clear_photo(session, viewer: Viewer, now: datetime) -> dict:
    person = require_person(viewer)
    if person.photo_sha256 is not None or person.photo_content_type is not None:
        person.photo_sha256 = None
        person.photo_content_type = None
        person.updated_at = now
        updated(session, person)
        session.commit()
    return views.own_profile(session, person, viewer)


def get_person(session, viewer: Viewer, person_id: str) -> dict:
    person = visible_person(session, viewer, person_id)
    return views.profile(session, person, viewer)


def people_cards(session, viewer: Viewer, person_ids: list[str]) -> dict:
    ids = list(dict.fromkeys(person_ids))
    if not ids:
        return {}
    query = select(Person).where(Person.id.in_(ids))
    clause = visible_people_clause(viewer)
    if clause is not None:
        query = query.where(clause)
    people = list(session.scalars(query))
    return {c["id"]: c for c in views.cards(session, people)}


def mail_profiles(session, viewer: Viewer, now: datetime, person_ids: list[str]) -> dict:
    """``id -> {email, display_name, language, time_zone, active}`` for the notifications
    service's mail (the platform itself only); unknown and erased ids are left out."""
    if not viewer.system:
        raise Forbidden("Only the platform itself reads people's mail profiles.")
    ids = list(dict.fromkeys(person_ids))
    if not ids:
        return {}
    people = session.scalars(select(Person).where(Person.id.in_(ids), Person.status != "erased"))
    return {
        person.id: {
            "email": person.email,
            "display_name": person.display_name,
            "language": person.preferred_language,
            "time_zone": person.time_zone,
            "active": can_sign_in(person, now),
        }
        for person in people
    }
