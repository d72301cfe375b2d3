"""Any LibreTranslate-compatible HTTP server (self-hosted neural engine).

``GET /languages`` lists the languages and their targets; ``POST /translate``
takes a list of texts in HTML mode (``<x id="1"/>`` passes through). An API
key, when the server wants one, comes from ``PARVIS_LIBRETRANSLATE_API_KEY``.
"""

from __future__ import annotations

import hashlib

from .base import Backend, EngineUnavailable, PairNotServed, Route
from .http import HttpEngine, TtlValue


class LibreTranslateBackend(Backend):
    name = "libretranslate"
    placeholder = "xml"

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        timeout: float = 15.0,
        pairs_ttl: float = 60.0,
        data_version: str | None = None,
    ):
        self.http = HttpEngine(url, timeout)
        self.api_key = api_key
        self.data_version = data_version
        self._pairs = TtlValue(pairs_ttl, self._list_pairs)

    def _list_pairs(self) -> frozenset:
        response = self.http.request("GET", "/languages", timeout=min(self.http.timeout, 5.0))
        if response.status_code != 200:
            raise EngineUnavailable(f"LibreTranslate answered HTTP {response.status_code}")
        pairs = set()
        for lang in self.http.json(response) or []:
            source = str(lang.get("code", ""))
            for target in lang.get("targets") or []:
                if len(source) == 2 and len(str(target)) == 2 and target != source:
                    pairs.add((source, str(target)))
        return frozenset(pairs)

    def pairs(self) -> set[tuple[str, str]]:
        return set(self._pairs.get())

    def version(self) -> str:
        listed = ",".join(sorted(f"{s}-{t}" for s, t in self._pairs.get()))
        digest = hashlib.sha256(listed.encode()).hexdigest()[:12]
        return f"lt-{digest}" + (f"-{self.data_version}" if self.data_version else "")

    def translate(self, texts: list[str], route: Route) -> list[str]:
        if not texts:
            return []
        payload = {"q": texts, "source": route.source, "target": route.target, "format": "html"}
        if self.api_key:
            payload["api_key"] = self.api_key
        response = self.http.request("POST", "/translate", json=payload)
        if response.status_code == 400:
            self._pairs.reset()
            raise PairNotServed(str(self.http.json(response).get("error") or "refused"))
        if response.status_code != 200:
            raise EngineUnavailable(f"LibreTranslate answered HTTP {response.status_code}")
        translated = self.http.json(response).get("translatedText")
        if isinstance(translated, str):
            translated = [translated]
        if not isinstance(translated, list) or len(translated) != len(texts):
            raise EngineUnavailable("LibreTranslate answered with the wrong number of texts")
        return [str(t) for t in translated]

    def close(self) -> None:
        self.http.close()
