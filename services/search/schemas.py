"""What the search service accepts and answers (marshmallow at the boundary)."""

from marshmallow import RAISE, Schema, fields, validate

from parvis_contracts import limits
from parvis_contracts.schemas import Country, LanguageCode, cursor_field, limit_field, page_of

from .limits import (
    EXPERT_REASONS,
    EXPERT_SKILL_MAX,
    EXPERTS_PAGE_MAX,
    KINDS,
    PAGE_MAX,
    QUERY_MAX_CHARS,
    SKILL_PREFIX_MAX,
    SKILL_SUGGESTIONS_MAX,
)


class SearchIn(Schema):
    class Meta:
        unknown = RAISE

    #: what the person typed (``services.search.text.parse`` reads it)
    query = fields.String(required=True, validate=validate.Length(1, QUERY_MAX_CHARS))
    #: only these kinds (none: every kind)
    kinds = fields.List(
        fields.String(validate=validate.OneOf(KINDS)),
        load_default=None,
        allow_none=True,
        validate=validate.Length(1, len(KINDS)),
    )
    community_id = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(1, limits.ID_MAX)
    )
    #: only things written in this language
    language = LanguageCode(load_default=None, allow_none=True)
    cursor = cursor_field()
    limit = limit_field(20, PAGE_MAX)


def _id(**kwargs):
    return fields.String(validate=validate.Length(1, limits.ID_MAX), **kwargs)


class PersonCardSchema(Schema):
    """What a person's hit (or an expert) shows, from identity's last ``profile_changed``."""

    display_name = fields.String()
    job_title = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    country = fields.String(allow_none=True)
    org_id = fields.String()
    #: None: an organisation the index has not heard of
    org_name = fields.String(allow_none=True)
    guest = fields.Boolean()
    languages = fields.List(fields.String())
    skills = fields.List(fields.String())


class CommunityCardSchema(Schema):
    """What a community's hit shows (to admins too: names and sizes, not content)."""

    kind = fields.String()
    visibility = fields.String()
    archived = fields.Boolean()
    member_count = fields.Integer()


class HitSchema(Schema):
    kind = fields.String(validate=validate.OneOf(KINDS))
    id = fields.String()
    #: a community's own id for a community; None for a person
    community_id = fields.String(allow_none=True)
    #: its name, from the service's read model of communities
    community_name = fields.String(allow_none=True)
    #: a comment's post
    post_id = fields.String(allow_none=True)
    #: None: a former member
    author_id = fields.String(allow_none=True)
    language = fields.String(allow_none=True)
    #: a page's title, a document's name ("" for posts and comments)
    title = fields.String()
    #: plain text (not escaped): the matching words between U+E000 and U+E001
    snippet = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    #: the accepted answer of its question
    accepted = fields.Boolean()
    rank = fields.Float()
    #: a person's card (kind person), a community's (kind community); None otherwise
    person = fields.Nested(PersonCardSchema, allow_none=True)
    community = fields.Nested(CommunityCardSchema, allow_none=True)
    #: a community's: "full" (the viewer reads it: its description is in the snippet) or
    #: "metadata" (its name only, as the communities' directory says it); None otherwise
    access = fields.String(allow_none=True, validate=validate.OneOf(("full", "metadata")))


SearchPageSchema = page_of(HitSchema, name="SearchPage")


# --- the expertise finder ---------------------------------------------------------------------


class ExpertsIn(Schema):
    class Meta:
        unknown = RAISE

    #: the skill asked about (its words are looked for in what people wrote)
    skill = fields.String(required=True, validate=validate.Length(1, EXPERT_SKILL_MAX))
    #: the person's country, a language they speak, their organisation, a community they
    #: are a member of (one the caller may read the members of: else an empty page)
    country = Country(load_default=None, allow_none=True)
    language = LanguageCode(load_default=None, allow_none=True)
    org_id = _id(load_default=None, allow_none=True)
    community_id = _id(load_default=None, allow_none=True)
    cursor = cursor_field()
    limit = limit_field(20, EXPERTS_PAGE_MAX)


class ReasonSchema(Schema):
    """Why someone is listed: ``skill`` (they declared ``skill``; ``exact``: the very one
    asked), or a count of what they wrote on it that the caller may read."""

    kind = fields.String(validate=validate.OneOf(EXPERT_REASONS))
    skill = fields.String()
    exact = fields.Boolean()
    count = fields.Integer()


class ExpertSchema(PersonCardSchema):
    id = fields.String()
    #: the skills they declared that answer the question
    matched_skills = fields.List(fields.String())
    score = fields.Float()
    reasons = fields.List(fields.Nested(ReasonSchema))


ExpertPageSchema = page_of(ExpertSchema, name="ExpertPage")


class SkillsIn(Schema):
    class Meta:
        unknown = RAISE

    #: the start of a skill as typed (a typo forgiven from three characters on)
    prefix = fields.String(required=True, validate=validate.Length(1, SKILL_PREFIX_MAX))
    limit = limit_field(10, SKILL_SUGGESTIONS_MAX)


class SkillSuggestionSchema(Schema):
    skill = fields.String()
    #: the typed start begins a word of it (False: found despite a typo)
    prefix = fields.Boolean()


SkillPageSchema = Schema.from_dict(
    {"items": fields.List(fields.Nested(SkillSuggestionSchema))}, name="SkillPage"
)
