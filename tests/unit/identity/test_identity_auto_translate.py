"""The auto-translate setting and the preferred-language events translation reads."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from parvis_contracts.errors import ValidationFailed
from services.identity.models import metadata


def outbox(world):
    """The events published, but the search index's copy of profiles (``profile_changed``,
    tested in test_identity_profile_event.py)."""
    t = metadata.tables["outbox"]
    rows = world.session().execute(select(t).where(t.c.event_type != "profile_changed").order_by(t.c.id))
    return [(r.event_type, r.payload) for r in rows]


def test_auto_translate_defaults_off_and_is_my_own_setting(world):
    p = world.person("Ana Auto")
    assert world.svc(p).get_me()["auto_translate"] is False
    me = world.svc(p).update_me(changes={"auto_translate": True})
    assert me["auto_translate"] is True
    assert world.svc(p).get_me()["auto_translate"] is True
    # nobody else's profile shows it
    other = world.person("Otto Other")
    assert "auto_translate" not in world.svc(other).get_person(person_id=me["id"])


def test_auto_translate_must_be_a_boolean(world):
    p = world.person("Bo Bool")
    with pytest.raises(ValidationFailed) as exc:
        world.svc(p).update_me(changes={"auto_translate": "sometimes"})
    assert "auto_translate" in exc.value.details  # named as a create names it
    assert "changes" not in exc.value.details
    assert world.svc(p).get_me()["auto_translate"] is False


def test_user_created_carries_the_preferred_language(world):
    p = world.person("Cleo Created")
    created = [data for kind, data in outbox(world) if kind == "user_created" and data["user_id"] == p["id"]]
    assert created and created[0]["preferred_language"] == "en"


def test_a_language_change_emits_its_event_and_other_changes_only_what_caches_need(world):
    p = world.person("Lea Language")
    person = {"user_id": p["id"], "org_id": p["org_id"], "guest": False}
    before = len(outbox(world))
    world.svc(p).update_me(changes={"about": "Hello", "phone": "+33 1 23 45 67 89"})
    assert len(outbox(world)) == before  # nothing a card or a session shows
    world.svc(p).update_me(changes={"job_title": "Engineer", "auto_translate": True})
    assert outbox(world)[before:] == [("user_updated", person)]  # the gateway's memory forgets
    world.svc(p).update_me(changes={"preferred_language": "fr"})
    assert outbox(world)[before + 1 :] == [
        ("user_language_changed", {**person, "preferred_language": "fr"}),
        ("user_updated", person),
    ]
    world.svc(p).update_me(changes={"preferred_language": "fr"})  # unchanged: no event
    assert len(outbox(world)) == before + 3
