"""The rule of what a person may see of their notifications now (the inbox and the mails).

Against the membership read model, in the query: a person removed from a community, a
newcomer who may not see older content or a community turned secret drop out at the next
read (or mail) without any clean-up having to run first.
"""

from __future__ import annotations

from sqlalchemy import and_, or_

from parvis_contracts.membership import Viewer

from .limits import CONTENT_KINDS, MANAGER_KINDS, PERSONAL_KINDS
from .models import MEMBERSHIP, Notification


def visible(viewer: Viewer):
    """(FROM clause, WHERE clause): the viewer's notifications they may see now."""
    n, c, m = Notification, MEMBERSHIP.communities, MEMBERSHIP.memberships
    source = n.__table__.join(c, c.c.id == n.community_id).outerjoin(
        m, MEMBERSHIP.viewer_membership(viewer, n.community_id)
    )
    member = m.c.user_id.is_not(None)
    history = or_(c.c.newcomers_see_history.is_(True), n.content_at >= m.c.joined_at)
    rule = or_(
        and_(n.kind.in_(CONTENT_KINDS), member, history),
        and_(n.kind.in_(MANAGER_KINDS), member, m.c.role == "manager"),
        n.kind.in_(PERSONAL_KINDS),
    )
    return source, and_(n.recipient_id == viewer.id, rule)
