"""The one interface every translation engine implements.

A backend translates lists of strings between ISO 639-1 languages along a
:class:`Route` (one hop for a direct pair, several for a pivot chain when the
backend can chain, as Apertium does). It says which pairs it serves, which
placeholder form it passes through unchanged (``protect.STYLES``) and a
version string that goes into every cache key. It raises
:class:`EngineUnavailable` when the engine is down or too slow, and
:class:`PairNotServed` when the engine refuses the pair; nothing else escapes.
"""

from __future__ import annotations

from dataclasses import dataclass


class EngineError(Exception):
    """Base of what a backend raises on purpose."""


class EngineUnavailable(EngineError):
    """The engine did not answer, answered too late, or answered with a server error."""


class PairNotServed(EngineError):
    """The engine says it cannot translate this pair (its list was stale)."""


@dataclass(frozen=True)
class Route:
    backend: str
    chain: tuple[str, ...]  # ISO 639-1 codes, source first, target last

    @property
    def source(self) -> str:
        return self.chain[0]

    @property
    def target(self) -> str:
        return self.chain[-1]

    @property
    def pivot(self) -> bool:
        return len(self.chain) > 2

    def describe(self) -> dict:
        return {
            "source": self.source,
            "target": self.target,
            "backend": self.backend,
            "via": list(self.chain),
        }


class Backend:
    """Base class: subclasses set ``name`` and ``placeholder`` and implement the rest."""

    name = "backend"
    placeholder = "xml"
    #: can it follow a route of more than one hop itself (Apertium's translateChain)?
    chains = False

    def pairs(self) -> set[tuple[str, str]]:
        """Direct pairs served now, ``(source, target)``; raise EngineUnavailable if unknown."""
        raise NotImplementedError

    def version(self) -> str:
        raise NotImplementedError

    def translate(self, texts: list[str], route: Route) -> list[str]:
        """One translation per text, in order."""
        raise NotImplementedError

    def status(self) -> str:
        try:
            self.pairs()
            return "ok"
        except EngineUnavailable:
            return "unavailable"

    def close(self) -> None:
        pass
