"""Password reset by e-mail (issue 13), rule by rule, with the clock moved by hand.

"A single-use token, 30 minutes, throttled, the same answer whether the address exists or
not, every session ended after a reset"; "an expired reset token: a clear 4xx, nothing
changed". The link's token is read from the event identity publishes for the mail. The
same flow through the gateway: ``tests/service/test_password_reset_gateway.py``.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from parvis_contracts import events as ev
from parvis_contracts.context import KIND_ANONYMOUS, Caller
from parvis_contracts.errors import NotFound, TooManyRequests, Unauthenticated, ValidationFailed
from services.identity import audit, password_reset
from services.identity.models import AuditEvent, PasswordReset, PasswordResetRequest, SignInFailure, metadata

from .conftest import PASSWORD

NEW_PASSWORD = "a brand new passphrase"
IP = "192.0.2.10"


def anonymous():
    return Caller(kind=KIND_ANONYMOUS)


def outbox(world, event=ev.IDENTITY_PASSWORD_RESET_REQUESTED):
    t = metadata.tables["outbox"]
    rows = world.session().execute(
        select(t).where(t.c.source == event.source, t.c.event_type == event.name).order_by(t.c.id)
    )
    return [r.payload for r in rows]


def ask(world, email, ip=IP):
    return world.svc(anonymous()).request_password_reset(email=email, ip=ip)


def token_of(world, email, ip=IP) -> str:
    """Ask for a link; -> the token of the event it published."""
    before = len(outbox(world))
    assert ask(world, email, ip) == {"requested": True}
    events = outbox(world)
    assert len(events) == before + 1, "no link was made"
    return events[-1]["token"]


def sign_in(world, email, password=PASSWORD):
    return world.svc(None).sign_in(email=email, password=password)


def alive(world, session_token) -> bool:
    try:
        world.svc(None).resolve_session(session_token=session_token)
    except Unauthenticated:
        return False
    return True


def reset(world, token, password=NEW_PASSWORD):
    return world.svc(anonymous()).reset_password(token=token, password=password)


def check(world, token):
    return world.svc(anonymous()).check_password_reset(token=token)


# --- asking ----------------------------------------------------------------------------


def test_a_request_publishes_the_link_for_the_mail(world):
    eli = world.person("Eli Employee", preferred_language="fr")
    token = token_of(world, "  ELI.employee@example.com ")
    (event,) = outbox(world)
    assert event == {
        "user_id": eli["id"],
        "email": "eli.employee@example.com",
        "display_name": "Eli Employee",
        "language": "fr",
        "token": token,
        "expires_at": (world.clock.now + timedelta(minutes=30)).isoformat(),
    }
    assert datetime.fromisoformat(event["expires_at"]).utcoffset() == timedelta(0)
    # only the token's hash is kept
    (link,) = world.session().scalars(select(PasswordReset)).all()
    assert link.token_hash != token and len(link.token_hash) == 64
    assert link.person_id == eli["id"]
    assert link.expires_at - link.created_at == timedelta(minutes=30)
    assert link.used_at is None


@pytest.mark.parametrize("who", ["unknown", "invited", "deactivated", "expired_guest", "erased"])
def test_the_answer_is_the_same_and_no_link_is_made_for_who_cannot_sign_in(world, who):
    email = f"{who}@example.com"
    if who == "invited":
        world.person("Ivy Invited", email=email, password=None)
    elif who == "deactivated":
        person = world.person("Dee Deactivated", email=email)
        world.svc().deactivate_person(person_id=person["id"])
    elif who == "expired_guest":
        world.person("Gus Guest", email=email, org_id=world.partner["id"], guest_expires_at="2026-05-01")
    elif who == "erased":
        person = world.person("Era Erased", email=email)
        world.svc().erase_person(person_id=person["id"])
    assert ask(world, email) == {"requested": True}
    assert outbox(world) == []
    assert world.session().scalars(select(PasswordReset)).all() == []


def test_invalid_input_is_refused(world):
    with pytest.raises(ValidationFailed):
        world.svc(anonymous()).request_password_reset(email="")
    with pytest.raises(ValidationFailed):
        world.svc(anonymous()).request_password_reset(email="x@example.com", ip="x" * 65)


def test_three_links_per_address_in_fifteen_minutes_then_the_same_answer_and_nothing(world):
    world.person("Eli Employee")
    for _ in range(3):
        token_of(world, "eli.employee@example.com")
    for _ in range(3):  # from other addresses too: the address is the key
        assert ask(world, "eli.employee@example.com", ip=f"198.51.100.{_}") == {"requested": True}
    assert len(outbox(world)) == 3
    world.clock.advance(minutes=15, seconds=1)
    token_of(world, "eli.employee@example.com")  # the window has moved on
    assert len(outbox(world)) == 4


def test_unknown_addresses_are_throttled_like_known_ones(world):
    for _ in range(5):
        assert ask(world, "nobody@example.com") == {"requested": True}
    kept = world.session().scalars(select(PasswordResetRequest)).all()
    assert [r.accepted for r in kept] == [True, True, True, False, False]
    # the typed address is not kept readable
    assert all("nobody" not in r.email_hash for r in kept)


def test_twenty_requests_per_ip_in_fifteen_minutes_then_429(world):
    for i in range(20):
        assert ask(world, f"someone{i}@example.com") == {"requested": True}
    with pytest.raises(TooManyRequests) as refused:
        ask(world, "eli.employee@example.com")
    assert 0 < refused.value.details["retry_after"] <= 15 * 60
    assert ask(world, "eli.employee@example.com", ip="192.0.2.99") == {"requested": True}
    world.clock.advance(minutes=15, seconds=1)
    assert ask(world, "someone@example.com") == {"requested": True}


def test_a_new_request_voids_the_earlier_links(world):
    world.person("Eli Employee")
    first = token_of(world, "eli.employee@example.com")
    second = token_of(world, "eli.employee@example.com")
    with pytest.raises(NotFound):
        check(world, first)
    with pytest.raises(NotFound):
        reset(world, first)
    assert check(world, second)["display_name"] == "Eli Employee"
    reset(world, second)
    sign_in(world, "eli.employee@example.com", NEW_PASSWORD)


# --- checking and using ------------------------------------------------------------------


def test_check_shows_whose_account_masked_and_until_when(world):
    world.person("Eli Employee")
    token = token_of(world, "eli.employee@example.com")
    info = check(world, token)
    assert info == {
        "display_name": "Eli Employee",
        "masked_email": "e…@example.com",
        "expires_at": (world.clock.now + timedelta(minutes=30)).isoformat(),
    }


def test_a_reset_sets_the_password_once_and_ends_every_session(world):
    eli = world.person("Eli Employee")
    sessions = [sign_in(world, "eli.employee@example.com")["session_token"] for _ in range(2)]
    token = token_of(world, "eli.employee@example.com")
    outbox_before = len(outbox(world, ev.IDENTITY_SESSION_ENDED))
    assert reset(world, token) == {"reset": True, "revoked_sessions": 2}
    assert not any(alive(world, t) for t in sessions)
    ended = outbox(world, ev.IDENTITY_SESSION_ENDED)[outbox_before:]
    assert ended == [{"user_id": eli["id"], "session_id": None}]  # every session: the gateways forget them
    with pytest.raises(Unauthenticated):
        sign_in(world, "eli.employee@example.com", PASSWORD)
    assert alive(world, sign_in(world, "eli.employee@example.com", NEW_PASSWORD)["session_token"])
    # single use
    with pytest.raises(NotFound) as again:
        reset(world, token, "yet another passphrase")
    assert again.value.message == password_reset.INVALID_LINK
    with pytest.raises(NotFound):
        check(world, token)
    sign_in(world, "eli.employee@example.com", NEW_PASSWORD)


def test_a_link_works_for_thirty_minutes(world):
    world.person("Eli Employee")
    token = token_of(world, "eli.employee@example.com")
    world.clock.advance(minutes=29, seconds=59)
    assert check(world, token)["display_name"] == "Eli Employee"
    world.clock.advance(seconds=1)
    with pytest.raises(NotFound) as expired:
        check(world, token)
    with pytest.raises(NotFound) as used_late:
        reset(world, token)
    # unknown, used and expired answer the same
    with pytest.raises(NotFound) as unknown:
        reset(world, "no-such-token")
    assert expired.value.message == used_late.value.message == unknown.value.message
    assert "expired" in unknown.value.message
    # nothing changed
    sign_in(world, "eli.employee@example.com", PASSWORD)
    (link,) = world.session().scalars(select(PasswordReset)).all()
    assert link.used_at is None


def test_a_weak_password_is_refused_and_the_link_still_works(world):
    world.person("Eli Employee")
    token = token_of(world, "eli.employee@example.com")
    with pytest.raises(ValidationFailed) as weak:
        reset(world, token, "short")
    assert "password" in weak.value.details
    sign_in(world, "eli.employee@example.com", PASSWORD)
    reset(world, token)
    sign_in(world, "eli.employee@example.com", NEW_PASSWORD)


def test_a_person_deactivated_after_asking_cannot_use_the_link(world):
    eli = world.person("Eli Employee")
    token = token_of(world, "eli.employee@example.com")
    world.svc().deactivate_person(person_id=eli["id"])
    with pytest.raises(NotFound):
        reset(world, token)


def test_a_reset_clears_the_sign_in_failures_of_the_address(world):
    world.person("Eli Employee")
    for _ in range(10):
        with pytest.raises(Unauthenticated):
            sign_in(world, "eli.employee@example.com", "wrong password!")
    reset(world, token_of(world, "eli.employee@example.com"))
    assert world.session().scalars(select(SignInFailure)).all() == []
    sign_in(world, "eli.employee@example.com", NEW_PASSWORD)  # not blocked any more


def test_audit_entries_never_hold_the_token(world):
    eli = world.person("Eli Employee")
    token = token_of(world, "eli.employee@example.com")
    reset(world, token)
    rows = world.session().scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    requested = [r for r in rows if r.action == audit.PASSWORD_RESET_REQUESTED]
    done = [r for r in rows if r.action == audit.PASSWORD_RESET]
    assert [(r.subject_id, r.details) for r in requested] == [(eli["id"], {"ip": IP})]
    assert [(r.actor_id, r.subject_id, r.details) for r in done] == [
        (eli["id"], eli["id"], {"signed_out": 0})
    ]
    for row in rows:
        text = json.dumps(row.details)
        assert token not in text and NEW_PASSWORD not in text


def test_the_maintenance_forgets_old_links_and_requests(world):
    world.person("Eli Employee")
    token_of(world, "eli.employee@example.com")
    world.clock.advance(days=1)
    assert world.svc().maintain()["password_reset_rows_deleted"] == 0  # a day: kept
    world.clock.advance(minutes=31)
    assert world.svc().maintain()["password_reset_rows_deleted"] == 2  # the request and the link
    assert world.session().scalars(select(PasswordReset)).all() == []
    assert world.session().scalars(select(PasswordResetRequest)).all() == []


def test_the_link_and_the_requests_go_with_an_erasure_and_are_in_the_export(world):
    eli = world.person("Eli Employee")
    token_of(world, "eli.employee@example.com")
    exported = world.svc().export_person_data(person_id=eli["id"])
    assert exported["password_resets"] == [
        {
            "created_at": world.clock.now.isoformat(),
            "expires_at": (world.clock.now + timedelta(minutes=30)).isoformat(),
            "used_at": None,
        }
    ]
    world.svc().erase_person(person_id=eli["id"])
    assert world.session().scalars(select(PasswordReset)).all() == []
    assert world.session().scalars(select(PasswordResetRequest)).all() == []
