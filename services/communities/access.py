"""Who may see and do what in a community (the communities rows of
contracts/parvis_contracts/authz_rules.yaml).

Every rule starts from :class:`Seen`: the community, the caller's membership of it
(if any) and the verified caller. The answers:

- *content* (details, member list): members, or any employee for an open community;
- *metadata* (name, kind, visibility, size, archived): content, or a network admin;
- anyone else gets exactly ``not_found("community")``, the answer for an unknown id;
- manager actions: the community's managers and network admins; members and guests
  who can see the community get ``Forbidden``; people who cannot see it, ``NotFound``;
- an archived community is read-only for everyone; only reopening is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update

from parvis_contracts.context import Caller
from parvis_contracts.errors import Forbidden, Unauthenticated, not_found

from .models import Community, Membership

ARCHIVED_MESSAGE = "This community is archived: it is read-only until a manager reopens it."


@dataclass
class Seen:
    caller: Caller
    community: Community
    membership: Membership | None

    @property
    def member(self) -> bool:
        return self.membership is not None

    @property
    def manager(self) -> bool:
        return self.membership is not None and self.membership.role == "manager"

    @property
    def content(self) -> bool:
        if self.member:
            return True
        if self.community.visibility != "open":
            return False
        return self.caller.is_employee or self.caller.is_system

    @property
    def metadata(self) -> bool:
        return self.content or self.caller.is_admin

    @property
    def listed(self) -> bool:
        """The name shows in the caller's directory (private names are listed to employees)."""
        return self.metadata or (self.caller.is_employee and self.community.visibility == "private")

    @property
    def may_manage(self) -> bool:
        return self.manager or self.caller.is_admin


def require_caller(caller: Caller | None) -> Caller:
    if caller is None or not (caller.is_person or caller.is_system):
        raise Unauthenticated("Sign in first.")
    if caller.is_person and not caller.user_id:
        raise Unauthenticated("Sign in first.")
    return caller


def require_person(caller: Caller) -> str:
    if not caller.is_person:
        raise Forbidden("Only a signed-in person can do this.")
    return caller.user_id


def lock(session, community_id: str) -> None:
    """Lock the community row for this transaction and increment its version.

    Call it FIRST in every write that changes a community or its membership,
    before reading what the write depends on (e.g. how many managers remain).
    The UPDATE takes the row lock on PostgreSQL (concurrent writers of the same
    community wait for this transaction, then read what it committed) and the
    database write lock on SQLite (pysqlite opens the write transaction at the
    first UPDATE, so every read after it sees the latest committed state). A
    write that ends up changing nothing rolls back, version included.
    """
    table = Community.__table__
    session.execute(update(table).where(table.c.id == community_id).values(version=table.c.version + 1))


def locate(session, caller: Caller, community_id: str, for_write: bool = False) -> Seen:
    """The community as the caller sees it; ``for_write`` locks it first (see :func:`lock`)."""
    if for_write:
        lock(session, community_id)
    community = session.get(Community, community_id)
    if community is None:
        raise not_found("community")
    membership = None
    if caller.user_id:
        membership = session.get(Membership, {"community_id": community_id, "user_id": caller.user_id})
    return Seen(caller, community, membership)


def require_metadata(seen: Seen) -> Seen:
    if not seen.metadata:
        raise not_found("community")
    return seen


def require_content(seen: Seen) -> Seen:
    if seen.content:
        return seen
    if seen.caller.is_admin:
        raise Forbidden(
            "Network admins see the name, size and activity of a private "
            "community, not its content, unless they are members."
        )
    raise not_found("community")


def require_writable(seen: Seen) -> Seen:
    if seen.community.archived:
        raise Forbidden(ARCHIVED_MESSAGE)
    return seen


def require_manager(seen: Seen, writable: bool = True) -> Seen:
    """Managers and admins; 404 for people who cannot see the community, else 403."""
    if not seen.content and not seen.caller.is_admin:
        raise not_found("community")
    if writable:
        require_writable(seen)
    if not seen.may_manage:
        raise Forbidden("Only the community's managers (or a network admin) can do this.")
    return seen
