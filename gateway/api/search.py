"""``/api/v1/search``: posts, comments, pages, documents, people and communities the caller
may read (or see) that match a query, best first, a page at a time.

The search service decides what matches and who may read it (docs/services/search.md);
the query's schema (``gateway.api.schemas.SearchQuerySchema``, the results page's too)
states the service's own limits (the contracts' ``SEARCH_QUERY_MAX``, ``SEARCH_PAGE_MAX``,
``SEARCH_KINDS``); this room documents the answer.
"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from parvis_contracts.vocabulary import SEARCH_KINDS

from ..calls import search
from .schemas import SearchQuerySchema, Timestamp

blp = Blueprint(
    "search",
    __name__,
    url_prefix="/api/v1",
    description="Search what you may read: posts, comments and answers, wiki pages, documents, "
    "people, communities",
)


class PersonCardSchema(ma.Schema):
    display_name = fields.String()
    job_title = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    country = fields.String(allow_none=True, metadata={"description": "ISO 3166-1 alpha-2"})
    org_id = fields.String()
    org_name = fields.String(allow_none=True)
    guest = fields.Boolean()
    languages = fields.List(fields.String(), metadata={"description": "ISO 639-1 codes they speak"})
    skills = fields.List(fields.String())


class CommunityCardSchema(ma.Schema):
    kind = fields.String()
    visibility = fields.String()
    archived = fields.Boolean()
    member_count = fields.Integer()


class SearchHitSchema(ma.Schema):
    kind = fields.String(required=True, validate=validate.OneOf(SEARCH_KINDS))
    id = fields.String(
        required=True,
        metadata={"description": "the post's, comment's, page's, document's, person's or community's"},
    )
    community_id = fields.String(
        required=True, allow_none=True, metadata={"description": "a community's own id; null for a person"}
    )
    community_name = fields.String(allow_none=True, metadata={"description": "the community's name"})
    post_id = fields.String(
        allow_none=True, metadata={"description": "a comment's post (what to open to read it)"}
    )
    author_id = fields.String(allow_none=True, metadata={"description": "null: a former member"})
    title = fields.String(
        metadata={
            "description": "a page's title, a document's name, a person's name, a community's name; "
            "empty otherwise"
        }
    )
    snippet = fields.String(
        required=True,
        metadata={
            "description": "plain text (not HTML: escape it before showing it) around the first "
            "match, about 200 characters, `…` where cut; a document's is its name"
        },
    )
    highlights = fields.List(
        fields.List(fields.Integer()),
        required=True,
        metadata={
            "description": "the matching words of `snippet`, each `[start, end)`: offsets in "
            "Unicode code points of `snippet` (not UTF-16 units), in order, never overlapping"
        },
    )
    language = fields.String(allow_none=True, metadata={"description": "ISO 639-1, if known"})
    created_at = Timestamp(required=True)
    updated_at = Timestamp()
    accepted = fields.Boolean(metadata={"description": "the accepted answer of its question"})
    person = fields.Nested(
        PersonCardSchema, allow_none=True, metadata={"description": "a person's card (kind person)"}
    )
    community = fields.Nested(
        CommunityCardSchema,
        allow_none=True,
        metadata={"description": "a community's kind, visibility, archive state and size (kind community)"},
    )
    access = fields.String(
        allow_none=True,
        metadata={
            "description": "a community's: `full` (you read it: its description is in the snippet) or "
            "`metadata` (its name only); null otherwise"
        },
    )


class SearchPageSchema(ma.Schema):
    items = fields.List(fields.Nested(SearchHitSchema), required=True)
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "pass it as `cursor` for the next page; null: no more"}
    )


@blp.route("/search")
class Search(MethodView):
    @blp.arguments(SearchQuerySchema, location="query")
    @blp.response(200, SearchPageSchema)
    def get(self, args):
        """Search what you may read, best first

        Results come only from communities you may read now (a guest: only theirs; an
        admin: not the content of private communities they are not a member of); each text
        is matched in its own language. A `community_id` you may not read answers an empty
        page, the same as an unknown one. People: those whose profile you may see (a guest:
        only those you share a community with, never by a field shown to employees only).
        Communities: by their name where you see them listed, by their description where you
        may read them; a secret one only for its members (and admins, by its name).
        """
        return search.search(args)
