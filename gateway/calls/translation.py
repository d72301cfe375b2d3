"""Translation, as the gateway asks it, and what it remembers of the answers.

Reading rights are the owning service's: :func:`translate_content` first fetches the post,
comment or page from ``feed`` or ``documents`` with the caller's own context (so something
the caller may not read answers exactly the ``NotFound`` of an unknown id), then asks
``translation`` to translate that text, linked to the content and its revision (so an edit
or a deletion drops the service's cached translation). The translated Markdown is rendered
and sanitised again here (``parvis_contracts.markdown.to_html``) before anyone sees it.

Calls to the engine have their own time limits: one translation a reader asked for waits
``PARVIS_TRANSLATION_RPC_TIMEOUT``; whatever a page asks by itself (labels, a whole page
translated automatically) ``PARVIS_TRANSLATION_PAGE_TIMEOUT``, and after a failure pages
stop asking for :data:`QUIET_AFTER_FAILURE` seconds (:func:`quiet`).

Three things are remembered by each gateway process, here and nowhere else:

- :class:`TranslationMemo`, the translations served lately (``PARVIS_TRANSLATION_MEMO_TTL``,
  ``PARVIS_TRANSLATION_MEMO_SIZE``): a second reader of the same revision in the same
  language costs the read, not the translation. Its key holds the content's kind, id and
  revision, the target, the stated source and a hash of the exact texts, so an edited post
  never meets an old translation and a hidden one is never read in the first place. What
  the key cannot see is a glossary change (one made through this process empties it) or an
  engine upgrade (the TTL);
- the served pairs (:func:`served_pairs`), a minute, and only while every engine answers;
- the language detected for a content revision (:func:`detect_languages`), so a page seen
  again costs nothing.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence

from flask import current_app, g
from nameko.exceptions import RpcTimeout

from parvis_contracts import markdown, settings
from parvis_contracts.client import RpcClient
from parvis_contracts.errors import ParvisError, Unavailable

from .. import rpc
from . import documents, feed, operations

log = logging.getLogger(__name__)

operation = operations("translation")

KINDS = ("post", "comment", "page")
MEMO_EXTENSION = "parvis_translation_memo"
PAIRS_EXTENSION = "parvis_translation_pairs"
QUIET_EXTENSION = "parvis_translation_quiet_until"
PAIRS_TTL = 60.0
#: after a failed optional call (labels, pairs), pages stop asking for this many seconds
QUIET_AFTER_FAILURE = 15.0
#: most texts one detection asks about; most detections remembered
DETECT_MAX_ITEMS = 100
DETECTED_MAX = 20_000
#: the first characters tell the language: a short request whatever the posts' length
DETECT_CHARS = 600

_LOCK = threading.Lock()


# --- calls with the translation's own time limits ---------------------------------------


def call_timeout() -> float:
    """One translation asked for by a reader: longer than the engine's own limit (15 s)."""
    return float(settings.value("PARVIS_TRANSLATION_RPC_TIMEOUT"))


def page_timeout() -> float:
    """A whole page translated automatically: short, the originals are shown after it."""
    return float(settings.value("PARVIS_TRANSLATION_PAGE_TIMEOUT"))


def _client(timeout: float) -> RpcClient:
    """A pooled client whose calls give up after ``timeout`` seconds (one per limit).

    Made on first use from the app's client configuration, and closed with it.
    """
    key = f"parvis_rpc_translation_{timeout:g}"
    client = current_app.extensions.get(key)
    if client is None:
        with _LOCK:
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


def _timed(method: str, timeout: float, **kwargs):
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


def pairs(timeout: float | None = None) -> dict:
    """The language pairs the running configuration serves, and the engines' state."""
    return _timed("pairs", timeout or call_timeout())


def translate_batch(items: list, target: str) -> list:
    """A page's texts at once (``partial``: each text its result or its error), page limit."""
    return _timed("translate_batch", page_timeout(), items=items, target=target, partial=True)


# --- pauses after a failure -------------------------------------------------------------


def quiet() -> bool:
    """Whether optional translation calls are paused after a recent failure."""
    return time.monotonic() < current_app.extensions.get(QUIET_EXTENSION, 0.0)


def note_failure() -> None:
    current_app.extensions[QUIET_EXTENSION] = time.monotonic() + QUIET_AFTER_FAILURE


# --- the served pairs, remembered a minute ----------------------------------------------


def served_pairs() -> dict | None:
    """``translation.pairs()``, remembered a minute per gateway app; None if unavailable.

    Remembered only while every engine answers: after an outage the next page asks again.
    """
    cache = current_app.extensions.setdefault(PAIRS_EXTENSION, {"at": 0.0, "value": None})
    now = time.monotonic()
    if cache["value"] is not None and now - cache["at"] < PAIRS_TTL:
        return cache["value"]
    if quiet():
        return None
    try:
        value = pairs(page_timeout())
    except Exception:  # the page still renders; the control says it cannot tell
        note_failure()
        return None
    if all(engine.get("status") == "ok" for engine in value.get("engines") or []):
        cache.update(at=now, value=value)
    return value


def pair_served(served: dict | None, source: str | None, target: str) -> bool | None:
    """True/False when known; None when the pairs, the source or an engine's list is unknown.

    A pair missing while an engine is not answering might be served by it: unknown.
    """
    if served is None or not source:
        return None
    if source == target:
        return True
    if any(p.get("source") == source and p.get("target") == target for p in served.get("pairs") or []):
        return True
    if any(engine.get("status") != "ok" for engine in served.get("engines") or []):
        return None
    return False


# --- the languages detected, per content revision ---------------------------------------

_DETECTED: OrderedDict = OrderedDict()
_DETECTED_LOCK = threading.Lock()


def _remember_language(key: tuple, language: str | None) -> None:
    with _DETECTED_LOCK:
        _DETECTED[key] = language
        _DETECTED.move_to_end(key)
        while len(_DETECTED) > DETECTED_MAX:
            _DETECTED.popitem(last=False)


def detected_language(kind: str, content_id, revision) -> str | None:
    """The language detected for this revision of a content, if it was asked before."""
    with _DETECTED_LOCK:
        return _DETECTED.get((kind, content_id, revision))


def detect_languages(texts: list[dict]) -> None:
    """Ask, in one call, the language of each text (``{kind, id, revision, body, language}``)
    with no stated language and not asked before; remembered per revision. A refusal or an
    engine not answering leaves them unlabelled (and pauses such calls a moment)."""

    def unknown(text: dict) -> bool:
        key = (text["kind"], text["id"], text["revision"])
        with _DETECTED_LOCK:
            return not text["language"] and key not in _DETECTED

    missing = [t for t in texts if unknown(t)][:DETECT_MAX_ITEMS]
    if not missing or quiet():
        return
    try:
        found = _timed("detect_batch", page_timeout(), texts=[t["body"][:DETECT_CHARS] for t in missing])
    except ParvisError as exc:  # refused (e.g. limits): no label; the page still renders
        if isinstance(exc, Unavailable):
            note_failure()
        log.info("language detection refused for a page: %s", exc)
        return
    except Exception as exc:  # not answering: no label, and pages stop asking a moment
        log.info("language detection unavailable for a page: %s", exc)
        note_failure()
        return
    for text, result in zip(missing, found, strict=False):
        _remember_language((text["kind"], text["id"], text["revision"]), result.get("language"))


# --- the translations served lately -----------------------------------------------------


def memo_key(
    kind: str, content_id: str, revision, target: str, source: str | None, texts: Sequence[str]
) -> tuple:
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode("utf-8"))
        digest.update(b"\x00")
    return (kind, content_id, revision, target, source, digest.hexdigest())


class TranslationMemo:
    """Translations served lately, bounded to ``size`` entries (least recently used first
    out), each for ``ttl`` seconds; ``size`` or ``ttl`` 0 turns it off."""

    def __init__(self, size: int = 4096, ttl: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.size = size
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple, tuple[float, dict]] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.size > 0 and self.ttl > 0

    def get(self, key: tuple) -> dict | None:
        if not self.enabled:
            return None
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            stored_at, value = entry
            if self._clock() - stored_at >= self.ttl:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return dict(value)

    def put(self, key: tuple, value: dict) -> None:
        if not self.enabled:
            return
        with self._lock:
            self._entries[key] = (self._clock(), dict(value))
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def memo() -> TranslationMemo:
    """This app's memo of served translations."""
    found = current_app.extensions.get(MEMO_EXTENSION)
    if found is None:
        with _LOCK:
            found = current_app.extensions.get(MEMO_EXTENSION)
            if found is None:
                found = TranslationMemo(
                    size=settings.value("PARVIS_TRANSLATION_MEMO_SIZE"),
                    ttl=float(settings.value("PARVIS_TRANSLATION_MEMO_TTL")),
                )
                current_app.extensions[MEMO_EXTENSION] = found
    return found


def forget_served() -> None:
    """Empty this process's memo (an erasure: an entry may hold a mention of the person;
    other processes' entries are keyed by the old text, never served again, gone within the
    memo's TTL)."""
    found = current_app.extensions.get(MEMO_EXTENSION)
    if found is not None:
        found.clear()


# --- translating what the caller may read -----------------------------------------------


def fetch_content(kind: str, content_id: str) -> dict:
    """The text(s) of a content, read with the caller's own rights (NotFound otherwise).

    -> ``{"texts": [markdown, ...], "language", "revision", "content"}``; a page
    gives its body then its title.
    """
    if kind == "post":
        item = feed.get_post(content_id)
        texts = [item.get("body") or ""]
    elif kind == "comment":
        item = feed.get_comment(content_id)
        texts = [item.get("body") or ""]
    else:
        item = documents.get_page(content_id)
        texts = [item.get("body") or "", item.get("title") or ""]
    revision = item.get("revision") if kind == "page" else item.get("version")
    return {
        "texts": texts,
        "language": item.get("language"),
        "revision": revision,
        "content": {"kind": kind, "id": content_id, "revision": revision},
    }


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
    first = _timed(
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
            out = _timed(
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


# --- the glossary -----------------------------------------------------------------------
# a change empties this process's memo: a served translation may not follow the new rule


@operation
def glossary_list(limit: int = 100, cursor: str | None = None) -> dict:
    return {"limit": limit, "cursor": cursor}


@operation(method="glossary_add")
def _glossary_add(**term) -> dict:
    return term


@operation(method="glossary_update")
def _glossary_update(term_id: str, **changes) -> dict:
    return {"term_id": term_id, **changes}


@operation(method="glossary_remove")
def _glossary_remove(term_id: str) -> dict:
    return {"term_id": term_id}


def glossary_add(**term) -> dict:
    """``term``, ``translations``, ``source_language``, ``case_sensitive``, ``note``."""
    result = _glossary_add(**term)
    memo().clear()
    return result


def glossary_update(term_id: str, **changes) -> dict:
    """``translations``, ``case_sensitive``, ``note`` (left out or null: unchanged)."""
    result = _glossary_update(term_id, **changes)
    memo().clear()
    return result


def glossary_remove(term_id: str) -> dict:
    result = _glossary_remove(term_id)
    memo().clear()
    return result
