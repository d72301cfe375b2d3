"""Engine pragmas, schema loading, and the subscription list against the services."""

import importlib

import pytest
from marshmallow import Schema, fields, validate
from sqlalchemy import MetaData, text

from parvis_contracts import events as ev
from parvis_contracts import settings, topology
from parvis_contracts.db import infrastructure_tables, make_engine, session_factory
from parvis_contracts.errors import ValidationFailed
from parvis_contracts.handlers import IdempotentEventHandler
from parvis_contracts.plugins import service_names
from parvis_contracts.schemas import load

SERVICES = service_names()


# --- make_engine -------------------------------------------------------------


def test_sqlite_file_runs_in_wal_mode_with_foreign_keys(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar().lower() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert (
            conn.execute(text("PRAGMA busy_timeout")).scalar()
            == settings.value("PARVIS_SQLITE_BUSY_TIMEOUT_MS")
            == 5000
        )
    engine.dispose()
    assert (tmp_path / "x.db").exists()


def test_sqlite_in_memory_does_not_ask_for_wal():
    engine = make_engine("sqlite://")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar().lower() == "memory"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_outbox_emit_and_rollback_in_one_session(tmp_path):
    metadata = MetaData()
    outbox, _ = infrastructure_tables(metadata)
    engine = make_engine(f"sqlite:///{tmp_path / 'o.db'}")
    metadata.create_all(engine)
    woken = []
    Session = session_factory(engine, metadata, on_events=woken.append)
    with Session() as session:
        session.emit(ev.IDENTITY_USER_DEACTIVATED, {"user_id": "u-1", "org_id": "o-1", "guest": False})
        session.rollback()
        session.commit()  # nothing left to tell: the rolled-back event is not announced
    with Session() as session:
        with pytest.raises(ValidationFailed):
            session.emit(ev.IDENTITY_USER_DEACTIVATED, {})
        env = session.emit(ev.IDENTITY_USER_DEACTIVATED, {"user_id": "u-2", "org_id": "o-1", "guest": True})
        session.commit()
    with engine.connect() as conn:
        rows = conn.execute(outbox.select()).mappings().all()
    assert [(r["event_id"], r["payload"]) for r in rows] == [
        (env.id, {"user_id": "u-2", "org_id": "o-1", "guest": True})
    ]
    assert rows[0]["published_at"] is None and rows[0]["source"] == "identity"
    assert woken == [[env.id]]  # the committed events' ids (identity waits for them to be published)


# --- schemas.load ------------------------------------------------------------


class ThingSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=5))
    size = fields.Integer()


def test_load_returns_the_loaded_data():
    assert load(ThingSchema(), {"name": "abc", "size": "3"}) == {"name": "abc", "size": 3}


def test_load_raises_validation_failed_with_field_details():
    with pytest.raises(ValidationFailed) as info:
        load(ThingSchema(), {"name": "far too long", "size": "big", "colour": "red"})
    assert set(info.value.details) == {"name", "size", "colour"}
    assert all(isinstance(msgs, list) and msgs for msgs in info.value.details.values())
    assert info.value.status == 422


def test_load_treats_none_as_empty_and_reports_required_fields():
    with pytest.raises(ValidationFailed) as info:
        load(ThingSchema(), None, message="Bad thing.")
    assert info.value.message == "Bad thing."
    assert "name" in info.value.details


def test_load_of_a_non_object_reports_a_schema_error():
    with pytest.raises(ValidationFailed) as info:
        load(ThingSchema(), ["not", "a", "dict"])
    assert "_schema" in info.value.details


def test_load_many_reports_per_item():
    with pytest.raises(ValidationFailed) as info:
        load(ThingSchema(many=True), [{"name": "ok"}, {"name": ""}])
    assert 1 in info.value.details or "1" in info.value.details


# --- SUBSCRIPTIONS -----------------------------------------------------------


def service_class(service: str):
    try:
        module = importlib.import_module(f"services.{service}.service")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith(f"services.{service}"):
            pytest.skip(f"services/{service}/service.py does not exist yet")
        raise
    for value in vars(module).values():
        if isinstance(value, type) and getattr(value, "name", None) == service:
            return value
    raise AssertionError(f"no service class named {service!r} in services.{service}.service")


@pytest.mark.parametrize(
    "sub", topology.SUBSCRIPTIONS, ids=lambda s: f"{s.event.key}->{s.service}.{s.method}"
)
def test_every_subscription_points_at_an_idempotent_handler(sub):
    assert sub.service in SERVICES
    cls = service_class(sub.service)
    method = getattr(cls, sub.method, None)
    assert callable(method), f"{cls.__name__}.{sub.method} does not exist"
    handlers = [e for e in getattr(method, "nameko_entrypoints", ()) if isinstance(e, IdempotentEventHandler)]
    assert len(handlers) == 1, f"{cls.__name__}.{sub.method} is not an idempotent handler"
    assert handlers[0].event == sub.event


def test_subscriptions_are_unique_and_their_events_have_schemas():
    keys = [(s.event, s.service, s.method) for s in topology.SUBSCRIPTIONS]
    assert len(keys) == len(set(keys))
    for sub in topology.SUBSCRIPTIONS:
        assert sub.event in ev.SCHEMAS
        assert topology.find_subscription(sub.event, sub.service, sub.method) is sub


@pytest.mark.parametrize("service", SERVICES)
def test_every_handler_of_every_service_is_subscribed(service):
    """The reverse direction: a handler missing from SUBSCRIPTIONS would refuse to start."""
    cls = service_class(service)
    for attr in dir(cls):
        for entry in getattr(getattr(cls, attr), "nameko_entrypoints", ()) or ():
            if isinstance(entry, IdempotentEventHandler):
                assert topology.find_subscription(entry.event, service, attr), (
                    f"{service}.{attr} handles {entry.event.key} but is not in SUBSCRIPTIONS"
                )


def test_handler_queue_dead_letters_to_the_platform_dlx():
    sub = topology.SUBSCRIPTIONS[0]
    queue = topology.handler_queue(sub)
    assert queue.name == sub.queue_name
    assert queue.queue_arguments["x-dead-letter-exchange"] == topology.DLX_NAME
    assert queue.exchange.name == f"{sub.event.source}.events" and queue.durable
    assert topology.dead_letter_queue().name == topology.DLQ_NAME
