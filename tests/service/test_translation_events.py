"""Pre-translation through the broker: the translation service on the real RabbitMQ and the
real Apertium server learns communities, members and their languages from events, and
translates a new post into the members' languages before anyone asks.
"""

from __future__ import annotations

import time

import pytest
from apy_support import apertium_only, apy  # noqa: F401  (fixture)
from kombu import Connection, Producer
from sqlalchemy import create_engine, func, select, text

from deploy.launcher import free_port
from parvis_contracts import events as ev
from parvis_contracts import topology
from services.translation.models import CachedTranslation
from services.translation.service import TranslationService
from tests.support import wait_until

MENTION = "@[Jean Dupont](u-fr)"
URL = "https://example.com/rapport/le-projet"
BODY = f"Bonjour {MENTION}, voici le rapport sur le projet : {URL} Merci beaucoup !"
COMMUNITY = "c-pre"


def publish(service_config, *bodies):
    with Connection(service_config["AMQP_URI"], transport_options={"confirm_publish": True}) as conn:
        topology.declare_topology(conn)
        producer = Producer(conn.default_channel)
        for event, body in bodies:
            producer.publish(
                body,
                exchange=topology.event_exchange(event.source),
                routing_key=event.name,
                serializer="json",
                delivery_mode=2,
            )


def envelope(event, data):
    return event, ev.Envelope.new(event, data).to_message()


def scalar(container, sql: str, **params):
    engine = create_engine(container.db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


def cache_rows(container) -> int:
    engine = create_engine(container.db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(CachedTranslation)).scalar()
    finally:
        engine.dispose()


def handled(container, event_id: str, handler: str) -> str | None:
    return scalar(
        container,
        "SELECT status FROM processed_events WHERE event_id = :e AND handler = :h",
        e=event_id,
        h=f"translation.{handler}",
    )


def dead_letters(service_config) -> list:
    found = []
    with Connection(service_config["AMQP_URI"]) as conn:
        queue = topology.dead_letter_queue()(conn.default_channel)
        queue.declare()
        while True:
            message = queue.get(no_ack=True)
            if message is None:
                return found
            found.append(message.payload)


def community_with_members(service_config, container):
    """A community whose members read French, English, Spanish and German."""
    bodies = [
        envelope(
            ev.COMMUNITIES_COMMUNITY_CREATED,
            {
                "community_id": COMMUNITY,
                "name": "Projet",
                "kind": "project",
                "visibility": "private",
                "archived": False,
                "newcomers_see_history": True,
                "version": 1,
            },
        )
    ]
    for n, (user, language) in enumerate(
        (("u-fr", "fr"), ("u-en", "en"), ("u-es", "es"), ("u-de", "de")), start=2
    ):
        bodies.append(
            envelope(
                ev.IDENTITY_USER_CREATED,
                {"user_id": user, "org_id": "org-1", "guest": False, "preferred_language": language},
            )
        )
        bodies.append(
            envelope(ev.COMMUNITIES_MEMBER_ADDED, {"community_id": COMMUNITY, "user_id": user, "version": n})
        )
    publish(service_config, *bodies)
    wait_until(
        lambda: (
            scalar(container, "SELECT count(*) FROM memberships") == 4
            and scalar(container, "SELECT count(*) FROM person_languages") == 4
        ),
        timeout=20,
    )


def post_created(post_id="post-pre"):
    return envelope(
        ev.FEED_POST_CREATED,
        {
            "post_id": post_id,
            "community_id": COMMUNITY,
            "author_id": "u-fr",
            "kind": "message",
            "language": None,
            "mentions": ["u-fr"],
            "body": BODY,
            "revision": 1,
        },
    )


@pytest.fixture
def translation(apy, start_service, monkeypatch):
    apertium_only(monkeypatch, apy)
    return start_service(TranslationService)


def test_a_new_post_is_pretranslated_and_the_reader_gets_a_cache_hit(
    translation, rpc, tokens, service_config
):
    community_with_members(service_config, translation)
    event = post_created()
    publish(service_config, event)
    event_id = event[1]["id"]
    # English and Spanish (German is not served by Apertium: skipped, not an error)
    wait_until(lambda: handled(translation, event_id, "on_post_created") == "done", timeout=60)
    assert cache_rows(translation) == 2
    content = {"kind": "post", "id": "post-pre", "revision": 1}
    for target in ("en", "es"):
        out = rpc.call(
            "translation", "translate", tokens.person("u-" + target), BODY, target, content=content
        )
        assert out["cached"] is True and out["source"] == "fr"
        assert MENTION in out["text"] and URL in out["text"]
    assert cache_rows(translation) == 2
    assert dead_letters(service_config) == []


def test_the_same_event_delivered_twice_changes_nothing(translation, service_config):
    community_with_members(service_config, translation)
    event = post_created("post-twice")
    publish(service_config, event, event)
    event_id = event[1]["id"]
    wait_until(lambda: handled(translation, event_id, "on_post_created") == "done", timeout=60)
    time.sleep(0.5)  # let the second copy be handled too (it is a duplicate)
    assert cache_rows(translation) == 2
    assert scalar(translation, "SELECT count(*) FROM translation_cache_content") == 2
    assert scalar(translation, "SELECT count(*) FROM processed_events WHERE event_id = :e", e=event_id) == 1


def test_an_engine_outage_does_not_poison_the_queue(start_service, service_config, rpc, tokens, monkeypatch):
    monkeypatch.setenv("PARVIS_APERTIUM_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("PARVIS_TRANSLATION_BACKENDS", "apertium")
    monkeypatch.setenv("PARVIS_TRANSLATION_TIMEOUT", "2")
    container = start_service(TranslationService)
    community_with_members(service_config, container)
    first, second = post_created("post-down-1"), post_created("post-down-2")
    publish(service_config, first, second)
    for event in (first, second):
        wait_until(lambda e=event: handled(container, e[1]["id"], "on_post_created") == "done", timeout=60)
    assert cache_rows(container) == 0
    assert dead_letters(service_config) == []
    assert scalar(container, "SELECT max(attempts) FROM processed_events") == 0
    # the service still answers (and says why it cannot translate)
    result = rpc.call("translation", "pairs", tokens.person())
    assert result["engines"] == [{"name": "apertium", "status": "unavailable"}]
