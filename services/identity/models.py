"""Tables of the identity service (its own database; nobody else reads it)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from parvis_contracts import vocabulary
from parvis_contracts.db import UtcDateTime, infrastructure_tables, new_id


class Base(DeclarativeBase):
    pass


metadata = Base.metadata
infrastructure_tables(metadata)

ORG_KINDS = vocabulary.ORG_KINDS
STATUSES = ("invited", "active", "deactivated", "erased")
VISIBILITIES = vocabulary.FIELD_VISIBILITIES
PERSONAL_FIELDS = ("birth_date", "education", "phone")
PHOTO_TYPES = ("image/png", "image/jpeg", "image/webp")


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    #: casefolded name, unique: two organisations cannot differ only by case
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    country: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Person(Base):
    __tablename__ = "people"
    __table_args__ = (Index("ix_people_status_sort", "status", "sort_name", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(254))
    #: stripped, lower-cased e-mail: the sign-in key, unique
    email_key: Mapped[str] = mapped_column(String(254), unique=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    guest: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(12), default="invited")
    guest_expires_at: Mapped[date | None] = mapped_column(Date, nullable=True)
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)

    display_name: Mapped[str] = mapped_column(String(120))
    #: casefolded display name: the directory's sort and keyset key
    sort_name: Mapped[str] = mapped_column(String(120))
    job_title: Mapped[str | None] = mapped_column(String(120), nullable=True)
    department: Mapped[str | None] = mapped_column(String(120), nullable=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    languages: Mapped[list] = mapped_column(JSON, default=list)
    #: ",en,fr," — lets the directory filter by language with a portable LIKE
    languages_text: Mapped[str] = mapped_column(String(400), default=",")
    preferred_language: Mapped[str] = mapped_column(String(2), default="en")
    #: IANA time zone name (``Europe/Paris``); None: UTC
    time_zone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: translate posts, comments and pages into ``preferred_language`` automatically
    auto_translate: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    skills: Mapped[list] = mapped_column(JSON, default=list)
    #: ",python,project management," — same trick for skills (commas are refused in tags)
    skills_text: Mapped[str] = mapped_column(Text, default=",")
    about: Mapped[str | None] = mapped_column(Text, nullable=True)

    birth_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    education: Mapped[str | None] = mapped_column(String(500), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    birth_date_visibility: Mapped[str] = mapped_column(String(10), default="private")
    education_visibility: Mapped[str] = mapped_column(String(10), default="private")
    phone_visibility: Mapped[str] = mapped_column(String(10), default="private")

    #: the profile photo: a reference (SHA-256) into the gateway's blob store, never bytes
    photo_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    photo_content_type: Mapped[str | None] = mapped_column(String(40), nullable=True)

    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    #: incremented at every ``profile_changed`` published (the search index applies a
    #: profile only if it is newer than the one it holds)
    profile_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class PersonRole(Base):
    __tablename__ = "person_roles"

    person_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class SessionRecord(Base):
    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    #: SHA-256 of the opaque token; the token itself is never stored
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(300), nullable=True)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Invitation(Base):
    __tablename__ = "invitations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class PasswordReset(Base):
    """One password reset link: only the token's SHA-256 is kept; single use, 30 minutes."""

    __tablename__ = "password_resets"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    #: set when the link was used, or made void by a newer request or by the reset itself
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class PasswordResetRequest(Base):
    """One request for a reset link, for its throttling (kept a day): per address and per IP.

    ``email_hash`` is the SHA-256 of the typed address's sign-in key, so an address that is
    nobody's (or a password typed in the wrong field) is not kept readable."""

    __tablename__ = "password_reset_requests"
    __table_args__ = (
        Index("ix_password_reset_requests_email_at", "email_hash", "at"),
        Index("ix_password_reset_requests_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email_hash: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    #: false: over the address's limit (answered the same, no link made)
    accepted: Mapped[bool] = mapped_column(Boolean, default=True)


class SignInFailure(Base):
    __tablename__ = "sign_in_failures"
    __table_args__ = (Index("ix_sign_in_failures_key_at", "email_key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email_key: Mapped[str] = mapped_column(String(254))
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class SharedCommunity(Base):
    """Read model fed by communities' member_added / member_removed events."""

    __tablename__ = "shared_communities"

    community_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class AuditEvent(Base):
    """One security event (see ``audit.py``): append-only, swept after the retention period.

    ``details`` never holds a password, token, session id, cookie or CSRF token. Refused
    requests are aggregated: one row per ``bucket`` (minute, IP, person, route, status) whose
    ``count`` grows.
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_action_id", "action", "id"),
        Index("ix_audit_log_subject_id", "subject_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    action: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    subject_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    count: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    #: aggregation key of a refused-access row (``None`` for every other event)
    bucket: Mapped[str | None] = mapped_column(String(400), nullable=True, index=True)
