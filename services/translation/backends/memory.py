"""An in-memory engine: word-for-word dictionaries, for tests and demos without an engine.

Chosen by configuration like the real ones (``PARVIS_TRANSLATION_BACKENDS=memory``,
pairs in ``PARVIS_MEMORY_PAIRS=fr-en,en-fr``; without dictionaries it returns
the text unchanged). Unit tests give it dictionaries, switch it ``down`` to
act like an engine that does not answer, and read ``calls``.
"""

from __future__ import annotations

import re

from .base import Backend, EngineUnavailable, PairNotServed, Route

_WORD_RE = re.compile(r"[^\W\d_]+")


class MemoryBackend(Backend):
    name = "memory"

    def __init__(
        self,
        dictionaries: dict | None = None,
        placeholder: str = "xml",
        version: str = "1",
        chains: bool = False,
        name: str = "memory",
    ):
        self.name = name
        self.dictionaries = {tuple(k): dict(v) for k, v in (dictionaries or {}).items()}
        self.placeholder = placeholder
        self._version = version
        self.chains = chains
        self.down = False
        self.calls: list[tuple[tuple[str, ...], list[str]]] = []
        #: a function applied to every output (tests use it to mangle placeholders)
        self.postprocess = None

    def pairs(self) -> set[tuple[str, str]]:
        if self.down:
            raise EngineUnavailable("memory engine is down")
        return set(self.dictionaries)

    def version(self) -> str:
        return f"memory-{self._version}"

    def _hop(self, text: str, pair: tuple[str, str]) -> str:
        words = self.dictionaries[pair]

        def swap(match):
            word = match.group(0)
            out = words.get(word.lower())
            if out is None:
                return word
            return out[:1].upper() + out[1:] if word[:1].isupper() else out

        return _WORD_RE.sub(swap, text)

    def translate(self, texts: list[str], route: Route) -> list[str]:
        if self.down:
            raise EngineUnavailable("memory engine is down")
        hops = list(zip(route.chain, route.chain[1:], strict=False))
        if any(hop not in self.dictionaries for hop in hops) or (len(hops) > 1 and not self.chains):
            raise PairNotServed(f"no {route.source}-{route.target} dictionary")
        self.calls.append((route.chain, list(texts)))
        out = []
        for text in texts:
            for hop in hops:
                text = self._hop(text, hop)
            out.append(self.postprocess(text) if self.postprocess else text)
        return out
