"""Tables of the notifications service (its own database; nobody else reads it).

* the read model of communities and membership (``parvis_contracts.membership``), fed by
  the communities events: who may read a community now, who manages it;
* ``subjects``: what exists in which community (posts, comments, pages, documents), fed by
  the feed and documents events: a follow, a like or a comment names a subject, and the
  notification needs its community and author;
* ``follows``: who follows a post, a page, a document or a community (``active`` false: an
  explicit unfollow, which outlives the automatic follow of one's own post);
* ``community_levels``: per person and community, everything / highlights / nothing;
* ``notifications``: one row per recipient and group (``group_key``): likes of one post,
  comments on one post, join requests of one community gather in one unread row whose
  actors are counted in ``notification_actors``;
* e-mail (``mailing``): ``mail_preferences`` (a person's frequency per kind),
  ``mail_people`` (when a person was last seen in the app and last mailed, and when their
  next digests are due), ``mail_queue`` (notifications waiting for their mail),
  ``mail_sent`` (each mail by its Message-ID: claimed before it is sent, so a crash never
  sends it twice) and ``account_mails`` (password resets and invitations to send).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from parvis_contracts.db import UtcDateTime, infrastructure_tables, new_id
from parvis_contracts.membership import MembershipReadModel


class Base(DeclarativeBase):
    pass


metadata = Base.metadata
infrastructure_tables(metadata)
MEMBERSHIP = MembershipReadModel(metadata)


class Subject(Base):
    """A post, comment, page or document, as far as notifying about it needs."""

    __tablename__ = "subjects"
    __table_args__ = (Index("ix_subjects_post", "post_id"),)

    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    community_id: Mapped[str] = mapped_column(String(64))
    #: None once the author's account was erased
    author_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: the post a comment belongs to (the post itself for a post)
    post_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    #: what a mail may quote of it: the start of a post's or comment's text, a page's
    #: title, a document's name (None: nothing known)
    excerpt: Mapped[str | None] = mapped_column(Text, nullable=True)


class Follow(Base):
    __tablename__ = "follows"
    __table_args__ = (Index("ix_follows_target", "target_kind", "target_id", "active"),)

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    target_kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    target_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    community_id: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean)
    #: "auto" (my post, my comment) or "me" (I chose): an automatic follow never undoes mine
    origin: Mapped[str] = mapped_column(String(4))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CommunityLevel(Base):
    __tablename__ = "community_levels"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    community_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    level: Mapped[str] = mapped_column(String(10))


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        # the inbox, newest first (keyset on updated_at, id)
        Index("ix_notifications_inbox", "recipient_id", "updated_at", "id"),
        # the bell: unread rows of a person
        Index("ix_notifications_unread", "recipient_id", "read_at"),
        # grouping: the open (unread) row of a group
        Index("ix_notifications_group", "recipient_id", "group_key", "read_at"),
        Index("ix_notifications_subject", "subject_kind", "subject_id"),
        Index("ix_notifications_post", "post_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    recipient_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    group_key: Mapped[str] = mapped_column(String(160))
    community_id: Mapped[str] = mapped_column(String(64))
    subject_kind: Mapped[str] = mapped_column(String(12))
    subject_id: Mapped[str] = mapped_column(String(64))
    #: the post to open (a comment's post), None for pages, documents and communities
    post_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: the newest actors first (at most limits.ACTORS_SHOWN; None for an erased one)
    actor_ids: Mapped[list] = mapped_column(JSON)
    actor_count: Mapped[int] = mapped_column(Integer)
    #: when the content was created (a newcomer who may not see older content is not told)
    content_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class NotificationActor(Base):
    """Who acted on a grouped notification (each person counted once)."""

    __tablename__ = "notification_actors"
    __table_args__ = (Index("ix_notification_actors_actor", "actor_id"),)

    notification_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    actor_id: Mapped[str] = mapped_column(String(64), primary_key=True)


# --- e-mail ------------------------------------------------------------------------------


class MailPreference(Base):
    """A person's e-mail frequency for a kind (absent: the kind's default)."""

    __tablename__ = "mail_preferences"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    frequency: Mapped[str] = mapped_column(String(12))


class MailPerson(Base):
    """What the mail sender knows of a person's rhythm."""

    __tablename__ = "mail_people"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: the last time the person's bell or page was asked for (active in the app)
    last_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    #: the last mail of notifications sent to them (immediate ones are 2 minutes apart)
    last_mail_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    #: when their next digests are due (None: not computed yet, from their time zone)
    next_daily_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    next_weekly_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class MailQueued(Base):
    """A notification waiting for its mail (immediately, or in a digest)."""

    __tablename__ = "mail_queue"
    __table_args__ = (Index("ix_mail_queue_due", "frequency", "recipient_id"),)

    notification_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    recipient_id: Mapped[str] = mapped_column(String(64))
    frequency: Mapped[str] = mapped_column(String(12))
    queued_at: Mapped[datetime] = mapped_column(UtcDateTime())


class MailSent(Base):
    """One mail, by its Message-ID: ``claimed`` (about to go), ``sent``, ``retry`` (a
    temporary failure: ``next_attempt_at``) or ``failed`` (refused for good, or claimed
    and never confirmed: never sent again)."""

    __tablename__ = "mail_sent"
    __table_args__ = (
        Index("ix_mail_sent_recipient", "recipient_id"),
        Index("ix_mail_sent_state", "state", "next_attempt_at"),
    )

    message_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    recipient_id: Mapped[str] = mapped_column(String(64))
    #: immediately / daily / weekly
    frequency: Mapped[str] = mapped_column(String(12))
    notification_ids: Mapped[list] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(8))
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(300), nullable=True)


class AccountMail(Base):
    """A password reset or an invitation to send (the token is dropped once sent)."""

    __tablename__ = "account_mails"

    #: the event's id: a redelivered event is one mail
    message_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    #: password_reset / invitation
    kind: Mapped[str] = mapped_column(String(16))
    #: what the mail says (address, name, language, link token...): emptied once sent
    data: Mapped[dict] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(8))
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
