"""The people directory: search, admin listing, keyset pagination, guest read model."""

from __future__ import annotations

from sqlalchemy import and_, delete, or_, select

from parvis_contracts import cursors

from . import views
from .access import Viewer, require_global_manager, visible_people_clause
from .models import Person, SharedCommunity


def encode_cursor(person: Person) -> str:
    return cursors.encode(person.sort_name, person.id)


def decode_cursor(cursor: str) -> tuple[str, str]:
    name, pid = cursors.decode(cursor, (str, str), "the directory")
    return name, pid


def _page(session, query, limit: int, cursor: str | None):
    if cursor:
        name, pid = decode_cursor(cursor)
        query = query.where(or_(Person.sort_name > name, and_(Person.sort_name == name, Person.id > pid)))
    rows = list(session.scalars(query.order_by(Person.sort_name, Person.id).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor(rows[-1]) if more and rows else None)


def _contains(column, text: str):
    return column.icontains(text, autoescape=True)


def search(
    session,
    viewer: Viewer,
    query=None,
    skill=None,
    department=None,
    country=None,
    language=None,
    limit=20,
    cursor=None,
) -> dict:
    q = select(Person).where(Person.status == "active")
    clause = visible_people_clause(viewer)
    if clause is not None:
        q = q.where(clause)
    if query:
        q = q.where(or_(_contains(Person.display_name, query), _contains(Person.job_title, query)))
    if skill:
        tag = " ".join(skill.split()).lower()
        q = q.where(Person.skills_text.contains(f",{tag},", autoescape=True))
    if department:
        q = q.where(
            Person.department.ilike(
                department.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"), escape="\\"
            )
        )
    if country:
        q = q.where(Person.country == country)
    if language:
        q = q.where(Person.languages_text.contains(f",{language},", autoescape=True))
    people, next_cursor = _page(session, q, limit, cursor)
    return {"items": views.cards(session, people), "next_cursor": next_cursor}


def admin_list(
    session, viewer: Viewer, query=None, org_id=None, guest=None, status=None, limit=50, cursor=None
) -> dict:
    require_global_manager(viewer)
    q = select(Person)
    if query:
        q = q.where(
            or_(
                _contains(Person.display_name, query),
                _contains(Person.email, query),
                _contains(Person.job_title, query),
            )
        )
    if org_id:
        q = q.where(Person.org_id == org_id)
    if guest is not None:
        q = q.where(Person.guest == guest)
    if status:
        q = q.where(Person.status == status)
    people, next_cursor = _page(session, q, limit, cursor)
    return {"items": views.admin_items(session, people), "next_cursor": next_cursor}


# --- the shared-community read model (fed by communities' events) ----------


def member_added(session, community_id: str, user_id: str) -> None:
    key = {"community_id": community_id, "user_id": user_id}
    if session.get(SharedCommunity, key) is None:
        session.add(SharedCommunity(**key))
        session.flush()


def member_removed(session, community_id: str, user_id: str) -> None:
    session.execute(
        delete(SharedCommunity).where(
            SharedCommunity.community_id == community_id, SharedCommunity.user_id == user_id
        )
    )
