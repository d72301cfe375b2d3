"""``/api/v1/people/experts`` and ``/api/v1/people/skills``: the expertise finder ("who knows
about X?") and the skills known as one types.

The search service decides everything (docs/services/search.md, "The expertise finder"):
who is listed (the people the caller may see: a guest, only those they share a community
with), the order, and why each is listed — ``reasons``, structured, for a client to word
("3 accepted answers about hydraulic brakes"): a declared skill, then counts of what the
person wrote on it **that the caller may read** (nothing else is ever counted).
"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from parvis_contracts.vocabulary import EXPERT_REASONS

from ..calls import search
from .schemas import ExpertsQuerySchema, SkillsQuerySchema

blp = Blueprint(
    "experts",
    __name__,
    url_prefix="/api/v1",
    description="The expertise finder: who knows about a skill, and the skills known as you type",
)


class ReasonSchema(ma.Schema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(EXPERT_REASONS),
        metadata={
            "description": "`skill`: they declared `skill` (`exact`: the very one asked); "
            "`accepted_answers`, `posts`, `comments`, `pages`, `documents`: `count` things on it "
            "they wrote that you may read"
        },
    )
    skill = fields.String(metadata={"description": "the declared skill (kind `skill`)"})
    exact = fields.Boolean(metadata={"description": "the declared skill is the one asked (kind `skill`)"})
    count = fields.Integer(metadata={"description": "how many (the other kinds)"})


class ExpertSchema(ma.Schema):
    id = fields.String(required=True, metadata={"description": "the person's id"})
    display_name = fields.String(required=True)
    job_title = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    country = fields.String(allow_none=True, metadata={"description": "ISO 3166-1 alpha-2"})
    org_id = fields.String()
    org_name = fields.String(allow_none=True)
    guest = fields.Boolean()
    languages = fields.List(fields.String(), metadata={"description": "ISO 639-1 codes they speak"})
    skills = fields.List(fields.String(), metadata={"description": "every skill they declared"})
    matched_skills = fields.List(
        fields.String(), metadata={"description": "their declared skills that answer the question"}
    )
    score = fields.Float(metadata={"description": "the order: declared skill, then evidence"})
    reasons = fields.List(fields.Nested(ReasonSchema), required=True)


class ExpertPageSchema(ma.Schema):
    items = fields.List(fields.Nested(ExpertSchema), required=True)
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "pass it as `cursor` for the next page; null: no more"}
    )


class SkillSuggestionSchema(ma.Schema):
    skill = fields.String(required=True, metadata={"description": "a skill as people declared it"})
    prefix = fields.Boolean(
        required=True, metadata={"description": "what you typed starts one of its words (false: a typo away)"}
    )


class SkillPageSchema(ma.Schema):
    items = fields.List(fields.Nested(SkillSuggestionSchema), required=True)


@blp.route("/people/experts")
class Experts(MethodView):
    @blp.arguments(ExpertsQuerySchema, location="query")
    @blp.response(200, ExpertPageSchema)
    def get(self, args):
        """Who knows about a skill, best first, each with why

        The active people you may see (a guest: those you share a community with) who
        declared the skill or wrote about it where you may read it: accepted answers
        (theirs, or to a question on it), posts, comments, pages and documents. Filter by
        country, a language they speak, organisation or a community they are in (one whose
        members you may not see: an empty page).
        """
        return search.find_experts(args)


@blp.route("/people/skills")
class Skills(MethodView):
    @blp.arguments(SkillsQuerySchema, location="query")
    @blp.response(200, SkillPageSchema)
    def get(self, args):
        """Skills as you type: the start of a word of a known skill, a typo forgiven

        Skills as people declared them (normalised: "Excel" is "excel"), of people you may
        see; those starting as typed first, then those a typo or two away (from three
        characters on).
        """
        return search.suggest_skills(args["prefix"], args.get("limit", 10))
