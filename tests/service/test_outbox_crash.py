"""Crashes injected inside the outbox relay, then a fresh relay: each event, one effect.

The two crash points of ``parvis_contracts.outbox.OutboxRelay.publish_pending``:

* after the database commit of the write, before the event is published: the row
  stays unsent, nothing reached the broker; the next relay publishes it;
* after the publish (confirmed by the broker), before the row is marked sent: the
  mark rolls back with the crash; the next relay publishes it a second time and the
  idempotent handler applies it once.

The crash is a ``BaseException`` raised from the relay's ``Producer.publish`` (the
relay's ``except Exception`` does not catch it, as it would not survive a
``kill -9``). In the live test it ends the relay thread of a running service, whose
container is then killed, like the process dying; then a new container starts on the
same database and the effects are counted on the consumer side (the probe service's
own handler, from ``test_contracts_outbox``).
"""

import pytest

import parvis_contracts.outbox as outbox_module
from parvis_contracts.outbox import OutboxRelay
from parvis_contracts.topology import declare_topology
from tests.service.test_contracts_outbox import (  # noqa: F401  (fixtures used by name)
    DELIVERIES,
    HANDLER_RUNS,
    PROBE,
    SUBSCRIPTION,
    outbox_table,
    probe,
    probe_subscription,
    processed_table,
    published,
    vhost,
)
from tests.support import wait_until


class Crash(BaseException):
    """The process dies here."""


def crashing_producer(before_publish: bool):
    real = outbox_module.Producer

    class CrashingProducer(real):
        def publish(self, *args, **kwargs):
            if not before_publish:
                super().publish(*args, **kwargs)
            raise Crash(
                "injected crash " + ("before publish" if before_publish else "after publish, before mark")
            )

    return CrashingProducer


def run_relay_once(probe, monkeypatch, before_publish: bool):
    """One relay pass that crashes at the chosen point (the broker connection dies with it)."""
    monkeypatch.setattr(outbox_module, "Producer", crashing_producer(before_publish))
    relay = OutboxRelay(probe.engine, outbox_table, probe.config)
    from kombu import Connection

    with Connection(relay.uri, transport_options={"confirm_publish": True}) as conn:
        declare_topology(conn)
        with pytest.raises(Crash):
            relay.publish_pending(conn)
    monkeypatch.undo()


def unsent(probe) -> int:
    return sum(1 for r in probe.rows(outbox_table) if r["published_at"] is None)


def test_crash_between_commit_and_publish(probe, vhost, monkeypatch):
    envs = probe.emit_committed("c-1", "c-2")  # the writes committed
    run_relay_once(probe, monkeypatch, before_publish=True)
    assert unsent(probe) == 2  # nothing marked...
    assert vhost.queue_length(SUBSCRIPTION.queue_name, settle=2) == 0  # ...nothing sent
    probe.start()  # the restarted relay
    wait_until(lambda: probe.effects_of("c-1") == 1 and probe.effects_of("c-2") == 1, timeout=20)
    wait_until(lambda: unsent(probe) == 0)
    assert {r["event_id"] for r in probe.rows(processed_table)} == {e.id for e in envs}
    assert HANDLER_RUNS["c-1"] == HANDLER_RUNS["c-2"] == 1


def test_crash_between_publish_and_mark(probe, vhost, monkeypatch):
    (env,) = probe.emit_committed("c-once")
    run_relay_once(probe, monkeypatch, before_publish=False)
    assert unsent(probe) == 1  # the mark rolled back
    wait_until(
        lambda: vhost.queue(SUBSCRIPTION.queue_name).get("messages", 0) >= 1, timeout=15
    )  # but the event is out
    probe.start()
    wait_until(lambda: unsent(probe) == 0, timeout=20)  # published again
    wait_until(lambda: DELIVERIES["on_archived"] == 2, timeout=20)  # delivered twice
    assert probe.effects_of("c-once") == 1  # one effect
    assert HANDLER_RUNS["c-once"] == 1
    assert [r["event_id"] for r in probe.rows(processed_table)] == [env.id]


@pytest.mark.parametrize("before_publish", [True, False], ids=["before-publish", "before-mark"])
def test_a_relay_crash_kills_the_service_and_the_restart_applies_each_event_once(
    probe, monkeypatch, before_publish
):
    """The live relay thread of a running service crashes on its first publish: the
    container dies; a new one on the same database delivers every event, once."""
    crashed = []
    real = outbox_module.Producer

    class CrashOnce(real):
        def publish(self, *args, **kwargs):
            if crashed:
                return super().publish(*args, **kwargs)
            crashed.append(True)
            if not before_publish:
                super().publish(*args, **kwargs)
            raise Crash("injected")

    monkeypatch.setattr(outbox_module, "Producer", CrashOnce)
    probe.emit_committed("c-live")
    container = probe.start()
    wait_until(lambda: crashed, timeout=20)  # the relay thread died of it...
    container.kill()  # ...and the process with it
    probe.containers.remove(container)
    with probe.engine.begin() as conn:  # it never marked the row
        assert conn.execute(outbox_table.select()).mappings().one()["published_at"] is None
    probe.start()
    wait_until(lambda: unsent(probe) == 0, timeout=20)
    wait_until(lambda: probe.effects_of("c-live") == 1, timeout=20)
    expected = 1 if before_publish else 2
    wait_until(lambda: DELIVERIES["on_archived"] >= expected, timeout=20)
    assert probe.effects_of("c-live") == 1
    assert HANDLER_RUNS["c-live"] == 1
    assert len(probe.rows(processed_table)) == 1
