"""Tables of the communities service (its own database; nobody else reads it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from parvis_contracts import vocabulary
from parvis_contracts.db import UtcDateTime, infrastructure_tables, new_id

KINDS = vocabulary.COMMUNITY_KINDS
VISIBILITIES = vocabulary.COMMUNITY_VISIBILITIES
ROLES = vocabulary.MEMBER_ROLES


class Base(DeclarativeBase):
    pass


metadata = Base.metadata
infrastructure_tables(metadata)


class Community(Base):
    __tablename__ = "communities"
    __table_args__ = (Index("ix_communities_sort", "sort_name", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(80))
    #: casefolded name: the directory's sort, search and keyset key
    sort_name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(20), index=True)
    visibility: Mapped[str] = mapped_column(String(10), index=True)
    languages: Mapped[list] = mapped_column(JSON, default=list)
    #: a reference to the picture (e.g. a blob SHA-256), never bytes
    picture: Mapped[str | None] = mapped_column(String(200), nullable=True)
    newcomers_see_history: Mapped[bool] = mapped_column(Boolean, default=True)
    #: partner organisations whose guests managers may invite
    allowed_org_ids: Mapped[list] = mapped_column(JSON, default=list)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    archived_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    #: denormalised, kept in the same transaction as every membership change
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    #: incremented at every change of the community or of its membership (the
    #: first statement of such a write, which also locks the row: see
    #: ``access.lock``); carried by every community_* and member_* event so
    #: read models can ignore events that arrive late
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_by: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Membership(Base):
    __tablename__ = "memberships"

    community_id: Mapped[str] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(10), default="member")
    guest: Mapped[bool] = mapped_column(Boolean, default=False)
    org_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    joined_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Invitation(Base):
    """A pending invitation; it disappears when accepted or declined."""

    __tablename__ = "invitations"

    community_id: Mapped[str] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True)
    guest: Mapped[bool] = mapped_column(Boolean, default=False)
    org_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    invited_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class JoinRequest(Base):
    """A pending request to join a private community; gone once approved or refused."""

    __tablename__ = "join_requests"

    community_id: Mapped[str] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True)
    org_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    message: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
