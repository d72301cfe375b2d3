"""Plain-dict views of people and organisations (dumped by the service's schemas)."""

from __future__ import annotations

from sqlalchemy import bindparam, select

from .access import Viewer, field_visible, roles_by_person, roles_of
from .models import PERSONAL_FIELDS, Organisation, Person


def initials(name: str) -> str:
    parts = [p for p in name.replace("-", " ").split() if p[:1].isalnum()]
    if not parts:
        return (name.strip()[:1] or "?").upper()
    letters = parts[0][0] + (parts[-1][0] if len(parts) > 1 else "")
    return letters.upper()


#: built once (every list of people cards runs it)
_ORG_NAMES = select(Organisation.id, Organisation.name).where(
    Organisation.id.in_(bindparam("ids", expanding=True))
)


def org_names(session, org_ids) -> dict[str, str]:
    ids = list(set(org_ids))
    if not ids:
        return {}
    return dict(session.execute(_ORG_NAMES, {"ids": ids}).all())


def card(person: Person, org_name: str) -> dict:
    return {
        "id": person.id,
        "display_name": person.display_name,
        "job_title": person.job_title,
        "department": person.department,
        "country": person.country,
        "org_id": person.org_id,
        "org_name": org_name,
        "guest": person.guest,
        "status": person.status,
        "initials": initials(person.display_name),
        "photo": person.photo_sha256,
    }


def cards(session, people) -> list[dict]:
    names = org_names(session, [p.org_id for p in people])
    return [card(p, names.get(p.org_id, "")) for p in people]


def admin_items(session, people) -> list[dict]:
    names = org_names(session, [p.org_id for p in people])
    roles = roles_by_person(session, [p.id for p in people])
    return [
        {
            **card(p, names.get(p.org_id, "")),
            "email": p.email,
            "roles": roles[p.id],
            "guest_expires_at": p.guest_expires_at,
        }
        for p in people
    ]


def admin_item(session, person: Person) -> dict:
    return admin_items(session, [person])[0]


def visibility(person: Person) -> dict:
    return {name: getattr(person, f"{name}_visibility") for name in PERSONAL_FIELDS}


def profile(session, person: Person, viewer: Viewer) -> dict:
    result = cards(session, [person])[0]
    result.update(
        {
            "languages": list(person.languages or []),
            "preferred_language": person.preferred_language,
            "skills": list(person.skills or []),
            "about": person.about,
            "photo_content_type": person.photo_content_type,
        }
    )
    personal = {}
    for name, level in visibility(person).items():
        value = getattr(person, name)
        if value is not None and field_visible(person, viewer, level):
            personal[name] = value
    result["personal"] = personal
    return result


def own_profile(session, person: Person, viewer: Viewer) -> dict:
    result = profile(session, person, viewer)
    result.update(
        {
            "email": person.email,
            "roles": roles_by_person(session, [person.id])[person.id],
            "guest_expires_at": person.guest_expires_at,
            "auto_translate": bool(person.auto_translate),
            "time_zone": person.time_zone,
            "visibility": visibility(person),
        }
    )
    return result


def principal(session, person: Person) -> dict:
    return {
        "id": person.id,
        "email": person.email,
        "display_name": person.display_name,
        "org_id": person.org_id,
        "roles": roles_of(session, person.id),
        "guest": person.guest,
        "preferred_language": person.preferred_language,
        "auto_translate": bool(person.auto_translate),
        "guest_expires_at": person.guest_expires_at,
        "time_zone": person.time_zone,
    }
