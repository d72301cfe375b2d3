"""The network's glossary: terms never translated, or forced per target language.

Only network admins and global community managers (roles in the signed caller
context) list and change it; everyone else gets ``Forbidden``. Every change
bumps the glossary version, which is part of every cache key, and drops the
cached translations made with an older glossary in the same transaction.
"""

from __future__ import annotations

from sqlalchemy import delete, select, tuple_, update

from parvis_contracts import cursors
from parvis_contracts.db import new_id
from parvis_contracts.errors import Conflict, Forbidden, ValidationFailed, not_found

from .models import CachedTranslation, GlossaryState, GlossaryTerm, GlossaryTranslation
from .protect import Term


def require_manager(caller) -> None:
    if caller is None or not caller.is_global_manager:
        raise Forbidden("Only network admins and global community managers manage the glossary.")


def version(db) -> int:
    value = db.execute(select(GlossaryState.version).where(GlossaryState.id == 1)).scalar()
    return int(value or 0)


def _bump(db) -> int:
    current = db.execute(select(GlossaryState).where(GlossaryState.id == 1)).scalar()
    if current is None:
        current = GlossaryState(id=1, version=0)
        db.add(current)
        db.flush()
    db.execute(update(GlossaryState).where(GlossaryState.id == 1).values(version=GlossaryState.version + 1))
    new = version(db)
    db.execute(delete(CachedTranslation).where(CachedTranslation.glossary_version < new))
    return new


def load_all(db) -> list[GlossaryTerm]:
    return list(db.execute(select(GlossaryTerm).order_by(GlossaryTerm.term_key, GlossaryTerm.id)).scalars())


def terms_for(rows: list[GlossaryTerm], source: str, target: str) -> tuple[Term, ...]:
    """The protector's terms for one pair (terms of another source language left out)."""
    terms = []
    for row in rows:
        if row.source_language and row.source_language != source:
            continue
        forced = {tr.language: tr.translation for tr in row.translations}
        terms.append(Term(row.term, row.case_sensitive, forced.get(target)))
    return tuple(terms)


def _encode(term_key: str, term_id: str) -> str:
    return cursors.encode(term_key, term_id)


def _decode(cursor: str) -> tuple[str, str]:
    key, term_id = cursors.decode(cursor, (str, str), "the glossary")
    return key, term_id


def listing(db, caller, limit: int, cursor: str | None) -> dict:
    require_manager(caller)
    query = select(GlossaryTerm).order_by(GlossaryTerm.term_key, GlossaryTerm.id)
    if cursor:
        query = query.where(tuple_(GlossaryTerm.term_key, GlossaryTerm.id) > _decode(cursor))
    rows = list(db.execute(query.limit(limit + 1)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": rows,
        "glossary_version": version(db),
        "next_cursor": _encode(rows[-1].term_key, rows[-1].id) if more and rows else None,
    }


def _clean(term: str) -> str:
    text = " ".join(term.split())
    if not text:
        raise ValidationFailed("The request is not valid.", {"term": ["The term is empty."]})
    return text


def _set_translations(row: GlossaryTerm, translations: dict) -> None:
    row.translations = [
        GlossaryTranslation(language=lang, translation=" ".join(text.split()))
        for lang, text in sorted(translations.items())
        if text.strip()
    ]


def add(
    db,
    caller,
    now,
    term: str,
    translations: dict,
    source_language: str | None,
    case_sensitive: bool,
    note: str,
) -> GlossaryTerm:
    require_manager(caller)
    text = _clean(term)
    key = text if case_sensitive else text.casefold()
    exists = db.execute(
        select(GlossaryTerm.id).where(
            GlossaryTerm.term_key == key, GlossaryTerm.source_language == (source_language or "")
        )
    ).first()
    if exists:
        raise Conflict("This term is already in the glossary.", {"term": text})
    row = GlossaryTerm(
        id=new_id(),
        term=text,
        term_key=key,
        source_language=source_language or "",
        case_sensitive=case_sensitive,
        note=note.strip(),
        created_by=caller.user_id,
        created_at=now,
        updated_at=now,
    )
    _set_translations(row, translations)
    db.add(row)
    db.flush()
    _bump(db)
    return row


def _get(db, term_id: str) -> GlossaryTerm:
    row = db.get(GlossaryTerm, term_id)
    if row is None:
        raise not_found("glossary term")
    return row


def update_term(
    db, caller, now, term_id: str, translations: dict | None, case_sensitive: bool | None, note: str | None
) -> GlossaryTerm:
    require_manager(caller)
    row = _get(db, term_id)
    if translations is not None:
        _set_translations(row, translations)
    if case_sensitive is not None and case_sensitive != row.case_sensitive:
        row.case_sensitive = case_sensitive
        row.term_key = row.term if case_sensitive else row.term.casefold()
    if note is not None:
        row.note = note.strip()
    row.updated_at = now
    db.flush()
    _bump(db)
    return row


def remove(db, caller, term_id: str) -> dict:
    require_manager(caller)
    row = _get(db, term_id)
    db.delete(row)
    db.flush()
    return {"removed": term_id, "glossary_version": _bump(db)}
