"""Privacy (GDPR): what the communities service holds about one person, and its erasure.

Export (the person themself or a network admin): their memberships (with each
community's name and their role), the communities they created, their pending
invitations (who invited them: an id only) and their join requests with their
message.

On ``identity.user_erased`` every membership of the person is removed (each with
its ``member_removed`` event, so every read model forgets it), their invitations
and join requests are deleted and the invitations they sent no longer name them.
A community whose only manager was the erased person keeps its members and stays
without a manager: network admins may manage every community and appoint a new
manager (the erasure is logged with the community's id so admins are told). An
archived community loses the membership too: erasure is not a change of content.
Handling the event twice finds nothing left to remove.
"""

from __future__ import annotations

import logging

from sqlalchemy import func, select, update

from parvis_contracts import events as ev
from parvis_contracts.privacy import iso as _iso
from parvis_contracts.privacy import require_self_or_admin

from .access import lock
from .communities import member_event
from .models import Community, Invitation, JoinRequest, Membership

log = logging.getLogger(__name__)


def export(session, caller, person_id: str) -> dict:
    require_self_or_admin(caller, person_id)
    memberships = session.execute(
        select(Membership, Community)
        .join(Community, Community.id == Membership.community_id)
        .where(Membership.user_id == person_id)
        .order_by(Community.sort_name, Community.id)
    ).all()
    created = session.scalars(
        select(Community)
        .where(Community.created_by == person_id)
        .order_by(Community.created_at, Community.id)
    )
    invitations = session.execute(
        select(Invitation, Community)
        .join(Community, Community.id == Invitation.community_id)
        .where(Invitation.person_id == person_id)
        .order_by(Invitation.created_at)
    ).all()
    requests = session.execute(
        select(JoinRequest, Community)
        .join(Community, Community.id == JoinRequest.community_id)
        .where(JoinRequest.user_id == person_id)
        .order_by(JoinRequest.created_at)
    ).all()
    return {
        "service": "communities",
        "person_id": person_id,
        "memberships": [
            {
                "community_id": c.id,
                "community_name": c.name,
                "role": m.role,
                "guest": m.guest,
                "joined_at": _iso(m.joined_at),
            }
            for m, c in memberships
        ],
        "communities_created": [
            {"community_id": c.id, "name": c.name, "created_at": _iso(c.created_at)} for c in created
        ],
        "invitations": [
            {
                "community_id": c.id,
                "community_name": c.name,
                "invited_by": i.invited_by,
                "created_at": _iso(i.created_at),
            }
            for i, c in invitations
        ],
        "join_requests": [
            {
                "community_id": c.id,
                "community_name": c.name,
                "message": r.message,
                "created_at": _iso(r.created_at),
            }
            for r, c in requests
        ],
    }


def forget_person(session, user_id: str) -> dict:
    """Remove everything that ties ``user_id`` to a community (no commit)."""
    done = {"memberships": 0, "left_without_manager": [], "invitations": 0, "join_requests": 0}
    community_ids = list(
        session.scalars(
            select(Membership.community_id)
            .where(Membership.user_id == user_id)
            .order_by(Membership.community_id)
        )
    )
    for community_id in community_ids:
        lock(session, community_id)
        membership = session.get(Membership, {"community_id": community_id, "user_id": user_id})
        community = session.get(Community, community_id)
        if membership is None or community is None:
            continue
        data = member_event(membership, community)
        was_manager = membership.role == "manager"
        session.delete(membership)
        community.member_count = Community.member_count - 1
        session.flush()
        session.emit(ev.COMMUNITIES_MEMBER_REMOVED, data)
        done["memberships"] += 1
        if was_manager and not session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.community_id == community_id, Membership.role == "manager")
        ):
            done["left_without_manager"].append(community_id)
            log.warning(
                "community %s has no manager any more: its only manager's account "
                "was erased; a network admin can appoint one",
                community_id,
            )
    for model, column in ((Invitation, Invitation.person_id), (JoinRequest, JoinRequest.user_id)):
        rows = list(session.scalars(select(model).where(column == user_id)))
        for row in rows:
            session.delete(row)
        done["invitations" if model is Invitation else "join_requests"] = len(rows)
    session.execute(update(Invitation).where(Invitation.invited_by == user_id).values(invited_by=None))
    return done
