"""The translation service's configuration (environment variables, working defaults).

Every name is listed in docs/services/translation.md. A service container may
override any of them with a ``TRANSLATION`` dict in its nameko config.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from parvis_contracts import settings as table

#: each field and the variable it comes from; the defaults are the table's
FIELDS = {
    "backends": "PARVIS_TRANSLATION_BACKENDS",
    "apertium_url": "PARVIS_APERTIUM_URL",
    "apertium_version": "PARVIS_APERTIUM_VERSION",
    "libretranslate_url": "PARVIS_LIBRETRANSLATE_URL",
    "libretranslate_api_key": "PARVIS_LIBRETRANSLATE_API_KEY",
    "deepl_url": "PARVIS_DEEPL_URL",
    "deepl_api_key": "PARVIS_DEEPL_API_KEY",
    "deepl_targets": "PARVIS_DEEPL_TARGETS",
    "memory_pairs": "PARVIS_MEMORY_PAIRS",
    "routes": "PARVIS_TRANSLATION_ROUTES",
    "routes_file": "PARVIS_TRANSLATION_ROUTES_FILE",
    "pivots": "PARVIS_TRANSLATION_PIVOTS",
    "max_hops": "PARVIS_TRANSLATION_MAX_HOPS",
    "max_chars": "PARVIS_TRANSLATION_MAX_CHARS",
    "timeout": "PARVIS_TRANSLATION_TIMEOUT",
    "pairs_ttl": "PARVIS_TRANSLATION_PAIRS_TTL",
    "detect_languages": "PARVIS_TRANSLATION_DETECT_LANGUAGES",
    "detect_min_confidence": "PARVIS_TRANSLATION_DETECT_MIN_CONFIDENCE",
    "detect_accuracy": "PARVIS_TRANSLATION_DETECT_ACCURACY",
}


def _default(attribute: str):
    return field(default_factory=lambda: table.default(FIELDS[attribute]))


@dataclass
class Settings:
    backends: list[str] = _default("backends")
    apertium_url: str = _default("apertium_url")
    apertium_version: str | None = _default("apertium_version")
    libretranslate_url: str | None = _default("libretranslate_url")
    libretranslate_api_key: str | None = _default("libretranslate_api_key")
    deepl_url: str = _default("deepl_url")
    deepl_api_key: str | None = _default("deepl_api_key")
    deepl_targets: str = _default("deepl_targets")
    memory_pairs: list[str] = _default("memory_pairs")
    routes: str = _default("routes")
    routes_file: str | None = _default("routes_file")
    pivots: list[str] = _default("pivots")
    max_hops: int = _default("max_hops")
    max_chars: int = _default("max_chars")
    timeout: float = _default("timeout")
    pairs_ttl: float = _default("pairs_ttl")
    detect_languages: list[str] = _default("detect_languages")
    detect_min_confidence: float = _default("detect_min_confidence")
    detect_accuracy: str = _default("detect_accuracy")

    @classmethod
    def from_mapping(cls, env: dict) -> Settings:
        """From ``env`` (variables as in the environment; empty values count as unset)."""
        found = {attribute: table.value(name, env) for attribute, name in FIELDS.items()}
        found["detect_accuracy"] = found["detect_accuracy"].lower()
        return cls(**found)

    @classmethod
    def from_environment(cls, overrides: dict | None = None) -> Settings:
        return cls.from_mapping({**os.environ, **(overrides or {})})

    def route_text(self) -> str:
        text = self.routes or ""
        if self.routes_file:
            with open(self.routes_file, encoding="utf-8") as fh:
                text += "\n" + fh.read()
        return text
