"""Who may read and write what in the document bank and the pages.

The generic rules (read, write, moderate, archived, invisible = unknown,
guests) are those of :mod:`parvis_contracts.membership`, decided from this
service's own read model of communities and membership (fed by the communities
events). Everything is re-read on every call: a member removed a second ago is
refused now, for old versions as for the latest.
"""

from __future__ import annotations

from parvis_contracts.membership import Access, Viewer, viewer_of

from .models import MEMBERSHIP

__all__ = ["Access", "Viewer", "viewer_of", "community_access", "require_author_or_moderator"]


def community_access(session, viewer: Viewer, community_id: str) -> Access:
    """Read access to a community, or the ``NotFound`` of an unknown id."""
    return MEMBERSHIP.access(session, viewer, community_id)


def require_author_or_moderator(access: Access, author_id: str) -> None:
    """Change or delete existing content: its author (still a member) or a moderator;
    nobody in an archived community."""
    if access.community.archived:
        access.require_write()
    if author_id == access.viewer.id and access.is_member:
        return
    access.require_moderator()
