"""A cloud API in the DeepL style (v2): key from the environment, XML tag handling.

``PARVIS_DEEPL_API_KEY`` enables it (never in the repository);
``PARVIS_DEEPL_URL`` points at the API (the free and the paid plans have
different hosts; any compatible gateway works). Placeholders are sent as
``<x id="1"/>`` with ``tag_handling=xml`` and ``ignore_tags=x``. DeepL wants a
regional target for English and Portuguese: ``PARVIS_DEEPL_TARGETS`` maps them
(default ``en=EN-GB,pt=PT-PT``).
"""

from __future__ import annotations

from .base import Backend, EngineUnavailable, PairNotServed, Route
from .http import HttpEngine, TtlValue


def parse_variants(text: str | None) -> dict[str, str]:
    variants = {}
    for item in (text or "").split(","):
        code, sep, variant = item.partition("=")
        if sep and code.strip() and variant.strip():
            variants[code.strip().lower()] = variant.strip().upper()
    return variants


class DeepLBackend(Backend):
    name = "deepl"
    placeholder = "xml"

    def __init__(
        self,
        url: str,
        api_key: str,
        timeout: float = 15.0,
        pairs_ttl: float = 3600.0,
        targets: str | None = "en=EN-GB,pt=PT-PT",
        data_version: str | None = None,
    ):
        self.http = HttpEngine(url, timeout, headers={"Authorization": f"DeepL-Auth-Key {api_key}"})
        self.variants = parse_variants(targets)
        self.data_version = data_version
        self._pairs = TtlValue(pairs_ttl, self._list_pairs)

    def _languages(self, kind: str) -> set[str]:
        response = self.http.request(
            "GET", "/v2/languages", params={"type": kind}, timeout=min(self.http.timeout, 5.0)
        )
        if response.status_code != 200:
            raise EngineUnavailable(f"the cloud API answered HTTP {response.status_code}")
        codes = set()
        for lang in self.http.json(response) or []:
            code = str(lang.get("language", "")).split("-")[0].lower()
            if len(code) == 2:
                codes.add(code)
        return codes

    def _list_pairs(self) -> frozenset:
        sources, targets = self._languages("source"), self._languages("target")
        return frozenset((s, t) for s in sources for t in targets if s != t)

    def pairs(self) -> set[tuple[str, str]]:
        return set(self._pairs.get())

    def version(self) -> str:
        return "deepl-v2" + (f"-{self.data_version}" if self.data_version else "")

    def translate(self, texts: list[str], route: Route) -> list[str]:
        if not texts:
            return []
        payload = {
            "text": texts,
            "source_lang": route.source.upper(),
            "target_lang": self.variants.get(route.target, route.target.upper()),
            "tag_handling": "xml",
            "ignore_tags": ["x"],
        }
        response = self.http.request("POST", "/v2/translate", json=payload)
        if response.status_code == 400:
            raise PairNotServed(str(self.http.json(response).get("message") or "refused"))
        if response.status_code != 200:
            # 403 bad key, 456 quota exceeded: nothing the caller can fix
            raise EngineUnavailable(f"the cloud API answered HTTP {response.status_code}")
        items = self.http.json(response).get("translations")
        if not isinstance(items, list) or len(items) != len(texts):
            raise EngineUnavailable("the cloud API answered with the wrong number of texts")
        return [str(item.get("text", "")) for item in items]

    def close(self) -> None:
        self.http.close()
