"""Privacy (GDPR) in identity: one's own data exported, an account erased."""

import hashlib
import json
from datetime import date

import pytest
from sqlalchemy import select

from parvis_contracts import events as ev
from parvis_contracts.context import KIND_PERSON, Caller
from parvis_contracts.errors import Conflict, Forbidden, NotFound, Unauthenticated, ValidationFailed
from services.identity.models import (
    Invitation,
    Person,
    PersonRole,
    SessionRecord,
    SharedCommunity,
    SignInFailure,
    metadata,
)
from tests.unit.identity.conftest import PASSWORD

SHA = hashlib.sha256(b"olga's face").hexdigest()
CANARY = "zqx-canary-7781"


def outbox(world):
    t = metadata.tables["outbox"]
    return [(r.event_type, r.payload) for r in world.session().execute(select(t).order_by(t.c.id))]


def admin_caller(world):
    return Caller(
        kind=KIND_PERSON,
        user_id=world.admin["id"],
        org_id=world.host["id"],
        roles=frozenset({"admin", "member"}),
    )


def as_admin(world):
    return world.svc(admin_caller(world))


@pytest.fixture
def olga(world):
    person = world.person("Olga Owner", email="olga@example.com", roles=["member"])
    world.svc(person).update_me(
        changes={
            "job_title": f"Job {CANARY}",
            "department": f"Dept {CANARY}",
            "country": "DE",
            "about": f"About {CANARY}",
            "phone": "+33 1 23 45 67 89",
            "education": f"School {CANARY}",
            "birth_date": "1990-04-01",
            "skills": [f"skill-{CANARY}"],
            "languages": ["de", "fr"],
            "visibility": {"phone": "private", "education": "employees"},
        }
    )
    world.svc(person).set_photo(sha256=SHA, content_type="image/png")
    world.svc().sign_in(
        email="olga@example.com", password=PASSWORD, user_agent=f"UA {CANARY}", ip="192.0.2.7"
    )
    return person


def test_export_holds_every_own_field_for_the_person_and_no_secret(world, olga):
    data = world.svc(olga).export_person_data(person_id=olga["id"])
    profile = data["profile"]
    assert profile["email"] == "olga@example.com"
    assert profile["phone"] == "+33 1 23 45 67 89"  # private fields too
    assert profile["education"] == f"School {CANARY}"
    assert profile["birth_date"] == "1990-04-01"
    assert profile["skills"] == [f"skill-{CANARY}"]
    assert profile["photo_sha256"] == SHA
    assert data["organisation"]["id"] == world.host["id"]
    assert data["sessions"][0]["user_agent"] == f"UA {CANARY}"
    text = json.dumps(data)  # JSON-ready as it is
    row = world.session().scalars(select(SessionRecord)).first()
    person = world.session().get(Person, olga["id"])
    assert row.token_hash not in text and person.password_hash not in text


def test_only_the_person_or_an_admin_exports(world, olga):
    emil = world.person("Emil Employee")
    with pytest.raises(Forbidden):
        world.svc(emil).export_person_data(person_id=olga["id"])
    assert as_admin(world).export_person_data(person_id=olga["id"])["person_id"] == olga["id"]
    with pytest.raises(NotFound):
        as_admin(world).export_person_data(person_id="no-such-person")
    with pytest.raises(ValidationFailed):
        world.svc(olga).export_person_data(person_id="")


def test_a_wrong_password_erases_nothing_and_counts_as_a_failure(world, olga):
    with pytest.raises(ValidationFailed) as info:
        world.svc(olga).erase_me(password="not my password")
    assert "password" in info.value.details
    person = world.session().get(Person, olga["id"])
    assert person.status == "active" and person.email == "olga@example.com"
    assert world.session().scalars(select(SignInFailure)).first() is not None
    assert ("user_erased", {"user_id": olga["id"], "org_id": world.host["id"], "guest": False}) not in outbox(
        world
    )


def test_erasing_oneself_removes_personal_data_and_publishes_the_event(world, olga):
    world.join("community-1", olga)
    world.session().add(
        Invitation(
            token_hash="x" * 64, person_id=olga["id"], created_at=world.clock.now, expires_at=world.clock.now
        )
    )
    result = world.svc(olga).erase_me(password=PASSWORD)
    assert result == {"person_id": olga["id"], "erased": True, "already_erased": False, "photo": SHA}
    session = world.session()
    person = session.get(Person, olga["id"])
    assert person.status == "erased" and person.display_name == "Former member"
    assert person.email == "" and person.email_key == f"erased:{olga['id']}"
    for name in (
        "job_title",
        "department",
        "country",
        "about",
        "phone",
        "education",
        "birth_date",
        "photo_sha256",
        "photo_content_type",
        "password_hash",
    ):
        assert getattr(person, name) is None, name
    assert person.skills == [] and person.languages == []
    for model, column in (
        (SessionRecord, SessionRecord.person_id),
        (Invitation, Invitation.person_id),
        (SharedCommunity, SharedCommunity.user_id),
        (PersonRole, PersonRole.person_id),
    ):
        assert session.scalars(select(model).where(column == olga["id"])).first() is None
    assert ("user_erased", {"user_id": olga["id"], "org_id": world.host["id"], "guest": False}) in outbox(
        world
    )
    # nothing of hers is left in any column of any identity table
    for table in metadata.sorted_tables:
        for row in session.execute(select(table)):
            text = json.dumps([str(v) for v in row])
            assert CANARY not in text and "olga@example.com" not in text, table.name
            assert "192.0.2.7" not in text, table.name


def test_an_erased_person_cannot_sign_in_or_call_and_shows_as_former_member(world, olga):
    world.svc(olga).erase_me(password=PASSWORD)
    with pytest.raises(Unauthenticated):
        world.svc().sign_in(email="olga@example.com", password=PASSWORD)
    with pytest.raises(Unauthenticated):
        world.svc(olga).get_me()
    emil = world.person("Emil Employee")
    card = world.svc(emil).people_cards(person_ids=[olga["id"]])[olga["id"]]
    assert card["display_name"] == "Former member" and card["status"] == "erased"
    assert card["photo"] is None
    assert world.svc(emil).search_people(query="Former")["items"] == []
    # the address is free again
    again = world.person("Olga Again", email="olga@example.com")
    assert again["id"] != olga["id"]


def test_an_admin_erases_someone_once_and_again_changes_nothing(world, olga):
    result = as_admin(world).erase_person(person_id=olga["id"])
    assert result["erased"] and not result["already_erased"]
    events = [e for e in outbox(world) if e[0] == "user_erased"]
    again = as_admin(world).erase_person(person_id=olga["id"])
    assert again == {"person_id": olga["id"], "erased": True, "already_erased": True, "photo": None}
    assert [e for e in outbox(world) if e[0] == "user_erased"] == events
    listed = as_admin(world).admin_list_people(status="erased")["items"]
    assert [p["id"] for p in listed] == [olga["id"]]


def test_an_erased_account_is_never_deactivated_reactivated_or_given_roles(world, olga):
    as_admin(world).erase_person(person_id=olga["id"])
    admin = as_admin(world)
    for change in (
        lambda: admin.deactivate_person(person_id=olga["id"]),
        lambda: admin.reactivate_person(person_id=olga["id"]),
        lambda: admin.set_roles(person_id=olga["id"], roles=["member", "admin"]),
        lambda: admin.set_guest_expiry(person_id=olga["id"], guest_expires_at="2030-01-01"),
    ):
        with pytest.raises(Conflict):
            change()
    assert world.session().get(Person, olga["id"]).status == "erased"


def test_only_admins_erase_others_and_not_themselves_that_way(world, olga):
    emil = world.person("Emil Employee")
    with pytest.raises(Forbidden):
        world.svc(emil).erase_person(person_id=olga["id"])
    with pytest.raises(Forbidden):
        as_admin(world).erase_person(person_id=world.admin["id"])
    with pytest.raises(NotFound):
        as_admin(world).erase_person(person_id="no-such-person")
    assert world.session().get(Person, olga["id"]).status == "active"


def test_the_last_admin_cannot_erase_their_account(world):
    with pytest.raises(Conflict):
        world.svc(world.admin).erase_me(password=PASSWORD)
    other = world.person("Second Admin", roles=["admin", "member"])
    world.svc(world.admin).erase_me(password=PASSWORD)
    assert world.session().get(Person, world.admin["id"]).status == "erased"
    assert world.session().get(Person, other["id"]).status == "active"


def test_a_photo_another_profile_uses_is_not_handed_back_for_deletion(world, olga):
    emil = world.person("Emil Employee")
    world.svc(emil).set_photo(sha256=SHA, content_type="image/png")
    result = world.svc(olga).erase_me(password=PASSWORD)
    assert result["photo"] is None


def test_erasure_is_in_the_audit_log_without_addresses(world, olga):
    from services.identity import audit

    as_admin(world).erase_person(person_id=olga["id"])
    page = as_admin(world).audit_log(subject=olga["id"], limit=50)
    actions = [item["action"] for item in page["items"]]
    assert audit.PERSON_ERASED in actions
    assert "192.0.2.7" not in json.dumps(page) and CANARY not in json.dumps(page)


def test_birth_date_input_is_a_date(world, olga):
    # the fixture's profile really holds a date (so the erasure test clears a real value)
    assert world.session().get(Person, olga["id"]).birth_date == date(1990, 4, 1)
