"""Who may read and write what in the feed, decided from its own read model.

The generic rules (read, write, moderate, archived, invisible = unknown,
guests, newcomers) are those of :mod:`parvis_contracts.membership`, shared with
every service that keeps the same read model; this module adds what is the
feed's own: access to a post. Nothing here calls another service, and
everything is re-read on every call, so a member removed a second ago is
refused now. See contracts/parvis_contracts/authz_rules.yaml and docs/services/feed.md.
"""

from __future__ import annotations

from parvis_contracts.errors import NotFound, not_found
from parvis_contracts.membership import Access, Viewer, viewer_of

from .models import MEMBERSHIP, Post

__all__ = ["Access", "Viewer", "viewer_of", "community_access", "post_access"]


def community_access(session, viewer: Viewer, community_id: str) -> Access:
    """Read access to a community, or the ``NotFound`` of an unknown id."""
    return MEMBERSHIP.access(session, viewer, community_id)


def post_access(session, viewer: Viewer, post_id: str) -> tuple[Post, Access]:
    """A post the viewer may read, with their access to its community.

    Deleted posts, posts of invisible communities, posts older than a newcomer's
    ``joined_at`` (when history is closed to newcomers) and hidden posts (except
    for moderators) all answer the same ``NotFound``.
    """
    post = session.get(Post, post_id)
    if post is None or post.deleted_at is not None:
        raise not_found("post")
    try:
        access = community_access(session, viewer, post.community_id)
    except NotFound:
        raise not_found("post") from None
    if not access.sees_date(post.created_at):
        raise not_found("post")
    if post.hidden and not access.can_moderate:
        raise not_found("post")
    return post, access
