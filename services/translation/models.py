"""Tables of the translation service: glossary, translation cache, and the read models
(communities and membership, people's preferred languages) that pre-translation uses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from parvis_contracts.db import UtcDateTime, infrastructure_tables
from parvis_contracts.membership import MembershipReadModel


class Base(DeclarativeBase):
    pass


metadata = Base.metadata
infrastructure_tables(metadata)

#: communities and memberships, kept from the communities events (parvis_contracts.membership)
MEMBERSHIP = MembershipReadModel(metadata)


class GlossaryTerm(Base):
    """A term of the network's glossary: never translated, or forced per target language.

    ``source_language`` limits the term to texts in that language ("" = any).
    """

    __tablename__ = "glossary_terms"
    __table_args__ = (UniqueConstraint("term_key", "source_language", name="uq_glossary_terms_key_source"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    term: Mapped[str] = mapped_column(String(200), nullable=False)
    term_key: Mapped[str] = mapped_column(String(200), nullable=False)  # case-folded
    source_language: Mapped[str] = mapped_column(String(8), nullable=False, default="")
    case_sensitive: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    note: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)

    translations: Mapped[list[GlossaryTranslation]] = relationship(
        back_populates="term",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="GlossaryTranslation.language",
    )


class GlossaryTranslation(Base):
    """The forced translation of a term into one target language."""

    __tablename__ = "glossary_translations"

    term_id: Mapped[str] = mapped_column(
        ForeignKey("glossary_terms.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    translation: Mapped[str] = mapped_column(String(200), nullable=False)

    term: Mapped[GlossaryTerm] = relationship(back_populates="translations")


class GlossaryState(Base):
    """One row: the glossary's version, bumped by every change (part of every cache key)."""

    __tablename__ = "glossary_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class CachedTranslation(Base):
    """A finished translation. ``cache_key`` hashes the text, the pair, the engine and
    route, the engine's version, the protection rules' version and the glossary's."""

    __tablename__ = "translation_cache"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cache_key: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    text_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    source: Mapped[str] = mapped_column(String(8), nullable=False)
    target: Mapped[str] = mapped_column(String(8), nullable=False)
    engine: Mapped[str] = mapped_column(String(120), nullable=False)
    engine_version: Mapped[str] = mapped_column(String(200), nullable=False)
    glossary_version: Mapped[int] = mapped_column(Integer, nullable=False)
    translated: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class CachedContent(Base):
    """Which content (kind + id + revision) a cached translation was made for."""

    __tablename__ = "translation_cache_content"
    __table_args__ = (Index("ix_translation_cache_content_kind_id", "content_kind", "content_id"),)

    cache_id: Mapped[int] = mapped_column(
        ForeignKey("translation_cache.id", ondelete="CASCADE"), primary_key=True
    )
    content_kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    content_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    revision: Mapped[int | None] = mapped_column(Integer, nullable=True)


class PersonLanguage(Base):
    """A person's preferred language, kept from the identity events.

    ``changed_at`` is when the applied event occurred: an older event is ignored.
    """

    __tablename__ = "person_languages"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    preferred_language: Mapped[str] = mapped_column(String(8), nullable=False)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
