"""Pre-translation: when a post, comment or page is written, translate it at once into
the preferred languages of its community's members, so readers get a cache hit.

Runs in this service's event handlers (``feed.post_created``, ``feed.comment_created``,
``documents.page_created``, ``documents.page_updated``), never in the writer's
request: the feed does not wait for it. The text and the translations are exactly
what the gateway asks for later (same Markdown, same source — the stated language
or the detected one — same ``content`` reference), so the cache keys match.

Failure policy: pre-translation is an optimisation. A text that cannot be
translated (language not detected, pair not served, too long) is skipped; when the
engine is down or too slow, the remaining languages are skipped and the handler
returns normally, so the event is marked processed and never retried into the
dead-letter queue: the reader's own "translate" fills the cache later. Nothing is
cached for a failed call. Only an unexpected exception (a bug) is retried a bounded
number of times and then dead-lettered, like any handler.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select

from parvis_contracts import settings
from parvis_contracts.context import KIND_SYSTEM, Caller
from parvis_contracts.errors import PayloadTooLarge, Unavailable, ValidationFailed

from . import translations
from .engine import Engine
from .models import MEMBERSHIP, PersonLanguage

log = logging.getLogger(__name__)

#: the caller the handlers translate as (an event handler has no person behind it)
SYSTEM = Caller(kind=KIND_SYSTEM)


def max_targets() -> int:
    """At most this many target languages per text (the most common among members first)."""
    return max(0, settings.value("PARVIS_TRANSLATION_PRETRANSLATE_MAX_TARGETS"))


# --- people's languages ------------------------------------------------------------


def apply_language(db, user_id: str, language: str | None, occurred_at: datetime) -> str:
    """Record a person's preferred language unless a newer change is already known."""
    if not language:
        return "ignored"
    row = db.get(PersonLanguage, user_id)
    if row is None:
        db.add(PersonLanguage(user_id=user_id, preferred_language=language, changed_at=occurred_at))
        return "applied"
    if row.changed_at > occurred_at:
        return "stale"
    row.preferred_language, row.changed_at = language, occurred_at
    return "applied"


def forget_person(db, user_id: str) -> str:
    row = db.get(PersonLanguage, user_id)
    if row is None:
        return "ignored"
    db.delete(row)
    return "applied"


def member_languages(db, community_id: str) -> list[str]:
    """Distinct preferred languages of the community's current members, most common first."""
    m = MEMBERSHIP.memberships
    count = func.count()
    rows = db.execute(
        select(PersonLanguage.preferred_language, count)
        .join(m, m.c.user_id == PersonLanguage.user_id)
        .where(m.c.community_id == community_id, m.c.removed.is_(False))
        .group_by(PersonLanguage.preferred_language)
        .order_by(count.desc(), PersonLanguage.preferred_language)
    )
    return [language for language, _ in rows]


# --- translating ahead of the readers ------------------------------------------------


def _served(engine: Engine, source: str, target: str) -> bool:
    """Whether a route exists now; ``Unavailable`` when the engines have never answered."""
    try:
        translations._route(engine, source, target)
    except ValidationFailed:
        return False
    return True


def _source_of(engine: Engine, text: str, stated: str | None) -> str | None:
    if stated:
        return stated
    found = engine.detector.detect(text)
    return found["language"]


def pretranslate(
    db,
    engine: Engine,
    now: datetime,
    community_id: str,
    texts: list[str],
    stated_language: str | None,
    content: dict,
) -> dict:
    """Translate ``texts`` of one content into the members' languages; a summary.

    The first text (a body) is translated with ``stated_language`` as its source (or
    detected); the others (a page's title) with the source found for the first — as
    the gateway does. Returns ``{"source", "targets", "translated", "skipped",
    "engine_down"}``.
    """
    summary = {"source": None, "targets": [], "translated": 0, "skipped": [], "engine_down": False}
    if not texts or not texts[0] or not texts[0].strip():
        return summary
    try:
        for text in texts:
            translations.check_size(engine, text or "")
    except PayloadTooLarge:
        summary["skipped"].append("too_long")
        return summary
    source = _source_of(engine, texts[0], stated_language)
    summary["source"] = source
    if source is None:
        summary["skipped"].append("language_not_detected")
        return summary
    targets = []
    for lang in member_languages(db, community_id):
        if lang == source:
            continue
        if len(targets) >= max_targets():
            summary["skipped"].append(f"{lang}:over_limit")
            continue
        try:
            served = _served(engine, source, lang)
        except Unavailable:
            log.warning(
                "pre-translation of %s %s skipped: the engines are not available",
                content["kind"],
                content["id"],
            )
            summary["engine_down"] = True
            return summary
        if served:
            targets.append(lang)
        else:
            summary["skipped"].append(f"{lang}:not_served")
    summary["targets"] = targets
    for target in targets:
        first_source = stated_language
        for text in texts:
            if not text or not text.strip():
                continue
            try:
                result = translations.translate(db, engine, SYSTEM, now, text, target, first_source, content)
            except Unavailable as exc:
                log.warning(
                    "pre-translation of %s %s into %s stopped: engine unavailable (%s)",
                    content["kind"],
                    content["id"],
                    target,
                    exc.message,
                )
                summary["engine_down"] = True
                return summary
            except ValidationFailed as exc:
                log.info(
                    "pre-translation of %s %s into %s skipped: %s",
                    content["kind"],
                    content["id"],
                    target,
                    exc.message,
                )
                summary["skipped"].append(f"{target}:invalid")
                break
            first_source = result["source"]
            if not result["cached"]:
                summary["translated"] += 1
    return summary
