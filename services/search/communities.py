"""Communities in the index, from the communities events that carry their state
(``community_created`` / ``_updated`` / ``_archived`` / ``_reopened``).

One handler does both things in one transaction: the membership read model applies the
state (``parvis_contracts.membership``: who may read the community now), and, when it was
applied (not older than what is known), the community's row of ``search_items`` (kind
``community``, its own id as its community) takes its name as the title and its
description as the text, stemmed in the community's first language. An event published
before the description was in it keeps the description indexed already.

Who finds a community, and by what, is ``visibility``'s: its name for whoever may see it
listed, its description for whoever may read it. An archived community stays found, like
its content (archiving makes it read-only, not invisible).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from parvis_contracts.membership import APPLIED

from .engines import Item, index_for
from .models import MEMBERSHIP, SearchItem


def state_changed(session, occurred_at: datetime, data: dict) -> str:
    applied = MEMBERSHIP.apply_community_state(session, data)
    if applied != APPLIED:
        return applied
    description = data.get("description")
    if description is None:  # an event of before the description: keep the one indexed
        t = SearchItem.__table__
        description = (
            session.execute(
                select(t.c.body).where(t.c.kind == "community", t.c.item_id == data["community_id"])
            ).scalar()
            or ""
        )
    languages = data.get("languages") or []
    index_for(session).upsert(
        Item(
            kind="community",
            id=data["community_id"],
            community_id=data["community_id"],
            author_id=None,
            created_at=occurred_at,
            updated_at=occurred_at,
            title=data["name"],
            body=description,
            language=languages[0] if languages else None,
            revision=data.get("version") or 0,
        )
    )
    return applied


def member_counts(session, community_ids) -> dict[str, int]:
    """``community_id -> its current members`` (the read model's), for the hits."""
    m = MEMBERSHIP.memberships
    ids = sorted(set(community_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(m.c.community_id, func.count())
        .where(m.c.community_id.in_(ids), m.c.removed.is_(False))
        .group_by(m.c.community_id)
    ).all()
    return {cid: count for cid, count in rows}
