"""Sessions, promise by promise (issue 7), with the clock moved by hand.

A fresh token at every sign-in; idle timeout and absolute lifetime (shorter for guests),
configurable; revocation at the next resolve after deactivation, guest expiry or erasure;
role changes and a guest's removal from a community take effect at the next call without
a new sign-in. The same promises through the gateway: ``tests/service/test_sessions_gateway.py``.
"""

from datetime import timedelta

import pytest
from sqlalchemy import select

from parvis_contracts import events as ev
from parvis_contracts.errors import NotFound, Unauthenticated
from parvis_contracts.events import Envelope
from services.identity.models import SessionRecord

from .conftest import PASSWORD


def sign_in(world, email, password=PASSWORD):
    return world.svc(None).sign_in(email=email, password=password)


def resolve(world, token):
    return world.svc(None).resolve_session(session_token=token)


def alive(world, token) -> bool:
    try:
        resolve(world, token)
    except Unauthenticated:
        return False
    return True


# --- a fresh session at every sign-in ---------------------------------------------------


def test_every_sign_in_creates_a_new_random_token_and_session(world):
    world.person("Nina New")
    first = sign_in(world, "nina.new@example.com")
    second = sign_in(world, "nina.new@example.com")
    assert first["session_token"] != second["session_token"]
    assert len(first["session_token"]) >= 40
    ids = {resolve(world, out["session_token"])["session_id"] for out in (first, second)}
    assert len(ids) == 2
    # the id the services see is not the token (which only the browser holds)
    assert not ids & {first["session_token"], second["session_token"]}
    rows = world.session().scalars(select(SessionRecord.token_hash)).all()
    assert len(rows) == 2 and not set(rows) & {first["session_token"], second["session_token"]}


def test_a_token_nobody_issued_never_becomes_a_session(world):
    """Session fixation: a value planted before sign-in is not adopted by it."""
    world.person("Fay Fixed")
    planted = "attacker-chosen-value-" + "x" * 30
    assert not alive(world, planted)
    out = sign_in(world, "fay.fixed@example.com")
    assert out["session_token"] != planted
    assert not alive(world, planted)


# --- idle timeout and absolute lifetime ---------------------------------------------------


def test_idle_timeout_is_two_hours_without_a_request(world):
    world.person("Ian Idle")
    token = sign_in(world, "ian.idle@example.com")["session_token"]
    world.clock.advance(hours=2)
    assert alive(world, token)  # exactly at the limit
    world.clock.advance(hours=2, seconds=1)
    assert not alive(world, token)
    # dead for good: a request later does not bring it back
    world.clock.advance(minutes=1)
    assert not alive(world, token)


def test_a_check_that_is_not_activity_does_not_hold_the_idle_timeout_off(world):
    """The live hub re-checks an open page's session every 30 s (``touch=False``): an
    unattended page must not keep its session alive past the idle timeout."""
    world.person("Paula Page")
    token = sign_in(world, "paula.page@example.com")["session_token"]
    checks = world.svc(None)
    for _ in range(8):  # every 15 min for two hours, as a background check
        world.clock.advance(minutes=15)
        assert checks.resolve_session(session_token=token, touch=False)["session_id"]
    world.clock.advance(seconds=1)
    with pytest.raises(Unauthenticated):
        checks.resolve_session(session_token=token, touch=False)
    assert not alive(world, token)  # and a request of the person's finds it over too


def test_activity_keeps_a_session_alive_but_never_past_its_absolute_lifetime(world):
    world.person("Ava Active")
    out = sign_in(world, "ava.active@example.com")
    start = world.clock.now
    assert out["expires_at"] == (start + timedelta(hours=12)).isoformat()
    for _ in range(6):  # a request every 1 h 55: never idle
        world.clock.advance(hours=1, minutes=55)
        assert alive(world, out["session_token"])
    world.clock.now = start + timedelta(hours=12) - timedelta(seconds=1)
    assert alive(world, out["session_token"])
    world.clock.advance(seconds=1)
    assert not alive(world, out["session_token"])


def test_a_guest_session_ends_after_eight_hours_an_employee_session_after_twelve(world):
    world.person("Emil Employee")
    world.person("Gwen Guest", org_id=world.partner["id"])
    start = world.clock.now
    employee = sign_in(world, "emil.employee@example.com")
    guest = sign_in(world, "gwen.guest@example.com")
    assert guest["expires_at"] == (start + timedelta(hours=8)).isoformat()
    assert employee["expires_at"] == (start + timedelta(hours=12)).isoformat()
    for hour in range(1, 13):
        world.clock.now = start + timedelta(hours=hour)
        assert alive(world, guest["session_token"]) is (hour < 8), hour
        assert alive(world, employee["session_token"]) is (hour < 12), hour


def test_a_guest_has_the_same_idle_timeout(world):
    world.person("Gus Idle", org_id=world.partner["id"])
    token = sign_in(world, "gus.idle@example.com")["session_token"]
    world.clock.advance(hours=2, seconds=1)
    assert not alive(world, token)


def test_lifetimes_and_idle_timeout_follow_the_configuration(world, monkeypatch):
    monkeypatch.setenv("PARVIS_SESSION_HOURS", "3")
    monkeypatch.setenv("PARVIS_GUEST_SESSION_HOURS", "1")
    monkeypatch.setenv("PARVIS_SESSION_IDLE_MINUTES", "30")
    world.person("Cleo Config")
    world.person("Gabe Config", org_id=world.partner["id"])
    start = world.clock.now
    employee = sign_in(world, "cleo.config@example.com")
    guest = sign_in(world, "gabe.config@example.com")
    assert employee["expires_at"] == (start + timedelta(hours=3)).isoformat()
    assert guest["expires_at"] == (start + timedelta(hours=1)).isoformat()
    world.clock.advance(minutes=30)
    assert alive(world, employee["session_token"]) and alive(world, guest["session_token"])
    world.clock.advance(minutes=30)
    assert not alive(world, guest["session_token"])
    assert alive(world, employee["session_token"])
    world.clock.advance(minutes=30, seconds=1)
    assert not alive(world, employee["session_token"])  # idle for 30 min 1 s


# --- revocation at the next request -------------------------------------------------------


def test_deactivation_revokes_every_session_of_the_person_only(world):
    p = world.person("Dora Deact")
    world.person("Olga Other")
    tokens = [sign_in(world, "dora.deact@example.com")["session_token"] for _ in range(3)]
    other = sign_in(world, "olga.other@example.com")["session_token"]
    world.svc(world.admin).deactivate_person(person_id=p["id"])
    assert not any(alive(world, t) for t in tokens)
    assert alive(world, other)


def test_a_guest_whose_access_an_admin_ends_is_out_at_the_next_resolve(world):
    g = world.person("Gert Guest", org_id=world.partner["id"])
    token = sign_in(world, "gert.guest@example.com")["session_token"]
    yesterday = (world.clock.now.date() - timedelta(days=1)).isoformat()
    world.svc(world.admin).set_guest_expiry(person_id=g["id"], guest_expires_at=yesterday)
    assert not alive(world, token)
    row = world.session().scalars(select(SessionRecord)).all()
    assert [r.revoked_at for r in row if r.person_id == g["id"]] == [world.clock.now]


def test_erasure_ends_every_session(world):
    p = world.person("Erin Erased")
    token = sign_in(world, "erin.erased@example.com")["session_token"]
    world.svc(world.admin).erase_person(person_id=p["id"])
    assert not alive(world, token)
    with pytest.raises(Unauthenticated):
        sign_in(world, "erin.erased@example.com")


def test_a_role_change_applies_at_the_next_resolve_without_a_new_sign_in(world):
    p = world.person("Rory Roles", roles=["member", "global_community_manager"])
    token = sign_in(world, "rory.roles@example.com")["session_token"]
    assert set(resolve(world, token)["person"]["roles"]) == {"member", "global_community_manager"}
    world.svc(world.admin).set_roles(person_id=p["id"], roles=["member"])
    assert resolve(world, token)["person"]["roles"] == ["member"]


def test_a_guest_removed_from_their_community_loses_its_people_at_the_next_call(world):
    guest = world.person("Gina Guest", org_id=world.partner["id"])
    colleague = world.person("Carl Colleague")
    community = "c-1"
    world.join(community, guest)
    world.join(community, colleague)
    assert world.svc(guest).get_person(person_id=colleague["id"])["id"] == colleague["id"]
    body = Envelope.new(
        ev.COMMUNITIES_MEMBER_REMOVED, {"community_id": community, "user_id": guest["id"]}
    ).to_message()
    world.svc(caller=None).on_member_removed(body)
    with pytest.raises(NotFound):
        world.svc(guest).get_person(person_id=colleague["id"])
