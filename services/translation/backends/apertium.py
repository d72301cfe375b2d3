"""Apertium through its HTTP server APy: the default, offline, rule-based engine.

``/listPairs`` says which pairs are installed (refreshed every
``PARVIS_TRANSLATION_PAIRS_TTL`` seconds). Every hop of the route goes to
``/translate`` with its explicit pair (``fra|cat`` then ``cat|eng``): the
router chooses the chain, never APy (which picks poor routes on its own).
Text goes in APy's default HTML format, which passes ``<x id="1"/>`` and
``<b id="2">...</b>`` through, with ``markUnknown=no``. The units of one
document travel in one request, separated by ``<p>`` (a line break is not a
boundary for Apertium's transfer rules: words moved across it).
"""

from __future__ import annotations

import hashlib

from ..languages import from_apertium, to_apertium
from .base import Backend, EngineUnavailable, PairNotServed, Route
from .http import HttpEngine, TtlValue

UNIT_SEPARATOR = "<p>"


class ApertiumBackend(Backend):
    name = "apertium"
    placeholder = "xml"
    chains = True

    def __init__(
        self, url: str, timeout: float = 15.0, pairs_ttl: float = 60.0, data_version: str | None = None
    ):
        self.http = HttpEngine(url, timeout)
        self.data_version = data_version
        self._pairs = TtlValue(pairs_ttl, self._list_pairs)

    def _list_pairs(self) -> frozenset:
        response = self.http.request("GET", "/listPairs", timeout=min(self.http.timeout, 5.0))
        if response.status_code != 200:
            raise EngineUnavailable(f"APy answered HTTP {response.status_code} to /listPairs")
        data = self.http.json(response)
        pairs = set()
        for item in data.get("responseData") or []:
            source = from_apertium(str(item.get("sourceLanguage", "")))
            target = from_apertium(str(item.get("targetLanguage", "")))
            if source and target and source != target:
                pairs.add((source, target))
        return frozenset(pairs)

    def pairs(self) -> set[tuple[str, str]]:
        return set(self._pairs.get())

    def version(self) -> str:
        listed = ",".join(sorted(f"{s}-{t}" for s, t in self._pairs.get()))
        digest = hashlib.sha256(listed.encode()).hexdigest()[:12]
        return f"apy-{digest}" + (f"-{self.data_version}" if self.data_version else "")

    def _hop(self, text: str, source: str, target: str) -> str:
        # no "format": APy then reads HTML (our placeholders pass) and writes it back
        # without turning characters into entities
        data = {"q": text, "markUnknown": "no", "langpair": f"{to_apertium(source)}|{to_apertium(target)}"}
        response = self.http.request("POST", "/translate", data=data)
        if response.status_code == 400:
            self._pairs.reset()
            raise PairNotServed(self.http.json(response).get("explanation") or "pair not installed")
        if response.status_code != 200:
            raise EngineUnavailable(f"APy answered HTTP {response.status_code}")
        body = self.http.json(response)
        try:
            return str(body["responseData"]["translatedText"])
        except (KeyError, TypeError):
            raise EngineUnavailable("APy answered without a translation") from None

    def _call(self, text: str, route: Route) -> str:
        # One /translate per hop of the chain rather than /translateChain: the chain
        # handler strips unknown-word marks only at the end, so the first hop's marks
        # ("*cf.", "#marie") reached the output as text.
        for source, target in zip(route.chain, route.chain[1:], strict=False):
            text = self._hop(text, source, target)
        return text

    def translate(self, texts: list[str], route: Route) -> list[str]:
        if not texts:
            return []
        if len(texts) == 1:
            return [self._call(texts[0], route)]
        # <p> ends a sentence for Apertium: no word moves from one unit into the next
        joined = self._call(UNIT_SEPARATOR.join(texts), route)
        lines = joined.split(UNIT_SEPARATOR)
        if len(lines) == len(texts):
            return lines
        return [self._call(text, route) for text in texts]

    def close(self) -> None:
        self.http.close()
