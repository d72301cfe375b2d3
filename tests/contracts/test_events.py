"""Event catalogue, payload validation and the signed envelope."""

import pytest

from parvis_contracts import events as ev
from parvis_contracts.errors import ValidationFailed

SECRET = b"unit-test-secret"


def all_event_types():
    return [value for value in vars(ev).values() if isinstance(value, ev.EventType)]


def test_every_event_constant_has_a_schema():
    types = all_event_types()
    assert len(types) >= 9
    missing = [t.key for t in types if t not in ev.SCHEMAS]
    assert missing == []


def test_event_keys_are_unique_and_named_after_their_source():
    keys = [t.key for t in all_event_types()]
    assert len(keys) == len(set(keys))
    for t in all_event_types():
        assert t.key == f"{t.source}.{t.name}" == str(t)


def test_valid_payload_is_normalised():
    data = ev.validate_payload(ev.COMMUNITIES_MEMBER_ADDED, {"community_id": "c-1", "user_id": "u-1"})
    assert data == {
        "community_id": "c-1",
        "user_id": "u-1",
        "role": "member",
        "guest": False,
        "joined_at": None,
        "version": 0,
    }


def test_missing_fields_are_reported_per_field():
    with pytest.raises(ValidationFailed) as info:
        ev.validate_payload(ev.IDENTITY_USER_CREATED, {"user_id": "u-1"})
    assert set(info.value.details) == {"org_id", "guest"}
    assert "identity.user_created" in info.value.message


def test_wrong_types_and_unknown_fields_are_refused():
    with pytest.raises(ValidationFailed) as info:
        ev.validate_payload(
            ev.IDENTITY_USER_ROLES_CHANGED,
            {"user_id": "u-1", "org_id": "o-1", "guest": "perhaps", "roles": "admin", "extra": 1},
        )
    assert {"guest", "roles", "extra"} <= set(info.value.details)


def test_enumerated_values_are_checked():
    with pytest.raises(ValidationFailed) as info:
        ev.validate_payload(
            ev.COMMUNITIES_MEMBER_REMOVED, {"community_id": "c-1", "user_id": "u-1", "role": "owner"}
        )
    assert "role" in info.value.details


def test_unknown_event_is_refused():
    with pytest.raises(ValidationFailed, match="Unknown event"):
        ev.validate_payload(ev.EventType("nowhere", "nothing"), {})


ARCHIVED_STATE = {
    "community_id": "c-9",
    "name": "Old project",
    "kind": "project",
    "visibility": "private",
    "archived": True,
    "newcomers_see_history": True,
    "languages": ["fr"],
    "allowed_org_ids": [],
    "version": 3,
}


def test_envelope_new_validates_its_payload():
    with pytest.raises(ValidationFailed):
        ev.Envelope.new(ev.COMMUNITIES_COMMUNITY_ARCHIVED, {})
    with pytest.raises(ValidationFailed):  # community events carry the full state
        ev.Envelope.new(ev.COMMUNITIES_COMMUNITY_ARCHIVED, {"community_id": "c-9"})
    env = ev.Envelope.new(ev.COMMUNITIES_COMMUNITY_ARCHIVED, ARCHIVED_STATE)
    assert env.type == "communities.community_archived"
    assert env.data == ARCHIVED_STATE
    assert len(env.id) == 36 and env.occurred_at.endswith("+00:00")


def test_envelope_roundtrip():
    env = ev.Envelope.new(ev.COMMUNITIES_MEMBER_ADDED, {"community_id": "c-1", "user_id": "u-1"})
    message = env.to_message(secret=SECRET)
    assert set(message) == {"id", "type", "occurred_at", "data", "sig"}
    assert ev.Envelope.from_message(message, secret=SECRET) == env
    # the platform secret by default
    assert ev.Envelope.from_message(env.to_message()) == env


@pytest.mark.parametrize(
    "field, value",
    [
        ("id", "00000000-0000-0000-0000-000000000000"),
        ("type", "communities.member_removed"),
        ("occurred_at", "2000-01-01T00:00:00+00:00"),
        ("data", {"community_id": "c-1", "user_id": "u-2", "role": "member"}),
        ("sig", "0" * 64),
    ],
)
def test_tampered_envelope_is_refused(field, value):
    env = ev.Envelope.new(ev.COMMUNITIES_MEMBER_ADDED, {"community_id": "c-1", "user_id": "u-1"})
    message = dict(env.to_message(secret=SECRET), **{field: value})
    with pytest.raises(ValidationFailed, match="signature"):
        ev.Envelope.from_message(message, secret=SECRET)


def test_envelope_signed_with_another_secret_is_refused():
    env = ev.Envelope.new(ev.COMMUNITIES_COMMUNITY_ARCHIVED, ARCHIVED_STATE)
    with pytest.raises(ValidationFailed, match="signature"):
        ev.Envelope.from_message(env.to_message(secret=b"someone else"), secret=SECRET)


@pytest.mark.parametrize(
    "body",
    [
        None,
        "text",
        ["id"],
        42,
        {},
        {"id": "x", "type": "t"},
        {"id": "x", "type": "t", "occurred_at": "n", "data": "notadict", "sig": "s"},
        {"id": "x", "type": "t", "occurred_at": "n", "data": {}},
    ],
)
def test_malformed_envelopes_are_refused(body):
    with pytest.raises(ValidationFailed):
        ev.Envelope.from_message(body, secret=SECRET)
