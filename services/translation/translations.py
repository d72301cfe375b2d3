"""Translate a text for a signed-in caller: limits, detection, route, glossary, cache, engine.

Stateless apart from the cache: whether the caller may read the content the
text comes from is the gateway's business (it fetched the text from feed with
the caller's context before asking for a translation).
"""

from __future__ import annotations

from parvis_contracts.errors import PayloadTooLarge, Unauthenticated, Unavailable, ValidationFailed

from . import cache, glossary, protect
from .backends.base import EngineUnavailable, PairNotServed
from .engine import Engine
from .translator import translate_document


def check_size(engine: Engine, text) -> None:
    limit = engine.settings.max_chars
    if isinstance(text, str) and len(text) > limit:
        raise PayloadTooLarge(
            f"The text is too long to translate ({len(text)} characters; the limit is {limit}).",
            {"limit": limit, "length": len(text)},
        )


def require_person(caller) -> None:
    if caller is None or not (caller.is_person or caller.is_system):
        raise Unauthenticated("Sign in first.")


def detect(engine: Engine, caller, text: str) -> dict:
    require_person(caller)
    check_size(engine, text)
    return engine.detector.detect(text)


def _unsupported(engine: Engine, source: str, target: str) -> ValidationFailed:
    return ValidationFailed(
        f"No translation from {source} to {target} is available.",
        {
            "pair": f"{source}-{target}",
            "code": "unsupported_pair",
            "hint": "The pairs() method lists what this network can translate.",
        },
    )


def _route(engine: Engine, source: str, target: str):
    pairs, status = engine.router.backend_pairs()
    route = engine.router.route(source, target, pairs)
    if route is None:
        down = sorted(name for name, state in status.items() if state != "ok")
        if down and not any(pairs.get(name) for name in down):
            # an engine that never answered might serve it: say "try later", not "never"
            raise Unavailable("The translation engine is not available; try again later.", {"engines": down})
        raise _unsupported(engine, source, target)
    return route


def translate(
    db,
    engine: Engine,
    caller,
    now,
    text: str,
    target: str,
    source: str | None,
    content: dict | None,
    cache_only: bool = False,
) -> dict:
    """``cache_only``: answer from the cache or raise ``Unavailable``, never call an engine."""
    require_person(caller)
    check_size(engine, text)
    detected, confidence = False, None
    if source is None:
        found = engine.detector.detect(text)
        if found["language"] is None:
            if not protect.protect(text).plain_text().strip() or not text.strip():
                source = target  # nothing to translate: no words at all
            else:
                raise ValidationFailed(
                    "The language of this text could not be detected; give the source language.",
                    {"source": ["Could not detect the language."]},
                )
        else:
            source, confidence, detected = found["language"], found["confidence"], True
    if source == target or not text.strip():
        return {
            "text": text,
            "source": source,
            "target": target,
            "detected": detected,
            "confidence": confidence,
            "engine": "none",
            "via": [source],
            "cached": False,
        }

    route = _route(engine, source, target)
    backend = engine.backends[route.backend]
    rows = glossary.load_all(db)
    glossary_version = glossary.version(db)
    engine_id = f"{route.backend}:{'|'.join(route.chain)}"
    engine_version = f"{engine.router.version(route.backend)}+{protect.VERSION}"
    key = cache.cache_key(text, source, target, engine_id, engine_version, glossary_version)
    result = {
        "source": source,
        "target": target,
        "detected": detected,
        "confidence": confidence,
        "engine": route.backend,
        "via": list(route.chain),
    }

    hit = cache.lookup(db, key)
    if hit is not None:
        cache.link(db, hit, content)
        db.commit()
        return dict(result, text=hit.translated, cached=True)

    if cache_only:
        raise Unavailable(
            "The translation engine is not available; try again later.", {"engine": route.backend}
        )
    doc = protect.protect(text, glossary.terms_for(rows, source, target))
    try:
        translated = translate_document(doc, backend, route)
    except EngineUnavailable as exc:
        db.rollback()
        raise Unavailable(
            "The translation engine is not available; try again later.",
            {"engine": route.backend, "reason": str(exc)},
        ) from None
    except PairNotServed:
        db.rollback()
        raise _unsupported(engine, source, target) from None
    row = cache.store(
        db, key, now, text, source, target, engine_id, engine_version, glossary_version, translated
    )
    cache.link(db, row, content)
    db.commit()
    return dict(result, text=translated, cached=False)


def check_batch_size(engine: Engine, items) -> None:
    """Each text within the limit, and the whole batch within five times it."""
    if not isinstance(items, list):
        return
    total = 0
    for item in items:
        text = item.get("text") if isinstance(item, dict) else None
        check_size(engine, text)
        total += len(text) if isinstance(text, str) else 0
    limit = engine.settings.max_chars * 5
    if total > limit:
        raise PayloadTooLarge(
            f"These texts are too long to translate in one call ({total} characters; the limit is {limit}).",
            {"limit": limit, "length": total},
        )


def translate_batch(
    db, engine: Engine, caller, now, items: list[dict], target: str, partial: bool = False
) -> list:
    """Several texts (a wall page) in one call, in order; each one cached on its own.

    ``partial``: a text that cannot be translated (language not detected, pair not
    served, engine down) answers ``{"error": {code, message, details}}`` in its place
    instead of failing the whole batch; once the engine is found down, the remaining
    texts are answered from the cache only (no second wait for a dead engine).
    """
    if not partial:
        return [
            translate(db, engine, caller, now, item["text"], target, item["source"], item["content"])
            for item in items
        ]
    require_person(caller)
    results, engine_down = [], False
    for item in items:
        try:
            results.append(
                translate(
                    db,
                    engine,
                    caller,
                    now,
                    item["text"],
                    target,
                    item["source"],
                    item["content"],
                    cache_only=engine_down,
                )
            )
        except (ValidationFailed, Unavailable) as exc:
            engine_down = engine_down or isinstance(exc, Unavailable)
            results.append(
                {"error": {"code": exc.code, "message": exc.message, "details": exc.details or {}}}
            )
    return results


def pairs(engine: Engine, caller) -> dict:
    require_person(caller)
    routes, status = engine.router.all_routes()
    languages = sorted({code for r in routes for code in (r.source, r.target)})
    return {
        "languages": languages,
        "pairs": [r.describe() for r in routes],
        "engines": [{"name": name, "status": status[name]} for name in engine.backends],
        "detect_languages": list(engine.detector.languages),
        "max_chars": engine.settings.max_chars,
    }
