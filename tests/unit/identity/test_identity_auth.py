"""Sign-in, throttling, sessions, invitations, password changes."""

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from parvis_contracts.errors import NotFound, TooManyRequests, Unauthenticated, ValidationFailed
from services.identity.models import Person, SessionRecord

from .conftest import PASSWORD

BAD = "E-mail or password is incorrect."


def sign_in(world, email, password=PASSWORD):
    return world.svc(None).sign_in(email=email, password=password)


def resolve(world, token):
    return world.svc(None).resolve_session(session_token=token)


def test_sign_in_is_case_insensitive_and_returns_a_working_session(world):
    p = world.person("Bob Builder")
    out = sign_in(world, "  BOB.Builder@Example.com ")
    assert out["person"]["id"] == p["id"]
    assert out["expires_at"] == (world.clock.now + timedelta(hours=12)).isoformat()
    resolved = resolve(world, out["session_token"])
    assert resolved["person"]["email"] == "bob.builder@example.com"
    # only the token's SHA-256 is stored
    rows = world.session().scalars(select(SessionRecord.token_hash)).all()
    assert out["session_token"] not in rows and len(rows[0]) == 64


@pytest.mark.parametrize("case", ["unknown", "wrong", "deactivated", "invited", "expired_guest"])
def test_every_refusal_looks_the_same(world, case):
    email = "someone@example.com"
    if case != "unknown":
        org = world.partner["id"] if case == "expired_guest" else None
        password = None if case == "invited" else PASSWORD
        p = world.person("Some One", email=email, org_id=org, password=password)
        if case == "deactivated":
            world.svc().deactivate_person(person_id=p["id"])
        if case == "expired_guest":
            world.svc().set_guest_expiry(
                person_id=p["id"], guest_expires_at=(world.clock.now.date() - timedelta(days=1)).isoformat()
            )
    with pytest.raises(Unauthenticated) as exc:
        sign_in(world, email, "wrong password!" if case == "wrong" else PASSWORD)
    assert exc.value.message == BAD
    assert exc.value.details == {}


def test_ten_failures_block_even_the_right_password(world):
    world.person("Tess Target")
    email = "tess.target@example.com"
    for i in range(10):
        with pytest.raises(Unauthenticated):
            sign_in(world, email.upper() if i % 2 else email, "not the password")
        world.clock.advance(seconds=30)
    with pytest.raises(TooManyRequests) as exc:
        sign_in(world, email)
    # the first failure leaves the 15-minute window 15 min after it: 10 x 30 s ago
    assert exc.value.details == {"retry_after": 15 * 60 - 10 * 30}
    assert "Try again in 10 minutes" in exc.value.message
    world.clock.advance(seconds=15 * 60 - 10 * 30 - 1)
    with pytest.raises(TooManyRequests) as exc:
        sign_in(world, email)
    assert exc.value.details == {"retry_after": 1}
    world.clock.advance(seconds=1)
    assert sign_in(world, email)["person"]["email"] == email


def test_failures_older_than_the_window_do_not_count(world):
    world.person("Olly Old")
    email = "olly.old@example.com"
    for _ in range(9):
        with pytest.raises(Unauthenticated):
            sign_in(world, email, "not the password")
    world.clock.advance(minutes=15, seconds=1)
    for _ in range(9):
        with pytest.raises(Unauthenticated):
            sign_in(world, email, "not the password")
    assert sign_in(world, email)["session_token"]
    # success does not erase history: one more failure reaches the limit
    with pytest.raises(Unauthenticated):
        sign_in(world, email, "not the password")
    with pytest.raises(TooManyRequests):
        sign_in(world, email)


def test_unknown_emails_are_throttled_too(world):
    for _ in range(10):
        with pytest.raises(Unauthenticated):
            sign_in(world, "ghost@example.com", "whatever")
    with pytest.raises(TooManyRequests):
        sign_in(world, "ghost@example.com", "whatever")


def test_session_absolute_lifetime(world):
    world.person("Eve Employee")
    token = sign_in(world, "eve.employee@example.com")["session_token"]
    for _ in range(11):
        world.clock.advance(hours=1)
        resolve(world, token)
    world.clock.advance(minutes=59, seconds=59)
    resolve(world, token)
    world.clock.advance(seconds=1)
    with pytest.raises(Unauthenticated):
        resolve(world, token)


def test_guest_sessions_are_shorter(world):
    world.person("Gil Guest", org_id=world.partner["id"])
    out = sign_in(world, "gil.guest@example.com")
    assert out["expires_at"] == (world.clock.now + timedelta(hours=8)).isoformat()
    for _ in range(7):  # stay active: the idle timeout is 2 h
        world.clock.advance(hours=1)
        resolve(world, out["session_token"])
    world.clock.advance(minutes=59)
    resolve(world, out["session_token"])
    world.clock.advance(minutes=1)
    with pytest.raises(Unauthenticated):
        resolve(world, out["session_token"])


def test_idle_timeout_and_last_seen_written_at_most_once_a_minute(world):
    world.person("Ida Idle")
    out = sign_in(world, "ida.idle@example.com")
    token = out["session_token"]
    started = world.clock.now
    world.clock.advance(seconds=59)
    resolve(world, token)

    def last_seen():
        return world.session().scalars(select(SessionRecord.last_seen_at)).one()

    assert last_seen() == started  # not rewritten within the minute
    world.clock.advance(seconds=1)
    resolve(world, token)
    assert last_seen() == world.clock.now
    world.clock.advance(minutes=120)
    resolve(world, token)  # exactly at the idle limit: still alive
    world.clock.advance(minutes=120, seconds=1)
    with pytest.raises(Unauthenticated):
        resolve(world, token)


def test_sign_out_revokes_and_unknown_tokens_are_refused(world):
    world.person("Sid Signout")
    token = sign_in(world, "sid.signout@example.com")["session_token"]
    assert world.svc(None).sign_out(session_token=token) == {"signed_out": True}
    with pytest.raises(Unauthenticated):
        resolve(world, token)
    with pytest.raises(Unauthenticated):
        resolve(world, "forged-token")
    with pytest.raises(ValidationFailed):
        resolve(world, "")


def test_deactivation_ends_sessions_and_reactivation_allows_sign_in(world):
    p = world.person("Dan Deact")
    tokens = [sign_in(world, "dan.deact@example.com")["session_token"] for _ in range(2)]
    world.svc(world.admin).deactivate_person(person_id=p["id"])
    revoked = world.session().scalars(select(SessionRecord.revoked_at)).all()
    assert len(revoked) == 2 and all(at == world.clock.now for at in revoked)
    for token in tokens:
        with pytest.raises(Unauthenticated):
            resolve(world, token)
    # the signed caller context the gateway may still hold is refused too
    with pytest.raises(Unauthenticated):
        world.svc(p).get_me()
    world.svc(world.admin).reactivate_person(person_id=p["id"])
    for token in tokens:  # revoked sessions stay dead
        with pytest.raises(Unauthenticated):
            resolve(world, token)
    assert sign_in(world, "dan.deact@example.com")["session_token"]


def test_expired_guest_session_dies_at_next_resolve(world):
    g = world.person(
        "Gail Guest", org_id=world.partner["id"], guest_expires_at=world.clock.now.date().isoformat()
    )
    token = sign_in(world, "gail.guest@example.com")["session_token"]
    resolve(world, token)  # access lasts through its last day
    world.clock.advance(days=1)
    with pytest.raises(Unauthenticated):
        resolve(world, token)
    with pytest.raises(Unauthenticated):
        world.svc(g).get_me()
    # prolonging the access lets them sign in again, but the dead session stays dead
    world.svc().set_guest_expiry(person_id=g["id"], guest_expires_at=None)
    with pytest.raises(Unauthenticated):
        resolve(world, token)
    assert sign_in(world, "gail.guest@example.com")["person"]["guest_expires_at"] is None


def test_invitation_flow(world):
    created = world.svc(world.admin).admin_create_person(
        email="Ivy.Invited@example.com", display_name="Ivy Invited"
    )
    token = created["invitation_token"]
    assert created["person"]["status"] == "invited"
    assert token and len(token) >= 40
    anon = world.svc(None)
    assert anon.get_invitation(token=token) == {
        "email": "Ivy.Invited@example.com",
        "display_name": "Ivy Invited",
    }
    with pytest.raises(ValidationFailed) as exc:
        anon.accept_invitation(token=token, password="short")
    assert "password" in exc.value.details
    session = world.svc(None).accept_invitation(token=token, password="a long enough one")
    assert session["person"]["email"] == "Ivy.Invited@example.com"
    resolve(world, session["session_token"])
    assert sign_in(world, "ivy.invited@example.com", "a long enough one")
    with pytest.raises(NotFound):
        world.svc(None).get_invitation(token=token)
    with pytest.raises(NotFound):
        world.svc(None).accept_invitation(token=token, password="another long one")


def test_invitations_expire_after_seven_days(world):
    token = world.svc().admin_create_person(email="late@example.com", display_name="Lou Late")[
        "invitation_token"
    ]
    world.clock.advance(days=6, hours=23)
    assert world.svc(None).get_invitation(token=token)["email"] == "late@example.com"
    world.clock.advance(hours=1)
    with pytest.raises(NotFound):
        world.svc(None).accept_invitation(token=token, password="a long enough one")
    with pytest.raises(NotFound):
        world.svc(None).get_invitation(token="made-up")


def test_change_password_revokes_the_other_sessions_only(world):
    p = world.person("Cara Change")
    email = "cara.change@example.com"
    current = sign_in(world, email)
    other = sign_in(world, email)
    session_id = resolve(world, current["session_token"])["session_id"]
    svc = world.svc(p, session_id=session_id)
    with pytest.raises(ValidationFailed) as exc:
        svc.change_password(current_password="wrong password", new_password="brand new password")
    assert "current_password" in exc.value.details
    with pytest.raises(ValidationFailed) as exc:
        world.svc(p, session_id=session_id).change_password(current_password=PASSWORD, new_password="short")
    assert "new_password" in exc.value.details
    out = world.svc(p, session_id=session_id).change_password(
        current_password=PASSWORD, new_password="brand new password"
    )
    assert out == {"changed": True, "revoked_sessions": 1}
    resolve(world, current["session_token"])
    with pytest.raises(Unauthenticated):
        resolve(world, other["session_token"])
    with pytest.raises(Unauthenticated):
        sign_in(world, email)
    assert sign_in(world, email, "brand new password")


def test_a_hash_with_old_parameters_is_upgraded_at_sign_in(world):
    p = world.person("Rita Rehash")
    s = world.session()
    old = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1).hash(PASSWORD)
    s.get(Person, p["id"]).password_hash = old
    s.commit()
    sign_in(world, "rita.rehash@example.com")
    new = world.session().get(Person, p["id"]).password_hash
    assert new != old and "m=8,t=1,p=1" in new


def test_sign_in_input_is_validated(world):
    with pytest.raises(ValidationFailed) as exc:
        world.svc(None).sign_in(email="", password=PASSWORD)
    assert "email" in exc.value.details
    with pytest.raises(ValidationFailed) as exc:
        world.svc(None).sign_in(email="a@b.c", password=12345678901)
    assert "password" in exc.value.details
