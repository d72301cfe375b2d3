"""Privacy (GDPR): what the translation service holds about one person, and its erasure.

Export (the person themself or a network admin): the glossary terms they created
(with their forced translations) and their translation settings as this service
keeps them (the preferred language it pre-translates into). The "translate
automatically" choice is a profile field: identity exports it.

On ``identity.user_erased`` (``on_user_erased``): the person's language row is
deleted (pre-translation stops counting them), the glossary terms they made stay,
since the glossary is the network's, but no longer name their creator, and every
cached translation holding a mention of them (``@[Name](<id>)``: mentions are
protected spans, copied verbatim into translations) is dropped; feed and
documents rewrite the mention in the source texts, which are translated afresh
when next read. The translations of the person's own posts are kept, like the
posts. Handling the event twice changes nothing.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update

from parvis_contracts.privacy import iso as _iso
from parvis_contracts.privacy import require_self_or_admin

from . import pretranslate
from .models import CachedContent, CachedTranslation, GlossaryTerm, PersonLanguage


def export(session, caller, person_id: str) -> dict:
    require_self_or_admin(caller, person_id)
    terms = session.scalars(
        select(GlossaryTerm)
        .where(GlossaryTerm.created_by == person_id)
        .order_by(GlossaryTerm.created_at, GlossaryTerm.id)
    )
    language = session.get(PersonLanguage, person_id)
    return {
        "service": "translation",
        "person_id": person_id,
        "glossary_terms_created": [
            {
                "id": t.id,
                "term": t.term,
                "source_language": t.source_language or None,
                "case_sensitive": bool(t.case_sensitive),
                "note": t.note,
                "translations": {tr.language: tr.translation for tr in t.translations},
                "created_at": _iso(t.created_at),
                "updated_at": _iso(t.updated_at),
            }
            for t in terms
        ],
        "settings": {
            "preferred_language": language.preferred_language if language else None,
            "changed_at": _iso(language.changed_at) if language else None,
        },
    }


def forget_person(session, user_id: str) -> dict:
    """Drop the person's settings and the translations mentioning them, unname their
    glossary terms (no commit)."""
    outcome = pretranslate.forget_person(session, user_id)
    unnamed = session.execute(
        update(GlossaryTerm).where(GlossaryTerm.created_by == user_id).values(created_by=None)
    ).rowcount
    ids = list(
        session.scalars(
            select(CachedTranslation.id).where(
                CachedTranslation.translated.contains(f"]({user_id})", autoescape=True)
            )
        )
    )
    if ids:
        session.execute(delete(CachedContent).where(CachedContent.cache_id.in_(ids)))
        session.execute(delete(CachedTranslation).where(CachedTranslation.id.in_(ids)))
    return {"settings": outcome, "glossary_terms_unnamed": unnamed, "translations_dropped": len(ids)}
