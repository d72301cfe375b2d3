"""Offline language detection with lingua (models ship inside the wheel).

The detector is restricted to ``PARVIS_TRANSLATION_DETECT_LANGUAGES`` (the
network's languages, German included even though no Apertium pair has it, so
German text is recognised and refused clearly instead of being taken for
Dutch). Protected spans (mentions, URLs, code...) are removed before
detection. Below ``PARVIS_TRANSLATION_DETECT_MIN_CONFIDENCE`` the answer is
"unknown" (``language: None``).

``high`` accuracy (default) loads lingua's full n-gram models (~190 MB for
eight languages, ~3 s, done once per process when the service starts);
``low`` uses trigrams only (~25 MB, less reliable on short texts).
"""

from __future__ import annotations

import functools
import re

from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

from . import protect

_LETTERS_RE = re.compile(r"[^\W\d_]")


def _language(code: str) -> Language:
    try:
        return Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
    except (AttributeError, ValueError):
        raise ValueError(f"lingua does not know the language {code!r}") from None


@functools.lru_cache(maxsize=4)
def _detector(languages: tuple[str, ...], accuracy: str, preload: bool):
    builder = LanguageDetectorBuilder.from_languages(*[_language(c) for c in languages])
    if accuracy == "low":
        builder = builder.with_low_accuracy_mode()
    if preload:
        builder = builder.with_preloaded_language_models()
    return builder.build()


class Detector:
    def __init__(self, languages, accuracy: str = "high", min_confidence: float = 0.6, preload: bool = False):
        self.languages = tuple(sorted(set(languages)))
        if len(self.languages) < 2:
            raise ValueError("language detection needs at least two languages")
        self.accuracy = accuracy
        self.min_confidence = min_confidence
        self.detector = _detector(self.languages, accuracy, preload)

    def detect(self, text: str) -> dict:
        """``{"language": "fr" | None, "confidence": 0.95, "candidates": [...]}``."""
        words = protect.protect(text).plain_text()
        if len(_LETTERS_RE.findall(words)) < 2:
            return {"language": None, "confidence": 0.0, "candidates": []}
        values = self.detector.compute_language_confidence_values(words)
        candidates = [
            {"language": v.language.iso_code_639_1.name.lower(), "confidence": round(float(v.value), 4)}
            for v in values[:3]
        ]
        best = candidates[0] if candidates else None
        if best is None or best["confidence"] < self.min_confidence:
            return {
                "language": None,
                "confidence": best["confidence"] if best else 0.0,
                "candidates": candidates,
            }
        return {"language": best["language"], "confidence": best["confidence"], "candidates": candidates}
