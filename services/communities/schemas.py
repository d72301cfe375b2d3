"""Marshmallow schemas: every RPC input is loaded with one, every output dumped."""

from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate

from parvis_contracts import limits
from parvis_contracts.schemas import LanguageCode, PageArgsSchema, limit_field, page_of

from .models import KINDS, ROLES, VISIBILITIES

# the limits are the platform's (parvis_contracts.limits): the gateway's schemas use them too
NAME_MIN, NAME_MAX = limits.COMMUNITY_NAME_MIN, limits.COMMUNITY_NAME_MAX
DESCRIPTION_MAX = limits.COMMUNITY_DESCRIPTION_MAX
MAX_LANGUAGES, MAX_ORGS = limits.COMMUNITY_LANGUAGES_MAX, limits.COMMUNITY_ORGS_MAX
PICTURE_MAX = limits.PICTURE_MAX


class Name(fields.String):
    """Blanks collapsed, then ``NAME_MIN``..``NAME_MAX`` characters."""

    def _deserialize(self, value, attr, data, **kwargs):
        return " ".join(super()._deserialize(value, attr, data, **kwargs).split())


def _id(**kwargs):
    return fields.String(validate=validate.Length(1, limits.ID_MAX), **kwargs)


def _unique(values):
    seen = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen


class Strict(Schema):
    class Meta:
        unknown = RAISE


class SettingsSchema(Strict):
    """Every setting a manager may change (all optional: the fields given change)."""

    name = Name(validate=validate.Length(NAME_MIN, NAME_MAX))
    description = fields.String(validate=validate.Length(max=DESCRIPTION_MAX))
    kind = fields.String(validate=validate.OneOf(KINDS))
    visibility = fields.String(validate=validate.OneOf(VISIBILITIES))
    languages = fields.List(LanguageCode(), validate=validate.Length(max=MAX_LANGUAGES))
    picture = fields.String(allow_none=True, validate=validate.Length(1, PICTURE_MAX))
    newcomers_see_history = fields.Boolean()
    allowed_org_ids = fields.List(_id(), validate=validate.Length(max=MAX_ORGS))

    @post_load
    def _normalise(self, data, **kwargs):
        for key in ("languages", "allowed_org_ids"):
            if key in data:
                data[key] = _unique(data[key])
        if "description" in data:
            data["description"] = data["description"].strip()
        return data


class CreateSchema(SettingsSchema):
    name = Name(required=True, validate=validate.Length(NAME_MIN, NAME_MAX))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    visibility = fields.String(load_default="open", validate=validate.OneOf(VISIBILITIES))
    description = fields.String(load_default="", validate=validate.Length(max=DESCRIPTION_MAX))
    languages = fields.List(LanguageCode(), load_default=list, validate=validate.Length(max=MAX_LANGUAGES))
    picture = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, PICTURE_MAX))
    newcomers_see_history = fields.Boolean(load_default=True)
    allowed_org_ids = fields.List(_id(), load_default=list, validate=validate.Length(max=MAX_ORGS))


class CommunityIdSchema(Strict):
    community_id = _id(required=True)


class UpdateSchema(CommunityIdSchema):
    changes = fields.Nested(SettingsSchema, required=True)

    @post_load
    def _not_empty(self, data, **kwargs):
        if not data["changes"]:
            raise ValidationError("Give at least one setting to change.", "changes")
        return data


class PersonInCommunitySchema(CommunityIdSchema):
    person_id = _id(required=True)


class UserInCommunitySchema(CommunityIdSchema):
    user_id = _id(required=True)


class SetRoleSchema(UserInCommunitySchema):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class JoinRequestInputSchema(CommunityIdSchema):
    message = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=limits.JOIN_MESSAGE_MAX)
    )


class MembersInputSchema(CommunityIdSchema, PageArgsSchema):
    limit = limit_field(default=50)


class ListSchema(PageArgsSchema):
    query = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=limits.COMMUNITY_QUERY_MAX)
    )
    kind = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(KINDS))
    visibility = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(VISIBILITIES))
    mine = fields.Boolean(load_default=False)


class MembershipsOfSchema(Strict):
    user_id = _id(load_default=None, allow_none=True)


class CommunitiesOfSchema(Strict):
    person_id = _id(required=True)


# --- outputs ---------------------------------------------------------------
# A community is dumped with ``access`` "full" (member, or any employee for an open
# community) or "metadata" (what admins and private-name listings see): the fields
# below the line are only present with full access.


class CommunitySchema(Schema):
    id = fields.String()
    name = fields.String()
    kind = fields.String()
    visibility = fields.String()
    member_count = fields.Integer()
    archived = fields.Boolean()
    my_role = fields.String(allow_none=True)
    access = fields.String()
    # --- full access only
    description = fields.String()
    languages = fields.List(fields.String())
    picture = fields.String(allow_none=True)
    newcomers_see_history = fields.Boolean()
    allowed_org_ids = fields.List(fields.String())
    archived_at = fields.DateTime(allow_none=True)
    created_by = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


CommunityPageSchema = page_of(CommunitySchema, "CommunityPage")


class MemberSchema(Schema):
    community_id = fields.String()
    user_id = fields.String()
    role = fields.String()
    guest = fields.Boolean()
    org_id = fields.String(allow_none=True)
    joined_at = fields.DateTime()


MemberPageSchema = page_of(MemberSchema, "MemberPage")


class MembershipOfSchema(MemberSchema):
    community = fields.Nested(CommunitySchema)


class InvitationSchema(Schema):
    community_id = fields.String()
    person_id = fields.String()
    guest = fields.Boolean()
    org_id = fields.String(allow_none=True)
    invited_by = fields.String(allow_none=True)
    created_at = fields.DateTime()
    community = fields.Nested(CommunitySchema)


class JoinRequestSchema(Schema):
    community_id = fields.String()
    user_id = fields.String()
    org_id = fields.String(allow_none=True)
    message = fields.String(allow_none=True)
    created_at = fields.DateTime()


class ItemsSchema(Schema):
    items = fields.List(fields.Dict())
