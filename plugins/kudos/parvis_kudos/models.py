"""Tables of the kudos service (its own database; nobody else reads it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from parvis_contracts.db import UtcDateTime, infrastructure_tables, new_id

from .limits import MESSAGE_MAX


class Base(DeclarativeBase):
    pass


metadata = Base.metadata
infrastructure_tables(metadata)  # outbox and processed events


class Kudos(Base):
    __tablename__ = "kudos"
    __table_args__ = (
        Index("ix_kudos_recipient", "recipient_id", "created_at", "id"),
        Index("ix_kudos_giver", "giver_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    #: None once the giver's account was erased (the thanks stay, "from a former member")
    giver_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    recipient_id: Mapped[str] = mapped_column(String(36))
    message: Mapped[str] = mapped_column(String(MESSAGE_MAX))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
