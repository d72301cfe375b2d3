"""The audit log and the expiry of idle guests: the real service class, FakeClock, no broker."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from parvis_contracts.errors import Forbidden, Unauthenticated, ValidationFailed
from services.identity import audit
from services.identity.models import AuditEvent, Person, SessionRecord, metadata

from .conftest import PASSWORD

SECRET_WORDS = ("password", "token", "session_id", "cookie", "csrf")


def rows(world, action=None):
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(world.session().scalars(query))


def outbox(world):
    t = metadata.tables["outbox"]
    return [(r.event_type, r.payload) for r in world.session().execute(select(t).order_by(t.c.id))]


def assert_no_secret(world, *secrets):
    for row in rows(world):
        text = json.dumps(row.details)
        for word in SECRET_WORDS:
            assert word not in text.lower(), (row.action, text)
        for secret in secrets:
            assert secret not in text, (row.action, text)


def test_sign_in_success_failure_and_sign_out_are_recorded_without_secrets(world):
    emp = world.person("Eli Employee")
    with pytest.raises(Unauthenticated):
        world.svc(None).sign_in(
            email="eli.employee@example.com", password="wrong password!", ip="203.0.113.7"
        )
    with pytest.raises(Unauthenticated):
        world.svc(None).sign_in(email="nobody-secret-typo@example.com", password=PASSWORD, ip="203.0.113.8")
    session = world.svc(None).sign_in(
        email="eli.employee@example.com", password=PASSWORD, ip="203.0.113.9", user_agent="pytest"
    )
    world.svc(None).sign_out(session_token=session["session_token"])

    failed = rows(world, audit.SIGN_IN_FAILED)
    assert [(r.subject_id, r.details["reason"], r.details["ip"]) for r in failed] == [
        (emp["id"], "bad_credentials", "203.0.113.7"),
        (None, "unknown_email", "203.0.113.8"),
    ]
    [ok] = rows(world, audit.SIGN_IN)
    assert (ok.actor_id, ok.subject_id, ok.details["ip"]) == (emp["id"], emp["id"], "203.0.113.9")
    [out] = rows(world, audit.SIGN_OUT)
    assert out.subject_id == emp["id"]
    # no password, no token, and not the unknown e-mail someone typed
    assert_no_secret(world, PASSWORD, "wrong password!", session["session_token"], "nobody-secret-typo")


def test_a_deactivated_person_failing_to_sign_in_is_not_allowed(world):
    emp = world.person("Dee Activated")
    world.svc(world.admin).deactivate_person(person_id=emp["id"])
    with pytest.raises(Unauthenticated):
        world.svc(None).sign_in(email="dee.activated@example.com", password=PASSWORD)
    [row] = rows(world, audit.SIGN_IN_FAILED)
    assert (row.subject_id, row.details["reason"]) == (emp["id"], "not_allowed")


def test_administration_is_recorded_with_who_did_what(world):
    emp = world.person("Rosa Roles")
    guest = world.person("Gwen Guest", org_id=world.partner["id"], password=None)
    admin = world.svc(world.admin)
    admin.set_roles(person_id=emp["id"], roles=["global_community_manager", "member"])
    admin.deactivate_person(person_id=emp["id"])
    admin.reactivate_person(person_id=emp["id"])
    admin.set_guest_expiry(person_id=guest["id"], guest_expires_at="2027-01-31")

    by_action = {r.action: r for r in rows(world)}
    roles = by_action[audit.ROLES_CHANGED]
    assert roles.actor_id == world.admin["id"] and roles.subject_id == emp["id"]
    assert roles.details == {"from": ["member"], "to": ["global_community_manager", "member"]}
    invited = by_action[audit.GUEST_INVITED]
    assert invited.subject_id == guest["id"] and invited.details["invited"] is True
    assert invited.details["org_id"] == world.partner["id"]
    assert by_action[audit.PERSON_CREATED].subject_id == emp["id"]  # created by the system
    assert by_action[audit.PERSON_DEACTIVATED].actor_id == world.admin["id"]
    assert by_action[audit.PERSON_REACTIVATED].details == {"status": "active"}
    assert by_action[audit.GUEST_EXPIRY_CHANGED].details == {"from": None, "to": "2027-01-31"}
    assert_no_secret(world)


def test_a_refused_change_leaves_no_audit_row(world):
    emp = world.person("Not Admin")
    with pytest.raises(Forbidden):
        world.svc(emp).set_roles(person_id=emp["id"], roles=["admin", "member"])
    assert rows(world, audit.ROLES_CHANGED) == []


def test_record_scrubs_secret_keys_and_refuses_unknown_actions(world):
    s = world.session()
    audit.record(
        s,
        world.clock(),
        audit.PERSON_ERASED,
        "a",
        "b",
        {
            "password": "x",
            "session_token": "y",
            "csrf": "z",
            "Cookie": "c",
            "nested": {"invitation_token": "t", "kept": "k" * 1000},
            "ok": 1,
        },
    )
    s.commit()
    [row] = rows(world, audit.PERSON_ERASED)
    assert row.details == {"nested": {"kept": "k" * audit.MAX_TEXT}, "ok": 1}
    with pytest.raises(ValueError):
        audit.record(s, world.clock(), "made_up", None, None, {})


def test_the_log_is_read_by_admins_and_global_managers_only_paged_and_filtered(world):
    emp = world.person("Plain Employee")
    gcm = world.person("Global Manager", roles=["global_community_manager"])
    for _ in range(3):
        with pytest.raises(Unauthenticated):
            world.svc(None).sign_in(email="plain.employee@example.com", password="bad password")
    with pytest.raises(Forbidden):
        world.svc(emp).audit_log()
    page = world.svc(world.admin).audit_log(limit=2, action=audit.SIGN_IN_FAILED)
    assert [i["action"] for i in page["items"]] == [audit.SIGN_IN_FAILED] * 2
    assert page["items"][0]["subject_name"] == "Plain Employee"
    assert page["items"][0]["id"] > page["items"][1]["id"]  # newest first
    rest = world.svc(gcm).audit_log(limit=2, action=audit.SIGN_IN_FAILED, cursor=page["next_cursor"])
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    mine = world.svc(world.admin).audit_log(subject=gcm["id"])
    assert [i["action"] for i in mine["items"]] == [audit.PERSON_CREATED]
    for bad in (
        {"cursor": "bm9wZQ"},
        {"limit": 0},
        {"limit": "5"},
        {"action": "nope"},
        {"subject": "x" * 100},
    ):
        with pytest.raises(ValidationFailed):
            world.svc(world.admin).audit_log(**bad)


def refusal(**kw):
    return {
        "ip": "198.51.100.1",
        "user_id": None,
        "method": "GET",
        "route": "/api/v1/me",
        "status": 401,
        "reason": None,
        "count": 1,
        **kw,
    }


def test_refusals_are_aggregated_per_minute_and_capped(world, monkeypatch):
    monkeypatch.setenv("PARVIS_AUDIT_REFUSALS_PER_MINUTE", "3")
    svc = world.svc
    with pytest.raises(Forbidden):
        svc(world.admin).record_refusals(refusals=[refusal()])
    svc().record_refusals(refusals=[refusal(count=5), refusal(count=2)])
    [row] = rows(world, audit.ACCESS_REFUSED)
    assert row.count == 7 and row.details["route"] == "/api/v1/me"
    # a flood of distinct requests in the same minute: 3 rows, then one overflow row
    flood = [refusal(ip=f"10.0.0.{n}", count=10) for n in range(50)]
    result = svc().record_refusals(refusals=flood)
    assert result == {"recorded": 20, "overflow": 480}
    refused = rows(world, audit.ACCESS_REFUSED)
    assert len(refused) == 4
    assert [r.count for r in refused if r.details.get("overflow")] == [480]
    svc().record_refusals(refusals=flood)  # same minute: no new row
    assert len(rows(world, audit.ACCESS_REFUSED)) == 4
    world.clock.advance(minutes=1)
    svc().record_refusals(refusals=[refusal()])  # a new minute starts afresh
    assert len(rows(world, audit.ACCESS_REFUSED)) == 5
    for bad in (
        [refusal(status=404)],
        [refusal(route="")],
        [refusal(count=0)],
        [refusal(token="x")],
        "nope",
        [refusal()] * 501,
    ):
        with pytest.raises(ValidationFailed):
            svc().record_refusals(refusals=bad)


def test_retention_sweep_deletes_only_old_rows(world, monkeypatch):
    monkeypatch.setenv("PARVIS_AUDIT_RETENTION_DAYS", "30")
    world.person("Old Event")
    world.clock.advance(days=31)
    world.person("New Event")
    done = world.svc().maintain()
    assert done["audit_rows_deleted"] >= 1
    assert [r.action for r in rows(world)] == [audit.PERSON_CREATED]


def guest_session_age(world, guest_id, days_ago):
    s = world.session()
    for record in s.scalars(select(SessionRecord).where(SessionRecord.person_id == guest_id)):
        record.last_seen_at = world.clock.now - timedelta(days=days_ago)
    s.commit()


def test_an_idle_guest_expires_and_an_admin_can_reactivate(world, monkeypatch):
    monkeypatch.setenv("PARVIS_GUEST_INACTIVE_DAYS", "90")
    guest = world.person("Idle Guest", org_id=world.partner["id"])
    busy = world.person("Busy Guest", org_id=world.partner["id"])
    emp = world.person("Idle Employee")
    idle_session = world.svc(None).sign_in(email="idle.guest@example.com", password=PASSWORD)
    world.clock.advance(days=60)
    world.svc(None).sign_in(email="busy.guest@example.com", password=PASSWORD)
    world.clock.advance(days=31)  # idle: 91 days; busy: seen 31 days ago
    assert world.svc().maintain()["guests_expired"] == 1

    s = world.session()
    assert s.get(Person, guest["id"]).status == "deactivated"
    assert s.get(Person, busy["id"]).status == "active"
    assert s.get(Person, emp["id"]).status == "active"  # employees never expire
    with pytest.raises(Unauthenticated):
        world.svc(None).sign_in(email="idle.guest@example.com", password=PASSWORD)
    with pytest.raises(Unauthenticated):
        world.svc(None).resolve_session(session_token=idle_session["session_token"])
    [row] = rows(world, audit.GUEST_EXPIRED)
    assert row.subject_id == guest["id"] and row.details["reason"] == "inactive"
    assert (
        "user_deactivated",
        {"user_id": guest["id"], "org_id": world.partner["id"], "guest": True},
    ) in outbox(world)
    assert world.svc().maintain()["guests_expired"] == 0  # nothing twice

    # the usual reactivation gives them access again, and a fresh inactivity period
    world.svc(world.admin).reactivate_person(person_id=guest["id"])
    world.svc(None).sign_in(email="idle.guest@example.com", password=PASSWORD)
    world.clock.advance(days=89)
    guest_session_age(world, busy["id"], 95)
    assert world.svc().maintain()["guests_expired"] == 1  # busy, now idle
    assert world.session().get(Person, guest["id"]).status == "active"


def test_an_invited_guest_who_never_came_expires_too(world, monkeypatch):
    monkeypatch.setenv("PARVIS_GUEST_INACTIVE_DAYS", "10")
    guest = world.person("Never Came", org_id=world.partner["id"], password=None)
    world.clock.advance(days=9)
    assert world.svc().maintain()["guests_expired"] == 0
    world.clock.advance(days=2)
    assert world.svc().maintain()["guests_expired"] == 1
    world.svc(world.admin).reactivate_person(person_id=guest["id"])
    assert world.session().get(Person, guest["id"]).status == "invited"


def test_failures_on_unknown_addresses_share_one_row_per_minute_and_ip(world):
    for n in range(5):
        with pytest.raises(Unauthenticated):
            world.svc(None).sign_in(email=f"nobody{n}@example.com", password="whatever pass", ip="192.0.2.1")
    with pytest.raises(Unauthenticated):
        world.svc(None).sign_in(email="other@example.com", password="whatever pass", ip="192.0.2.2")
    failed = rows(world, audit.SIGN_IN_FAILED)
    assert sorted((r.details["ip"], r.count) for r in failed) == [("192.0.2.1", 5), ("192.0.2.2", 1)]
    world.clock.advance(minutes=1)
    with pytest.raises(Unauthenticated):
        world.svc(None).sign_in(email="nobody0@example.com", password="whatever pass", ip="192.0.2.1")
    assert len(rows(world, audit.SIGN_IN_FAILED)) == 3
    assert_no_secret(world, "nobody", "whatever pass")


def test_the_gateway_knows_the_same_actions():
    from gateway.api.admin import AUDIT_ACTIONS

    assert AUDIT_ACTIONS == audit.ACTIONS


@pytest.mark.parametrize(
    "method, args",
    [
        ("audit_log", ("limit", "cursor", "action", "subject")),
        ("record_refusals", ("refusals",)),
    ],
)
def test_garbage_in_every_argument_gives_a_contracts_error(world, method, args):
    from parvis_contracts.errors import ParvisError

    valid = {"limit": 5, "cursor": None, "action": None, "subject": None, "refusals": [refusal()]}
    refused = 0
    for arg in args:
        for value in (12.5, True, [], {"a": 1}, "x" * 5000, ["x"], -1):
            kwargs = {name: valid[name] for name in args}
            kwargs[arg] = value
            caller = world.admin if method == "audit_log" else None
            try:
                getattr(world.svc(caller), method)(**kwargs)
            except ParvisError:
                refused += 1
    assert refused >= len(args) * 5
