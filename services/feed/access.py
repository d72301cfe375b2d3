"""Who may read and write what, decided from the feed's own read model.

The signed caller context says who is calling (person, guest flag, roles); the
``communities`` and ``memberships`` tables (fed by the communities events) say
what they belong to. Nothing here calls another service, and everything is
re-read on every call, so a member removed a second ago is refused now.

Rules (see docs/authz.md):

* read a wall: members (guests included); any employee when the community is
  open; nobody else — admins who are not members included — and the answer is
  exactly the ``NotFound`` of an unknown id;
* write (post, comment, like): members only; a visible community the caller is
  not a member of answers ``Forbidden``; an archived community refuses every
  write with ``Forbidden``;
* moderate someone else's content: managers of the community and admins who
  can read it; other members and guests ``Forbidden``;
* newcomers: when ``newcomers_see_history`` is false a member sees only posts
  created at or after their ``joined_at``.
"""
from __future__ import annotations

from dataclasses import dataclass

from parvis_contracts.errors import Forbidden, NotFound, Unauthenticated, not_found

from .models import Community, Membership, Post


@dataclass(frozen=True)
class Viewer:
    id: str
    guest: bool
    admin: bool


@dataclass(frozen=True)
class Access:
    """What ``viewer`` may do in ``community``."""

    viewer: Viewer
    community: Community
    membership: Membership | None

    @property
    def is_member(self) -> bool:
        return self.membership is not None

    @property
    def is_manager(self) -> bool:
        return self.membership is not None and self.membership.role == "manager"

    @property
    def can_moderate(self) -> bool:
        return self.is_manager or self.viewer.admin

    def sees_post_date(self, created_at) -> bool:
        if self.membership is None or self.community.newcomers_see_history:
            return True
        return created_at >= self.membership.joined_at

    def require_write(self) -> None:
        if self.community.archived:
            raise Forbidden("This community is archived: it is read-only.")
        if self.membership is None:
            raise Forbidden("Join this community to post, comment or like in it.")

    def require_moderator(self) -> None:
        if not self.can_moderate:
            raise Forbidden("Only the community's managers can do this.")

    def require_manager_or_admin_member(self) -> None:
        if not (self.is_manager or (self.viewer.admin and self.is_member)):
            raise Forbidden("Only the community's managers can do this.")


def viewer_of(caller) -> Viewer:
    """The signed-in person calling; the system and anonymous callers have no wall."""
    if caller is None or not caller.is_person or not caller.user_id:
        raise Unauthenticated("Sign in first.")
    return Viewer(id=caller.user_id, guest=bool(caller.guest), admin=caller.is_admin)


def community_access(session, viewer: Viewer, community_id: str) -> Access:
    """Read access to a community, or the ``NotFound`` of an unknown id."""
    community = session.get(Community, community_id)
    if community is None:
        raise not_found("community")
    membership = session.get(Membership, (community_id, viewer.id))
    if membership is not None:
        return Access(viewer, community, membership)
    if not viewer.guest and community.visibility == "open":
        return Access(viewer, community, None)
    raise not_found("community")


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
    if not access.sees_post_date(post.created_at):
        raise not_found("post")
    if post.hidden and not access.can_moderate:
        raise not_found("post")
    return post, access
