"""The kudos service's rules, on its real class and a real database, without a broker.

Shipped inside the package, so the test tiers find them wherever the plug-in is installed
(``tests`` of its declaration). Identity is a fake holding the cards the caller may see.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import create_engine, select

from parvis_contracts.context import KIND_PERSON, Caller
from parvis_contracts.db import session_factory
from parvis_contracts.errors import Forbidden, NotFound, Unauthenticated, ValidationFailed
from parvis_kudos import privacy
from parvis_kudos.models import Kudos, metadata
from parvis_kudos.service import KudosService

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def person(user_id, guest=False, roles=("member",)):
    return Caller(kind=KIND_PERSON, user_id=user_id, org_id="org", guest=guest, roles=frozenset(roles))


ADMIN = person("u-admin", roles=("admin", "member"))
ANA, BEN, CLEO = person("u-ana"), person("u-ben"), person("u-cleo")
GUEST = person("u-guest", guest=True)


class FakeIdentity:
    """``people_cards`` as identity answers a caller: only the cards it may see."""

    def __init__(self, visible):
        self.visible = visible

    def people_cards(self, person_ids):
        return {pid: self.visible[pid] for pid in person_ids if pid in self.visible}


class World:
    def __init__(self, tmp_path):
        engine = create_engine(f"sqlite:///{tmp_path / 'kudos.db'}")
        metadata.create_all(engine)
        self.Session = session_factory(engine, metadata)
        self.now = START
        self.cards = {p.user_id: {"id": p.user_id, "status": "active"} for p in (ADMIN, ANA, BEN, CLEO)}
        self.cards["u-gone"] = {"id": "u-gone", "status": "deactivated"}

    def svc(self, caller):
        # a guest sees only Ana (they share a community); employees see everyone
        visible = {"u-ana": self.cards["u-ana"]} if caller is not None and caller.guest else self.cards
        self.now += timedelta(seconds=1)
        moment = self.now
        return worker_factory(
            KudosService,
            db=self.Session(),
            caller=caller,
            clock=lambda: moment,
            identity=FakeIdentity(visible),
        )

    def outbox(self) -> list[str]:
        with self.Session() as session:
            table = metadata.tables["outbox"]
            return [row.event_type for row in session.execute(select(table.c.event_type))]


@pytest.fixture
def world(tmp_path):
    return World(tmp_path)


def test_a_thank_you_is_stored_and_announced(world):
    given = world.svc(ANA).give_kudos(recipient_id="u-ben", message="Merci !")
    assert (given["giver_id"], given["recipient_id"], given["can_withdraw"]) == ("u-ana", "u-ben", True)
    assert world.outbox() == ["kudos_given"]
    page = world.svc(CLEO).list_kudos(person_id="u-ben")
    assert [k["message"] for k in page["items"]] == ["Merci !"]
    assert page["items"][0]["can_withdraw"] is False


def test_who_may_be_thanked(world):
    with pytest.raises(ValidationFailed) as itself:
        world.svc(ANA).give_kudos(recipient_id="u-ana", message="me")
    assert "recipient_id" in itself.value.details
    with pytest.raises(ValidationFailed):
        world.svc(ANA).give_kudos(recipient_id="u-gone", message="too late")
    with pytest.raises(NotFound):  # a guest shares no community with Ben
        world.svc(GUEST).give_kudos(recipient_id="u-ben", message="hello")
    with pytest.raises(NotFound):
        world.svc(ANA).give_kudos(recipient_id="u-nobody", message="hello")
    with pytest.raises(Unauthenticated):
        world.svc(None).give_kudos(recipient_id="u-ben", message="hello")
    assert world.svc(GUEST).give_kudos(recipient_id="u-ana", message="danke")["giver_id"] == "u-guest"
    for bad in ("", "x" * 281):
        with pytest.raises(ValidationFailed):
            world.svc(ANA).give_kudos(recipient_id="u-ben", message=bad)


def test_a_person_kudos_page_by_page_newest_first(world):
    for text in ("one", "two", "three"):
        world.svc(ANA).give_kudos(recipient_id="u-ben", message=text)
    first = world.svc(CLEO).list_kudos(person_id="u-ben", limit=2)
    assert [k["message"] for k in first["items"]] == ["three", "two"] and first["next_cursor"]
    second = world.svc(CLEO).list_kudos(person_id="u-ben", limit=2, cursor=first["next_cursor"])
    assert [k["message"] for k in second["items"]] == ["one"] and second["next_cursor"] is None
    with pytest.raises(ValidationFailed) as bad:
        world.svc(CLEO).list_kudos(person_id="u-ben", cursor="not-a-cursor")
    assert bad.value.details == {"cursor": ["This cursor is not one the kudos list gave."]}
    with pytest.raises(NotFound):
        world.svc(GUEST).list_kudos(person_id="u-ben")


def test_only_the_giver_or_an_admin_withdraws(world):
    kudos_id = world.svc(ANA).give_kudos(recipient_id="u-ben", message="thanks")["id"]
    for caller in (BEN, CLEO):
        with pytest.raises(Forbidden):
            world.svc(caller).withdraw_kudos(kudos_id=kudos_id)
    with pytest.raises(NotFound):
        world.svc(GUEST).withdraw_kudos(kudos_id=kudos_id)  # Ben is invisible to a guest
    world.svc(ADMIN).withdraw_kudos(kudos_id=kudos_id)
    assert world.svc(CLEO).list_kudos(person_id="u-ben")["items"] == []
    assert world.outbox() == ["kudos_given", "kudos_withdrawn"]
    with pytest.raises(NotFound):
        world.svc(ANA).withdraw_kudos(kudos_id=kudos_id)


def test_export_and_erasure(world):
    world.svc(ANA).give_kudos(recipient_id="u-ben", message="to Ben")
    world.svc(BEN).give_kudos(recipient_id="u-ana", message="to Ana")
    exported = world.svc(ANA).export_person_data(person_id="u-ana")
    assert [k["message"] for k in exported["kudos_given"]] == ["to Ben"]
    assert [k["message"] for k in exported["kudos_received"]] == ["to Ana"]
    with pytest.raises(Forbidden):
        world.svc(CLEO).export_person_data(person_id="u-ana")
    with world.Session() as session:
        privacy.forget_person(session, "u-ana")
        privacy.forget_person(session, "u-ana")  # a redelivered event changes nothing
        session.commit()
        rows = {k.message: k.giver_id for k in session.scalars(select(Kudos))}
    assert rows == {"to Ben": None}  # given: kept, from a former member
