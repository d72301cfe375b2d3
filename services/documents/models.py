"""Tables of the documents service (its own database; nobody else reads it).

* the read model of communities and membership, fed by the communities events
  (the shared tables of ``parvis_contracts.membership``, see ``access``);
* the document bank: folders, documents and their versions. A version row holds
  the SHA-256 of its bytes, which live in the content-addressed blob store
  (namespace ``documents``); the same bytes are stored once;
* pages: Markdown pages with their revisions and the ``[[links]]`` between them;
* ``orphan_blobs``: blobs the sweep found unreferenced, deleted only if still
  unreferenced an hour later (see ``maintenance``);
* on each version, what became of the text inside it (``text_status``, see
  ``extraction``): ``pending`` until the extraction queue reads it, then one of
  ``vocabulary.DOCUMENT_TEXT_STATUSES`` or ``skipped`` (a newer version came first; a
  document in the bin waits). The text itself is not kept here: it travels in the event, and the bytes are
  its source.

Names are unique per folder, case-insensitively (``name_key``), among live
items only: a document in the bin has ``live_key`` NULL, so a new document may
take its name (restoring it then answers ``Conflict``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from parvis_contracts.db import UtcDateTime, infrastructure_tables, new_id
from parvis_contracts.idempotency import idempotency_table
from parvis_contracts.membership import MembershipReadModel

ROOT = ""  # the folder key of a community's root folder


class Base(DeclarativeBase):
    pass


metadata = Base.metadata
infrastructure_tables(metadata)
#: (caller, Idempotency-Key) -> the answer of a keyed write (parvis_contracts.idempotency)
idempotency_table(metadata)

#: the read model of communities and membership (shared definition, fed by events)
MEMBERSHIP = MembershipReadModel(metadata)


def name_key(name: str) -> str:
    return name.casefold()


class Folder(Base):
    __tablename__ = "folders"
    __table_args__ = (UniqueConstraint("community_id", "parent_key", "name_key", name="uq_folders_name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    community_id: Mapped[str] = mapped_column(String(64), index=True)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("folders.id"), nullable=True)
    #: parent_id, or ROOT: a non-null key so the unique constraint holds at the root
    parent_key: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(64))


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("community_id", "folder_key", "live_key", name="uq_documents_name"),
        Index("ix_documents_folder", "community_id", "folder_key", "name_key"),
        Index("ix_documents_deleted", "deleted_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    community_id: Mapped[str] = mapped_column(String(64))
    folder_id: Mapped[str | None] = mapped_column(ForeignKey("folders.id"), nullable=True)
    folder_key: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))
    #: name_key while live, NULL in the bin (NULLs never clash)
    live_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(String(64))
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    deleted_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


#: a version whose text is still to extract (the queue's state; see ``extraction``)
TEXT_PENDING = "pending"
#: a version whose text was not extracted: a newer version came first
TEXT_SKIPPED = "skipped"


class DocumentVersion(Base):
    __tablename__ = "document_versions"
    __table_args__ = (
        Index("ix_document_versions_sha256", "sha256"),
        Index("ix_document_versions_text_status", "text_status", "created_at"),
    )

    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(120))
    inline: Mapped[bool] = mapped_column(default=False)
    filename: Mapped[str] = mapped_column(String(200))
    comment: Mapped[str] = mapped_column(String(1000), default="")
    author_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    #: ``TEXT_PENDING``, ``TEXT_SKIPPED`` or a ``vocabulary.DOCUMENT_TEXT_STATUSES``
    text_status: Mapped[str] = mapped_column(String(16), default=TEXT_PENDING)
    #: why the text is as it is (a cap, a parse error), "" when read whole
    text_reason: Mapped[str] = mapped_column(String(300), default="")
    #: when an extraction took the version (a claim older than the lease is taken again)
    text_claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    #: extractions started; a version whose extraction never ends is ``failed`` after a few
    text_attempts: Mapped[int] = mapped_column(Integer, default=0)


class OrphanBlob(Base):
    """A blob no version referenced when the sweep last looked (deleted if still so later)."""

    __tablename__ = "orphan_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Page(Base):
    __tablename__ = "pages"
    __table_args__ = (
        UniqueConstraint("community_id", "live_key", name="uq_pages_title"),
        Index("ix_pages_community_title", "community_id", "title_key"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    community_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    title_key: Mapped[str] = mapped_column(String(200))
    live_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    slug: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(String(64))
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class PageRevision(Base):
    __tablename__ = "page_revisions"

    page_id: Mapped[str] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    comment: Mapped[str] = mapped_column(String(1000), default="")
    author_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PageLink(Base):
    """``[[Title]]`` in the latest revision of ``page_id`` (target by case-folded title)."""

    __tablename__ = "page_links"
    __table_args__ = (Index("ix_page_links_target", "community_id", "target_key"),)

    page_id: Mapped[str] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), primary_key=True)
    target_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    community_id: Mapped[str] = mapped_column(String(64))
    target_title: Mapped[str] = mapped_column(String(200))
