"""Marshmallow schemas of every request and response of the REST API.

A request field states the constraints of the service field it is passed to: the
numbers come from ``parvis_contracts.limits`` (the services' schemas use the same), the
language and country codes are the contracts' ``LanguageCode`` and ``Country``, so the
OpenAPI document says what is really accepted. ``tests/contracts/test_schema_drift.py``
compares every request schema with its service counterpart.
"""

from __future__ import annotations

import datetime as dt

import marshmallow as ma
from marshmallow import fields, validate

from parvis_contracts import limits
from parvis_contracts.schemas import CURSOR_MAX, Country, LanguageCode, TimeZone
from parvis_contracts.vocabulary import (
    COMMUNITY_KINDS,
    COMMUNITY_VISIBILITIES,
    MEMBER_ROLES,
    ORG_KINDS,
    POST_KINDS,
    SEARCH_KINDS,
)
from parvis_contracts.vocabulary import FIELD_VISIBILITIES as VISIBILITY_CHOICES
from parvis_contracts.vocabulary import PERSON_ROLES as ROLE_CHOICES

CREATABLE_ORG_KINDS = tuple(k for k in ORG_KINDS if k != "host")
PERSON_STATUSES = ("active", "invited", "deactivated", "erased")
_ID = validate.Length(min=1, max=limits.ID_MAX)


class IsoDate(fields.Date):
    """A date in and out as ``YYYY-MM-DD`` text (what crosses RPC as JSON)."""

    def _deserialize(self, value, attr, data, **kwargs):
        parsed = super()._deserialize(value, attr, data, **kwargs)
        return parsed.isoformat()

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if isinstance(value, (dt.date, dt.datetime)):
            return value.isoformat()[:10]
        return str(value)


class Timestamp(fields.String):
    """A moment as the service gives it (ISO 8601 text), documented as date-time."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).setdefault("format", "date-time")
        super().__init__(**kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value.isoformat()
        return str(value)


def _nullable_str(**kwargs):
    return fields.String(allow_none=True, **kwargs)


def _cursor(**kwargs):
    return fields.String(
        validate=validate.Length(min=1, max=CURSOR_MAX),
        metadata={"description": "The `next_cursor` of the previous page"},
        **kwargs,
    )


def _limit(default: int, most: int = 100):
    return fields.Integer(load_default=default, validate=validate.Range(min=1, max=most))


def _max(most: int):
    return validate.Length(max=most)


# ----------------------------------------------------------------- errors


class ErrorBodySchema(ma.Schema):
    status = fields.Integer(required=True, metadata={"description": "HTTP status"})
    code = fields.String(required=True, metadata={"description": "Stable machine code, e.g. not_found"})
    message = fields.String(required=True, metadata={"description": "Human-readable message"})
    details = fields.Dict(required=True, metadata={"description": "Field errors or extra data"})


class ErrorSchema(ma.Schema):
    error = fields.Nested(ErrorBodySchema, required=True)


# ----------------------------------------------------------------- people


class VisibilitySchema(ma.Schema):
    birth_date = fields.String(validate=validate.OneOf(VISIBILITY_CHOICES))
    education = fields.String(validate=validate.OneOf(VISIBILITY_CHOICES))
    phone = fields.String(validate=validate.OneOf(VISIBILITY_CHOICES))


class PersonalSchema(ma.Schema):
    birth_date = IsoDate(allow_none=True)
    education = _nullable_str()
    phone = _nullable_str()


class CardSchema(ma.Schema):
    id = fields.String(required=True)
    display_name = fields.String(required=True)
    job_title = _nullable_str()
    department = _nullable_str()
    country = _nullable_str()
    org_id = _nullable_str()
    org_name = _nullable_str()
    guest = fields.Boolean()
    status = fields.String(metadata={"enum": ["active", "invited", "deactivated"]})
    initials = fields.String()
    photo = _nullable_str(
        metadata={
            "description": "SHA-256 of the profile photo (its ETag), or null; the image is at "
            "/api/v1/people/{id}/photo"
        }
    )


class ProfileSchema(CardSchema):
    languages = fields.List(fields.String())
    preferred_language = _nullable_str()
    skills = fields.List(fields.String())
    about = _nullable_str()
    personal = fields.Nested(PersonalSchema)


class MeSchema(ProfileSchema):
    email = fields.String()
    roles = fields.List(fields.String())
    guest_expires_at = IsoDate(allow_none=True)
    visibility = fields.Nested(VisibilitySchema)
    auto_translate = fields.Boolean(
        metadata={"description": "Translate posts, comments and pages into my preferred language"}
    )
    time_zone = _nullable_str(metadata={"description": "IANA time zone name (e.g. Europe/Paris); null: UTC"})


class PrincipalSchema(ma.Schema):
    id = fields.String(required=True)
    email = fields.String()
    display_name = fields.String()
    org_id = _nullable_str()
    roles = fields.List(fields.String())
    guest = fields.Boolean()
    preferred_language = _nullable_str()
    guest_expires_at = IsoDate(allow_none=True)
    auto_translate = fields.Boolean()


class CardPageSchema(ma.Schema):
    items = fields.List(fields.Nested(CardSchema), required=True)
    next_cursor = _nullable_str(metadata={"description": "Pass as `cursor` for the next page"})


class PeopleQuerySchema(ma.Schema):
    q = fields.String(validate=_max(limits.PEOPLE_QUERY_MAX), metadata={"description": "Words of the name"})
    skill = fields.String(validate=_max(limits.SKILL_MAX))
    department = fields.String(validate=_max(limits.DEPARTMENT_MAX))
    country = Country(metadata={"description": "ISO 3166-1 alpha-2 (e.g. FR)"})
    language = LanguageCode(metadata={"description": "ISO 639-1 (e.g. fr)"})
    limit = _limit(20)
    cursor = _cursor()


def _password(**kwargs):
    return fields.String(
        load_only=True, validate=validate.Length(min=limits.PASSWORD_MIN, max=limits.PASSWORD_MAX), **kwargs
    )


def _person_languages(**kwargs):
    return fields.List(
        LanguageCode(),
        validate=_max(limits.PERSON_LANGUAGES_MAX),
        metadata={"description": "ISO 639-1 codes (e.g. fr, en)"},
        **kwargs,
    )


def _preferred_language(**kwargs):
    return fields.String(validate=validate.OneOf(limits.PREFERRED_LANGUAGES), **kwargs)


class MeUpdateSchema(ma.Schema):
    display_name = fields.String(validate=validate.Length(min=1, max=limits.DISPLAY_NAME_MAX))
    job_title = fields.String(allow_none=True, validate=_max(limits.JOB_TITLE_MAX))
    department = fields.String(allow_none=True, validate=_max(limits.DEPARTMENT_MAX))
    country = Country(allow_none=True)
    languages = _person_languages()
    preferred_language = _preferred_language()
    skills = fields.List(
        fields.String(validate=validate.Length(min=1, max=limits.SKILL_MAX)), validate=_max(limits.SKILLS_MAX)
    )
    about = fields.String(allow_none=True, validate=_max(limits.ABOUT_MAX))
    birth_date = IsoDate(allow_none=True)
    education = fields.String(allow_none=True, validate=_max(limits.EDUCATION_MAX))
    phone = fields.String(
        allow_none=True,
        validate=[
            _max(limits.PHONE_MAX),
            validate.Regexp(limits.PHONE_PATTERN, error="Only digits, spaces and + - ( ) are allowed."),
        ],
    )
    visibility = fields.Nested(VisibilitySchema)
    auto_translate = fields.Boolean()
    time_zone = TimeZone(
        allow_none=True, metadata={"description": "IANA time zone name (e.g. Europe/Paris); null: UTC"}
    )


class PasswordChangeSchema(ma.Schema):
    current_password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=1, max=limits.PASSWORD_MAX)
    )
    new_password = _password(required=True)


# ----------------------------------------------------------------- auth


class SignInSchema(ma.Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=limits.EMAIL_MAX))
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=1, max=limits.PASSWORD_MAX)
    )
    issue_token = fields.Boolean(
        load_default=False,
        metadata={"description": "Also return the session token, for use as a bearer token"},
    )


class SessionSchema(ma.Schema):
    person = fields.Nested(PrincipalSchema, required=True)
    expires_at = Timestamp(allow_none=True)
    csrf_token = fields.String(
        metadata={"description": "Send it as X-CSRF-Token with cookie-authenticated writes"}
    )
    token = fields.String(metadata={"description": "Bearer token (only with issue_token)"})


class InvitationSchema(ma.Schema):
    email = fields.String(required=True)
    display_name = fields.String(required=True)


class AcceptInvitationSchema(ma.Schema):
    password = _password(required=True)
    issue_token = fields.Boolean(load_default=False)


class PasswordResetRequestSchema(ma.Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=limits.EMAIL_MAX))


class PasswordResetRequestedSchema(ma.Schema):
    requested = fields.Boolean(
        required=True, metadata={"description": "Always true, whether the address is known or not"}
    )


class PasswordResetInfoSchema(ma.Schema):
    display_name = fields.String(required=True)
    masked_email = fields.String(
        required=True, metadata={"description": "The address, masked: a…@acme.example"}
    )
    expires_at = Timestamp(required=True, metadata={"description": "When the link stops working"})


class PasswordResetSchema(ma.Schema):
    password = _password(required=True)


# ----------------------------------------------------------------- organisations


class OrganisationSchema(ma.Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(metadata={"enum": list(ORG_KINDS)})
    country = _nullable_str()
    is_host = fields.Boolean()
    people_count = fields.Integer()


class OrganisationListSchema(ma.Schema):
    items = fields.List(fields.Nested(OrganisationSchema), required=True)


_ORGANISATION_NAME = validate.Length(min=1, max=limits.ORGANISATION_NAME_MAX)


class OrganisationCreateSchema(ma.Schema):
    name = fields.String(required=True, validate=_ORGANISATION_NAME)
    kind = fields.String(required=True, validate=validate.OneOf(CREATABLE_ORG_KINDS))
    country = Country(required=True, metadata={"description": "ISO 3166-1 alpha-2 (e.g. DE)"})


class OrganisationUpdateSchema(ma.Schema):
    name = fields.String(validate=_ORGANISATION_NAME)
    kind = fields.String(validate=validate.OneOf(CREATABLE_ORG_KINDS))
    country = Country()


# ----------------------------------------------------------------- admin


class AdminCardSchema(CardSchema):
    email = fields.String()
    roles = fields.List(fields.String())
    guest_expires_at = IsoDate(allow_none=True)


class AdminCardPageSchema(ma.Schema):
    items = fields.List(fields.Nested(AdminCardSchema), required=True)
    next_cursor = _nullable_str()


class AdminPeopleQuerySchema(ma.Schema):
    q = fields.String(
        validate=_max(limits.ADMIN_PEOPLE_QUERY_MAX),
        metadata={"description": "Words of the name, or the e-mail address"},
    )
    org_id = fields.String(validate=_ID)
    guest = fields.Boolean()
    status = fields.String(validate=validate.OneOf(PERSON_STATUSES))
    limit = _limit(50)
    cursor = _cursor()


def _roles(**kwargs):
    return fields.List(
        fields.String(validate=validate.OneOf(ROLE_CHOICES)), validate=_max(limits.ROLES_MAX), **kwargs
    )


class AdminCreatePersonSchema(ma.Schema):
    email = fields.Email(required=True, validate=_max(limits.EMAIL_MAX))
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=limits.DISPLAY_NAME_MAX))
    org_id = fields.String(allow_none=True, load_default=None, validate=_ID)
    roles = _roles(allow_none=True, metadata={"description": "Everyone is a member"})
    guest_expires_at = IsoDate(allow_none=True)
    password = _password(allow_none=True, metadata={"description": "None: the person is invited and sets it"})
    preferred_language = _preferred_language(load_default="en")
    job_title = fields.String(allow_none=True, validate=_max(limits.JOB_TITLE_MAX))
    department = fields.String(allow_none=True, validate=_max(limits.DEPARTMENT_MAX))
    country = Country(allow_none=True)
    languages = _person_languages(allow_none=True)


class AdminCreatedSchema(ma.Schema):
    person = fields.Nested(AdminCardSchema, required=True)
    invitation_token = _nullable_str()
    invitation_url = _nullable_str(metadata={"description": "Link to send to the invited person"})


class RolesSchema(ma.Schema):
    roles = _roles(required=True)


class GuestExpirySchema(ma.Schema):
    guest_expires_at = IsoDate(required=True, allow_none=True)


# ----------------------------------------------------------------- audit log

#: the actions identity records (services/identity/audit.py ACTIONS; a unit test keeps both equal)
AUDIT_ACTIONS = (
    "sign_in",
    "sign_in_failed",
    "sign_out",
    "password_changed",
    "invitation_accepted",
    "password_reset_requested",
    "password_reset",
    "person_created",
    "guest_invited",
    "guest_added_to_community",
    "roles_changed",
    "person_deactivated",
    "person_reactivated",
    "guest_expiry_changed",
    "guest_expired",
    "person_erased",
    "access_refused",
)


class AuditQuerySchema(ma.Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={"description": "`next_cursor` of the previous page"},
    )
    action = fields.String(
        validate=validate.OneOf(AUDIT_ACTIONS), metadata={"description": "Only this kind of event"}
    )
    subject = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "Only events by or about this person (id)"},
    )


# ----------------------------------------------------------------- communities

_COMMUNITY_NAME = validate.Length(min=limits.COMMUNITY_NAME_MIN, max=limits.COMMUNITY_NAME_MAX)


class PersonNameSchema(ma.Schema):
    id = fields.String(required=True)
    display_name = fields.String()
    guest = fields.Boolean()
    org_name = _nullable_str()
    initials = fields.String()
    photo = _nullable_str()


def _people_field():
    return fields.Dict(
        keys=fields.String(),
        values=fields.Nested(PersonNameSchema),
        metadata={"description": "The people the items name, by id (those you may see)"},
    )


class CommunitySchema(ma.Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(metadata={"enum": list(COMMUNITY_KINDS)})
    visibility = fields.String(metadata={"enum": list(COMMUNITY_VISIBILITIES)})
    member_count = fields.Integer()
    archived = fields.Boolean()
    my_role = _nullable_str(metadata={"enum": ["manager", "member", None]})
    access = fields.String(metadata={"enum": ["full", "metadata"]})
    description = fields.String()
    languages = fields.List(fields.String())
    picture = _nullable_str()
    newcomers_see_history = fields.Boolean()
    allowed_org_ids = fields.List(fields.String())
    archived_at = Timestamp(allow_none=True)
    created_by = _nullable_str()
    created_at = Timestamp(allow_none=True)
    updated_at = Timestamp(allow_none=True)


class CommunityPageSchema(ma.Schema):
    items = fields.List(fields.Nested(CommunitySchema), required=True)
    next_cursor = _nullable_str()


class CommunityQuerySchema(ma.Schema):
    query = fields.String(
        validate=_max(limits.COMMUNITY_QUERY_MAX), metadata={"description": "Part of the name"}
    )
    kind = fields.String(validate=validate.OneOf(COMMUNITY_KINDS))
    visibility = fields.String(validate=validate.OneOf(COMMUNITY_VISIBILITIES))
    mine = fields.Boolean(load_default=False)
    limit = _limit(20)
    cursor = _cursor()


def _community_languages(**kwargs):
    return fields.List(
        LanguageCode(),
        validate=_max(limits.COMMUNITY_LANGUAGES_MAX),
        metadata={"description": "ISO 639-1 codes (e.g. fr, en)"},
        **kwargs,
    )


def _allowed_org_ids(**kwargs):
    return fields.List(fields.String(validate=_ID), validate=_max(limits.COMMUNITY_ORGS_MAX), **kwargs)


def _picture(**kwargs):
    return fields.String(allow_none=True, validate=validate.Length(min=1, max=limits.PICTURE_MAX), **kwargs)


class CommunityCreateSchema(ma.Schema):
    name = fields.String(
        required=True, validate=_COMMUNITY_NAME, metadata={"description": "Blanks are collapsed first"}
    )
    kind = fields.String(required=True, validate=validate.OneOf(COMMUNITY_KINDS))
    visibility = fields.String(load_default="open", validate=validate.OneOf(COMMUNITY_VISIBILITIES))
    description = fields.String(load_default="", validate=_max(limits.COMMUNITY_DESCRIPTION_MAX))
    languages = _community_languages()
    picture = _picture()
    newcomers_see_history = fields.Boolean()
    allowed_org_ids = _allowed_org_ids()


class CommunityUpdateSchema(ma.Schema):
    name = fields.String(validate=_COMMUNITY_NAME, metadata={"description": "Blanks are collapsed first"})
    kind = fields.String(validate=validate.OneOf(COMMUNITY_KINDS))
    visibility = fields.String(validate=validate.OneOf(COMMUNITY_VISIBILITIES))
    description = fields.String(validate=_max(limits.COMMUNITY_DESCRIPTION_MAX))
    languages = _community_languages()
    picture = _picture()
    newcomers_see_history = fields.Boolean()
    allowed_org_ids = _allowed_org_ids()


class MemberSchema(ma.Schema):
    community_id = fields.String(required=True)
    user_id = fields.String(required=True)
    role = fields.String(metadata={"enum": list(MEMBER_ROLES)})
    guest = fields.Boolean()
    org_id = _nullable_str()
    joined_at = Timestamp(allow_none=True)


class MemberPageSchema(ma.Schema):
    items = fields.List(fields.Nested(MemberSchema), required=True)
    next_cursor = _nullable_str()
    people = _people_field()


class PageQuerySchema(ma.Schema):
    limit = _limit(20)
    cursor = _cursor()


# --- search (the API's GET /api/v1/search and the results page) ----------------------------

SEARCH_QUERY_HELP = (
    f"What to look for, at most {limits.SEARCH_QUERY_MAX} characters and "
    f"{limits.SEARCH_QUERY_WORDS_MAX} words: every word must be found, in any of its forms "
    '("repairs" finds "repair"), accents ignored; `"two words"` finds the phrase, `-word` (or '
    '`-"two words"`) leaves out what holds it. Nothing else is an operator (`NEAR`, `*`, `^`, '
    "`OR` are words or separators); an unbalanced quote is read as plain words. Only symbols, "
    "only exclusions or a NUL byte: 422."
)


class KindList(fields.List):
    """A list of kinds, given as repeated arguments (``kinds=post&kinds=page``) or
    comma-separated (``kinds=post,page``); a kind given twice counts once."""

    def _deserialize(self, value, attr, data, **kwargs):
        given = value if isinstance(value, list | tuple) else [value]
        if all(isinstance(item, str) for item in given):
            given = list(dict.fromkeys(part.strip() for item in given for part in item.split(",")))
        return super()._deserialize(given, attr, data, **kwargs)


class SearchQuerySchema(ma.Schema):
    q = fields.String(
        required=True,
        validate=validate.Length(min=1, max=limits.SEARCH_QUERY_MAX),
        metadata={"description": SEARCH_QUERY_HELP},
    )
    kinds = KindList(
        fields.String(validate=validate.OneOf(SEARCH_KINDS)),
        validate=validate.Length(min=1, max=len(SEARCH_KINDS)),
        metadata={
            "description": "only these kinds: post, comment, page, document, person, community (default: all)"
        },
    )
    community_id = fields.String(
        validate=_ID, metadata={"description": "only this community (one you may not read: an empty page)"}
    )
    language = LanguageCode(metadata={"description": "only what is written in this ISO 639-1 language"})
    limit = _limit(20, limits.SEARCH_PAGE_MAX)
    cursor = _cursor()


class ExpertsQuerySchema(ma.Schema):
    skill = fields.String(
        required=True,
        validate=validate.Length(min=1, max=limits.EXPERT_SKILL_MAX),
        metadata={
            "description": "the skill asked about: declared skills that are it (accents and case "
            "aside) or hold its words, and what people wrote on it that you may read"
        },
    )
    country = Country(metadata={"description": "the person's country, ISO 3166-1 alpha-2 (e.g. FR)"})
    language = LanguageCode(metadata={"description": "a language the person speaks, ISO 639-1 (e.g. fr)"})
    org_id = fields.String(validate=_ID, metadata={"description": "the person's organisation"})
    community_id = fields.String(
        validate=_ID,
        metadata={
            "description": "a community the person is a member of (one you may not read: an empty page)"
        },
    )
    limit = _limit(20, limits.EXPERTS_PAGE_MAX)
    cursor = _cursor()


class SkillsQuerySchema(ma.Schema):
    prefix = fields.String(
        required=True,
        validate=validate.Length(min=1, max=limits.SKILL_PREFIX_MAX),
        metadata={
            "description": "the start of a skill as typed; from three characters on, a typo (two "
            "from six) is forgiven"
        },
    )
    limit = _limit(10, limits.SKILL_SUGGESTIONS_MAX)


class RoleSchema(ma.Schema):
    role = fields.String(required=True, validate=validate.OneOf(MEMBER_ROLES))


class InviteSchema(ma.Schema):
    person_id = fields.String(required=True, validate=_ID)


class CommunityInvitationSchema(ma.Schema):
    community_id = fields.String(required=True)
    person_id = fields.String()
    guest = fields.Boolean()
    org_id = _nullable_str()
    invited_by = _nullable_str()
    created_at = Timestamp(allow_none=True)
    community = fields.Nested(CommunitySchema)


class CommunityInvitationListSchema(ma.Schema):
    items = fields.List(fields.Nested(CommunityInvitationSchema), required=True)


class JoinRequestCreateSchema(ma.Schema):
    message = fields.String(allow_none=True, load_default=None, validate=_max(limits.JOIN_MESSAGE_MAX))


class JoinRequestSchema(ma.Schema):
    community_id = fields.String(required=True)
    user_id = fields.String(required=True)
    org_id = _nullable_str()
    message = _nullable_str()
    created_at = Timestamp(allow_none=True)


class JoinRequestListSchema(ma.Schema):
    items = fields.List(fields.Nested(JoinRequestSchema), required=True)
    people = _people_field()


class OutcomeSchema(ma.Schema):
    """The small acknowledgements of the services (``{left: true}``, ``{removed: true}``...)."""

    left = fields.Boolean()
    removed = fields.Boolean()
    refused = fields.Boolean()
    declined = fields.Boolean()


# ----------------------------------------------------------------- feed

ATTACHMENTS_MAX = limits.ATTACHMENTS_MAX
_POST_BODY = validate.Length(min=1, max=limits.POST_BODY_MAX)


def _stated_language(**kwargs):
    return LanguageCode(
        allow_none=True,
        metadata={
            "description": "The language of the text as stated by its author (ISO 639-1, e.g. "
            "fr); null: not stated (the translation service detects it)"
        },
        **kwargs,
    )


class AttachmentSchema(ma.Schema):
    id = fields.String(required=True, metadata={"description": "The document's id"})
    name = fields.String(metadata={"description": "Its name when it was attached"})
    content_type = _nullable_str()
    size = fields.Integer(allow_none=True, metadata={"description": "Bytes"})


def _attachment_ids(**kwargs):
    return fields.List(
        fields.String(validate=_ID),
        validate=validate.Length(max=ATTACHMENTS_MAX),
        metadata={
            "description": f"Ids of documents of the post's community (at most "
            f"{ATTACHMENTS_MAX}); each must be readable by you"
        },
        **kwargs,
    )


class PostSchema(ma.Schema):
    id = fields.String(required=True)
    community_id = fields.String()
    community_name = _nullable_str()
    author_id = fields.String()
    kind = fields.String(metadata={"enum": list(POST_KINDS)})
    body = fields.String(metadata={"description": "Markdown source"})
    html = fields.String(metadata={"description": "Sanitised HTML rendering of the body"})
    mentions = fields.List(fields.String())
    hashtags = fields.List(fields.String())
    created_at = Timestamp(allow_none=True)
    edited_at = Timestamp(allow_none=True)
    version = fields.Integer()
    like_count = fields.Integer()
    comment_count = fields.Integer()
    liked_by_me = fields.Boolean()
    accepted_comment_id = _nullable_str()
    read_by_me = fields.Boolean(allow_none=True)
    read_count = fields.Integer(allow_none=True)
    is_new = fields.Boolean(allow_none=True)
    hidden = fields.Boolean()
    language = _stated_language()
    attachments = fields.List(fields.Nested(AttachmentSchema))


class PostPageSchema(ma.Schema):
    items = fields.List(fields.Nested(PostSchema), required=True)
    next_cursor = _nullable_str()
    people = _people_field()


class TimelineSchema(PostPageSchema):
    last_visit_at = Timestamp(allow_none=True)
    new_count = fields.Integer(allow_none=True)


class AnnouncementsQuerySchema(ma.Schema):
    community_id = fields.String(
        validate=_ID, metadata={"description": "Only this community's (one of yours); else all of yours"}
    )
    limit = _limit(10, 50)


class MentionableQuerySchema(ma.Schema):
    q = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=limits.MENTION_QUERY_MAX),
        metadata={"description": "The letters typed after @: every word must be in the name"},
    )
    limit = _limit(limits.MENTION_SUGGESTIONS_MAX, limits.MENTION_SUGGESTIONS_MAX)


class MentionableSchema(CardSchema):
    handle = fields.String(
        metadata={"description": "The person's handle: `@first.last` in a text becomes a mention of them"}
    )
    mention = fields.String(
        metadata={"description": "What to write in a post or comment to mention them: `@[Name](id)`"}
    )


class MentionableListSchema(ma.Schema):
    items = fields.List(fields.Nested(MentionableSchema), required=True)


class WallQuerySchema(PageQuerySchema):
    kind = fields.String(validate=validate.OneOf(POST_KINDS))
    unanswered = fields.Boolean(load_default=False)


class PostCreateSchema(ma.Schema):
    body = fields.String(required=True, validate=_POST_BODY)
    kind = fields.String(load_default="message", validate=validate.OneOf(POST_KINDS))
    language = _stated_language(load_default=None)
    attachments = _attachment_ids(load_default=list)


class BodySchema(ma.Schema):
    body = fields.String(required=True, validate=_POST_BODY)


class PostEditSchema(BodySchema):
    """``language`` and ``attachments`` left out stay as they are."""

    language = _stated_language()
    attachments = _attachment_ids()


class CommentEditSchema(BodySchema):
    """``language`` left out stays as it is."""

    language = _stated_language()


class CommentCreateSchema(BodySchema):
    parent_id = fields.String(allow_none=True, load_default=None, validate=_ID)
    language = _stated_language(load_default=None)


class VersionSchema(ma.Schema):
    version = fields.Integer()
    body = fields.String()
    html = fields.String()
    created_at = Timestamp(allow_none=True)
    replaced_at = Timestamp(allow_none=True)
    replaced_by = _nullable_str()
    current = fields.Boolean()


class VersionListSchema(ma.Schema):
    items = fields.List(fields.Nested(VersionSchema), required=True)


class DeletedSchema(ma.Schema):
    post_id = fields.String()
    comment_id = fields.String()
    deleted = fields.Boolean()


class LikeSchema(ma.Schema):
    post_id = fields.String()
    comment_id = fields.String()
    liked = fields.Boolean()
    like_count = fields.Integer()


class LikerSchema(ma.Schema):
    user_id = fields.String(required=True)
    liked_at = Timestamp(allow_none=True)


class LikerPageSchema(ma.Schema):
    items = fields.List(fields.Nested(LikerSchema), required=True)
    next_cursor = _nullable_str()
    count = fields.Integer()
    people = _people_field()


class CommentSchema(ma.Schema):
    id = fields.String(required=True)
    post_id = fields.String()
    community_id = fields.String()
    parent_id = _nullable_str()
    author_id = fields.String()
    body = fields.String()
    html = fields.String()
    mentions = fields.List(fields.String())
    created_at = Timestamp(allow_none=True)
    edited_at = Timestamp(allow_none=True)
    version = fields.Integer()
    like_count = fields.Integer()
    liked_by_me = fields.Boolean()
    accepted = fields.Boolean()
    hidden = fields.Boolean()
    language = _stated_language()


class CommentPageSchema(ma.Schema):
    items = fields.List(fields.Nested(CommentSchema), required=True)
    next_cursor = _nullable_str()
    people = _people_field()


class AcceptedAnswerSchema(ma.Schema):
    comment_id = fields.String(required=True, allow_none=True, validate=_ID)


class ReadSchema(ma.Schema):
    post_id = fields.String()
    read = fields.Boolean()
    read_count = fields.Integer()


class ReaderSchema(ma.Schema):
    user_id = fields.String(required=True)
    read_at = Timestamp(allow_none=True)


class ReadsSchema(ma.Schema):
    post_id = fields.String()
    read = fields.List(fields.Nested(ReaderSchema))
    unread = fields.List(fields.String())
    read_count = fields.Integer()
    member_count = fields.Integer()
    people = _people_field()


class ReportCreateSchema(ma.Schema):
    target_type = fields.String(required=True, validate=validate.OneOf(("post", "comment")))
    target_id = fields.String(required=True, validate=_ID)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=limits.REPORT_REASON_MAX))


class ReportSchema(ma.Schema):
    id = fields.String(required=True)
    community_id = fields.String()
    target_type = fields.String(metadata={"enum": ["post", "comment"]})
    target_id = fields.String()
    post_id = _nullable_str()
    reporter_id = fields.String()
    reason = fields.String()
    status = fields.String(metadata={"enum": ["open", "hidden", "restored"]})
    created_at = Timestamp(allow_none=True)
    resolved_by = _nullable_str()
    resolved_at = Timestamp(allow_none=True)
    target_body = _nullable_str()
    target_author_id = _nullable_str()
    target_hidden = fields.Boolean()


class ReportPageSchema(ma.Schema):
    items = fields.List(fields.Nested(ReportSchema), required=True)
    next_cursor = _nullable_str()


class ReportQuerySchema(PageQuerySchema):
    status = fields.String(load_default="open", validate=validate.OneOf(("open", "hidden", "restored")))


class ResolveSchema(ma.Schema):
    action = fields.String(required=True, validate=validate.OneOf(("hide", "restore")))


# ------------------------------------------------------------------ glossary

_TERM = validate.Length(min=1, max=limits.TERM_MAX)
_NOTE = validate.Length(max=limits.TERM_NOTE_MAX)


class TermCreateSchema(ma.Schema):
    term = fields.String(required=True, validate=_TERM)
    translations = fields.Dict(keys=LanguageCode(), values=fields.String(validate=_TERM), load_default=dict)
    source_language = LanguageCode(load_default=None, allow_none=True)
    case_sensitive = fields.Boolean(load_default=False)
    note = fields.String(load_default="", validate=_NOTE)


class TermUpdateSchema(ma.Schema):
    """A field left out (or null) stays as it is."""

    translations = fields.Dict(keys=LanguageCode(), values=fields.String(validate=_TERM), allow_none=True)
    case_sensitive = fields.Boolean(allow_none=True)
    note = fields.String(allow_none=True, validate=_NOTE)


class ReminderSchema(ma.Schema):
    post_id = fields.String(required=True)
    reminded = fields.Integer(
        required=True,
        metadata={"description": "members reminded; 0 when a reminder already went within the day"},
    )
    reminded_at = Timestamp(required=True, metadata={"description": "when the last reminder went"})
