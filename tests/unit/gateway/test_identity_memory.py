"""The gateway's memory of identity (``gateway/calls/identity.py``), without a broker:
what :class:`Remembered` keeps, for how long, and what makes it forget."""

from gateway.calls.identity import Remembered
from gateway.calls.identity_events import ORGANISATION_KEYS, WATCHED, IdentityWatch
from parvis_contracts import events as ev


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def always():
    return True


def test_an_entry_lives_until_its_deadline():
    clock = Clock()
    memory = Remembered(10, clock=clock)
    assert memory.put("s1", "p1", {"who": "p1"}, deadline=1030.0, keep=always)
    clock.now = 1029.9
    assert memory.get("s1") == {"who": "p1"}
    clock.now = 1030.0
    assert memory.get("s1") is None
    assert len(memory) == 0


def test_nothing_is_kept_when_an_event_came_while_it_was_fetched():
    memory = Remembered(10, clock=Clock())
    assert not memory.put("s1", "p1", {}, deadline=2000.0, keep=lambda: False)
    assert memory.get("s1") is None


def test_forgetting_a_person_forgets_all_their_entries_and_only_theirs():
    memory = Remembered(10, clock=Clock())
    for key, person in (("a", "p1"), ("b", "p1"), ("c", "p2")):
        memory.put(key, person, key, deadline=2000.0, keep=always)
    memory.forget_person("p1")
    assert (memory.get("a"), memory.get("b"), memory.get("c")) == (None, None, "c")
    memory.forget_person("nobody")
    assert len(memory) == 1


def test_the_oldest_entries_go_first_when_full():
    memory = Remembered(3, clock=Clock())
    for index in range(5):
        memory.put(f"k{index}", f"p{index}", index, deadline=2000.0, keep=always)
    assert len(memory) == 3
    assert [memory.get(f"k{index}") for index in range(5)] == [None, None, 2, 3, 4]
    memory.forget_person("p0")  # its entry already went: nothing left behind for it
    memory.clear()
    assert len(memory) == 0 and memory.get("k4") is None


def test_putting_a_key_again_replaces_it_and_its_person():
    memory = Remembered(10, clock=Clock())
    memory.put("k", "p1", "old", deadline=2000.0, keep=always)
    memory.put("k", "p2", "new", deadline=2000.0, keep=always)
    memory.forget_person("p1")
    assert memory.get("k") == "new"
    memory.forget_person("p2")
    assert memory.get("k") is None


def test_a_watch_that_never_connected_is_not_live_and_cannot_settle():
    watch = IdentityWatch("amqp://guest:guest@127.0.0.1:1//")
    assert not watch.live and not watch.settle()
    mark = watch.mark()
    assert not watch.still(mark)  # not live: nothing may be stored


def test_a_watch_forgets_the_person_an_event_names_and_everyone_after_an_organisation_changes():
    watch = IdentityWatch("amqp://unused")
    forgotten, resets = [], []
    watch.on_person(forgotten.append)
    watch.on_reset(lambda: resets.append(True))
    before = watch.mark()
    deactivated = ev.Envelope.new(
        ev.IDENTITY_USER_DEACTIVATED, {"user_id": "p1", "org_id": "o1", "guest": False}
    )
    watch._on_message(deactivated.to_message())
    assert forgotten == ["p1"] and watch.mark() != before
    renamed = ev.Envelope.new(
        ev.IDENTITY_ORGANISATION_UPDATED, {"org_id": "o1", "name": "Acme", "kind": "host"}
    )
    watch._on_message(renamed.to_message())
    assert resets == [True]
    forged = dict(deactivated.to_message(), data={"user_id": "p2", "org_id": "o1", "guest": False})
    watch._on_message(forged)  # a wrong signature: refused, nobody forgotten
    assert forgotten == ["p1"]


def test_every_event_that_changes_a_session_or_a_card_is_watched():
    watched = {event.key for event in WATCHED}
    for event in (
        ev.IDENTITY_SESSION_ENDED,
        ev.IDENTITY_USER_UPDATED,
        ev.IDENTITY_USER_DEACTIVATED,
        ev.IDENTITY_USER_ROLES_CHANGED,
        ev.IDENTITY_USER_ERASED,
        ev.IDENTITY_USER_LANGUAGE_CHANGED,
    ):
        assert event.key in watched, event.key
    assert {ev.IDENTITY_ORGANISATION_UPDATED.key} == ORGANISATION_KEYS
