"""``/api/v1/translations`` and ``/api/v1/translation/...``: translate what you can read,
the pairs this network serves, and the glossary (admins, global community managers).

Reading rights are the owning service's: the gateway first fetches the post,
comment or page from ``feed`` or ``documents`` with the caller's own context (so
something the caller may not read answers exactly the ``NotFound`` of an unknown
id), then asks ``translation`` to translate that text, linked to the content and
its revision (so an edit or deletion drops the cached translation). The
translated Markdown is rendered and sanitised again here
(``parvis_contracts.markdown.to_html``) before anyone sees it. The same
revision translated again into the same language within a minute is answered
from this process's memo (``gateway.translation_memo``) after the read, which
saves the call to ``translation``; the read itself is never skipped.
"""

from __future__ import annotations

import threading
import time

import marshmallow as ma
from flask import current_app, g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate
from nameko.exceptions import RpcTimeout

from parvis_contracts import limits, markdown, settings
from parvis_contracts.client import RpcClient
from parvis_contracts.errors import Unavailable
from parvis_contracts.schemas import LanguageCode

from .. import rpc
from ..translation_memo import TranslationMemo, memo_key

blp = Blueprint(
    "translation",
    __name__,
    url_prefix="/api/v1",
    description="Translate posts, comments and pages you can read; the language "
    "pairs this network serves; the glossary",
)

KINDS = ("post", "comment", "page")
_CLIENTS_LOCK = threading.Lock()


# --- RPC with the translation's own time limits ----------------------------------------


def _client(timeout: float) -> RpcClient:
    """A pooled client whose calls give up after ``timeout`` seconds (one per limit).

    Made on first use from the app's client configuration, and closed with it.
    """
    key = f"parvis_rpc_translation_{timeout:g}"
    client = current_app.extensions.get(key)
    if client is None:
        with _CLIENTS_LOCK:
            client = current_app.extensions.get(key)
            if client is None:
                base = current_app.extensions[rpc.EXTENSION]
                client = RpcClient(getattr(base, "config", None), timeout=timeout)
                current_app.extensions[key] = client
                _close_with(base, client)
    return client


def _close_with(base, client: RpcClient) -> None:
    close = base.close

    def close_both():
        try:
            client.close()
        finally:
            close()

    base.close = close_both


def call_timeout() -> float:
    """One translation asked for by a reader: longer than the engine's own limit (15 s)."""
    return float(settings.value("PARVIS_TRANSLATION_RPC_TIMEOUT"))


def page_timeout() -> float:
    """A whole page translated automatically: short, the originals are shown after it."""
    return float(settings.value("PARVIS_TRANSLATION_PAGE_TIMEOUT"))


def translation_call(method: str, timeout: float, **kwargs):
    """Call ``translation.<method>`` as the caller; a timeout is the engine being slow: 503."""
    token = g.get("caller_token") or rpc._token()
    try:
        return _client(timeout).call("translation", method, token, **kwargs)
    except RpcTimeout:
        raise Unavailable(
            "The translation engine is too slow right now; try again later.", {"reason": "timeout"}
        ) from None
    except Exception as exc:
        rpc._record("translation", method, exc)
        raise


# --- the served pairs, cached briefly in the gateway ------------------------------------

PAIRS_TTL = 60.0


#: after a failed optional call (labels, pairs), pages stop asking for this many seconds
QUIET_AFTER_FAILURE = 15.0


def quiet() -> bool:
    """Whether optional translation calls are paused after a recent failure."""
    until = current_app.extensions.get("parvis_translation_quiet_until", 0.0)
    return time.monotonic() < until


def note_failure() -> None:
    current_app.extensions["parvis_translation_quiet_until"] = time.monotonic() + QUIET_AFTER_FAILURE


def served_pairs(timeout: float | None = None) -> dict | None:
    """``translation.pairs()``, cached a minute per gateway app; None if unavailable.

    Cached only while every engine answers: after an outage the next page asks again.
    """
    cache = current_app.extensions.setdefault("parvis_translation_pairs", {"at": 0.0, "value": None})
    now = time.monotonic()
    if cache["value"] is not None and now - cache["at"] < PAIRS_TTL:
        return cache["value"]
    if quiet():
        return None
    try:
        value = translation_call("pairs", timeout or page_timeout())
    except Exception:  # the page still renders; the control says it cannot tell
        note_failure()
        return None
    if all(engine.get("status") == "ok" for engine in value.get("engines") or []):
        cache.update(at=now, value=value)
    return value


def pair_served(pairs: dict | None, source: str | None, target: str) -> bool | None:
    """True/False when known; None when the pairs, the source or an engine's list is unknown.

    A pair missing while an engine is not answering might be served by it: unknown.
    """
    if pairs is None or not source:
        return None
    if source == target:
        return True
    if any(p.get("source") == source and p.get("target") == target for p in pairs.get("pairs") or []):
        return True
    if any(engine.get("status") != "ok" for engine in pairs.get("engines") or []):
        return None
    return False


# --- fetching what the caller may read, then translating it ---------------------------


def fetch_content(kind: str, content_id: str) -> dict:
    """The text(s) of a content, read with the caller's own rights (NotFound otherwise).

    -> ``{"texts": [markdown, ...], "language", "revision", "content"}``; a page
    gives its body then its title.
    """
    if kind == "post":
        item = rpc.call("feed", "get_post", post_id=content_id)
        texts = [item.get("body") or ""]
    elif kind == "comment":
        item = rpc.call("feed", "get_comment", comment_id=content_id)
        texts = [item.get("body") or ""]
    else:
        item = rpc.call("documents", "get_page", page_id=content_id)
        texts = [item.get("body") or "", item.get("title") or ""]
    revision = item.get("revision") if kind == "page" else item.get("version")
    return {
        "texts": texts,
        "language": item.get("language"),
        "revision": revision,
        "content": {"kind": kind, "id": content_id, "revision": revision},
    }


def memo() -> TranslationMemo:
    """This app's memo of served translations (see ``gateway.translation_memo``)."""
    found = current_app.extensions.get("parvis_translation_memo")
    if found is None:
        with _CLIENTS_LOCK:
            found = current_app.extensions.get("parvis_translation_memo")
            if found is None:
                found = TranslationMemo(
                    size=settings.value("PARVIS_TRANSLATION_MEMO_SIZE"),
                    ttl=float(settings.value("PARVIS_TRANSLATION_MEMO_TTL")),
                )
                current_app.extensions["parvis_translation_memo"] = found
    return found


def translate_content(kind: str, content_id: str, target: str, source: str | None = None) -> dict:
    """Read the content with the caller's rights, then translate it (or reuse the
    translation this process served for the same revision, text and target).

    ``source``: the language of the text as the reader knows it; without it, the language
    its author stated, else the one the translation service detects.
    """
    found = fetch_content(kind, content_id)
    if source:
        found["language"] = source
    key = memo_key(kind, content_id, found["revision"], target, found["language"], found["texts"])
    remembered = memo().get(key)
    if remembered is not None:
        return dict(remembered, cached=True)
    result = _translate_found(kind, content_id, target, found)
    memo().put(key, result)
    return result


def _translate_found(kind: str, content_id: str, target: str, found: dict) -> dict:
    first = translation_call(
        "translate",
        call_timeout(),
        text=found["texts"][0],
        target=target,
        source=found["language"],
        content=found["content"],
    )
    result = {
        "kind": kind,
        "id": content_id,
        "revision": found["revision"],
        "markdown": first["text"],
        "html": markdown.to_html(first["text"]),
        "source": first["source"],
        "target": first["target"],
        "detected": first.get("detected", False),
        "engine": first["engine"],
        "via": first["via"],
        "cached": first["cached"],
    }
    if kind == "page":
        title = found["texts"][1]
        if title.strip():
            out = translation_call(
                "translate",
                call_timeout(),
                text=title,
                target=target,
                source=first["source"],
                content=found["content"],
            )
            result["title"] = out["text"]
        else:
            result["title"] = title
    return result


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


_TERM = validate.Length(min=1, max=limits.TERM_MAX)
_NOTE = validate.Length(max=limits.TERM_NOTE_MAX)


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
        return translate_content(
            data["kind"], data["id"], data.get("target") or my_language(), source=data.get("source")
        )


@blp.route("/translation/pairs")
class Pairs(MethodView):
    @blp.response(200, PairsSchema)
    def get(self):
        """The language pairs the running configuration serves, and the engines' state"""
        return translation_call("pairs", call_timeout())


@blp.route("/translation/glossary")
class Glossary(MethodView):
    @blp.arguments(TermQuerySchema, location="query")
    @blp.response(200, TermPageSchema)
    def get(self, args):
        """The glossary: terms never translated, or forced per language (admins, global
        community managers)"""
        return rpc.call("translation", "glossary_list", limit=args["limit"], cursor=args.get("cursor"))

    @blp.arguments(TermCreateSchema)
    @blp.response(201, TermSchema)
    def post(self, data):
        """Add a term (admins, global community managers); 409 if it exists"""
        result = rpc.call("translation", "glossary_add", **data)
        memo().clear()
        return result


@blp.route("/translation/glossary/<string:term_id>")
class GlossaryTerm(MethodView):
    @blp.arguments(TermUpdateSchema)
    @blp.response(200, TermSchema)
    def patch(self, data, term_id):
        """Change a term's forced translations, case rule or note"""
        result = rpc.call("translation", "glossary_update", term_id=term_id, **data)
        memo().clear()
        return result

    @blp.response(200, TermRemovedSchema)
    def delete(self, term_id):
        """Remove a term"""
        result = rpc.call("translation", "glossary_remove", term_id=term_id)
        memo().clear()
        return result
