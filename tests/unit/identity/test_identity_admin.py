"""Administration: people, roles, organisations, directory paging, events, bootstrap."""

import pytest
from sqlalchemy import func, select

from parvis_contracts.context import Caller
from parvis_contracts.errors import Conflict, Forbidden, NotFound, ValidationFailed
from services.identity.models import Organisation, Person

from .conftest import PASSWORD


def outbox(world):
    from services.identity.models import metadata

    t = metadata.tables["outbox"]
    s = world.session()
    return [(r.event_type, r.payload) for r in s.execute(select(t).order_by(t.c.id))]


def people_count(world):
    return world.session().scalar(select(func.count()).select_from(Person))


def test_bootstrap_is_idempotent_and_system_only(world):
    again = world.svc().bootstrap(
        host_name="Other",
        host_country="ES",
        admin_email="admin@acme.example",
        admin_password=PASSWORD,
        admin_name="Someone Else",
    )
    assert again["created"] == {"organisation": False, "admin": False}
    assert again["organisation"]["id"] == world.host["id"]
    assert again["organisation"]["name"] == "Acme"
    assert again["admin"]["id"] == world.admin["id"]
    assert world.admin["roles"] == ["admin", "member"]
    assert world.host["is_host"] is True and world.host["kind"] == "host"
    with pytest.raises(Forbidden):
        world.svc(world.admin).bootstrap(
            host_name="X",
            host_country="FR",
            admin_email="x@y.example",
            admin_password=PASSWORD,
            admin_name="X",
        )
    kinds = [e for e, _ in outbox(world)]
    assert kinds.count("organisation_created") == 2  # host + partner
    assert kinds.count("user_created") == 1


def test_admin_create_person_employee_guest_and_events(world):
    emp = world.person("Eli Employee", roles=["global_community_manager"])
    guest = world.person("Gwen Guest", org_id=world.partner["id"], guest_expires_at="2027-01-31")
    assert emp["guest"] is False and emp["roles"] == ["global_community_manager", "member"]
    assert guest["guest"] is True and guest["guest_expires_at"] == "2027-01-31"
    assert guest["org_name"] == "Partner Co"
    events = outbox(world)
    assert (
        "user_created",
        {"user_id": guest["id"], "org_id": world.partner["id"], "guest": True, "preferred_language": "en"},
    ) in events


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"email": "not-an-email"}, "email"),
        ({"display_name": ""}, "display_name"),
        ({"roles": ["superuser"]}, "roles"),
        ({"password": "short"}, "password"),
        ({"preferred_language": "xx"}, "preferred_language"),
        ({"country": "ZZ"}, "country"),
        ({"guest_expires_at": "2027-01-01"}, "guest_expires_at"),  # employees don't expire
    ],
)
def test_admin_create_person_validates_and_writes_nothing(world, kwargs, field):
    before = people_count(world)
    args = {"email": "new@example.com", "display_name": "New Person", **kwargs}
    with pytest.raises(ValidationFailed) as exc:
        world.svc(world.admin).admin_create_person(**args)
    assert field in exc.value.details
    assert people_count(world) == before


def test_guests_can_only_be_members(world):
    with pytest.raises(ValidationFailed) as exc:
        world.person("Greg Guest", org_id=world.partner["id"], roles=["admin"])
    assert "roles" in exc.value.details
    g = world.person("Greg Guest", org_id=world.partner["id"])
    with pytest.raises(ValidationFailed):
        world.svc(world.admin).set_roles(person_id=g["id"], roles=["global_community_manager"])


def test_email_is_unique_case_insensitively(world):
    world.person("Dup One", email="dup@example.com")
    with pytest.raises(Conflict):
        world.person("Dup Two", email=" DUP@Example.COM ")


def test_only_admins_administer(world):
    member = world.person("Mo Member")
    gcm = world.person("Gia Manager", roles=["global_community_manager"])
    for caller in (member, gcm):
        svc = world.svc(caller)
        with pytest.raises(Forbidden):
            svc.admin_create_person(email="x@example.com", display_name="X")
        with pytest.raises(Forbidden):
            world.svc(caller).set_roles(person_id=member["id"], roles=["admin"])
        with pytest.raises(Forbidden):
            world.svc(caller).deactivate_person(person_id=world.admin["id"])
        with pytest.raises(Forbidden):
            world.svc(caller).create_organisation(name="Z", kind="partner", country="FR")
    # the global community manager may list people, a plain member may not
    assert world.svc(gcm).admin_list_people()["items"]
    with pytest.raises(Forbidden):
        world.svc(member).admin_list_people()


def test_role_rules(world):
    p = world.person("Pat Promoted")
    out = world.svc(world.admin).set_roles(person_id=p["id"], roles=["admin"])
    assert out["roles"] == ["admin", "member"]
    assert (
        "user_roles_changed",
        {"user_id": p["id"], "org_id": world.host["id"], "guest": False, "roles": ["admin", "member"]},
    ) in outbox(world)
    # the promoted admin now has admin rights (read from the database, not the token)
    assert world.svc(p).admin_list_people()["items"]
    # the network admin can drop their own admin role while another admin exists
    world.svc(world.admin).set_roles(person_id=world.admin["id"], roles=["member"])
    with pytest.raises(Conflict):
        world.svc(p).set_roles(person_id=p["id"], roles=["member"])
    assert world.svc(p).get_me()["roles"] == ["admin", "member"]


def test_deactivation_rules(world):
    with pytest.raises(Forbidden):
        world.svc(world.admin).deactivate_person(person_id=world.admin["id"])
    with pytest.raises(NotFound):
        world.svc(world.admin).deactivate_person(person_id="missing")
    p = world.person("Dee Gone")
    assert world.svc(world.admin).deactivate_person(person_id=p["id"])["status"] == "deactivated"
    world.svc(world.admin).deactivate_person(person_id=p["id"])  # idempotent
    assert [e for e, _ in outbox(world)].count("user_deactivated") == 1
    assert world.svc(world.admin).reactivate_person(person_id=p["id"])["status"] == "active"
    assert [e for e, _ in outbox(world)].count("user_reactivated") == 1
    # deactivated people leave the directory but admins can still list them
    world.svc(world.admin).deactivate_person(person_id=p["id"])
    names = [c["display_name"] for c in world.svc(world.admin).search_people()["items"]]
    assert "Dee Gone" not in names
    listed = world.svc(world.admin).admin_list_people(status="deactivated")["items"]
    assert [c["id"] for c in listed] == [p["id"]]


def test_set_guest_expiry_only_for_guests(world):
    emp = world.person("Emma Employee")
    with pytest.raises(ValidationFailed):
        world.svc().set_guest_expiry(person_id=emp["id"], guest_expires_at="2030-01-01")
    g = world.person("Gary Guest", org_id=world.partner["id"])
    assert (
        world.svc().set_guest_expiry(person_id=g["id"], guest_expires_at="2030-01-01")["guest_expires_at"]
        == "2030-01-01"
    )
    with pytest.raises(ValidationFailed):
        world.svc().set_guest_expiry(person_id=g["id"], guest_expires_at="soon")


def test_organisations(world):
    with pytest.raises(Conflict):
        world.svc().create_organisation(name="Another host", kind="host", country="FR")
    with pytest.raises(Conflict):
        world.svc().create_organisation(name="  partner   CO ", kind="supplier", country="FR")
    with pytest.raises(ValidationFailed) as exc:
        world.svc().create_organisation(name="Nowhere Ltd", kind="supplier", country="XY")
    assert "country" in exc.value.details
    with pytest.raises(ValidationFailed):
        world.svc().create_organisation(name="Odd Ltd", kind="friend", country="FR")
    with pytest.raises(ValidationFailed):
        world.svc().update_organisation(org_id=world.host["id"], changes={"kind": "partner"})
    with pytest.raises(ValidationFailed):
        world.svc().update_organisation(org_id=world.partner["id"], changes={"kind": "host"})
    with pytest.raises(NotFound):
        world.svc().update_organisation(org_id="missing", changes={"name": "x"})
    updated = world.svc().update_organisation(
        org_id=world.partner["id"], changes={"kind": "reseller", "country": "it"}
    )
    assert (updated["kind"], updated["country"]) == ("reseller", "IT")
    guest = world.person("Gabe Guest", org_id=world.partner["id"])
    employee = world.person("Erin Employee")
    assert [o["id"] for o in world.svc(guest).list_organisations()["items"]] == [world.partner["id"]]
    orgs = world.svc(employee).list_organisations()["items"]
    assert [o["name"] for o in orgs] == ["Acme", "Partner Co"]
    assert orgs[1]["people_count"] == 1 and orgs[0]["people_count"] == 2
    assert world.session().scalar(select(func.count()).select_from(Organisation)) == 2


def test_search_filters(world):
    a = world.person(
        "Alice Martin", job_title="Data Engineer", department="R&D", country="FR", languages=["fr", "en"]
    )
    b = world.person("Bruno Silva", job_title="Sales", department="Sales", country="PT", languages=["pt"])
    world.svc(a).update_me(changes={"skills": ["Python", "SQL"]})
    world.svc(b).update_me(changes={"skills": ["negotiation", "python 3"]})
    svc = world.svc(b)

    def ids(**kw):
        return [c["id"] for c in world.svc(b).search_people(**kw)["items"]]

    assert ids(query="martin") == [a["id"]]
    assert ids(query="ENGINEER") == [a["id"]]
    assert ids(query="%") == []  # wildcards are literal
    assert ids(skill="python") == [a["id"]]  # a tag, not a substring
    assert ids(skill="Python 3") == [b["id"]]
    assert ids(department="r&d") == [a["id"]]
    assert ids(country="pt") == [b["id"]]
    assert ids(language="en") == [a["id"]]
    assert ids(language="fr", country="PT") == []
    with pytest.raises(ValidationFailed):
        svc.search_people(language="xx")


def test_cursor_pagination_has_no_duplicates_or_gaps(world):
    names = [f"Person {i % 7:02d}" for i in range(30)] + ["alpha", "Zed", "émile"]
    for i, name in enumerate(names):
        world.person(name, email=f"p{i}@example.com")
    viewer = world.admin
    seen, cursor, pages = [], None, 0
    while True:
        page = world.svc(viewer).search_people(limit=7, cursor=cursor)
        assert len(page["items"]) <= 7
        seen.extend(c["id"] for c in page["items"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert pages < 20
    everyone = world.svc(viewer).search_people(limit=100)["items"]
    assert len(everyone) == len(names) + 1
    assert seen == [c["id"] for c in everyone]
    assert len(set(seen)) == len(seen)
    assert pages == 5
    # same for the admin listing
    first = world.svc(viewer).admin_list_people(limit=20)
    second = world.svc(viewer).admin_list_people(limit=20, cursor=first["next_cursor"])
    got = [c["id"] for c in first["items"] + second["items"]]
    assert len(set(got)) == len(got) == len(names) + 1 and second["next_cursor"] is None


@pytest.mark.parametrize(
    "kwargs", [{"limit": 0}, {"limit": 101}, {"limit": "5"}, {"cursor": "!!!"}, {"cursor": "WzEsMl0"}]
)
def test_bad_paging_arguments_are_validation_errors(world, kwargs):
    with pytest.raises(ValidationFailed):
        world.svc(world.admin).search_people(**kwargs)


def test_admin_list_filters(world):
    g = world.person("Gina Guest", org_id=world.partner["id"])
    invited = world.svc().admin_create_person(email="inv@example.com", display_name="Ian Invited")
    svc = world.svc(world.admin)
    assert [c["id"] for c in svc.admin_list_people(guest=True)["items"]] == [g["id"]]
    assert [c["id"] for c in world.svc(world.admin).admin_list_people(status="invited")["items"]] == [
        invited["person"]["id"]
    ]
    assert [
        c["id"] for c in world.svc(world.admin).admin_list_people(org_id=world.partner["id"])["items"]
    ] == [g["id"]]
    assert [c["email"] for c in world.svc(world.admin).admin_list_people(query="INV@")["items"]] == [
        "inv@example.com"
    ]
    with pytest.raises(ValidationFailed):
        world.svc(world.admin).admin_list_people(guest="yes")
    with pytest.raises(ValidationFailed):
        world.svc(world.admin).admin_list_people(status="gone")


def test_an_unknown_person_in_the_caller_context_is_refused(world):
    from parvis_contracts.errors import Unauthenticated

    ghost = Caller(kind="person", user_id="no-such-person")
    with pytest.raises(Unauthenticated):
        world.svc(ghost).get_me()
