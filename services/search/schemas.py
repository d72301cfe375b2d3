"""What the search service accepts and answers (marshmallow at the boundary)."""

from marshmallow import RAISE, Schema, fields, validate

from parvis_contracts import limits
from parvis_contracts.schemas import LanguageCode, cursor_field, limit_field, page_of

from .limits import KINDS, PAGE_MAX, QUERY_MAX_CHARS


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


class HitSchema(Schema):
    kind = fields.String(validate=validate.OneOf(KINDS))
    id = fields.String()
    community_id = fields.String()
    #: its name, from the service's read model of communities
    community_name = fields.String()
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


SearchPageSchema = page_of(HitSchema, name="SearchPage")
