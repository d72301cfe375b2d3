"""``python -m parvis_contracts.dlq purge-person``: the dead letters naming an erased person
are dropped, the erasure event itself and everyone else's are kept, in order, unchanged."""

import json

from kombu import Connection, Exchange, Producer

from parvis_contracts import dlq
from parvis_contracts import events as ev
from parvis_contracts.events import Envelope
from parvis_contracts.topology import DLQ_NAME, DLX_NAME, declare_topology

GONE, OTHER = "person-gone-0001", "person-stays-0002"


def dead_letter(uri, event, data, reason="rejected"):
    body = Envelope.new(event, data).to_message()
    with Connection(uri, transport_options={"confirm_publish": True}) as conn:
        Producer(conn.default_channel).publish(
            body,
            exchange=Exchange(DLX_NAME, type="topic", durable=True),
            routing_key=event.name,
            serializer="json",
            delivery_mode=2,
            headers={"x-death": [{"reason": reason, "queue": "evt-test"}]},
        )
    return body


def drain(uri):
    with Connection(uri) as conn:
        channel = conn.channel()
        found = []
        while True:
            message = channel.basic_get(queue=DLQ_NAME, no_ack=True)
            if message is None:
                return found
            found.append((json.loads(message.body), message.properties.get("application_headers")))


def test_purge_person_drops_only_what_names_them(vhost, monkeypatch):
    with Connection(vhost.uri) as conn:
        declare_topology(conn)
    mention = dead_letter(
        vhost.uri,
        ev.FEED_POST_CREATED,
        {
            "post_id": "p1",
            "community_id": "c1",
            "author_id": OTHER,
            "body": f"Hello @[Gone Person]({GONE})",
            "mentions": [GONE],
        },
    )
    member = dead_letter(vhost.uri, ev.COMMUNITIES_MEMBER_REMOVED, {"community_id": "c1", "user_id": GONE})
    erased = dead_letter(
        vhost.uri, ev.IDENTITY_USER_ERASED, {"user_id": GONE, "org_id": "o1", "guest": False}
    )
    other = dead_letter(
        vhost.uri, ev.COMMUNITIES_MEMBER_ADDED, {"community_id": "c1", "user_id": OTHER}, reason="expired"
    )
    assert mention and member
    monkeypatch.setenv("PARVIS_AMQP_URI", vhost.uri)
    assert dlq.count() == 4
    assert dlq.main(["purge-person", GONE]) == 0
    left = drain(vhost.uri)
    assert [body["id"] for body, _ in left] == [erased["id"], other["id"]]
    assert [body for body, _ in left] == [erased, other]  # unchanged
    assert left[1][1]["x-death"][0]["reason"] == "expired"  # headers kept
    assert dlq.purge_person(GONE, uri=vhost.uri) == {"examined": 0, "dropped": 0, "kept": 0}
