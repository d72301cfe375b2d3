"""Identity, as the gateway asks it: sessions and people's cards, remembered between requests.

Every signed-in request needs its session resolved, and most pages need the cards (name,
photo, organisation) of the people they show. Both change rarely, and identity says when:
each gateway process remembers them (:class:`Remembered`) and forgets a person the moment
identity publishes an event about them (:mod:`gateway.calls.identity_events`). So a known
session costs no call to identity, and a page of posts by known authors none either.

What keeps this as strict as asking every time:

- nothing is remembered while identity's events are not heard (the watch is not live), and
  everything is forgotten when it starts or stops hearing them;
- an answer is kept only if no identity event arrived while it was fetched;
- an entry lives at most ``PARVIS_GATEWAY_SESSION_CACHE_SECONDS`` (sessions: this also keeps
  identity's last-seen time, hence its idle timeout, true) or
  ``PARVIS_GATEWAY_CARD_CACHE_SECONDS`` (cards): the bound for an event lost all the same;
- a session is never used past the moment identity said it would stop resolving by itself
  (``valid_until``: its end, its idle timeout, a guest's last day);
- sign-out through this process forgets the session here before identity is even asked.

Cards are remembered for employees' pages only: an employee may see everyone's card, the
same card whoever asks. A guest sees only the people sharing a community: their pages ask
identity, which applies that rule.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict

from flask import current_app, g

from parvis_contracts import settings

from .. import rpc
from .identity_events import IdentityWatch

EXTENSION = "parvis_identity_memory"
#: what a page shows of a person
PEOPLE_CARD_FIELDS = ("id", "display_name", "guest", "org_name", "initials", "photo")
#: most ids one ``people_cards`` call carries (identity's own limit)
MAX_CARDS = 500


class Remembered:
    """A bounded map ``key -> value`` whose entries expire and are forgotten by person."""

    def __init__(self, size: int, clock=time.time):
        self.size = size
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict = OrderedDict()  # key -> (deadline, person_id, value)
        self._keys_of: dict[str, set] = {}  # person_id -> keys

    def get(self, key):
        entry = self._entries.get(key)
        if entry is None:
            return None
        deadline, _person, value = entry
        if self._clock() >= deadline:
            self.forget_key(key)
            return None
        return value

    def put(self, key, person_id: str, value, deadline: float, keep) -> bool:
        """Store unless ``keep()`` says an event came since the value was fetched."""
        with self._lock:
            if not keep():
                return False
            self._drop(key)
            while len(self._entries) >= self.size:
                self._drop(next(iter(self._entries)))
            self._entries[key] = (deadline, person_id, value)
            self._keys_of.setdefault(person_id, set()).add(key)
            return True

    def forget_person(self, person_id: str) -> None:
        with self._lock:
            for key in self._keys_of.pop(person_id, ()):
                self._entries.pop(key, None)

    def forget_key(self, key) -> None:
        with self._lock:
            self._drop(key)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._keys_of.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def _drop(self, key) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            keys = self._keys_of.get(entry[1])
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._keys_of[entry[1]]


class IdentityMemory:
    """One gateway process's memory of identity: its watch, its sessions, its cards."""

    def __init__(self, watch: IdentityWatch | None, session_seconds: int, card_seconds: int, size: int):
        self.watch = watch
        self.session_seconds = session_seconds
        self.card_seconds = card_seconds
        self.sessions = Remembered(size)
        self.cards = Remembered(size)
        if watch is not None:
            for memory in (self.sessions, self.cards):
                watch.on_person(memory.forget_person)
                watch.on_reset(memory.clear)

    def hearing(self) -> bool:
        """Whether identity's events are heard (starting the watch if needed)."""
        return self.watch is not None and self.watch.ensure_started()


def init_identity_memory(app, client) -> None:
    """Give the app its memory of identity; off when the client has no broker (unit tests)."""
    session_seconds = settings.value("PARVIS_GATEWAY_SESSION_CACHE_SECONDS")
    card_seconds = settings.value("PARVIS_GATEWAY_CARD_CACHE_SECONDS")
    config = getattr(client, "config", None)
    uri = config.get("AMQP_URI") if isinstance(config, dict) else None
    watch = None
    if uri and (session_seconds > 0 or card_seconds > 0):
        watch = IdentityWatch(uri, heartbeat=settings.value("PARVIS_AMQP_HEARTBEAT"))
    app.extensions[EXTENSION] = IdentityMemory(
        watch, session_seconds, card_seconds, settings.value("PARVIS_GATEWAY_CACHE_SIZE")
    )


def memory() -> IdentityMemory:
    return current_app.extensions[EXTENSION]


# --- sessions ---------------------------------------------------------------------------


def _session_key(session_token: str) -> str:
    # the token itself is not kept: only what identity keeps of it too
    return hashlib.sha256(session_token.encode()).hexdigest()


def resolve_session(session_token: str) -> dict:
    """Who holds ``session_token`` (``identity.resolve_session``), remembered while true."""
    mind = memory()
    key = _session_key(session_token)
    if mind.session_seconds > 0:
        known = mind.sessions.get(key)
        if known is not None and mind.watch.settle():
            known = mind.sessions.get(key)  # unless what was just handled forgot it
            if known is not None:
                return known
    hearing = mind.session_seconds > 0 and mind.hearing()
    mark = mind.watch.mark() if hearing else None
    resolved = rpc.call_anonymous("identity", "resolve_session", session_token=session_token)
    if hearing:
        deadline = time.time() + mind.session_seconds
        until = _timestamp(resolved.get("valid_until"))
        if until is not None:
            deadline = min(deadline, until)
        person_id = (resolved.get("person") or {}).get("id")
        if person_id:
            mind.sessions.put(key, person_id, resolved, deadline, lambda: mind.watch.still(mark))
    return resolved


def sign_out(session_token: str) -> None:
    """End the session at identity, forgotten here first (this process never uses it again)."""
    memory().sessions.forget_key(_session_key(session_token))
    rpc.call_anonymous("identity", "sign_out", session_token=session_token)


def _timestamp(value) -> float | None:
    from ..auth import parse_expiry  # the gateway's one reading of identity's times

    moment = parse_expiry(value)
    return moment.timestamp() if moment is not None else None


# --- people's cards ---------------------------------------------------------------------


def _card(card: dict) -> dict:
    return {name: card.get(name) for name in PEOPLE_CARD_FIELDS}


def people_cards(person_ids) -> dict:
    """``id -> card`` of the people the caller may see among ``person_ids``."""
    ids = sorted({pid for pid in person_ids if pid})[:MAX_CARDS]
    if not ids:
        return {}
    mind = memory()
    principal = g.get("principal") or {}
    remember = mind.card_seconds > 0 and principal and not principal.get("guest") and mind.hearing()
    if not remember:
        cards = rpc.call("identity", "people_cards", person_ids=ids) or {}
        return {pid: _card(card) for pid, card in cards.items()}
    found, missing = {}, []
    for pid in ids:
        card = mind.cards.get(pid)
        if card is None:
            missing.append(pid)
        else:
            found[pid] = card
    if missing:
        mark = mind.watch.mark()
        fetched = rpc.call("identity", "people_cards", person_ids=missing) or {}
        deadline = time.time() + mind.card_seconds
        for pid, card in fetched.items():
            found[pid] = _card(card)
            mind.cards.put(pid, pid, found[pid], deadline, lambda: mind.watch.still(mark))
    return found


def with_people(page: dict, *keys: str) -> dict:
    """The page plus ``people``: the cards of the ids its items carry under ``keys``."""
    ids = [item.get(key) for item in page.get("items") or [] for key in keys]
    return {**page, "people": people_cards(ids)}
