"""A service's own copy of communities and membership, kept from the communities events.

The communities service owns communities and membership. A service that must
decide on every call who may read or write what in a community (feed now,
documents and translation next) keeps a local read model of them instead of an
RPC per request. This module is that read model, written once: the tables, the
event-applying functions, the event handlers and the generic access rules.

Using it from a service
-----------------------

1. Tables — one call adds ``communities`` and ``memberships`` to the service's
   metadata (a declarative ``Base`` works the same: pass ``Base.metadata``)::

       # services/<name>/models.py
       from parvis_contracts.membership import MembershipReadModel

       MEMBERSHIP = MembershipReadModel(Base.metadata)

   Map ORM classes on them if the service wants to query them with the ORM::

       class Community(Base):
           __table__ = MEMBERSHIP.communities

   Write the service's Alembic migration for the two tables by hand (feed's
   ``0002`` and ``0003`` revisions are the reference).

2. Handlers — inherit :class:`MembershipEventHandlers` and point it at the model::

       class DocumentsService(MembershipEventHandlers, PlatformEntrypoints):
           name = "documents"
           db = Database(metadata)
           membership_model = MEMBERSHIP

   and list its seven handlers in its plug-in declaration (``services/<name>/plugin.py``)::

       handles=(*MEMBERSHIP_HANDLES, ...)      # from parvis_contracts.plugins

3. Access — on every call, from the signed caller::

       viewer = viewer_of(self.caller)                      # Unauthenticated if none
       access = MEMBERSHIP.access(self.db, viewer, community_id)   # NotFound if invisible
       access.require_write()                               # Forbidden if archived/not member

   Lists use ``MEMBERSHIP.viewer_membership(viewer, Thing.community_id)`` as an
   outer-join condition and ``MEMBERSHIP.readable(viewer, Thing.created_at)`` as
   the WHERE clause, so a page is one SELECT with the rules inside.

Ordering and redelivery
-----------------------

The communities service increments a per-community ``version`` at every change
of the community or of its membership and puts it in every ``community_*`` and
``member_*`` payload. The read model stores the version it applied on the
community row and on each membership row and ignores an event older than what
it holds. A removed member stays as a *tombstone* (``removed`` true, with the
removal's version), so a late ``member_added`` older than the removal does not
bring the member back; access treats tombstones as non-members. An event with
no ``version`` (published before versions existed) counts as version 0: it
applies only while nothing newer is known. Applying the same event twice
changes nothing (and ``idempotent_handler`` skips exact redeliveries anyway).

Access rules (contracts/parvis_contracts/authz_rules.yaml, docs/security.md)
-----------------------------------------------------------------------------

* read: members (guests included); any employee when the community is open;
  nobody else, and the answer is exactly the ``NotFound`` of an unknown id —
  except network admins who are not members: they see every community's card,
  so its content answers ``Forbidden`` (403) rather than "unknown";
* write: members only (``Forbidden`` for a visible community the caller is not
  in); an archived community refuses every write with ``Forbidden``;
* moderate someone else's content: the community's managers, and admins who
  can read the community;
* newcomers: when ``newcomers_see_history`` is false a member sees only what
  was created at or after their ``joined_at``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from marshmallow import Schema, fields, validate
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    false,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import ClauseElement

from . import events as ev
from .db import UtcDateTime
from .errors import Forbidden, Unauthenticated, not_found
from .handlers import _session_of, idempotent_handler
from .plugins import MEMBERSHIP_HANDLES
from .schemas import load

VISIBILITIES = ("open", "private", "secret")
ROLES = ("member", "manager")

APPLIED = "applied"
STALE = "stale"


# --- what the events carry (validated on the way in) ---------------------------


def _id(**kwargs):
    return fields.String(validate=validate.Length(1, 64), **kwargs)


def _version():
    return fields.Integer(load_default=0, allow_none=False, validate=validate.Range(min=0))


class CommunityStateIn(Schema):
    class Meta:
        unknown = "exclude"

    community_id = _id(required=True)
    name = fields.String(required=True, validate=validate.Length(max=200))
    kind = fields.String(required=True, validate=validate.Length(max=40))
    visibility = fields.String(required=True, validate=validate.OneOf(VISIBILITIES))
    archived = fields.Boolean(required=True)
    newcomers_see_history = fields.Boolean(required=True)
    languages = fields.List(fields.String(validate=validate.Length(max=10)), load_default=list)
    version = _version()


class MembershipIn(Schema):
    class Meta:
        unknown = "exclude"

    community_id = _id(required=True)
    user_id = _id(required=True)
    role = fields.String(load_default="member", validate=validate.OneOf(ROLES))
    guest = fields.Boolean(load_default=False)
    joined_at = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=UTC)
    version = _version()


# --- what access answers with ----------------------------------------------------


@dataclass(frozen=True)
class CommunityInfo:
    id: str
    name: str
    kind: str
    visibility: str
    archived: bool
    newcomers_see_history: bool
    languages: list
    version: int


@dataclass(frozen=True)
class MemberInfo:
    community_id: str
    user_id: str
    role: str
    guest: bool
    joined_at: datetime
    version: int


@dataclass(frozen=True)
class Viewer:
    id: str
    guest: bool
    admin: bool


def viewer_of(caller) -> Viewer:
    """The signed-in person calling; the system and anonymous callers have no wall."""
    if caller is None or not caller.is_person or not caller.user_id:
        raise Unauthenticated("Sign in first.")
    return Viewer(id=caller.user_id, guest=bool(caller.guest), admin=caller.is_admin)


@dataclass(frozen=True)
class Access:
    """What ``viewer`` may do in ``community`` (``membership`` is None for non-members)."""

    viewer: Viewer
    community: CommunityInfo
    membership: MemberInfo | None

    @property
    def is_member(self) -> bool:
        return self.membership is not None

    @property
    def is_manager(self) -> bool:
        return self.membership is not None and self.membership.role == "manager"

    @property
    def can_moderate(self) -> bool:
        return self.is_manager or self.viewer.admin

    def sees_date(self, created_at) -> bool:
        """Whether content created at ``created_at`` is visible (the newcomers' rule)."""
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


# --- the read model ----------------------------------------------------------------


class MembershipReadModel:
    """The ``communities`` and ``memberships`` tables in one service's metadata, the
    functions that apply the communities events to them, and access decisions."""

    def __init__(self, metadata: MetaData):
        self.communities = Table(
            "communities",
            metadata,
            Column("id", String(64), primary_key=True),
            Column("name", String(200), nullable=False),
            Column("kind", String(40), nullable=False),
            Column("visibility", String(10), nullable=False),
            Column("archived", Boolean, nullable=False, default=False),
            Column("newcomers_see_history", Boolean, nullable=False, default=True),
            Column("languages", JSON, nullable=False, default=list),
            Column("version", Integer, nullable=False, default=0, server_default="0"),
        )
        self.memberships = Table(
            "memberships",
            metadata,
            Column("community_id", String(64), primary_key=True),
            Column("user_id", String(64), primary_key=True),
            Column("role", String(10), nullable=False, default="member"),
            Column("guest", Boolean, nullable=False, default=False),
            Column("joined_at", UtcDateTime, nullable=False),
            Column("version", Integer, nullable=False, default=0, server_default="0"),
            #: a tombstone: removed at ``version``; never a member for access
            Column("removed", Boolean, nullable=False, default=False, server_default=false()),
            Index("ix_memberships_user", "user_id", "community_id"),
        )

    # --- applying events ------------------------------------------------------------

    def apply_community_state(self, session, data: dict) -> str:
        """community_created / _updated / _archived / _reopened: the whole state."""
        data = load(CommunityStateIn(), data, "Invalid community event.")
        t = self.communities
        values = {
            "name": data["name"],
            "kind": data["kind"],
            "visibility": data["visibility"],
            "archived": data["archived"],
            "newcomers_see_history": data["newcomers_see_history"],
            "languages": list(data["languages"]),
            "version": data["version"],
        }
        return self._upsert(session, t, {t.c.id: data["community_id"]}, values, {"id": data["community_id"]})

    def apply_member_added(self, session, data: dict, occurred_at: datetime) -> str:
        data = load(MembershipIn(), data, "Invalid membership event.")
        return self._member(session, data, occurred_at, removed=False, role=True)

    def apply_member_role_changed(self, session, data: dict, occurred_at: datetime) -> str:
        data = load(MembershipIn(), data, "Invalid membership event.")
        return self._member(session, data, occurred_at, removed=False, role=True)

    def apply_member_removed(self, session, data: dict, occurred_at: datetime) -> str:
        data = load(MembershipIn(), data, "Invalid membership event.")
        return self._member(session, data, occurred_at, removed=True, role=False)

    def apply(self, session, envelope, event: ev.EventType | None = None) -> str:
        """Apply a communities event given as an :class:`~parvis_contracts.events.Envelope`
        (``event``: the event a handler is bound to; by default the envelope's type)."""
        key = event.key if event is not None else envelope.type
        if key in _STATE_EVENTS:
            return self.apply_community_state(session, envelope.data)
        method = {
            ev.COMMUNITIES_MEMBER_ADDED.key: self.apply_member_added,
            ev.COMMUNITIES_MEMBER_ROLE_CHANGED.key: self.apply_member_role_changed,
            ev.COMMUNITIES_MEMBER_REMOVED.key: self.apply_member_removed,
        }.get(key)
        if method is None:
            raise ValueError(f"not a communities event: {key}")
        return method(session, envelope.data, datetime.fromisoformat(envelope.occurred_at))

    def _member(self, session, data: dict, occurred_at: datetime, removed: bool, role: bool) -> str:
        t = self.memberships
        key = {t.c.community_id: data["community_id"], t.c.user_id: data["user_id"]}
        values = {"version": data["version"], "removed": removed}
        if role:
            values["role"] = data["role"]
            values["guest"] = data["guest"]
        if data["joined_at"] is not None:
            values["joined_at"] = data["joined_at"]
        elif not removed:
            # an old event without joined_at: a return after a removal starts now
            values["joined_at"] = case((t.c.removed.is_(True), occurred_at), else_=t.c.joined_at)
        fresh = {
            "community_id": data["community_id"],
            "user_id": data["user_id"],
            "role": data["role"],
            "guest": data["guest"],
            "joined_at": data["joined_at"] or occurred_at,
        }
        return self._upsert(session, t, key, values, fresh)

    @staticmethod
    def _upsert(session, table, key: dict, values: dict, fresh: dict) -> str:
        """Update the row unless it holds a newer version; insert it if missing.

        The version test is in the UPDATE's WHERE clause, so two replicas applying
        two events of one community at once cannot let the older one win.
        """
        match = and_(*(col == value for col, value in key.items()))
        for _ in range(2):
            done = session.execute(
                update(table).where(match, table.c.version <= values["version"]).values(**values)
            )
            if done.rowcount:
                return APPLIED
            if session.execute(select(table.c.version).where(match)).first() is not None:
                return STALE
            row = {**fresh, **{k: v for k, v in values.items() if not isinstance(v, ClauseElement)}}
            try:
                with session.begin_nested():
                    session.execute(insert(table).values(**row))
                return APPLIED
            except IntegrityError:
                continue  # inserted by a concurrent handler meanwhile: compare again
        raise RuntimeError("could not apply the event to the read model")  # pragma: no cover

    # --- reading ------------------------------------------------------------------------

    def community(self, session, community_id: str) -> CommunityInfo | None:
        t = self.communities
        row = session.execute(select(t).where(t.c.id == community_id)).first()
        if row is None:
            return None
        return CommunityInfo(
            id=row.id,
            name=row.name,
            kind=row.kind,
            visibility=row.visibility,
            archived=bool(row.archived),
            newcomers_see_history=bool(row.newcomers_see_history),
            languages=list(row.languages or []),
            version=row.version,
        )

    def member(self, session, community_id: str, user_id: str) -> MemberInfo | None:
        """The person's membership, or None (never a member, or removed)."""
        t = self.memberships
        row = session.execute(
            select(t).where(t.c.community_id == community_id, t.c.user_id == user_id, t.c.removed.is_(False))
        ).first()
        if row is None:
            return None
        return MemberInfo(
            community_id=row.community_id,
            user_id=row.user_id,
            role=row.role,
            guest=bool(row.guest),
            joined_at=row.joined_at,
            version=row.version,
        )

    def member_ids(self, session, community_id: str, among=None) -> list[str]:
        """Ids of the community's current members (only those in ``among`` if given)."""
        t = self.memberships
        q = select(t.c.user_id).where(t.c.community_id == community_id, t.c.removed.is_(False))
        if among is not None:
            q = q.where(t.c.user_id.in_(list(among)))
        return list(session.scalars(q.order_by(t.c.user_id)))

    def community_ids_of(self, session, user_id: str) -> list[str]:
        """The communities the person currently belongs to."""
        t = self.memberships
        return list(
            session.scalars(
                select(t.c.community_id)
                .where(t.c.user_id == user_id, t.c.removed.is_(False))
                .order_by(t.c.community_id)
            )
        )

    def access(self, session, viewer: Viewer, community_id: str) -> Access:
        """Read access to a community, or the ``NotFound`` of an unknown id."""
        community = self.community(session, community_id)
        if community is None:
            raise not_found("community")
        membership = self.member(session, community_id, viewer.id)
        if membership is not None:
            return Access(viewer, community, membership)
        if not viewer.guest and community.visibility == "open":
            return Access(viewer, community, None)
        if viewer.admin:
            # admins see every community's card but do not silently read private content:
            # visible, so forbidden rather than not found (docs/security.md, "Access rules")
            raise Forbidden(
                "Network admins see this community's card, not its content, unless they are members."
            )
        raise not_found("community")

    # --- the same rules inside one SELECT ------------------------------------------------

    def viewer_membership(self, viewer: Viewer, community_id_column):
        """Join condition: the viewer's current membership of the row's community."""
        m = self.memberships
        return and_(m.c.community_id == community_id_column, m.c.user_id == viewer.id, m.c.removed.is_(False))

    def readable(self, viewer: Viewer, created_at_column, member_only: bool = False):
        """WHERE clause on (thing, communities joined, memberships outer-joined with
        :meth:`viewer_membership`): the viewer may read it."""
        c, m = self.communities, self.memberships
        member = m.c.user_id.is_not(None)
        history = or_(c.c.newcomers_see_history.is_(True), created_at_column >= m.c.joined_at)
        if member_only:
            return and_(member, history)
        open_to_me = false() if viewer.guest else (c.c.visibility == "open")
        return or_(and_(member, history), and_(~member, open_to_me))


_STATE_EVENTS = {
    e.key
    for e in (
        ev.COMMUNITIES_COMMUNITY_CREATED,
        ev.COMMUNITIES_COMMUNITY_UPDATED,
        ev.COMMUNITIES_COMMUNITY_ARCHIVED,
        ev.COMMUNITIES_COMMUNITY_REOPENED,
    )
}

#: the event -> handler method pairs a service using :class:`MembershipEventHandlers`
#: lists in its plug-in declaration (``handles``)
HANDLER_METHODS = MEMBERSHIP_HANDLES


def _handler(event: ev.EventType, method: str):
    """The idempotent handler ``method`` of ``event``: apply it to ``membership_model``."""

    def handle(self, envelope):
        return self.membership_model.apply(_session_of(self), envelope, event)

    handle.__name__ = handle.__qualname__ = method  # the name processed_events records
    return idempotent_handler(event)(handle)


class MembershipEventHandlers:
    """The seven idempotent handlers (``HANDLER_METHODS``) that keep
    ``membership_model`` up to date.

    A service inherits it and sets ``membership_model``; it needs a ``Database``
    dependency (the handlers write through the worker's session, which
    ``idempotent_handler`` commits with the processed-event mark).
    """

    membership_model: MembershipReadModel

    on_community_created = _handler(ev.COMMUNITIES_COMMUNITY_CREATED, "on_community_created")
    on_community_updated = _handler(ev.COMMUNITIES_COMMUNITY_UPDATED, "on_community_updated")
    on_community_archived = _handler(ev.COMMUNITIES_COMMUNITY_ARCHIVED, "on_community_archived")
    on_community_reopened = _handler(ev.COMMUNITIES_COMMUNITY_REOPENED, "on_community_reopened")
    on_member_added = _handler(ev.COMMUNITIES_MEMBER_ADDED, "on_member_added")
    on_member_removed = _handler(ev.COMMUNITIES_MEMBER_REMOVED, "on_member_removed")
    on_member_role_changed = _handler(ev.COMMUNITIES_MEMBER_ROLE_CHANGED, "on_member_role_changed")
