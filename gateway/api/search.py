"""``/api/v1/search``: posts, comments, pages and documents the caller may read that match a
query, best first, a page at a time.

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
    description="Search what you may read: posts, comments and answers, wiki pages, documents",
)


class SearchHitSchema(ma.Schema):
    kind = fields.String(required=True, validate=validate.OneOf(SEARCH_KINDS))
    id = fields.String(required=True, metadata={"description": "the post's, comment's, page's or document's"})
    community_id = fields.String(required=True)
    community_name = fields.String(metadata={"description": "the community's name"})
    post_id = fields.String(
        allow_none=True, metadata={"description": "a comment's post (what to open to read it)"}
    )
    author_id = fields.String(allow_none=True, metadata={"description": "null: a former member"})
    title = fields.String(metadata={"description": "a page's title, a document's name; empty otherwise"})
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
        page, the same as an unknown one.
        """
        return search.search(args)
