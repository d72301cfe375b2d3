"""Marshmallow schemas: every RPC input is loaded with one, every output dumped."""

from __future__ import annotations

import re
from datetime import date

from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates,
)

from parvis_contracts import limits
from parvis_contracts.schemas import Country, LanguageCode, TimeZone, cursor_field

from .models import ORG_KINDS, PERSONAL_FIELDS, PHOTO_TYPES, STATUSES, VISIBILITIES

# the limits are the platform's (parvis_contracts.limits): the gateway's schemas use them too
ROLE_NAMES = limits.ROLE_NAMES
UI_LANGUAGES = limits.PREFERRED_LANGUAGES
PASSWORD_MIN, PASSWORD_MAX = limits.PASSWORD_MIN, limits.PASSWORD_MAX
EMAIL_MAX = limits.EMAIL_MAX

PHONE_RE = re.compile(limits.PHONE_PATTERN)
MAX_SKILLS, MAX_SKILL_LEN = limits.SKILLS_MAX, limits.SKILL_MAX


# --- reusable fields -------------------------------------------------------


class Email(fields.Email):
    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = value.strip()
        return super()._deserialize(value, attr, data, **kwargs)


class Text(fields.String):
    """A string stripped of surrounding blanks; an empty one becomes ``None``."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        return text or None

    def _validate(self, value):
        if value is not None:
            super()._validate(value)


def _password(**kwargs):
    return fields.String(
        validate=validate.Length(
            min=PASSWORD_MIN,
            max=PASSWORD_MAX,
            error=f"The password needs at least {PASSWORD_MIN} characters (at most {PASSWORD_MAX}).",
        ),
        **kwargs,
    )


def _id(**kwargs):
    return fields.String(validate=validate.Length(1, limits.ID_MAX), **kwargs)


def _token(**kwargs):
    return fields.String(validate=validate.Length(1, 200), **kwargs)


def _display_name(**kwargs):
    return fields.String(
        validate=validate.And(
            validate.Length(1, limits.DISPLAY_NAME_MAX),
            validate.Predicate("strip", error="The name cannot be blank."),
        ),
        **kwargs,
    )


def _limit(default):
    return fields.Integer(load_default=default, strict=True, validate=validate.Range(1, 100))


class Strict(Schema):
    class Meta:
        unknown = RAISE

    @pre_load
    def _strip_names(self, data, **kwargs):
        if isinstance(data, dict):
            for key in ("display_name", "name"):
                if isinstance(data.get(key), str):
                    data = {**data, key: data[key].strip()}
        return data


# --- inputs ----------------------------------------------------------------


class SignInSchema(Strict):
    email = fields.String(required=True, validate=validate.Length(1, EMAIL_MAX))
    password = fields.String(required=True, validate=validate.Length(1, PASSWORD_MAX))
    user_agent = fields.String(load_default=None, allow_none=True)
    ip = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))

    @post_load
    def _trim(self, data, **kwargs):
        if data.get("user_agent"):
            data["user_agent"] = data["user_agent"][:300]
        return data


class TokenSchema(Strict):
    session_token = _token(required=True)


class ResolveSchema(TokenSchema):
    #: false: a check that is not the person's activity (the live hub's): the last-seen
    #: time, hence the idle timeout, stays as the person's own requests left it
    touch = fields.Boolean(load_default=True)


class InvitationTokenSchema(Strict):
    token = _token(required=True)


class AcceptInvitationSchema(InvitationTokenSchema):
    password = _password(required=True)


class RequestPasswordResetSchema(Strict):
    email = fields.String(required=True, validate=validate.Length(1, EMAIL_MAX))
    ip = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))


class PasswordResetTokenSchema(Strict):
    token = _token(required=True)


class ResetPasswordSchema(PasswordResetTokenSchema):
    password = _password(required=True)


class ChangePasswordSchema(Strict):
    current_password = fields.String(required=True, validate=validate.Length(1, PASSWORD_MAX))
    new_password = _password(required=True)


class BootstrapSchema(Strict):
    host_name = fields.String(required=True, validate=validate.Length(1, limits.ORGANISATION_NAME_MAX))
    host_country = Country(required=True)
    admin_email = Email(required=True, validate=validate.Length(max=EMAIL_MAX))
    admin_password = _password(required=True)
    admin_name = _display_name(required=True)


class VisibilitySchema(Strict):
    birth_date = fields.String(validate=validate.OneOf(VISIBILITIES))
    education = fields.String(validate=validate.OneOf(VISIBILITIES))
    phone = fields.String(validate=validate.OneOf(VISIBILITIES))


class SkillList(fields.List):
    def __init__(self, **kwargs):
        super().__init__(fields.String(), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        items = super()._deserialize(value, attr, data, **kwargs)
        seen: list[str] = []
        for item in items:
            tag = " ".join(item.split()).lower()
            if not tag:
                raise ValidationError("A skill cannot be blank.")
            if len(tag) > MAX_SKILL_LEN:
                raise ValidationError(f"A skill has at most {MAX_SKILL_LEN} characters.")
            if "," in tag:
                raise ValidationError("A skill cannot contain a comma.")
            if tag not in seen:
                seen.append(tag)
        if len(seen) > MAX_SKILLS:
            raise ValidationError(f"At most {MAX_SKILLS} skills.")
        return seen


class LanguageList(fields.List):
    def __init__(self, **kwargs):
        super().__init__(LanguageCode(), validate=validate.Length(max=limits.PERSON_LANGUAGES_MAX), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        items = super()._deserialize(value, attr, data, **kwargs)
        return list(dict.fromkeys(items))


class ProfileChangesSchema(Strict):
    display_name = _display_name()
    job_title = Text(allow_none=True, validate=validate.Length(max=limits.JOB_TITLE_MAX))
    department = Text(allow_none=True, validate=validate.Length(max=limits.DEPARTMENT_MAX))
    country = Country(allow_none=True)
    languages = LanguageList()
    preferred_language = fields.String(validate=validate.OneOf(UI_LANGUAGES))
    auto_translate = fields.Boolean()
    #: an IANA name; null: UTC
    time_zone = TimeZone(allow_none=True)
    skills = SkillList()
    about = Text(allow_none=True, validate=validate.Length(max=limits.ABOUT_MAX))
    birth_date = fields.Date(allow_none=True)
    education = Text(allow_none=True, validate=validate.Length(max=limits.EDUCATION_MAX))
    phone = Text(
        allow_none=True,
        validate=validate.And(
            validate.Length(max=limits.PHONE_MAX),
            validate.Regexp(PHONE_RE, error="Only digits, spaces and + - ( ) are allowed."),
        ),
    )
    visibility = fields.Nested(VisibilitySchema)

    @validates("birth_date")
    def _not_future(self, value, **kwargs):
        if value is not None and (value > date.today() or value.year < 1900):
            raise ValidationError("The birth date cannot be in the future (or before 1900).")


class UpdateMeSchema(Strict):
    changes = fields.Nested(ProfileChangesSchema, required=True)


class SetPhotoSchema(Strict):
    sha256 = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[0-9a-f]{64}$", error="Not a SHA-256 reference (64 lower-case hex digits)."
        ),
    )
    content_type = fields.String(required=True, validate=validate.OneOf(PHOTO_TYPES))


class PersonIdSchema(Strict):
    person_id = _id(required=True)


class PeopleCardsSchema(Strict):
    person_ids = fields.List(_id(), required=True, validate=validate.Length(max=500))


MAIL_PROFILES_MAX = 1000


class MailProfilesSchema(Strict):
    person_ids = fields.List(_id(), required=True, validate=validate.Length(max=MAIL_PROFILES_MAX))


class SearchPeopleSchema(Strict):
    query = Text(load_default=None, allow_none=True, validate=validate.Length(max=limits.PEOPLE_QUERY_MAX))
    skill = Text(load_default=None, allow_none=True, validate=validate.Length(max=MAX_SKILL_LEN))
    department = Text(load_default=None, allow_none=True, validate=validate.Length(max=limits.DEPARTMENT_MAX))
    country = Country(load_default=None, allow_none=True)
    language = LanguageCode(load_default=None, allow_none=True)
    limit = _limit(20)
    cursor = cursor_field()


class MentionableSchema(Strict):
    community_id = _id(required=True)
    query = Text(load_default=None, allow_none=True, validate=validate.Length(max=limits.MENTION_QUERY_MAX))
    handles = fields.List(
        fields.String(validate=validate.Length(1, limits.MENTION_QUERY_MAX)),
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=limits.MENTION_HANDLES_MAX),
    )
    limit = fields.Integer(
        load_default=limits.MENTION_SUGGESTIONS_MAX,
        strict=True,
        validate=validate.Range(1, limits.MENTION_SUGGESTIONS_MAX),
    )


class AdminListPeopleSchema(Strict):
    query = Text(
        load_default=None, allow_none=True, validate=validate.Length(max=limits.ADMIN_PEOPLE_QUERY_MAX)
    )
    org_id = _id(load_default=None, allow_none=True)
    guest = fields.Boolean(load_default=None, allow_none=True, truthy={True}, falsy={False})
    status = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(STATUSES))
    limit = _limit(50)
    cursor = cursor_field()


class RolesField(fields.List):
    def __init__(self, **kwargs):
        super().__init__(
            fields.String(validate=validate.OneOf(ROLE_NAMES)),
            validate=validate.Length(max=limits.ROLES_MAX),
            **kwargs,
        )

    def _deserialize(self, value, attr, data, **kwargs):
        roles = set(super()._deserialize(value, attr, data, **kwargs))
        roles.add("member")  # everyone is a member
        return sorted(roles)


class AdminCreatePersonSchema(Strict):
    email = Email(required=True, validate=validate.Length(max=EMAIL_MAX))
    display_name = _display_name(required=True)
    org_id = _id(load_default=None, allow_none=True)
    roles = RolesField(load_default=None, allow_none=True)
    guest_expires_at = fields.Date(load_default=None, allow_none=True)
    password = _password(load_default=None, allow_none=True)
    preferred_language = fields.String(load_default="en", validate=validate.OneOf(UI_LANGUAGES))
    job_title = Text(load_default=None, allow_none=True, validate=validate.Length(max=limits.JOB_TITLE_MAX))
    department = Text(load_default=None, allow_none=True, validate=validate.Length(max=limits.DEPARTMENT_MAX))
    country = Country(load_default=None, allow_none=True)
    languages = LanguageList(load_default=None, allow_none=True)


class SetRolesSchema(PersonIdSchema):
    roles = RolesField(required=True)


class SetGuestExpirySchema(PersonIdSchema):
    guest_expires_at = fields.Date(required=True, allow_none=True)


class CreateOrganisationSchema(Strict):
    name = fields.String(required=True, validate=validate.Length(1, limits.ORGANISATION_NAME_MAX))
    kind = fields.String(required=True, validate=validate.OneOf(ORG_KINDS))
    country = Country(required=True)


class OrganisationChangesSchema(Strict):
    name = fields.String(validate=validate.Length(1, limits.ORGANISATION_NAME_MAX))
    kind = fields.String(validate=validate.OneOf(ORG_KINDS))
    country = Country()


class UpdateOrganisationSchema(Strict):
    org_id = _id(required=True)
    changes = fields.Nested(OrganisationChangesSchema, required=True)


class MembershipSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    community_id = _id(required=True)
    user_id = _id(required=True)


# --- outputs ---------------------------------------------------------------


class CardSchema(Schema):
    id = fields.String()
    display_name = fields.String()
    job_title = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    country = fields.String(allow_none=True)
    org_id = fields.String()
    org_name = fields.String()
    guest = fields.Boolean()
    status = fields.String()
    initials = fields.String()
    photo = fields.String(allow_none=True)


class PersonalSchema(Schema):
    birth_date = fields.Date()
    education = fields.String()
    phone = fields.String()


class ProfileSchema(CardSchema):
    languages = fields.List(fields.String())
    preferred_language = fields.String()
    skills = fields.List(fields.String())
    about = fields.String(allow_none=True)
    personal = fields.Nested(PersonalSchema)
    photo_content_type = fields.String(allow_none=True)


class OwnProfileSchema(ProfileSchema):
    email = fields.String()
    auto_translate = fields.Boolean()
    time_zone = fields.String(allow_none=True)
    roles = fields.List(fields.String())
    guest_expires_at = fields.Date(allow_none=True)
    visibility = fields.Dict(
        keys=fields.String(validate=validate.OneOf(PERSONAL_FIELDS)), values=fields.String()
    )


class MentionableCardSchema(CardSchema):
    #: what to type after @ to name this person (their name, folded, words joined by dots)
    handle = fields.String()


class ResolvedHandleSchema(Schema):
    id = fields.String()
    display_name = fields.String()
    #: a member of the community (else the feed refuses the mention, naming them)
    member = fields.Boolean()


class MentionablePageSchema(Schema):
    items = fields.List(fields.Nested(MentionableCardSchema))
    handles = fields.Dict(keys=fields.String(), values=fields.Nested(ResolvedHandleSchema))


class AdminItemSchema(CardSchema):
    email = fields.String()
    roles = fields.List(fields.String())
    guest_expires_at = fields.Date(allow_none=True)


class PageSchema(Schema):
    items = fields.List(fields.Nested(CardSchema))
    next_cursor = fields.String(allow_none=True)


class AdminPageSchema(Schema):
    items = fields.List(fields.Nested(AdminItemSchema))
    next_cursor = fields.String(allow_none=True)


class PrincipalSchema(Schema):
    id = fields.String()
    email = fields.String()
    display_name = fields.String()
    org_id = fields.String()
    roles = fields.List(fields.String())
    guest = fields.Boolean()
    preferred_language = fields.String()
    #: the person's IANA time zone (None: not chosen; pages show UTC)
    time_zone = fields.String(allow_none=True)
    guest_expires_at = fields.Date(allow_none=True)
    auto_translate = fields.Boolean()


class SessionSchema(Schema):
    session_token = fields.String()
    expires_at = fields.DateTime()
    person = fields.Nested(PrincipalSchema)


class ResolvedSessionSchema(Schema):
    session_id = fields.String()
    expires_at = fields.DateTime()
    #: the moment this answer stops being true with no change at all: the session's end,
    #: the guest's access end or the idle timeout (a cache of it may not outlive it)
    valid_until = fields.DateTime()
    person = fields.Nested(PrincipalSchema)


class OrganisationSchema(Schema):
    id = fields.String()
    name = fields.String()
    kind = fields.String()
    country = fields.String()
    is_host = fields.Boolean()
    people_count = fields.Integer()


class PasswordResetRequestedSchema(Schema):
    requested = fields.Boolean()


class PasswordResetInfoSchema(Schema):
    display_name = fields.String()
    #: the address, masked (``a…@acme.example``)
    masked_email = fields.String()
    expires_at = fields.DateTime()


class PasswordResetDoneSchema(Schema):
    reset = fields.Boolean()
    revoked_sessions = fields.Integer()


class MailProfileSchema(Schema):
    email = fields.String()
    display_name = fields.String()
    language = fields.String(allow_none=True)
    time_zone = fields.String(allow_none=True)
    #: can sign in now (active, not an expired guest)
    active = fields.Boolean()


class InvitationInfoSchema(Schema):
    email = fields.String()
    display_name = fields.String()


class CreatedPersonSchema(Schema):
    person = fields.Nested(AdminItemSchema)
    invitation_token = fields.String(allow_none=True)


class BootstrapResultSchema(Schema):
    organisation = fields.Nested(OrganisationSchema)
    admin = fields.Nested(AdminItemSchema)
    created = fields.Dict(keys=fields.String(), values=fields.Boolean())
