"""Translations this gateway process served lately, keyed by what they translate.

A second reader of the same post in the same language should cost about what
reading the post costs. The gateway always reads the content first with the
reader's own rights (so access is checked on every request, exactly as
without this memo); the memo only saves the call to the translation service
that would follow. Its key holds the content's kind, id and revision, the
target language, the stated source language and a hash of the exact texts, so
an edited post (new revision, new text) never meets an old translation, and a
deleted or hidden one is never read in the first place.

What the key cannot see is a glossary change or an engine upgrade: a glossary
change made through this process clears the memo; anything else ages out after
``ttl`` seconds (``PARVIS_TRANSLATION_MEMO_TTL``, 60 by default; 0 turns the
memo off). Bounded to ``size`` entries, least recently used first out.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence


def memo_key(
    kind: str, content_id: str, revision, target: str, source: str | None, texts: Sequence[str]
) -> tuple:
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode("utf-8"))
        digest.update(b"\x00")
    return (kind, content_id, revision, target, source, digest.hexdigest())


class TranslationMemo:
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
