"""Who may read what the search finds: in the query, then once more for each hit.

The rule is the membership read model's (``parvis_contracts.membership``), the one the feed
and the documents apply when the thing itself is opened: a member of the community who may
see content of that date (the newcomers' rule), or an employee, not a guest, reading an open
community. Nobody else: a secret or private community never gives a result to a
non-member, network admins included (they manage communities, they do not read them).

:class:`ReadableBy` puts the rule in the SELECT (the engine joins it, ``engines.Readable``);
:func:`recheck` asks it again of every hit, through ``MembershipReadModel.access``, before
anything is returned: a change of the rule in one place that the other missed drops a
result, it never shows one.
"""

from __future__ import annotations

from parvis_contracts.errors import Forbidden, NotFound
from parvis_contracts.membership import CommunityInfo, Viewer

from .engines import Hit
from .models import MEMBERSHIP


class ReadableBy:
    """The rule for ``viewer``, as the engines' query applies it."""

    def __init__(self, viewer: Viewer):
        self.viewer = viewer

    def join(self, source, community_id):
        c, m = MEMBERSHIP.communities, MEMBERSHIP.memberships
        return source.join(c, c.c.id == community_id).outerjoin(
            m, MEMBERSHIP.viewer_membership(self.viewer, community_id)
        )

    def clause(self, created_at):
        return MEMBERSHIP.readable(self.viewer, created_at)


def recheck(session, viewer: Viewer, hits: list[Hit]) -> list[tuple[Hit, CommunityInfo]]:
    """The hits ``viewer`` may read, each with its community (its name is shown), asked one
    community at a time."""
    access: dict = {}
    kept = []
    for hit in hits:
        if hit.community_id not in access:
            try:
                access[hit.community_id] = MEMBERSHIP.access(session, viewer, hit.community_id)
            except (NotFound, Forbidden):
                access[hit.community_id] = None
        found = access[hit.community_id]
        if found is not None and hit.thread_at is not None and found.sees_date(hit.thread_at):
            kept.append((hit, found.community))
    return kept
