"""Garbage input never escapes as an unexpected exception: always a contracts error."""

import pytest

from parvis_contracts.errors import ParvisError

GARBAGE = [None, 12, True, [], {}, "x" * 5000, {"a": 1}, ["x"], 1.5]

CALLS = {
    "sign_in": ("email", "password"),
    "resolve_session": ("session_token",),
    "sign_out": ("session_token",),
    "get_invitation": ("token",),
    "accept_invitation": ("token", "password"),
    "change_password": ("current_password", "new_password"),
    "update_me": ("changes",),
    "get_person": ("person_id",),
    "people_cards": ("person_ids",),
    "search_people": ("query", "skill", "department", "country", "language", "limit", "cursor"),
    "create_organisation": ("name", "kind", "country"),
    "update_organisation": ("org_id", "changes"),
    "admin_list_people": ("query", "org_id", "guest", "status", "limit", "cursor"),
    "admin_create_person": (
        "email",
        "display_name",
        "org_id",
        "roles",
        "guest_expires_at",
        "password",
        "preferred_language",
        "country",
        "languages",
    ),
    "deactivate_person": ("person_id",),
    "reactivate_person": ("person_id",),
    "set_roles": ("person_id", "roles"),
    "set_guest_expiry": ("person_id", "guest_expires_at"),
}

VALID = {
    "email": "v@example.com",
    "password": "a valid password",
    "session_token": "tok",
    "token": "tok",
    "current_password": "correct horse battery",
    "new_password": "another valid password",
    "changes": {},
    "person_id": "p",
    "person_ids": [],
    "name": "Valid Org",
    "kind": "partner",
    "country": "FR",
    "org_id": "o",
    "display_name": "Val Id",
    "roles": ["member"],
    "guest_expires_at": None,
}


@pytest.mark.parametrize("method", sorted(CALLS))
def test_garbage_in_every_argument_gives_a_contracts_error(world, method):
    me = world.person("Gar Bage")
    refused = 0
    for arg in CALLS[method]:
        for value in GARBAGE:
            kwargs = {name: VALID[name] for name in CALLS[method] if name in VALID}
            kwargs[arg] = value
            caller = me if method in ("change_password", "update_me") else world.admin
            try:
                getattr(world.svc(caller), method)(**kwargs)
            except ParvisError:
                refused += 1
    # every argument has at least one garbage value it must refuse ({} is never valid here
    # except for "changes", where it means "no change" and the wrong-typed ones are refused)
    assert refused >= len(CALLS[method])
