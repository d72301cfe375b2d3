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


def _rule(member_of):
    """(FROM clause, WHERE clause) of the notifications their recipients may see now, the
    membership joined on ``member_of(memberships)`` (the join condition)."""
    n, c, m = Notification, MEMBERSHIP.communities, MEMBERSHIP.memberships
    source = n.__table__.join(c, c.c.id == n.community_id).outerjoin(m, member_of(m))
    member = m.c.user_id.is_not(None)
    history = or_(c.c.newcomers_see_history.is_(True), n.content_at >= m.c.joined_at)
    rule = or_(
        and_(n.kind.in_(CONTENT_KINDS), member, history),
        and_(n.kind.in_(MANAGER_KINDS), member, m.c.role == "manager"),
        n.kind.in_(PERSONAL_KINDS),
    )
    return source, rule


def visible(viewer: Viewer):
    """(FROM clause, WHERE clause): the viewer's notifications they may see now."""
    source, rule = _rule(lambda _m: MEMBERSHIP.viewer_membership(viewer, Notification.community_id))
    return source, and_(Notification.recipient_id == viewer.id, rule)


def visible_to_recipients():
    """(FROM clause, WHERE clause): notifications, whoever they are for, that their
    recipient may see now (the mails: many people's notifications in one query)."""
    n = Notification
    return _rule(
        lambda m: and_(
            m.c.community_id == n.community_id, m.c.user_id == n.recipient_id, m.c.removed.is_(False)
        )
    )
