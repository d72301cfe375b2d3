"""Communities: creation, settings, archive state, the directory."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased

from parvis_contracts import cursors
from parvis_contracts import events as ev
from parvis_contracts.errors import Forbidden

from .access import Seen, locate, require_content, require_manager, require_metadata
from .models import Community, Membership

FULL_FIELDS = (
    "description",
    "languages",
    "picture",
    "newcomers_see_history",
    "allowed_org_ids",
    "archived_at",
    "created_by",
    "created_at",
    "updated_at",
)


def sort_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def view(community: Community, role: str | None, full: bool) -> dict:
    data = {
        "id": community.id,
        "name": community.name,
        "kind": community.kind,
        "visibility": community.visibility,
        "member_count": community.member_count,
        "archived": community.archived,
        "my_role": role,
        "access": "full" if full else "metadata",
    }
    if full:
        data.update({key: getattr(community, key) for key in FULL_FIELDS})
    return data


def seen_view(seen: Seen) -> dict:
    return view(seen.community, seen.membership.role if seen.membership else None, seen.content)


def state(community: Community) -> dict:
    """The full CommunityStateSchema payload of every community event."""
    return {
        "community_id": community.id,
        "name": community.name,
        "kind": community.kind,
        "visibility": community.visibility,
        "archived": community.archived,
        "newcomers_see_history": community.newcomers_see_history,
        "languages": list(community.languages or []),
        "allowed_org_ids": list(community.allowed_org_ids or []),
        # the search index finds a community by it (for those who may read it)
        "description": community.description or "",
        "version": community.version,
    }


def member_event(membership: Membership, community: Community) -> dict:
    """The MembershipEventSchema payload, with the community's version after the change."""
    return {
        "community_id": membership.community_id,
        "user_id": membership.user_id,
        "role": membership.role,
        "guest": membership.guest,
        "joined_at": membership.joined_at.isoformat(),
        "version": community.version,
    }


def create(session, caller, now: datetime, **data) -> dict:
    if not caller.is_person:
        raise Forbidden("Only a signed-in person can create a community.")
    if caller.guest:
        raise Forbidden("Guests cannot create communities.")
    community = Community(
        sort_name=sort_key(data["name"]),
        created_by=caller.user_id,
        created_at=now,
        updated_at=now,
        member_count=1,
        archived=False,
        version=1,
        **data,
    )
    session.add(community)
    session.flush()
    manager = Membership(
        community_id=community.id,
        user_id=caller.user_id,
        role="manager",
        guest=False,
        org_id=caller.org_id,
        joined_at=now,
    )
    session.add(manager)
    session.flush()
    session.emit(ev.COMMUNITIES_COMMUNITY_CREATED, state(community))
    session.emit(ev.COMMUNITIES_MEMBER_ADDED, member_event(manager, community))
    session.commit()
    return view(community, "manager", True)


def get(session, caller, community_id: str) -> dict:
    return seen_view(require_metadata(locate(session, caller, community_id)))


def update(session, caller, now: datetime, community_id: str, changes: dict) -> dict:
    seen = require_manager(locate(session, caller, community_id, for_write=True))
    community = seen.community
    changed = False
    for key, value in changes.items():
        if getattr(community, key) != value:
            setattr(community, key, value)
            changed = True
    if changed:
        if "name" in changes:
            community.sort_name = sort_key(community.name)
        community.updated_at = now
        session.flush()
        session.emit(ev.COMMUNITIES_COMMUNITY_UPDATED, state(community))
        session.commit()
    return seen_view(seen)


def archive(session, caller, now: datetime, community_id: str) -> dict:
    seen = require_manager(locate(session, caller, community_id, for_write=True))
    seen.community.archived = True
    seen.community.archived_at = now
    seen.community.updated_at = now
    session.flush()
    session.emit(ev.COMMUNITIES_COMMUNITY_ARCHIVED, state(seen.community))
    session.commit()
    return seen_view(seen)


def reopen(session, caller, now: datetime, community_id: str) -> dict:
    """Idempotent: reopening a community that is not archived changes nothing."""
    seen = require_manager(locate(session, caller, community_id, for_write=True), writable=False)
    if seen.community.archived:
        seen.community.archived = False
        seen.community.archived_at = None
        seen.community.updated_at = now
        session.flush()
        session.emit(ev.COMMUNITIES_COMMUNITY_REOPENED, state(seen.community))
        session.commit()
    return seen_view(seen)


def require_readable(session, caller, community_id: str) -> Seen:
    return require_content(locate(session, caller, community_id))


# --- the directory -----------------------------------------------------------


def encode_cursor(community: Community) -> str:
    return cursors.encode(community.sort_name, community.id)


def decode_cursor(cursor: str) -> tuple[str, str]:
    name, cid = cursors.decode(cursor, (str, str), "the directory")
    return name, cid


def listing(
    session, caller, query=None, kind=None, visibility=None, mine=False, limit=20, cursor=None
) -> dict:
    """Keyset-paged by name. Admins: every community; employees: open and private ones
    and the secret ones they belong to; guests: only their own communities."""
    mine_row = aliased(Membership)
    q = select(Community, mine_row.role).outerjoin(
        mine_row, and_(mine_row.community_id == Community.id, mine_row.user_id == (caller.user_id or ""))
    )
    if mine or caller.guest:
        q = q.where(mine_row.user_id.is_not(None))
    elif not caller.is_admin:
        q = q.where(or_(Community.visibility.in_(("open", "private")), mine_row.user_id.is_not(None)))
    if query:
        q = q.where(Community.sort_name.contains(sort_key(query), autoescape=True))
    if kind:
        q = q.where(Community.kind == kind)
    if visibility:
        q = q.where(Community.visibility == visibility)
    if cursor:
        name, cid = decode_cursor(cursor)
        q = q.where(or_(Community.sort_name > name, and_(Community.sort_name == name, Community.id > cid)))
    rows = session.execute(q.order_by(Community.sort_name, Community.id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [view(c, role, Seen(caller, c, _Role(role) if role else None).content) for c, role in rows]
    return {"items": items, "next_cursor": encode_cursor(rows[-1][0]) if more and rows else None}


class _Role:
    """Just enough of a membership for :class:`Seen` in a listing row."""

    def __init__(self, role):
        self.role = role
