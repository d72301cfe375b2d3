"""Entrypoints of the translation service: load input, authorise, delegate, dump output.

The interface is documented in docs/services/translation.md. Domain logic
lives in ``translations`` (translate, detect, pairs), ``glossary``, ``cache``,
``protect`` (protected spans and Markdown structure), ``routing`` and
``backends``.
"""

from __future__ import annotations

from datetime import datetime

from parvis_contracts import events as ev
from parvis_contracts.clock import Clock
from parvis_contracts.db import Database
from parvis_contracts.entrypoints import CurrentCaller, dump, rpc, transactional
from parvis_contracts.handlers import idempotent_handler
from parvis_contracts.health import PlatformEntrypoints
from parvis_contracts.membership import MembershipEventHandlers
from parvis_contracts.metrics import Metrics
from parvis_contracts.privacy import PersonDataEntrypoints
from parvis_contracts.schemas import load

from . import cache, glossary, pretranslate, privacy, translations
from . import schemas as s
from .engine import TranslationEngine
from .models import MEMBERSHIP, metadata


class TranslationService(PersonDataEntrypoints, MembershipEventHandlers, PlatformEntrypoints):
    name = "translation"
    person_data = privacy  # export_person_data, on_user_erased (GDPR)
    membership_model = MEMBERSHIP

    db = Database(metadata)
    caller = CurrentCaller()
    metrics = Metrics()
    clock = Clock()
    engine = TranslationEngine()

    # --- translation -------------------------------------------------------------

    @rpc
    @transactional
    def translate(self, text, target, source=None, content=None):
        """Translate Markdown ``text`` into ``target`` (ISO 639-1); ``source`` detected if absent.

        ``content`` (``{"kind": "post", "id": ..., "revision": n}``) links the cached
        translation to that content so its edit or deletion drops it.
        """
        translations.check_size(self.engine, text)
        data = load(
            s.TranslateSchema(), {"text": text, "target": target, "source": source, "content": content}
        )
        result = translations.translate(self.db, self.engine, self.caller, self.clock(), **data)
        return dump(s.TranslationOutSchema, result)

    @rpc
    @transactional
    def translate_batch(self, items, target, partial=False):
        """``items``: up to 100 ``{"text", "source"?, "content"?}``; answers in the same order.

        ``partial``: an item that cannot be translated answers ``{"error": ...}`` in place.
        """
        translations.check_batch_size(self.engine, items)
        data = load(s.TranslateBatchSchema(), {"items": items, "target": target, "partial": partial})
        results = translations.translate_batch(self.db, self.engine, self.caller, self.clock(), **data)
        return [dump(s.TranslationOutSchema, result) for result in results]

    @rpc
    def detect(self, text):
        translations.check_size(self.engine, text)
        data = load(s.DetectSchema(), {"text": text})
        return translations.detect(self.engine, self.caller, **data)

    @rpc
    def detect_batch(self, texts):
        """The language of each text (a wall page: 1-100 texts), in order: ``[{language,
        confidence}]``; ``language`` is None below the confidence threshold."""
        translations.check_batch_size(
            self.engine, [{"text": t} for t in texts] if isinstance(texts, list) else texts
        )
        data = load(s.DetectBatchSchema(), {"texts": texts})
        return [
            {"language": found["language"], "confidence": found["confidence"]}
            for found in (translations.detect(self.engine, self.caller, text) for text in data["texts"])
        ]

    @rpc
    def pairs(self):
        return translations.pairs(self.engine, self.caller)

    # --- glossary ----------------------------------------------------------------

    @rpc
    @transactional
    def glossary_list(self, limit=100, cursor=None):
        data = load(s.GlossaryListSchema(), {"limit": limit, "cursor": cursor})
        return dump(s.TermPageSchema, glossary.listing(self.db, self.caller, **data))

    @rpc
    @transactional
    def glossary_add(self, term, translations=None, source_language=None, case_sensitive=False, note=""):
        glossary.require_manager(self.caller)
        data = load(
            s.GlossaryAddSchema(),
            {
                "term": term,
                "translations": translations or {},
                "source_language": source_language,
                "case_sensitive": case_sensitive,
                "note": note,
            },
        )
        row = glossary.add(self.db, self.caller, self.clock(), **data)
        self.db.commit()
        return dump(s.TermSchema, row)

    @rpc
    @transactional
    def glossary_update(self, term_id, translations=None, case_sensitive=None, note=None):
        glossary.require_manager(self.caller)
        data = load(
            s.GlossaryUpdateSchema(),
            {
                "term_id": term_id,
                "translations": translations,
                "case_sensitive": case_sensitive,
                "note": note,
            },
        )
        row = glossary.update_term(self.db, self.caller, self.clock(), **data)
        self.db.commit()
        return dump(s.TermSchema, row)

    @rpc
    @transactional
    def glossary_remove(self, term_id):
        glossary.require_manager(self.caller)
        data = load(s.TermIdSchema(), {"term_id": term_id})
        result = glossary.remove(self.db, self.caller, **data)
        self.db.commit()
        return result

    # --- events: edited or deleted content drops its cached translations -----------

    def _drop(self, envelope, kind: str) -> int:
        data = load(s.ContentEventSchema(), envelope.data)
        content_id = data["comment_id"] if kind == "comment" else data["post_id"]
        if not content_id:
            return 0
        return cache.drop_content(self.db, kind, content_id)

    @idempotent_handler(ev.FEED_POST_UPDATED)
    def on_post_updated(self, envelope):
        return self._drop(envelope, "post")

    @idempotent_handler(ev.FEED_POST_DELETED)
    def on_post_deleted(self, envelope):
        return self._drop(envelope, "post")

    @idempotent_handler(ev.FEED_COMMENT_UPDATED)
    def on_comment_updated(self, envelope):
        return self._drop(envelope, "comment")

    @idempotent_handler(ev.FEED_COMMENT_DELETED)
    def on_comment_deleted(self, envelope):
        return self._drop(envelope, "comment")

    @idempotent_handler(ev.DOCUMENTS_PAGE_DELETED)
    def on_page_deleted(self, envelope):
        data = load(s.PageEventInSchema(), envelope.data)
        return cache.drop_content(self.db, "page", data["page_id"])

    # --- events: pre-translation into the members' languages (docs: "Pre-translation") ----

    def _pretranslate(self, community_id, texts, language, content):
        if not community_id:
            return None
        return pretranslate.pretranslate(
            self.db, self.engine, self.clock(), community_id, texts, language, content
        )

    @idempotent_handler(ev.FEED_POST_CREATED)
    def on_post_created(self, envelope):
        data = load(s.ContentEventSchema(), envelope.data)
        return self._pretranslate(
            data["community_id"],
            [data["body"]],
            data["language"],
            {"kind": "post", "id": data["post_id"], "revision": data["revision"]},
        )

    @idempotent_handler(ev.FEED_COMMENT_CREATED)
    def on_comment_created(self, envelope):
        data = load(s.ContentEventSchema(), envelope.data)
        if not data["comment_id"]:
            return None
        return self._pretranslate(
            data["community_id"],
            [data["body"]],
            data["language"],
            {"kind": "comment", "id": data["comment_id"], "revision": data["revision"]},
        )

    def _page(self, envelope):
        data = load(s.PageEventInSchema(), envelope.data)
        return self._pretranslate(
            data["community_id"],
            [data["body"], data["title"]],
            data["language"],
            {"kind": "page", "id": data["page_id"], "revision": data["revision"]},
        )

    @idempotent_handler(ev.DOCUMENTS_PAGE_CREATED)
    def on_page_created(self, envelope):
        return self._page(envelope)

    @idempotent_handler(ev.DOCUMENTS_PAGE_UPDATED)
    def on_page_updated(self, envelope):
        return self._page(envelope)

    # --- events: people's preferred languages -------------------------------------

    def _language(self, envelope):
        data = load(s.PersonLanguageEventSchema(), envelope.data)
        return pretranslate.apply_language(
            self.db, data["user_id"], data["preferred_language"], datetime.fromisoformat(envelope.occurred_at)
        )

    @idempotent_handler(ev.IDENTITY_USER_CREATED)
    def on_user_created(self, envelope):
        return self._language(envelope)

    @idempotent_handler(ev.IDENTITY_USER_LANGUAGE_CHANGED)
    def on_user_language_changed(self, envelope):
        return self._language(envelope)
