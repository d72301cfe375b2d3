"""The translation service: language detection, backends, cache, glossaries."""
