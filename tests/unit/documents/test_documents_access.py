"""Access rules of contracts/parvis_contracts/authz_rules.yaml for the document bank, one test per rule.

Invisible answers exactly like unknown: the same ``NotFound`` message.
"""

from __future__ import annotations

import pytest

from parvis_contracts.context import KIND_SYSTEM, Caller
from parvis_contracts.errors import Forbidden, NotFound, Unauthenticated

from .conftest import PDF

UNKNOWN = "This document does not exist or you cannot see it."


def reads(world, caller, doc_id):
    """Every read of a document, old versions included: the answers, or the errors."""
    svc = world.svc(caller)
    calls = {
        "get": lambda: svc.get_document(document_id=doc_id),
        "download": lambda: svc.download_info(document_id=doc_id),
        "download_v1": lambda: svc.download_info(document_id=doc_id, number=1),
    }
    out = {}
    for name, call in calls.items():
        try:
            out[name] = call()
        except (NotFound, Forbidden) as exc:
            out[name] = exc.message
    return out


ADMIN_NOT_MEMBER = "Network admins see this community's card, not its content, unless they are members."


@pytest.fixture
def doc(world):
    doc = world.upload(world.member, "a.pdf")
    world.new_version(world.member, doc["id"], PDF + b"%v2\n")
    return doc


def test_members_and_invited_guests_read_every_version(world, doc):
    for caller in (world.manager, world.member, world.guest):
        got = reads(world, caller, doc["id"])
        assert got["get"]["version"] == 2
        assert got["download"]["number"] == 2 and got["download_v1"]["number"] == 1


def test_outsiders_get_the_unknown_answer_and_admins_not_members_a_403(world, doc):
    for caller in (world.employee, world.outsider_guest):
        assert set(reads(world, caller, doc["id"]).values()) == {UNKNOWN}
        with pytest.raises(NotFound) as exc:
            world.svc(caller).list_folder(community_id="A")
        assert exc.value.message == "This community does not exist or you cannot see it."
    assert set(reads(world, world.member, "no-such-id").values()) == {UNKNOWN}
    # an admin sees every community's card, not its content (docs/security.md, "Access rules")
    assert set(reads(world, world.admin, doc["id"]).values()) == {ADMIN_NOT_MEMBER}
    with pytest.raises(Forbidden):
        world.svc(world.admin).list_folder(community_id="A")
    with pytest.raises(Forbidden):
        world.upload(world.admin, "x.pdf")


def test_open_communities_are_read_by_employees_not_by_guests(world):
    doc = world.upload(world.manager, "open.pdf", cid="C")
    assert reads(world, world.employee, doc["id"])["download_v1"]["number"] == 1
    assert world.svc(world.employee).list_folder(community_id="C")["can_write"] is False
    with pytest.raises(Forbidden):  # visible, not a member: 403 on writes
        world.upload(world.employee, "mine.pdf", cid="C")
    assert set(reads(world, world.guest, doc["id"]).values()) == {UNKNOWN}


def test_private_and_secret_banks_are_invisible_to_non_members(world):
    for cid in ("B", "S"):
        doc = world.upload(world.manager, f"{cid}.pdf", cid=cid)
        for caller in (world.member, world.guest, world.employee):
            assert set(reads(world, caller, doc["id"]).values()) == {UNKNOWN}
            with pytest.raises(NotFound):
                world.upload(caller, "x.pdf", cid=cid)
        assert set(reads(world, world.admin, doc["id"]).values()) == {ADMIN_NOT_MEMBER}


def test_a_removed_guest_loses_access_at_the_next_call_old_versions_included(world, doc):
    assert reads(world, world.guest, doc["id"])["download_v1"]["number"] == 1
    world.leave("A", world.guest)
    assert set(reads(world, world.guest, doc["id"]).values()) == {UNKNOWN}
    with pytest.raises(NotFound):
        world.upload(world.guest, "late.pdf")
    assert world.store.staged == {}


def test_a_guest_reaches_only_the_banks_of_their_communities(world):
    world.community("G2", "private")
    world.join("G2", world.outsider_guest)
    mine = world.upload(world.outsider_guest, "mine.pdf", cid="G2")
    theirs = world.upload(world.member, "theirs.pdf")
    assert reads(world, world.outsider_guest, mine["id"])["get"]["name"] == "mine.pdf"
    assert set(reads(world, world.outsider_guest, theirs["id"]).values()) == {UNKNOWN}
    with pytest.raises(NotFound):
        world.svc(world.outsider_guest).describe_documents(community_id="A", document_ids=[theirs["id"]])


def test_the_bin_is_for_managers_and_admin_members(world, doc):
    world.svc(world.member).delete_document(document_id=doc["id"])
    with pytest.raises(Forbidden):  # an admin not a member: the card, not the bin
        world.svc(world.admin).list_bin(community_id="A")
    world.join("A", world.admin)
    assert [d["id"] for d in world.svc(world.admin).list_bin(community_id="A")["items"]] == [doc["id"]]
    assert world.svc(world.admin).list_folder(community_id="A")["can_manage"] is True


def test_no_signed_in_person_no_access(world, doc):
    with pytest.raises(Unauthenticated):
        world.svc(Caller(kind=KIND_SYSTEM)).get_document(document_id=doc["id"])
