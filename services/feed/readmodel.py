"""The feed's copy of communities and membership, kept from the communities events.

Every handler is an upsert or a delete keyed by ids, so replaying an event
changes nothing (and ``idempotent_handler`` skips exact duplicates anyway).
"""
from __future__ import annotations

from datetime import datetime

from .models import Community, Membership


def community_state(session, data: dict) -> Community:
    community = session.get(Community, data["community_id"])
    if community is None:
        community = Community(id=data["community_id"])
        session.add(community)
    community.name = data["name"]
    community.kind = data["kind"]
    community.visibility = data["visibility"]
    community.archived = bool(data["archived"])
    community.newcomers_see_history = bool(data["newcomers_see_history"])
    return community


def member_added(session, data: dict, occurred_at: datetime) -> Membership:
    key = (data["community_id"], data["user_id"])
    membership = session.get(Membership, key)
    joined_at = data.get("joined_at") or occurred_at
    if membership is None:
        membership = Membership(community_id=key[0], user_id=key[1], joined_at=joined_at)
        session.add(membership)
    membership.role = data.get("role") or "member"
    membership.guest = bool(data.get("guest"))
    return membership


def member_removed(session, data: dict) -> None:
    membership = session.get(Membership, (data["community_id"], data["user_id"]))
    if membership is not None:
        session.delete(membership)


def member_role_changed(session, data: dict, occurred_at: datetime) -> Membership:
    membership = session.get(Membership, (data["community_id"], data["user_id"]))
    if membership is None:
        return member_added(session, data, occurred_at)
    membership.role = data.get("role") or "member"
    return membership
