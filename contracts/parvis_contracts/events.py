"""Event names (constants, never string literals in handlers) and payload schemas.

An event is published by its source service to the topic exchange
``<source>.events`` with the event name as routing key — the same wiring as
nameko's ``EventDispatcher`` — wrapped in a signed :class:`Envelope`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from marshmallow import Schema, fields, validate

from .config import context_secret
from .errors import ValidationFailed
from .limits import DOCUMENT_TEXT_MAX
from .vocabulary import COMMUNITY_VISIBILITIES, DOCUMENT_TEXT_STATUSES, MEMBER_ROLES


@dataclass(frozen=True)
class EventType:
    source: str
    name: str

    @property
    def key(self) -> str:
        return f"{self.source}.{self.name}"

    def __str__(self) -> str:
        return self.key


# --- payload schemas -------------------------------------------------------


class UserEventSchema(Schema):
    user_id = fields.String(required=True)
    org_id = fields.String(required=True)
    guest = fields.Boolean(required=True)


class UserCreatedSchema(UserEventSchema):
    #: the person's language (translation pre-translates into members' languages)
    preferred_language = fields.String(load_default=None, allow_none=True)


class UserLanguageChangedSchema(UserEventSchema):
    preferred_language = fields.String(required=True)


class UserRolesChangedSchema(UserEventSchema):
    roles = fields.List(fields.String(), required=True)


class SessionEndedSchema(Schema):
    """Sessions of a person ended (signed out, revoked): ``session_id`` one, or ``None`` for
    every session of the person but possibly one kept (a password change keeps the caller's)."""

    user_id = fields.String(required=True)
    session_id = fields.String(load_default=None, allow_none=True)


class LinkMailSchema(Schema):
    """What a mail carrying a link for one person needs: to whom, in which language, the
    token and when it stops working.

    ``token`` is a credential, sent once: the outbox relay blanks it, with the address and
    the name, in identity's stored copy once published (:data:`TRANSIENT_FIELDS`)."""

    user_id = fields.String(required=True)
    email = fields.String(required=True)
    display_name = fields.String(required=True)
    #: the person's preferred language (None: the platform's default)
    language = fields.String(load_default=None, allow_none=True)
    token = fields.String(required=True)
    #: when the link stops working (ISO 8601, UTC)
    expires_at = fields.String(required=True)


class PasswordResetRequestedSchema(LinkMailSchema):
    """A person who can sign in asked to reset their password: the mail with the link
    (``/password-reset/<token>`` on the gateway) goes to ``email``."""


class PersonInvitedSchema(LinkMailSchema):
    """An account was created without a password: the invitation mail with the link
    (``/invitations/<token>`` on the gateway) goes to ``email``. ``invited_by`` is the
    admin who created the account (None: the platform itself)."""

    guest = fields.Boolean(required=True)
    #: the organisation of the account (the host company, or the guest's)
    org_name = fields.String(required=True)
    invited_by = fields.String(load_default=None, allow_none=True)
    invited_by_name = fields.String(load_default=None, allow_none=True)


class OrganisationEventSchema(Schema):
    org_id = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)


class ProfileStateSchema(UserEventSchema):
    """What a person's searchable profile is now (the search service's people index):
    published by identity at every change of it, with ``version``, incremented each time,
    so an older state never overwrites a newer one.

    ``active``: the person is in the directory (their account is active: not invited,
    deactivated or erased). ``education`` is there only when its owner shows it to
    employees or to everyone (``education_visibility``): a field only its owner sees is
    never published. The texts are null in identity's stored copy once published
    (:data:`TRANSIENT_FIELDS`)."""

    active = fields.Boolean(required=True)
    display_name = fields.String(load_default=None, allow_none=True)
    job_title = fields.String(load_default=None, allow_none=True)
    department = fields.String(load_default=None, allow_none=True)
    #: ISO 3166-1 alpha-2
    country = fields.String(load_default=None, allow_none=True)
    #: ISO 639-1 codes of the languages the person speaks
    languages = fields.List(fields.String(), load_default=list, allow_none=True)
    preferred_language = fields.String(load_default=None, allow_none=True)
    #: normalised tags (blanks collapsed, lower case: "Excel" is "excel")
    skills = fields.List(fields.String(), load_default=list, allow_none=True)
    about = fields.String(load_default=None, allow_none=True)
    education = fields.String(load_default=None, allow_none=True)
    education_visibility = fields.String(
        load_default="private", validate=validate.OneOf(("everyone", "employees", "private"))
    )
    #: the organisation's name when the profile was published
    org_name = fields.String(load_default=None, allow_none=True)
    version = fields.Integer(load_default=0, validate=validate.Range(min=0))


class MembershipEventSchema(Schema):
    community_id = fields.String(required=True)
    user_id = fields.String(required=True)
    role = fields.String(load_default="member", validate=validate.OneOf(MEMBER_ROLES))
    guest = fields.Boolean(load_default=False)
    joined_at = fields.String(load_default=None, allow_none=True)  # ISO 8601
    #: the community's version after this change (see parvis_contracts.membership);
    #: absent in events published before versions existed, read as 0
    version = fields.Integer(load_default=0, validate=validate.Range(min=0))


class CommunityEventSchema(Schema):
    community_id = fields.String(required=True)


class CommunityStateSchema(CommunityEventSchema):
    """The community's settings that other services' read models need."""

    name = fields.String(required=True)
    kind = fields.String(required=True)
    visibility = fields.String(required=True, validate=validate.OneOf(COMMUNITY_VISIBILITIES))
    archived = fields.Boolean(required=True)
    newcomers_see_history = fields.Boolean(required=True)
    languages = fields.List(fields.String(), load_default=list)
    allowed_org_ids = fields.List(fields.String(), load_default=list)
    #: the community's description (absent: an event published before it carried it)
    description = fields.String(allow_none=True)
    #: incremented by the communities service at every change of the community or
    #: of its membership; read models ignore an event older than what they hold
    version = fields.Integer(load_default=0, validate=validate.Range(min=0))


class PostEventSchema(Schema):
    post_id = fields.String(required=True)
    community_id = fields.String(required=True)
    author_id = fields.String(required=True)
    kind = fields.String(load_default="message")
    language = fields.String(load_default=None, allow_none=True)
    mentions = fields.List(fields.String(), load_default=list)
    #: ``@community``: every member is mentioned (a manager's call above 50 members)
    community_mentioned = fields.Boolean(load_default=False)
    #: the Markdown text and its revision (translation pre-translates it); absent in
    #: events published before they were added
    body = fields.String(load_default=None, allow_none=True)
    revision = fields.Integer(load_default=None, allow_none=True)


class CommentEventSchema(Schema):
    comment_id = fields.String(required=True)
    post_id = fields.String(required=True)
    community_id = fields.String(required=True)
    author_id = fields.String(required=True)
    language = fields.String(load_default=None, allow_none=True)
    mentions = fields.List(fields.String(), load_default=list)
    #: ``@community``: every member is mentioned (a manager's call above 50 members)
    community_mentioned = fields.Boolean(load_default=False)
    #: the Markdown text and its revision (translation pre-translates it); absent in
    #: events published before they were added
    body = fields.String(load_default=None, allow_none=True)
    revision = fields.Integer(load_default=None, allow_none=True)


class LikeEventSchema(Schema):
    """A like newly recorded on a post (``comment_id`` None) or on one of its comments."""

    post_id = fields.String(required=True)
    comment_id = fields.String(load_default=None, allow_none=True)
    community_id = fields.String(required=True)
    #: the author of the liked post or comment
    author_id = fields.String(required=True)
    liker_id = fields.String(required=True)


class AnswerAcceptedSchema(Schema):
    """A comment became the accepted answer of a question."""

    post_id = fields.String(required=True)
    community_id = fields.String(required=True)
    comment_id = fields.String(required=True)
    comment_author_id = fields.String(required=True)
    accepted_by = fields.String(required=True)


class ReportEventSchema(Schema):
    """Someone reported a post or a comment (``post_id``: the post, or the comment's post)."""

    report_id = fields.String(required=True)
    community_id = fields.String(required=True)
    target_type = fields.String(required=True, validate=validate.OneOf(("post", "comment")))
    target_id = fields.String(required=True)
    post_id = fields.String(required=True)
    reporter_id = fields.String(required=True)


class ModerationEventSchema(Schema):
    """A moderator (``by``) hid or restored a reported post or comment."""

    community_id = fields.String(required=True)
    target_type = fields.String(required=True, validate=validate.OneOf(("post", "comment")))
    target_id = fields.String(required=True)
    post_id = fields.String(required=True)
    by = fields.String(required=True)


class AnnouncementReminderSchema(Schema):
    """A manager (``by``) reminded the members who had not read an announcement (``user_ids``)."""

    post_id = fields.String(required=True)
    community_id = fields.String(required=True)
    by = fields.String(required=True)
    user_ids = fields.List(fields.String(), required=True)


class JoinRequestEventSchema(Schema):
    """A person (``user_id``) asked to join a community."""

    community_id = fields.String(required=True)
    user_id = fields.String(required=True)


class JoinDecisionEventSchema(JoinRequestEventSchema):
    """A manager or an admin (``by``) approved or refused ``user_id``'s request."""

    by = fields.String(required=True)


class InvitationEventSchema(Schema):
    """``by`` invited ``user_id`` to a community."""

    community_id = fields.String(required=True)
    user_id = fields.String(required=True)
    by = fields.String(required=True)


class DocumentEventSchema(Schema):
    """A document of a community's bank (the bytes stay in the blob store: only the hash)."""

    document_id = fields.String(required=True)
    community_id = fields.String(required=True)
    folder_id = fields.String(load_default=None, allow_none=True)
    name = fields.String(required=True)
    version = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    size = fields.Integer(required=True)
    content_type = fields.String(required=True)
    author_id = fields.String(required=True)


class DocumentTextSchema(Schema):
    """The text inside one version of a document, read by the documents service in a capped
    process (docs/services/documents.md, "The text inside documents"): ``text`` is empty
    unless ``status`` is ``extracted`` or ``truncated``, and ``reason`` says why. ``version``
    is the version read (an index holding a later one ignores it); ``name`` and
    ``author_id`` are the document's name and the version's uploader when it was read."""

    document_id = fields.String(required=True)
    community_id = fields.String(required=True)
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    name = fields.String(required=True)
    author_id = fields.String(required=True)
    content_type = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(DOCUMENT_TEXT_STATUSES))
    reason = fields.String(load_default="")
    #: null in the outbox's stored copy once published (:data:`TRANSIENT_FIELDS`)
    text = fields.String(required=True, allow_none=True, validate=validate.Length(max=DOCUMENT_TEXT_MAX))
    #: ISO 639-1, recognised in the text (None: unknown)
    language = fields.String(load_default=None, allow_none=True)


class PageEventSchema(Schema):
    """A page's latest revision (title and Markdown body, for pre-translation)."""

    page_id = fields.String(required=True)
    community_id = fields.String(required=True)
    revision = fields.Integer(required=True)
    title = fields.String(required=True)
    body = fields.String(required=True)
    author_id = fields.String(required=True)
    language = fields.String(load_default=None, allow_none=True)


class ContentTranslatedSchema(Schema):
    """One text of a content (a post's or comment's body, a page's body or title...) now has a
    stored translation. ``source_hash`` is the SHA-256 (hex) of the source text: whoever
    holds the content tells which of its texts it translates, and whether it is still the
    current one (an edit changes the hash)."""

    #: what the content is (post, comment, page...: the reader's translate names others)
    content_kind = fields.String(required=True, validate=validate.Length(min=1, max=20))
    content_id = fields.String(required=True)
    #: the content's revision the translation was made for (None: not said)
    revision = fields.Integer(load_default=None, allow_none=True)
    source = fields.String(required=True)
    target = fields.String(required=True)
    source_hash = fields.String(required=True, validate=validate.Length(equal=64))
    #: the translated Markdown
    text = fields.String(required=True)


# --- the catalogue ---------------------------------------------------------

IDENTITY_USER_CREATED = EventType("identity", "user_created")
IDENTITY_USER_DEACTIVATED = EventType("identity", "user_deactivated")
IDENTITY_USER_REACTIVATED = EventType("identity", "user_reactivated")
IDENTITY_USER_ROLES_CHANGED = EventType("identity", "user_roles_changed")
IDENTITY_USER_ERASED = EventType("identity", "user_erased")
IDENTITY_ORGANISATION_CREATED = EventType("identity", "organisation_created")
IDENTITY_USER_LANGUAGE_CHANGED = EventType("identity", "user_language_changed")
#: what a cache of people may hold changed: name, photo, job, guest expiry... (the gateway's
#: session and card caches forget the person; see gateway/calls/identity_events.py)
IDENTITY_USER_UPDATED = EventType("identity", "user_updated")
IDENTITY_SESSION_ENDED = EventType("identity", "session_ended")
IDENTITY_ORGANISATION_UPDATED = EventType("identity", "organisation_updated")
#: a person's searchable profile changed (name, job, skills, active...): the whole of it
IDENTITY_PROFILE_CHANGED = EventType("identity", "profile_changed")
#: a person asked for a password reset link (the notifications service mails it)
IDENTITY_PASSWORD_RESET_REQUESTED = EventType("identity", "password_reset_requested")
#: an invitation token was issued for a new account (the notifications service mails it)
IDENTITY_PERSON_INVITED = EventType("identity", "person_invited")

COMMUNITIES_COMMUNITY_CREATED = EventType("communities", "community_created")
COMMUNITIES_COMMUNITY_UPDATED = EventType("communities", "community_updated")
COMMUNITIES_COMMUNITY_ARCHIVED = EventType("communities", "community_archived")
COMMUNITIES_COMMUNITY_REOPENED = EventType("communities", "community_reopened")
COMMUNITIES_MEMBER_ADDED = EventType("communities", "member_added")
COMMUNITIES_MEMBER_REMOVED = EventType("communities", "member_removed")
COMMUNITIES_MEMBER_ROLE_CHANGED = EventType("communities", "member_role_changed")
COMMUNITIES_JOIN_REQUESTED = EventType("communities", "join_requested")
COMMUNITIES_JOIN_APPROVED = EventType("communities", "join_approved")
COMMUNITIES_JOIN_REFUSED = EventType("communities", "join_refused")
COMMUNITIES_INVITATION_SENT = EventType("communities", "invitation_sent")

FEED_POST_CREATED = EventType("feed", "post_created")
FEED_POST_UPDATED = EventType("feed", "post_updated")
FEED_POST_DELETED = EventType("feed", "post_deleted")
FEED_COMMENT_CREATED = EventType("feed", "comment_created")
FEED_COMMENT_UPDATED = EventType("feed", "comment_updated")
FEED_COMMENT_DELETED = EventType("feed", "comment_deleted")
FEED_POST_LIKED = EventType("feed", "post_liked")
FEED_COMMENT_LIKED = EventType("feed", "comment_liked")
FEED_ANSWER_ACCEPTED = EventType("feed", "answer_accepted")
FEED_CONTENT_REPORTED = EventType("feed", "content_reported")
FEED_CONTENT_HIDDEN = EventType("feed", "content_hidden")
FEED_CONTENT_RESTORED = EventType("feed", "content_restored")
FEED_ANNOUNCEMENT_REMINDED = EventType("feed", "announcement_reminded")

DOCUMENTS_DOCUMENT_CREATED = EventType("documents", "document_created")
DOCUMENTS_DOCUMENT_VERSION_ADDED = EventType("documents", "document_version_added")
DOCUMENTS_DOCUMENT_DELETED = EventType("documents", "document_deleted")
#: the text inside a version, extracted after the upload (or why there is none)
DOCUMENTS_DOCUMENT_TEXT_EXTRACTED = EventType("documents", "document_text_extracted")
DOCUMENTS_PAGE_CREATED = EventType("documents", "page_created")
DOCUMENTS_PAGE_UPDATED = EventType("documents", "page_updated")
DOCUMENTS_PAGE_DELETED = EventType("documents", "page_deleted")

#: a content's text has a stored translation (search indexes it: an English query finds a
#: French post)
TRANSLATION_CONTENT_TRANSLATED = EventType("translation", "content_translated")

#: identity's events after which a gateway's memory of a person (a session, a card) may be
#: wrong: each gateway process hears them on a queue of its own named with this prefix
#: (``gateway/calls/identity_events.py``; its broker user in ``deploy/rabbitmq_users.py``)
IDENTITY_WATCH_PREFIX = "parvis.gateway.identity"
IDENTITY_PERSON_EVENTS = (
    IDENTITY_SESSION_ENDED,
    IDENTITY_USER_UPDATED,
    IDENTITY_USER_DEACTIVATED,
    IDENTITY_USER_REACTIVATED,
    IDENTITY_USER_ROLES_CHANGED,
    IDENTITY_USER_LANGUAGE_CHANGED,
    IDENTITY_USER_ERASED,
)
IDENTITY_WATCHED = IDENTITY_PERSON_EVENTS + (IDENTITY_ORGANISATION_UPDATED,)

#: the live hub (``gateway/live``): each process hears, on a queue of its own named with this
#: prefix, the notifications plug-in's event naming whose unread count may have changed
#: (``(source, name)``: the plug-in declares it and its schema, in
#: ``services/notifications/events.py``) and identity's person events (a session to check
#: again); its broker user in ``deploy/rabbitmq_users.py``
LIVE_HUB_PREFIX = "parvis.live"
LIVE_HUB_UNREAD = ("notifications", "unread_changed")

SCHEMAS: dict[EventType, type[Schema]] = {
    IDENTITY_USER_CREATED: UserCreatedSchema,
    IDENTITY_USER_DEACTIVATED: UserEventSchema,
    IDENTITY_USER_REACTIVATED: UserEventSchema,
    IDENTITY_USER_ROLES_CHANGED: UserRolesChangedSchema,
    IDENTITY_USER_ERASED: UserEventSchema,
    IDENTITY_ORGANISATION_CREATED: OrganisationEventSchema,
    IDENTITY_USER_LANGUAGE_CHANGED: UserLanguageChangedSchema,
    IDENTITY_USER_UPDATED: UserEventSchema,
    IDENTITY_SESSION_ENDED: SessionEndedSchema,
    IDENTITY_ORGANISATION_UPDATED: OrganisationEventSchema,
    IDENTITY_PROFILE_CHANGED: ProfileStateSchema,
    IDENTITY_PASSWORD_RESET_REQUESTED: PasswordResetRequestedSchema,
    IDENTITY_PERSON_INVITED: PersonInvitedSchema,
    COMMUNITIES_COMMUNITY_CREATED: CommunityStateSchema,
    COMMUNITIES_COMMUNITY_UPDATED: CommunityStateSchema,
    COMMUNITIES_COMMUNITY_ARCHIVED: CommunityStateSchema,
    COMMUNITIES_COMMUNITY_REOPENED: CommunityStateSchema,
    COMMUNITIES_MEMBER_ADDED: MembershipEventSchema,
    COMMUNITIES_MEMBER_REMOVED: MembershipEventSchema,
    COMMUNITIES_MEMBER_ROLE_CHANGED: MembershipEventSchema,
    COMMUNITIES_JOIN_REQUESTED: JoinRequestEventSchema,
    COMMUNITIES_JOIN_APPROVED: JoinDecisionEventSchema,
    COMMUNITIES_JOIN_REFUSED: JoinDecisionEventSchema,
    COMMUNITIES_INVITATION_SENT: InvitationEventSchema,
    FEED_POST_CREATED: PostEventSchema,
    FEED_POST_UPDATED: PostEventSchema,
    FEED_POST_DELETED: PostEventSchema,
    FEED_COMMENT_CREATED: CommentEventSchema,
    FEED_COMMENT_UPDATED: CommentEventSchema,
    FEED_COMMENT_DELETED: CommentEventSchema,
    FEED_POST_LIKED: LikeEventSchema,
    FEED_COMMENT_LIKED: LikeEventSchema,
    FEED_ANSWER_ACCEPTED: AnswerAcceptedSchema,
    FEED_CONTENT_REPORTED: ReportEventSchema,
    FEED_CONTENT_HIDDEN: ModerationEventSchema,
    FEED_CONTENT_RESTORED: ModerationEventSchema,
    FEED_ANNOUNCEMENT_REMINDED: AnnouncementReminderSchema,
    DOCUMENTS_DOCUMENT_CREATED: DocumentEventSchema,
    DOCUMENTS_DOCUMENT_VERSION_ADDED: DocumentEventSchema,
    DOCUMENTS_DOCUMENT_DELETED: DocumentEventSchema,
    DOCUMENTS_DOCUMENT_TEXT_EXTRACTED: DocumentTextSchema,
    DOCUMENTS_PAGE_CREATED: PageEventSchema,
    DOCUMENTS_PAGE_UPDATED: PageEventSchema,
    DOCUMENTS_PAGE_DELETED: PageEventSchema,
    TRANSLATION_CONTENT_TRANSLATED: ContentTranslatedSchema,
}


#: fields an event carries for its delivery only: once the outbox relay has published the
#: event it sets them to null in the outbox's stored copy (:func:`kept_after_relay`), so a
#: reset or invitation token (a credential) and the address and names it was mailed to
#: do not stay in the publishing service's database
TRANSIENT_FIELDS: dict[EventType, tuple[str, ...]] = {
    IDENTITY_PASSWORD_RESET_REQUESTED: ("email", "display_name", "token"),
    IDENTITY_PERSON_INVITED: ("email", "display_name", "token", "org_name", "invited_by_name"),
    # a profile's texts: identity keeps the profile itself, the outbox need not keep copies
    IDENTITY_PROFILE_CHANGED: (
        "display_name",
        "job_title",
        "department",
        "country",
        "languages",
        "skills",
        "about",
        "education",
        "org_name",
    ),
    # a document's text (up to DOCUMENT_TEXT_MAX characters): its bytes are the source, and
    # the outbox would otherwise keep a copy of every version's text
    DOCUMENTS_DOCUMENT_TEXT_EXTRACTED: ("text",),
    # a translation of someone's text: the cache keeps it (and forgets it with the content)
    TRANSLATION_CONTENT_TRANSLATED: ("text",),
}


def kept_after_relay(event: EventType, data: dict) -> dict | None:
    """What the outbox keeps of a published event's payload: ``None`` when it keeps it
    whole, else a copy with the event's :data:`TRANSIENT_FIELDS` set to null."""
    transient = TRANSIENT_FIELDS.get(event)
    if not transient:
        return None
    return {key: (None if key in transient else value) for key, value in (data or {}).items()}


def schema_of(event: EventType) -> type[Schema] | None:
    """The payload schema of a core event, or of an installed plug-in's."""
    schema = SCHEMAS.get(event)
    if schema is None:
        from .plugins import event_schemas  # the registry imports this module

        schema = event_schemas().get(event)
    return schema


def validate_payload(event: EventType, data: dict) -> dict:
    schema = schema_of(event)
    if schema is None:
        raise ValidationFailed(f"Unknown event {event.key}.")
    errors = schema().validate(data)
    if errors:
        raise ValidationFailed(f"Invalid payload for {event.key}.", errors)
    return schema().dump(schema().load(data))


# --- the envelope ----------------------------------------------------------


@dataclass(frozen=True)
class Envelope:
    """What travels on the wire: ``{"id", "type", "occurred_at", "data", "sig"}``."""

    id: str
    type: str
    occurred_at: str
    data: dict

    @classmethod
    def new(cls, event: EventType, data: dict) -> Envelope:
        return cls(
            id=str(uuid.uuid4()),
            type=event.key,
            occurred_at=datetime.now(UTC).isoformat(),
            data=validate_payload(event, data),
        )

    def _mac(self, secret: bytes) -> str:
        body = json.dumps(
            [self.id, self.type, self.occurred_at, self.data], sort_keys=True, separators=(",", ":")
        )
        return hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()

    def to_message(self, secret: bytes | None = None) -> dict:
        return {
            "id": self.id,
            "type": self.type,
            "occurred_at": self.occurred_at,
            "data": self.data,
            "sig": self._mac(secret or context_secret()),
        }

    @classmethod
    def from_message(cls, body, secret: bytes | None = None) -> Envelope:
        """Parse and authenticate a message body; raise ``ValidationFailed``."""
        if not isinstance(body, dict):
            raise ValidationFailed("Event body is not an envelope.")
        try:
            env = cls(
                id=str(body["id"]),
                type=str(body["type"]),
                occurred_at=str(body["occurred_at"]),
                data=dict(body["data"]),
            )
            sig = str(body["sig"])
        except (KeyError, TypeError, ValueError):
            raise ValidationFailed("Event envelope is incomplete.") from None
        if not hmac.compare_digest(sig, env._mac(secret or context_secret())):
            raise ValidationFailed("Event envelope signature is invalid.")
        return env
