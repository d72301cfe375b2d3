"""Who is calling, and what they may see.

The signed caller context says who the gateway authenticated; the identity
service re-reads that person from its own tables on every call, so a person
deactivated (or a guest whose access expired) a second ago is refused now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, bindparam, exists, or_, select
from sqlalchemy.orm import aliased

from parvis_contracts.errors import Forbidden, Unauthenticated, not_found

from .models import Person, PersonRole, SharedCommunity

ADMIN, GCM, MEMBER = "admin", "global_community_manager", "member"


def guest_expired(person: Person, now: datetime) -> bool:
    """A guest's access lasts through the whole (UTC) day of ``guest_expires_at``."""
    return bool(person.guest and person.guest_expires_at is not None and person.guest_expires_at < now.date())


def can_sign_in(person: Person, now: datetime) -> bool:
    return person.status == "active" and not guest_expired(person, now)


#: built once: every call of a signed-in person reads their roles
_ROLES_OF = select(PersonRole.role).where(PersonRole.person_id == bindparam("person_id"))


def roles_of(session, person_id: str) -> list[str]:
    rows = session.scalars(_ROLES_OF, {"person_id": person_id})
    return sorted(set(rows) | {MEMBER})


def roles_by_person(session, ids) -> dict[str, list[str]]:
    result: dict[str, set] = {pid: {MEMBER} for pid in ids}
    if ids:
        rows = session.execute(
            select(PersonRole.person_id, PersonRole.role).where(PersonRole.person_id.in_(list(ids)))
        )
        for pid, role in rows:
            result.setdefault(pid, {MEMBER}).add(role)
    return {pid: sorted(roles) for pid, roles in result.items()}


@dataclass
class Viewer:
    """The caller as the identity service sees it (``person`` is None for the system)."""

    person: Person | None
    roles: frozenset = field(default_factory=frozenset)

    @property
    def system(self) -> bool:
        return self.person is None

    @property
    def id(self) -> str | None:
        return self.person.id if self.person else None

    @property
    def guest(self) -> bool:
        return bool(self.person and self.person.guest)

    @property
    def is_admin(self) -> bool:
        return self.system or ADMIN in self.roles

    @property
    def is_global_manager(self) -> bool:
        return self.is_admin or GCM in self.roles

    @property
    def employee_view(self) -> bool:
        """May see employees-only fields: every non-guest viewer (admins included)."""
        return not self.guest


def load_viewer(session, caller, now: datetime) -> Viewer:
    if caller is None:
        raise Unauthenticated("Sign in first.")
    if caller.is_system:
        return Viewer(None)
    if not caller.is_person or not caller.user_id:
        raise Unauthenticated("Sign in first.")
    person = session.get(Person, caller.user_id)
    if person is None or not can_sign_in(person, now):
        raise Unauthenticated("Your session is no longer valid. Sign in again.")
    return Viewer(person, frozenset(roles_of(session, person.id)))


def require_person(viewer: Viewer) -> Person:
    if viewer.person is None:
        raise Forbidden("Only a signed-in person can do this.")
    return viewer.person


def require_admin(viewer: Viewer) -> None:
    if not viewer.is_admin:
        raise Forbidden("Only a network admin can do this.")


def require_global_manager(viewer: Viewer) -> None:
    if not viewer.is_global_manager:
        raise Forbidden("Only a network admin or a global community manager can do this.")


def visible_people_clause(viewer: Viewer):
    """SQL condition on ``Person`` for the people ``viewer`` may see (None: everyone)."""
    if not viewer.guest:
        return None
    mine = aliased(SharedCommunity)
    theirs = aliased(SharedCommunity)
    shares = exists(
        select(mine.community_id)
        .join(theirs, and_(theirs.community_id == mine.community_id))
        .where(mine.user_id == viewer.id, theirs.user_id == Person.id)
    )
    return or_(Person.id == viewer.id, shares)


def visible_person(session, viewer: Viewer, person_id: str) -> Person:
    """The person, or exactly the NotFound of a missing id when invisible."""
    query = select(Person).where(Person.id == person_id)
    clause = visible_people_clause(viewer)
    if clause is not None:
        query = query.where(clause)
    person = session.scalars(query).first()
    if person is None:
        raise not_found("person")
    return person


def field_visible(owner: Person, viewer: Viewer, visibility: str) -> bool:
    if viewer.id == owner.id:
        return True
    if visibility == "everyone":
        return True
    if visibility == "employees":
        return viewer.employee_view
    return False
