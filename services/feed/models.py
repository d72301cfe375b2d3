"""Tables of the feed service (its own database; nobody else reads it).

Two groups:

* the read model of communities and membership, fed only by the communities
  service's events (``communities``, ``memberships``: the shared, versioned
  tables of ``parvis_contracts.membership``) — the feed checks access against
  it on every call, with no RPC to the communities service;
* the feed's own content: posts, comments, likes, mentions, hashtags, previous
  versions, announcement reads, reports and the time of each person's last visit.

A post keeps a snapshot of each attached document (id, name, type, size) as the
documents service described it when it was attached: the wall shows them with no
call to the documents service.

Like and comment counts are denormalised on the post/comment row and changed in
the same transaction as the like or comment, so reading them costs nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from parvis_contracts import vocabulary
from parvis_contracts.db import UtcDateTime, infrastructure_tables, new_id
from parvis_contracts.idempotency import idempotency_table
from parvis_contracts.membership import MembershipReadModel

POST_KINDS = vocabulary.POST_KINDS
REPORT_TARGETS = ("post", "comment")
REPORT_STATUSES = ("open", "hidden", "restored")


class Base(DeclarativeBase):
    pass


metadata = Base.metadata
infrastructure_tables(metadata)
#: (caller, Idempotency-Key) -> the answer of a keyed write (parvis_contracts.idempotency)
idempotency_table(metadata)


# --- the read model (from communities events) -------------------------------
# The shared tables of parvis_contracts.membership (versioned, with tombstones),
# mapped here so the feed's list queries can join them with the ORM.

MEMBERSHIP = MembershipReadModel(metadata)


class Community(Base):
    __table__ = MEMBERSHIP.communities


class Membership(Base):
    """A membership, or a tombstone (``removed``): filter on ``removed`` when querying."""

    __table__ = MEMBERSHIP.memberships


# --- content -----------------------------------------------------------------


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_community_created", "community_id", "created_at", "id"),
        Index("ix_posts_created", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    community_id: Mapped[str] = mapped_column(String(64))
    author_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="message")
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    mentions: Mapped[list] = mapped_column(JSON, default=list)
    hashtags: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    edited_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    like_count: Mapped[int] = mapped_column(Integer, default=0)
    comment_count: Mapped[int] = mapped_column(Integer, default=0)
    accepted_comment_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    read_count: Mapped[int] = mapped_column(Integer, default=0)
    #: the stated language (ISO 639-1), None when the author did not say
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    #: snapshots of the attached documents: [{id, name, content_type, size}]
    attachments: Mapped[list] = mapped_column(JSON, default=list)


class PostVersion(Base):
    """A previous text of a post, kept when it is edited."""

    __tablename__ = "post_versions"

    post_id: Mapped[str] = mapped_column(ForeignKey("posts.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    replaced_at: Mapped[datetime] = mapped_column(UtcDateTime)
    replaced_by: Mapped[str] = mapped_column(String(64))


class Comment(Base):
    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_post_created", "post_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    post_id: Mapped[str] = mapped_column(ForeignKey("posts.id"))
    community_id: Mapped[str] = mapped_column(String(64))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("comments.id"), nullable=True)
    author_id: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    mentions: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    edited_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    like_count: Mapped[int] = mapped_column(Integer, default=0)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)


class CommentVersion(Base):
    __tablename__ = "comment_versions"

    comment_id: Mapped[str] = mapped_column(ForeignKey("comments.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    replaced_at: Mapped[datetime] = mapped_column(UtcDateTime)
    replaced_by: Mapped[str] = mapped_column(String(64))


class PostLike(Base):
    __tablename__ = "post_likes"

    post_id: Mapped[str] = mapped_column(ForeignKey("posts.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CommentLike(Base):
    __tablename__ = "comment_likes"

    comment_id: Mapped[str] = mapped_column(ForeignKey("comments.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PostMention(Base):
    """Who a post mentions (for "posts that mention me")."""

    __tablename__ = "post_mentions"
    __table_args__ = (Index("ix_post_mentions_user", "user_id", "created_at", "post_id"),)

    post_id: Mapped[str] = mapped_column(ForeignKey("posts.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CommentMention(Base):
    """Who a comment mentions: "posts that mention me" lists the comment's post too."""

    __tablename__ = "comment_mentions"
    __table_args__ = (Index("ix_comment_mentions_user", "user_id", "post_id"),)

    comment_id: Mapped[str] = mapped_column(ForeignKey("comments.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    post_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PostHashtag(Base):
    __tablename__ = "post_hashtags"
    __table_args__ = (Index("ix_post_hashtags_tag", "tag", "created_at", "post_id"),)

    post_id: Mapped[str] = mapped_column(ForeignKey("posts.id"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(50), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AnnouncementRead(Base):
    __tablename__ = "announcement_reads"

    post_id: Mapped[str] = mapped_column(ForeignKey("posts.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    read_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AnnouncementReminder(Base):
    """The last reminder of an announcement sent to the members who had not read it."""

    __tablename__ = "announcement_reminders"

    post_id: Mapped[str] = mapped_column(ForeignKey("posts.id"), primary_key=True)
    reminded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reminded_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Report(Base):
    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("target_type", "target_id", "reporter_id", name="uq_reports_once"),
        Index("ix_reports_queue", "community_id", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    community_id: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(10))
    target_id: Mapped[str] = mapped_column(String(36))
    post_id: Mapped[str] = mapped_column(String(36))
    reporter_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class LastVisit(Base):
    """When a person last opened their home timeline ("what is new since")."""

    __tablename__ = "last_visits"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    visited_at: Mapped[datetime] = mapped_column(UtcDateTime)
