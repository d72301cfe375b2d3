"""``/api/v1/translations`` and ``/api/v1/translation/...``: translate what you can read,
the pairs this network serves, and the glossary (admins, global community managers).

The reading, the translating and what is remembered of it are the call layer's
(:mod:`gateway.calls.translation`): the content is read with the caller's own rights
first, so something the caller may not read answers exactly the ``NotFound`` of an
unknown id, whatever was translated before.
"""

from __future__ import annotations

import marshmallow as ma
from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from parvis_contracts import limits
from parvis_contracts.schemas import LanguageCode

from ..calls import translation
from .schemas import TermCreateSchema, TermUpdateSchema

blp = Blueprint(
    "translation",
    __name__,
    url_prefix="/api/v1",
    description="Translate posts, comments and pages you can read; the language "
    "pairs this network serves; the glossary",
)

KINDS = translation.KINDS


def my_language() -> str:
    principal = g.get("principal") or {}
    return principal.get("preferred_language") or g.get("lang") or "en"


# --- schemas ----------------------------------------------------------------------------


class TranslateRequestSchema(ma.Schema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    id = fields.String(required=True, validate=validate.Length(min=1, max=limits.ID_MAX))
    target = LanguageCode(
        load_default=None,
        allow_none=True,
        metadata={"description": "ISO 639-1; your preferred language when absent"},
    )
    source = LanguageCode(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "ISO 639-1: the language the text is written in. When absent, the "
            "language its author stated, else the detected one; give it when "
            "the answer is 422 with `details.source` (the language could not "
            "be detected)"
        },
    )


class TranslationResultSchema(ma.Schema):
    kind = fields.String()
    id = fields.String()
    revision = fields.Integer(allow_none=True)
    markdown = fields.String(metadata={"description": "The translated Markdown"})
    html = fields.String(
        metadata={"description": "The translated Markdown rendered and sanitised by the gateway"}
    )
    title = fields.String(metadata={"description": "Pages only: the translated title"})
    source = fields.String()
    target = fields.String()
    detected = fields.Boolean()
    engine = fields.String()
    via = fields.List(fields.String())
    cached = fields.Boolean()


class PairSchema(ma.Schema):
    source = fields.String()
    target = fields.String()
    backend = fields.String()
    via = fields.List(fields.String())


class EngineSchema(ma.Schema):
    name = fields.String()
    status = fields.String()


class PairsSchema(ma.Schema):
    languages = fields.List(fields.String())
    pairs = fields.List(fields.Nested(PairSchema))
    engines = fields.List(fields.Nested(EngineSchema))
    detect_languages = fields.List(fields.String())
    max_chars = fields.Integer()


class TermSchema(ma.Schema):
    id = fields.String()
    term = fields.String()
    source_language = fields.String(allow_none=True)
    case_sensitive = fields.Boolean()
    note = fields.String()
    translations = fields.Dict(keys=fields.String(), values=fields.String())
    created_by = fields.String(allow_none=True)
    created_at = fields.String()
    updated_at = fields.String()


class TermPageSchema(ma.Schema):
    items = fields.List(fields.Nested(TermSchema))
    next_cursor = fields.String(allow_none=True)
    glossary_version = fields.Integer()


class TermQuerySchema(ma.Schema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=limits.GLOSSARY_PAGE_MAX))
    cursor = fields.String(validate=validate.Length(max=limits.GLOSSARY_CURSOR_MAX))


class TermRemovedSchema(ma.Schema):
    removed = fields.String(metadata={"description": "The id of the removed term"})
    glossary_version = fields.Integer()


# --- endpoints --------------------------------------------------------------------------


@blp.route("/translations")
class Translations(MethodView):
    @blp.arguments(TranslateRequestSchema)
    @blp.response(200, TranslationResultSchema)
    def post(self, data):
        """Translate a post, comment or page you can read

        The text is read with your rights first: a content you cannot read answers
        404, exactly like an unknown id. `target` defaults to your preferred
        language; `source` defaults to the language the author stated, else the
        detected one. 422 with `details.source` when the language cannot be detected
        and `source` was not given; 422 `unsupported_pair` when this network cannot
        translate between the two languages (see `GET /api/v1/translation/pairs`), 413
        over the size limit, 503 when the engine is down or too slow (nothing is cached
        then).
        """
        return translation.translate_content(
            data["kind"], data["id"], data.get("target") or my_language(), source=data.get("source")
        )


@blp.route("/translation/pairs")
class Pairs(MethodView):
    @blp.response(200, PairsSchema)
    def get(self):
        """The language pairs the running configuration serves, and the engines' state"""
        return translation.pairs()


@blp.route("/translation/glossary")
class Glossary(MethodView):
    @blp.arguments(TermQuerySchema, location="query")
    @blp.response(200, TermPageSchema)
    def get(self, args):
        """The glossary: terms never translated, or forced per language (admins, global
        community managers)"""
        return translation.glossary_list(limit=args["limit"], cursor=args.get("cursor"))

    @blp.arguments(TermCreateSchema)
    @blp.response(201, TermSchema)
    def post(self, data):
        """Add a term (admins, global community managers); 409 if it exists"""
        return translation.glossary_add(**data)


@blp.route("/translation/glossary/<string:term_id>")
class GlossaryTerm(MethodView):
    @blp.arguments(TermUpdateSchema)
    @blp.response(200, TermSchema)
    def patch(self, data, term_id):
        """Change a term's forced translations, case rule or note"""
        return translation.glossary_update(term_id, **data)

    @blp.response(200, TermRemovedSchema)
    def delete(self, term_id):
        """Remove a term"""
        return translation.glossary_remove(term_id)
