"""Marshmallow schemas of every request and response of the REST API."""
from __future__ import annotations

import datetime as dt

import marshmallow as ma
from marshmallow import fields, validate

VISIBILITY_CHOICES = ("everyone", "employees", "private")
ROLE_CHOICES = ("admin", "global_community_manager", "member")
ORG_KINDS = ("host", "partner", "supplier", "subcontractor", "reseller", "customer")
CREATABLE_ORG_KINDS = tuple(k for k in ORG_KINDS if k != "host")
LANGUAGE_CODE = validate.Regexp(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$",
                                error="Not a language code (e.g. fr, en, pt-BR).")
COUNTRY_CODE = validate.Regexp(r"^[A-Z]{2}$", error="Not an ISO 3166 country code (e.g. FR).")


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


# ----------------------------------------------------------------- errors

class ErrorBodySchema(ma.Schema):
    status = fields.Integer(required=True, metadata={"description": "HTTP status"})
    code = fields.String(required=True,
                         metadata={"description": "Stable machine code, e.g. not_found"})
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
    photo = _nullable_str(metadata={
        "description": "SHA-256 of the profile photo (its ETag), or null; the image is at "
                       "/api/v1/people/{id}/photo"})


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


class PrincipalSchema(ma.Schema):
    id = fields.String(required=True)
    email = fields.String()
    display_name = fields.String()
    org_id = _nullable_str()
    roles = fields.List(fields.String())
    guest = fields.Boolean()
    preferred_language = _nullable_str()
    guest_expires_at = IsoDate(allow_none=True)


class CardPageSchema(ma.Schema):
    items = fields.List(fields.Nested(CardSchema), required=True)
    next_cursor = _nullable_str(metadata={"description": "Pass as `cursor` for the next page"})


class PeopleQuerySchema(ma.Schema):
    q = fields.String(validate=validate.Length(max=200),
                      metadata={"description": "Words of the name"})
    skill = fields.String(validate=validate.Length(max=100))
    department = fields.String(validate=validate.Length(max=200))
    country = fields.String(validate=validate.Length(max=2))
    language = fields.String(validate=validate.Length(max=12))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = fields.String(validate=validate.Length(max=500))


class MeUpdateSchema(ma.Schema):
    display_name = fields.String(validate=validate.Length(min=1, max=200))
    job_title = fields.String(allow_none=True, validate=validate.Length(max=200))
    department = fields.String(allow_none=True, validate=validate.Length(max=200))
    country = fields.String(allow_none=True, validate=COUNTRY_CODE)
    languages = fields.List(fields.String(validate=LANGUAGE_CODE),
                            validate=validate.Length(max=20))
    preferred_language = fields.String(validate=LANGUAGE_CODE)
    skills = fields.List(fields.String(validate=validate.Length(min=1, max=100)),
                         validate=validate.Length(max=50))
    about = fields.String(allow_none=True, validate=validate.Length(max=5000))
    birth_date = IsoDate(allow_none=True)
    education = fields.String(allow_none=True, validate=validate.Length(max=1000))
    phone = fields.String(allow_none=True, validate=validate.Length(max=50))
    visibility = fields.Nested(VisibilitySchema)


class PasswordChangeSchema(ma.Schema):
    current_password = fields.String(required=True, load_only=True)
    new_password = fields.String(required=True, load_only=True,
                                 validate=validate.Length(min=8, max=1000))


# ----------------------------------------------------------------- auth

class SignInSchema(ma.Schema):
    email = fields.String(required=True, validate=validate.Length(min=3, max=320))
    password = fields.String(required=True, load_only=True,
                             validate=validate.Length(min=1, max=1000))
    issue_token = fields.Boolean(load_default=False, metadata={
        "description": "Also return the session token, for use as a bearer token"})


class SessionSchema(ma.Schema):
    person = fields.Nested(PrincipalSchema, required=True)
    expires_at = Timestamp(allow_none=True)
    csrf_token = fields.String(metadata={
        "description": "Send it as X-CSRF-Token with cookie-authenticated writes"})
    token = fields.String(metadata={"description": "Bearer token (only with issue_token)"})


class InvitationSchema(ma.Schema):
    email = fields.String(required=True)
    display_name = fields.String(required=True)


class AcceptInvitationSchema(ma.Schema):
    password = fields.String(required=True, load_only=True,
                             validate=validate.Length(min=8, max=1000))
    issue_token = fields.Boolean(load_default=False)


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


class OrganisationCreateSchema(ma.Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(CREATABLE_ORG_KINDS))
    country = fields.String(allow_none=True, load_default=None, validate=COUNTRY_CODE)


class OrganisationUpdateSchema(ma.Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    kind = fields.String(validate=validate.OneOf(CREATABLE_ORG_KINDS))
    country = fields.String(allow_none=True, validate=COUNTRY_CODE)


# ----------------------------------------------------------------- admin

class AdminCardSchema(CardSchema):
    email = fields.String()
    roles = fields.List(fields.String())
    guest_expires_at = IsoDate(allow_none=True)


class AdminCardPageSchema(ma.Schema):
    items = fields.List(fields.Nested(AdminCardSchema), required=True)
    next_cursor = _nullable_str()


class AdminPeopleQuerySchema(ma.Schema):
    q = fields.String(validate=validate.Length(max=200))
    org_id = fields.String(validate=validate.Length(max=64))
    guest = fields.Boolean()
    status = fields.String(validate=validate.OneOf(("active", "invited", "deactivated")))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(validate=validate.Length(max=500))


class AdminCreatePersonSchema(ma.Schema):
    email = fields.Email(required=True)
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    org_id = fields.String(allow_none=True, load_default=None)
    roles = fields.List(fields.String(validate=validate.OneOf(ROLE_CHOICES)))
    guest_expires_at = IsoDate(allow_none=True)
    password = fields.String(allow_none=True, load_only=True,
                             validate=validate.Length(min=8, max=1000))
    preferred_language = fields.String(load_default="en", validate=LANGUAGE_CODE)
    job_title = fields.String(allow_none=True, validate=validate.Length(max=200))
    department = fields.String(allow_none=True, validate=validate.Length(max=200))
    country = fields.String(allow_none=True, validate=COUNTRY_CODE)
    languages = fields.List(fields.String(validate=LANGUAGE_CODE))


class AdminCreatedSchema(ma.Schema):
    person = fields.Nested(AdminCardSchema, required=True)
    invitation_token = _nullable_str()
    invitation_url = _nullable_str(metadata={"description": "Link to send to the invited person"})


class RolesSchema(ma.Schema):
    roles = fields.List(fields.String(validate=validate.OneOf(ROLE_CHOICES)), required=True)


class GuestExpirySchema(ma.Schema):
    guest_expires_at = IsoDate(required=True, allow_none=True)
