"""Idempotent event handlers: duplicates, forged envelopes, retries and dead letters.

Uses the probe service of ``test_contracts_outbox`` (its handler fails on purpose for
community ids starting with ``fail-``); every test runs on a vhost of its own.
"""

import time

import pytest
from sqlalchemy import select

from parvis_contracts import events as ev
from parvis_contracts import topology
from parvis_contracts.handlers import IdempotentEventHandler
from tests.service.test_contracts_outbox import (  # noqa: F401  (fixtures used by name)
    DELIVERIES,
    EVENT,
    HANDLER_RUNS,
    PROBE,
    ProbeService,
    probe,
    probe_subscription,
    processed_table,
    vhost,
)
from tests.support import wait_until


def envelope(community_id):
    return ev.Envelope.new(EVENT, {"community_id": community_id})


def handler_entrypoint():
    return next(
        e for e in ProbeService.on_archived.nameko_entrypoints if isinstance(e, IdempotentEventHandler)
    )


def test_the_same_envelope_delivered_twice_has_one_effect(probe):
    probe.start()
    env = envelope("c-dup")
    probe.publish(env.to_message(), env.to_message())
    wait_until(lambda: DELIVERIES["on_archived"] == 2)
    wait_until(lambda: probe.effects_of("c-dup") == 1)
    time.sleep(0.3)
    assert probe.effects_of("c-dup") == 1
    # the two deliveries may run at once (on PostgreSQL a worker waiting for the server lets
    # the other run): both may run the handler's code, as two replicas would, and the one
    # that commits second finds the event processed and rolls its effect back
    assert HANDLER_RUNS["c-dup"] in (1, 2)
    rows = probe.rows(processed_table)
    assert [(r["event_id"], r["status"]) for r in rows] == [(env.id, "done")]


def test_a_forged_envelope_is_dead_lettered_and_never_handled(probe):
    probe.start()
    forged = envelope("c-forged").to_message(secret=b"not the platform secret")
    tampered = envelope("c-tampered").to_message()
    tampered["data"] = {"community_id": "c-tampered-2"}
    incomplete = {"id": "x", "type": EVENT.key}
    probe.publish(forged, tampered, incomplete)

    letters = []
    wait_until(lambda: letters.extend(probe.dead_letters()) or len(letters) >= 3, timeout=15)
    assert sorted(str(b.get("id")) for b in letters) == sorted([forged["id"], tampered["id"], "x"])
    assert DELIVERIES["on_archived"] == 0  # no worker was even spawned
    assert HANDLER_RUNS == {}
    assert probe.rows(processed_table) == []
    # and the consumer is still alive for genuine events
    good = envelope("c-good")
    probe.publish(good.to_message())
    wait_until(lambda: probe.effects_of("c-good") == 1)


def test_a_failing_handler_is_tried_max_attempts_times_then_dead_lettered(probe):
    assert handler_entrypoint().max_attempts == 5
    probe.start()
    bad, good = envelope("fail-always"), envelope("c-fine")
    probe.publish(bad.to_message(), good.to_message())

    wait_until(lambda: probe.effects_of("c-fine") == 1)  # the other message flows
    letters = []
    wait_until(lambda: letters.extend(probe.dead_letters()) or letters, timeout=20)
    assert [b["id"] for b in letters] == [bad.id]
    time.sleep(0.5)  # no further attempt arrives
    assert HANDLER_RUNS["fail-always"] == 5
    assert HANDLER_RUNS["c-fine"] == 1
    with probe.engine.connect() as conn:
        row = (
            conn.execute(select(processed_table).where(processed_table.c.event_id == bad.id)).mappings().one()
        )
    assert (row["status"], row["attempts"], row["handler"]) == ("failed", 5, f"{PROBE}.on_archived")
    assert probe.effects_of("fail-always") == 0
    assert probe.dead_letters() == []


def test_a_handler_not_listed_in_subscriptions_refuses_to_start(probe, probe_subscription):
    topology.SUBSCRIPTIONS.remove(probe_subscription)
    try:
        with pytest.raises(RuntimeError, match="SUBSCRIPTIONS"):
            probe.start()
    finally:
        topology.SUBSCRIPTIONS.append(probe_subscription)
        probe.containers.clear()
