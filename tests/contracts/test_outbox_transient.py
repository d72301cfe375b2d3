"""The outbox relay publishes an event whole, then keeps no copy of its transient fields.

A password reset or invitation token is a credential, mailed once: the relay sends it with
the event, and in the same transaction that marks the row published it sets the event's
``TRANSIENT_FIELDS`` (the token, the address, the names) to null in the stored copy.
Other events keep their payload. Kombu's in-memory transport stands for the broker.
"""

from __future__ import annotations

import pytest
from kombu import Connection, Queue
from sqlalchemy import MetaData, select

from parvis_contracts import events as ev
from parvis_contracts.db import infrastructure_tables, make_engine, session_factory
from parvis_contracts.outbox import OutboxRelay
from parvis_contracts.topology import event_exchange

RESET = {
    "user_id": "u-1",
    "email": "eli@acme.example",
    "display_name": "Eli Employee",
    "language": "fr",
    "token": "the-secret-token",
    "expires_at": "2026-06-01T09:30:00+00:00",
}
UPDATED = {"user_id": "u-1", "org_id": "o-1", "guest": False}


@pytest.fixture
def outbox(tmp_path):
    metadata = MetaData()
    table, _ = infrastructure_tables(metadata)
    engine = make_engine(f"sqlite:///{tmp_path}/outbox.db")
    metadata.create_all(engine)
    yield engine, metadata, table
    engine.dispose()


def test_transient_fields_are_sent_then_blanked_in_the_stored_copy(outbox):
    engine, metadata, table = outbox
    session = session_factory(engine, metadata)()
    session.emit(ev.IDENTITY_PASSWORD_RESET_REQUESTED, RESET)
    session.emit(ev.IDENTITY_USER_UPDATED, UPDATED)
    session.commit()
    session.close()

    with Connection("memory://") as conn:
        queue = Queue("heard", exchange=event_exchange("identity"), routing_key="#")
        queue(conn.default_channel).declare()
        relay = OutboxRelay(engine, table, {"AMQP_URI": "memory://"})
        assert relay.publish_pending(conn) == 2
        heard = conn.SimpleQueue(queue)
        sent = [heard.get(timeout=1) for _ in range(2)]
        for message in sent:
            message.ack()
        heard.close()

    envelopes = [ev.Envelope.from_message(m.payload) for m in sent]
    assert [e.data for e in envelopes] == [RESET, UPDATED]  # the mail gets everything

    with engine.connect() as conn:
        stored = conn.execute(select(table.c.event_type, table.c.payload, table.c.published_at)).all()
    assert all(published is not None for _, _, published in stored)
    assert {kind: payload for kind, payload, _ in stored} == {
        "password_reset_requested": {**RESET, "email": None, "display_name": None, "token": None},
        "user_updated": UPDATED,
    }
    assert "the-secret-token" not in repr(stored) and "eli@acme.example" not in repr(stored)


def test_an_unpublished_row_keeps_its_payload_for_the_relay(outbox):
    engine, metadata, table = outbox
    session = session_factory(engine, metadata)()
    session.emit(ev.IDENTITY_PASSWORD_RESET_REQUESTED, RESET)
    session.commit()
    session.close()
    with engine.connect() as conn:
        (payload,) = conn.execute(select(table.c.payload)).scalars().all()
    assert payload == RESET
