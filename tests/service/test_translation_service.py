"""The translation service on the real RabbitMQ, against the real Apertium server (APy).

APy is started once for this module by ``deploy/apertium_launcher.py`` on the
system's Python, bound to 127.0.0.1 on a free port (install it with
``deploy/install_apertium.sh``). Only the Apertium backend is configured, so
every translation here is Apertium's.
"""

from __future__ import annotations

import pytest
from apy_support import apertium_only, apy  # noqa: F401  (fixture)
from kombu import Connection, Producer
from sqlalchemy import create_engine, func, select, text

from deploy.launcher import free_port
from parvis_contracts import events as ev
from parvis_contracts import topology
from parvis_contracts.errors import Forbidden, PayloadTooLarge, Unauthenticated, Unavailable, ValidationFailed
from services.translation.models import CachedTranslation
from services.translation.service import TranslationService
from tests.support import wait_until

MENTION = "@[Jean Dupont](u-42)"
URL = "https://example.com/rapport/le-projet?page=2"
TEXT = f"Bonjour {MENTION}, voici le rapport sur le projet : {URL} Merci beaucoup !"


@pytest.fixture
def translation(apy, start_service, monkeypatch):
    apertium_only(monkeypatch, apy)
    return start_service(TranslationService)


def cache_rows(container) -> int:
    engine = create_engine(container.db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(CachedTranslation)).scalar()
    finally:
        engine.dispose()


def publish(service_config, event, data):
    body = ev.Envelope.new(event, data).to_message()
    with Connection(service_config["AMQP_URI"], transport_options={"confirm_publish": True}) as conn:
        topology.declare_topology(conn)
        Producer(conn.default_channel).publish(
            body,
            exchange=topology.event_exchange(event.source),
            routing_key=event.name,
            serializer="json",
            delivery_mode=2,
        )


def test_apy_listens_on_loopback_only(apy):
    port = int(apy.rsplit(":", 1)[1])
    with open("/proc/net/tcp") as fh:
        rows = [line.split() for line in fh.readlines()[1:]]
    listening = [r[1] for r in rows if r[3] == "0A" and int(r[1].split(":")[1], 16) == port]
    assert listening == [f"0100007F:{port:04X}"]


def test_a_mention_and_a_url_survive_french_to_english_through_catalan(translation, rpc, tokens):
    out = rpc.call("translation", "translate", tokens.person(), TEXT, "en", source="fr")
    assert out["via"] == ["fr", "ca", "en"] and out["engine"] == "apertium"
    assert MENTION in out["text"] and URL in out["text"]
    assert "report" in out["text"] and "rapport" not in out["text"].replace(URL, "")
    assert "*" not in out["text"] and "#" not in out["text"]


def test_markdown_structure_survives(translation, rpc, tokens):
    source = (
        "## Le rapport\n\n- le **projet** et le [lien](https://example.com/le)\n"
        "> Merci beaucoup\n\n```\nle code\n```\n"
    )
    out = rpc.call("translation", "translate", tokens.person(), source, "en", source="fr")["text"]
    lines = out.split("\n")
    assert lines[0].startswith("## ") and lines[1] == ""
    assert lines[2].startswith("- ") and "](https://example.com/le)" in lines[2]
    assert lines[3].startswith("> ")
    assert out.endswith("\n```\nle code\n```\n")


def test_translate_batch(translation, rpc, tokens):
    items = [{"text": TEXT, "source": "fr"}, {"text": "Le projet est prêt.", "source": "fr"}]
    out = rpc.call("translation", "translate_batch", tokens.person(), items, "en")
    assert len(out) == 2 and MENTION in out[0]["text"] and URL in out[0]["text"]
    assert "project" in out[1]["text"].lower() and out[1]["via"] == ["fr", "ca", "en"]


def test_pairs_are_what_apy_lists_plus_pivots(translation, rpc, tokens):
    result = rpc.call("translation", "pairs", tokens.person())
    routes = {(p["source"], p["target"]): p["via"] for p in result["pairs"]}
    assert routes[("fr", "en")] == ["fr", "ca", "en"]
    assert routes[("en", "fr")] == ["en", "ca", "fr"]
    assert routes[("es", "en")] == ["es", "en"]
    assert not any("de" in pair for pair in routes)
    assert result["engines"] == [{"name": "apertium", "status": "ok"}]


def test_unsupported_pair_and_limits(translation, rpc, tokens):
    with pytest.raises(ValidationFailed) as info:
        rpc.call("translation", "translate", tokens.person(), "le rapport", "de", source="fr")
    assert info.value.details["pair"] == "fr-de"
    with pytest.raises(PayloadTooLarge):
        rpc.call("translation", "translate", tokens.person(), "a" * 20001, "en", source="fr")
    with pytest.raises(Unauthenticated):
        rpc.call("translation", "translate", tokens.anonymous(), "le rapport", "en")


def test_detect_then_translate_without_source(translation, rpc, tokens):
    found = rpc.call("translation", "detect", tokens.person(), TEXT)
    assert found["language"] == "fr"
    out = rpc.call("translation", "translate", tokens.person(), TEXT, "es")
    assert out["source"] == "fr" and out["detected"] is True and out["via"] == ["fr", "es"]


def test_glossary_terms_are_kept_and_forced(translation, rpc, tokens):
    admin = tokens.person("p-admin", roles=("admin", "member"))
    with pytest.raises(Forbidden):
        rpc.call("translation", "glossary_add", tokens.person(), "rapport")
    rpc.call("translation", "glossary_add", admin, "Parvis Cloud")
    rpc.call("translation", "glossary_add", admin, "projet", translations={"en": "Project X"})
    out = rpc.call(
        "translation", "translate", tokens.person(), "Le Parvis Cloud et le projet", "en", source="fr"
    )["text"]
    assert "Parvis Cloud" in out and "Project X" in out


def test_cache_hit_then_invalidation_by_a_post_edit(translation, rpc, tokens, service_config):
    content = {"kind": "post", "id": "post-1", "revision": 1}
    first = rpc.call("translation", "translate", tokens.person(), TEXT, "en", source="fr", content=content)
    second = rpc.call("translation", "translate", tokens.person(), TEXT, "en", source="fr", content=content)
    assert (first["cached"], second["cached"]) == (False, True)
    assert second["text"] == first["text"] and cache_rows(translation) == 1
    publish(
        service_config, ev.FEED_POST_UPDATED, {"post_id": "post-1", "community_id": "c-1", "author_id": "p-1"}
    )
    wait_until(lambda: cache_rows(translation) == 0, timeout=10)
    third = rpc.call("translation", "translate", tokens.person(), TEXT, "en", source="fr", content=content)
    assert third["cached"] is False


def test_engine_down_is_unavailable_and_nothing_is_cached(start_service, rpc, tokens, monkeypatch):
    monkeypatch.setenv("PARVIS_APERTIUM_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("PARVIS_TRANSLATION_BACKENDS", "apertium")
    monkeypatch.setenv("PARVIS_TRANSLATION_TIMEOUT", "2")
    container = start_service(TranslationService)
    with pytest.raises(Unavailable):
        rpc.call("translation", "translate", tokens.person(), TEXT, "en", source="fr")
    assert cache_rows(container) == 0
    result = rpc.call("translation", "pairs", tokens.person())
    assert result["engines"] == [{"name": "apertium", "status": "unavailable"}]
    engine = create_engine(container.db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM translation_cache_content")).scalar() == 0
    engine.dispose()
