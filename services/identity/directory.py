"""The people directory: search, admin listing, keyset pagination, guest read model."""

from __future__ import annotations

from sqlalchemy import and_, delete, or_, select

from parvis_contracts import cursors
from parvis_contracts import markdown as render
from parvis_contracts.errors import Forbidden, not_found

from . import views
from .access import Viewer, require_global_manager, require_person, visible_people_clause
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


# --- mentions: whom an author may name in a community ----------------------------------

#: candidates read for a pasted handle before its exact comparison (a common first name)
HANDLE_CANDIDATES_MAX = 200


def _require_member(session, viewer: Viewer, community_id: str) -> None:
    """Only a member of the community learns who its members are. A network admin who is
    not one sees the community's card (visible), so is refused, not told it is unknown."""
    require_person(viewer)
    key = {"community_id": community_id, "user_id": viewer.id}
    if session.get(SharedCommunity, key) is not None:
        return
    exists_at_all = session.scalar(
        select(SharedCommunity.user_id).where(SharedCommunity.community_id == community_id).limit(1)
    )
    if viewer.is_admin and exists_at_all is not None:
        raise Forbidden("Network admins see this community's card, not its members, unless they are members.")
    raise not_found("community")


def _words(text: str) -> list[str]:
    return [w for w in text.replace(".", " ").replace("_", " ").split() if w]


def _suggestions(session, viewer: Viewer, community_id: str, query: str, limit: int) -> list[dict]:
    """The community's active members (the author aside) whose name holds every word typed,
    those whose name starts with it first, then by name."""
    members = select(SharedCommunity.user_id).where(SharedCommunity.community_id == community_id)
    q = select(Person).where(Person.status == "active", Person.id.in_(members), Person.id != viewer.id)
    for word in _words(query)[:5]:
        q = q.where(_contains(Person.display_name, word))
    rows = list(session.scalars(q.order_by(Person.sort_name, Person.id).limit(limit * 5)))
    start = render.fold_handle(query)
    rows.sort(key=lambda p: (not render.handle_of(p.display_name).startswith(start), p.sort_name, p.id))
    return [
        {**card, "handle": render.handle_of(card["display_name"])}
        for card in views.cards(session, rows[:limit])
    ]


def _resolve(session, viewer: Viewer, community_id: str, handles: list[str]) -> dict:
    """``handle -> {id, display_name, member}``: the one member of the community the handle
    names; else, when it names exactly one other person the viewer may see, that person
    (``member`` false: the feed refuses the mention, naming them). A handle naming nobody,
    or several people and not exactly one member, is left out (it stays text)."""
    found: dict = {}
    clause = visible_people_clause(viewer)
    members = set(
        session.scalars(select(SharedCommunity.user_id).where(SharedCommunity.community_id == community_id))
    )
    for handle in handles:
        wanted = render.fold_handle(handle)
        words = _words(wanted)
        if not words:
            continue
        named = or_(*(_contains(Person.display_name, w) for w in words))
        q = select(Person).where(Person.status == "active", named)
        if clause is not None:
            q = q.where(clause)
        matches = [
            p
            for p in session.scalars(q.order_by(Person.sort_name, Person.id).limit(HANDLE_CANDIDATES_MAX))
            if render.handle_of(p.display_name) == wanted
        ]
        in_community = [p for p in matches if p.id in members]
        chosen = in_community if in_community else matches
        if len(chosen) == 1:
            person = chosen[0]
            found[handle] = {
                "id": person.id,
                "display_name": person.display_name,
                "member": person.id in members,
            }
    return found


def mentionable(session, viewer: Viewer, community_id: str, query=None, handles=None, limit=10) -> dict:
    """Whom a member may mention in a community: suggestions for the letters typed after
    ``@`` (``query``: members only; a guest's fellow members are by definition people they
    share a community with), and what pasted handles (``first.last``) name."""
    _require_member(session, viewer, community_id)
    return {
        "items": _suggestions(session, viewer, community_id, query, limit) if query else [],
        "handles": _resolve(session, viewer, community_id, handles) if handles else {},
    }


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
