"""Membership: joining, join requests, invitations, leaving, removal, managers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, func, or_, select

from parvis_contracts import events as ev
from parvis_contracts.errors import Conflict, Forbidden, ValidationFailed, not_found

from .access import Seen, locate, lock, require_content, require_manager, require_person, require_writable
from .communities import member_event, seen_view, view
from .models import Community, Invitation, JoinRequest, Membership

LAST_MANAGER = (
    "A community needs at least one manager: appoint another manager "
    "before the last one leaves or steps down."
)


def _add_member(
    session, community: Community, user_id: str, guest: bool, org_id, now, role: str = "member"
) -> Membership:
    membership = Membership(
        community_id=community.id, user_id=user_id, role=role, guest=guest, org_id=org_id, joined_at=now
    )
    session.add(membership)
    community.member_count = Community.member_count + 1  # atomic in SQL
    for stale in (Invitation, JoinRequest):
        key = "person_id" if stale is Invitation else "user_id"
        row = session.get(stale, {"community_id": community.id, key: user_id})
        if row is not None:
            session.delete(row)
    session.flush()
    session.emit(ev.COMMUNITIES_MEMBER_ADDED, member_event(membership, community))
    return membership


def _remove_member(session, community: Community, membership: Membership) -> None:
    if membership.role == "manager" and _managers(session, community.id) <= 1:
        raise Conflict(LAST_MANAGER)
    data = member_event(membership, community)
    session.delete(membership)
    community.member_count = Community.member_count - 1
    session.flush()
    session.emit(ev.COMMUNITIES_MEMBER_REMOVED, data)


def _managers(session, community_id: str) -> int:
    """How many managers the community has. Only meaningful after ``lock``: the
    count and the change it allows must not interleave with another's."""
    return session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.community_id == community_id, Membership.role == "manager")
    )


def _member_of(session, community_id: str, user_id: str) -> Membership | None:
    return session.get(Membership, {"community_id": community_id, "user_id": user_id})


def member_view(m: Membership) -> dict:
    return {
        "community_id": m.community_id,
        "user_id": m.user_id,
        "role": m.role,
        "guest": m.guest,
        "org_id": m.org_id,
        "joined_at": m.joined_at,
    }


# --- joining -----------------------------------------------------------------


def join(session, caller, now: datetime, community_id: str) -> dict:
    """Open communities, employees only. Joining again answers ``Conflict``."""
    user_id = require_person(caller)
    seen = locate(session, caller, community_id, for_write=True)
    if not seen.listed:
        raise not_found("community")
    require_writable(seen)
    if seen.member:
        raise Conflict("You are already a member of this community.")
    if seen.community.visibility != "open" or caller.guest:
        raise Forbidden("This community takes new members by request or invitation.")
    membership = _add_member(session, seen.community, user_id, False, caller.org_id, now)
    session.commit()
    return member_view(membership)


def request_to_join(session, caller, now: datetime, community_id: str, message=None) -> dict:
    """Private communities, employees who are not members. Asking twice: ``Conflict``."""
    user_id = require_person(caller)
    seen = locate(session, caller, community_id)
    if not seen.listed:
        raise not_found("community")
    require_writable(seen)
    if seen.member:
        raise Conflict("You are already a member of this community.")
    if seen.community.visibility == "open":
        raise Conflict("This community is open: join it directly.")
    if seen.community.visibility == "secret":
        raise Forbidden("This community takes new members by invitation only.")
    if session.get(JoinRequest, {"community_id": community_id, "user_id": user_id}):
        raise Conflict("You have already asked to join this community.")
    request = JoinRequest(
        community_id=community_id,
        user_id=user_id,
        org_id=caller.org_id,
        message=(message or "").strip() or None,
        created_at=now,
    )
    session.add(request)
    session.emit(ev.COMMUNITIES_JOIN_REQUESTED, {"community_id": community_id, "user_id": user_id})
    session.commit()
    return request_view(request)


def request_view(r: JoinRequest) -> dict:
    return {
        "community_id": r.community_id,
        "user_id": r.user_id,
        "org_id": r.org_id,
        "message": r.message,
        "created_at": r.created_at,
    }


def list_requests(session, caller, community_id: str) -> list[dict]:
    require_manager(locate(session, caller, community_id), writable=False)
    rows = session.scalars(
        select(JoinRequest)
        .where(JoinRequest.community_id == community_id)
        .order_by(JoinRequest.created_at, JoinRequest.user_id)
    )
    return [request_view(r) for r in rows]


def _pending_request(session, community_id: str, user_id: str) -> JoinRequest:
    request = session.get(JoinRequest, {"community_id": community_id, "user_id": user_id})
    if request is None:
        raise not_found("join request")
    return request


def _emit_decision(session, event, caller, community_id: str, user_id: str) -> None:
    """``join_approved`` / ``join_refused``, naming who decided. The system caller (an
    admin by its kind) has no person id to name: its decisions are not announced."""
    if caller.user_id:
        session.emit(event, {"community_id": community_id, "user_id": user_id, "by": caller.user_id})


def approve_request(session, caller, now: datetime, community_id: str, user_id: str) -> dict:
    seen = require_manager(locate(session, caller, community_id, for_write=True))
    request = _pending_request(session, community_id, user_id)
    membership = _add_member(session, seen.community, user_id, False, request.org_id, now)
    _emit_decision(session, ev.COMMUNITIES_JOIN_APPROVED, caller, community_id, user_id)
    session.commit()
    return member_view(membership)


def refuse_request(session, caller, community_id: str, user_id: str) -> dict:
    require_manager(locate(session, caller, community_id))
    session.delete(_pending_request(session, community_id, user_id))
    _emit_decision(session, ev.COMMUNITIES_JOIN_REFUSED, caller, community_id, user_id)
    session.commit()
    return {"refused": True}


# --- invitations ---------------------------------------------------------------


def invite(session, caller, now: datetime, community_id: str, person_id: str, lookup_card) -> dict:
    """``lookup_card(person_id)`` asks identity for the person's card (None if unknown)."""
    seen = require_manager(locate(session, caller, community_id))
    if _member_of(session, community_id, person_id):
        raise Conflict("This person is already a member of this community.")
    if session.get(Invitation, {"community_id": community_id, "person_id": person_id}):
        raise Conflict("This person is already invited to this community.")
    card = lookup_card(person_id)
    if not card:
        raise not_found("person")
    if card.get("status") == "deactivated":
        raise Conflict("This person's account is deactivated.")
    if card.get("status") == "erased":
        raise Conflict("This person's account is erased.")
    guest = bool(card.get("guest"))
    org_id = card.get("org_id")
    if guest and org_id not in (seen.community.allowed_org_ids or []):
        raise Conflict(
            "Guests of this organisation are not allowed in this community: a "
            "manager must add the organisation to the allowed organisations first.",
            {"org_id": org_id},
        )
    invitation = Invitation(
        community_id=community_id,
        person_id=person_id,
        guest=guest,
        org_id=org_id,
        invited_by=caller.user_id,
        created_at=now,
    )
    session.add(invitation)
    if caller.user_id:  # as for join decisions: the system caller is not announced
        session.emit(
            ev.COMMUNITIES_INVITATION_SENT,
            {"community_id": community_id, "user_id": person_id, "by": caller.user_id},
        )
    session.commit()
    return invitation_view(invitation, seen.community)


def invitation_view(i: Invitation, community: Community) -> dict:
    return {
        "community_id": i.community_id,
        "person_id": i.person_id,
        "guest": i.guest,
        "org_id": i.org_id,
        "invited_by": i.invited_by,
        "created_at": i.created_at,
        "community": view(community, None, False),
    }


def my_invitations(session, caller) -> list[dict]:
    user_id = require_person(caller)
    rows = session.execute(
        select(Invitation, Community)
        .join(Community, Community.id == Invitation.community_id)
        .where(Invitation.person_id == user_id)
        .order_by(Invitation.created_at, Invitation.community_id)
    ).all()
    return [invitation_view(i, c) for i, c in rows]


def _my_invitation(session, caller, community_id: str) -> tuple[Invitation, Community]:
    user_id = require_person(caller)
    invitation = session.get(Invitation, {"community_id": community_id, "person_id": user_id})
    if invitation is None:
        raise not_found("invitation")
    return invitation, session.get(Community, community_id)


def accept_invitation(session, caller, now: datetime, community_id: str) -> dict:
    lock(session, community_id)
    invitation, community = _my_invitation(session, caller, community_id)
    if community.archived:
        raise Forbidden("This community is archived: it is read-only until a manager reopens it.")
    if invitation.guest and invitation.org_id not in (community.allowed_org_ids or []):
        raise Conflict("Guests of your organisation are no longer allowed in this community.")
    membership = _add_member(
        session, community, invitation.person_id, invitation.guest, invitation.org_id, now
    )
    session.commit()
    return member_view(membership)


def decline_invitation(session, caller, community_id: str) -> dict:
    invitation, _ = _my_invitation(session, caller, community_id)
    session.delete(invitation)
    session.commit()
    return {"declined": True}


# --- leaving, removal, managers ---------------------------------------------------


def leave(session, caller, community_id: str) -> dict:
    require_person(caller)
    seen = locate(session, caller, community_id, for_write=True)
    if not seen.metadata:
        raise not_found("community")
    require_writable(seen)
    if not seen.member:
        raise Conflict("You are not a member of this community.")
    _remove_member(session, seen.community, seen.membership)
    session.commit()
    return {"left": True}


def remove(session, caller, community_id: str, user_id: str) -> dict:
    seen = require_manager(locate(session, caller, community_id, for_write=True))
    membership = _member_of(session, community_id, user_id)
    if membership is None:
        raise not_found("member")
    _remove_member(session, seen.community, membership)
    session.commit()
    return {"removed": True}


def set_role(session, caller, community_id: str, user_id: str, role: str) -> dict:
    """Appoint (``manager``) or demote (``member``); the same role again changes nothing."""
    seen = require_manager(locate(session, caller, community_id, for_write=True))
    membership = _member_of(session, community_id, user_id)
    if membership is None:
        raise not_found("member")
    if membership.role != role:
        if role == "manager" and membership.guest:
            raise ValidationFailed(
                "The request is not valid.", {"role": ["A guest cannot manage a community."]}
            )
        if role == "member" and _managers(session, community_id) <= 1:
            raise Conflict(LAST_MANAGER)
        membership.role = role
        session.flush()
        session.emit(ev.COMMUNITIES_MEMBER_ROLE_CHANGED, member_event(membership, seen.community))
        session.commit()
    return member_view(membership)


# --- reading -------------------------------------------------------------------


def members(session, caller, community_id: str, limit: int, cursor=None) -> dict:
    """Managers first, then members; keyset-paged on (rank, user id)."""
    require_content(locate(session, caller, community_id))
    rank = case((Membership.role == "manager", 0), else_=1)
    q = select(Membership).where(Membership.community_id == community_id)
    if cursor:
        after_rank, after_id = _decode(cursor)
        q = q.where(or_(rank > after_rank, and_(rank == after_rank, Membership.user_id > after_id)))
    rows = list(session.scalars(q.order_by(rank, Membership.user_id).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = _encode(rows[-1]) if more and rows else None
    return {"items": [member_view(m) for m in rows], "next_cursor": next_cursor}


def _encode(m: Membership) -> str:
    return ("0:" if m.role == "manager" else "1:") + m.user_id


def _decode(cursor: str) -> tuple[int, str]:
    if len(cursor) < 3 or cursor[:2] not in ("0:", "1:"):
        raise ValidationFailed(
            "The request is not valid.", {"cursor": ["This cursor is not one the member list gave."]}
        )
    return int(cursor[0]), cursor[2:]


def memberships_of(session, caller, user_id=None) -> list[dict]:
    """The caller's own memberships (an admin may ask for anyone's)."""
    user_id = user_id or caller.user_id
    if not user_id:
        raise ValidationFailed("The request is not valid.", {"user_id": ["Missing data."]})
    if user_id != caller.user_id and not caller.is_admin:
        raise Forbidden("You can only list your own memberships.")
    rows = session.execute(
        select(Membership, Community)
        .join(Community, Community.id == Membership.community_id)
        .where(Membership.user_id == user_id)
        .order_by(Community.sort_name, Community.id)
    ).all()
    own = user_id == caller.user_id
    return [{**member_view(m), "community": view(c, m.role if own else None, own)} for m, c in rows]


def communities_of(session, caller, person_id: str) -> list[dict]:
    """A person's communities that the caller may see them in: those whose member list the
    caller may read (theirs, and open ones for employees). A secret or private community
    the caller is not in is never named; a guest sees only the communities they share."""
    require_person(caller)
    rows = session.execute(
        select(Membership, Community)
        .join(Community, Community.id == Membership.community_id)
        .where(Membership.user_id == person_id)
        .order_by(Community.sort_name, Community.id)
    ).all()
    if not rows:
        return []
    mine = {
        m.community_id: m
        for m in session.scalars(
            select(Membership).where(
                Membership.user_id == caller.user_id,
                Membership.community_id.in_([c.id for _, c in rows]),
            )
        )
    }
    shown = []
    for m, c in rows:
        seen = Seen(caller, c, mine.get(c.id))
        if seen.content:
            shown.append({**member_view(m), "community": seen_view(seen)})
    return shown
