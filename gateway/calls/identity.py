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

from flask import current_app, g, request, url_for

from parvis_contracts import settings

from .. import rpc
from ..metrics import IDENTITY_MEMORY
from . import operations
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
                IDENTITY_MEMORY.labels("session", "hit").inc()
                return known
        IDENTITY_MEMORY.labels("session", "miss").inc()
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


def _card(card: dict, fields=PEOPLE_CARD_FIELDS) -> dict:
    return {name: card.get(name) for name in fields}


def people_cards(person_ids, fields=PEOPLE_CARD_FIELDS) -> dict:
    """``id -> card`` of the people the caller may see among ``person_ids``.

    A card holds ``fields`` (what a page shows, unless the caller asks for more of what
    identity's card has); the whole card is remembered, whichever fields were asked."""
    ids = sorted({pid for pid in person_ids if pid})[:MAX_CARDS]
    if not ids:
        return {}
    mind = memory()
    principal = g.get("principal") or {}
    remember = mind.card_seconds > 0 and principal and not principal.get("guest") and mind.hearing()
    if not remember:
        cards = rpc.call("identity", "people_cards", person_ids=ids) or {}
        return {pid: _card(card, fields) for pid, card in cards.items()}
    found, missing = {}, []
    for pid in ids:
        card = mind.cards.get(pid)
        if card is None:
            missing.append(pid)
        else:
            found[pid] = _card(card, fields)
    IDENTITY_MEMORY.labels("card", "hit").inc(len(found))
    if missing:
        IDENTITY_MEMORY.labels("card", "miss").inc(len(missing))
        mark = mind.watch.mark()
        fetched = rpc.call("identity", "people_cards", person_ids=missing) or {}
        deadline = time.time() + mind.card_seconds
        for pid, card in fetched.items():
            found[pid] = _card(card, fields)
            mind.cards.put(pid, pid, dict(card), deadline, lambda: mind.watch.still(mark))
    return found


def with_people(page: dict, *keys: str) -> dict:
    """The page plus ``people``: the cards of the ids its items carry under ``keys``."""
    ids = [item.get(key) for item in page.get("items") or [] for key in keys]
    return {**page, "people": people_cards(ids)}


# --- the rest of identity's operations --------------------------------------------------
# (one function per operation, see :mod:`gateway.calls`; nothing below is remembered)

operation = operations("identity")


@operation(anonymous=True)
def sign_in(email: str, password: str, user_agent: str | None, ip: str | None) -> dict:
    """-> a session; a wrong password and an unknown e-mail answer the same ``Unauthenticated``."""
    return {"email": email, "password": password, "user_agent": user_agent, "ip": ip}


@operation(anonymous=True)
def get_invitation(token: str) -> dict:
    return {"token": token}


@operation(anonymous=True)
def accept_invitation(token: str, password: str) -> dict:
    """Set the invited person's password -> a session."""
    return {"token": token, "password": password}


@operation(anonymous=True)
def request_password_reset(email: str, ip: str | None) -> dict:
    """-> ``{"requested": True}`` whoever the address is (a link is mailed only to a person
    who can sign in); too many requests from ``ip``: ``TooManyRequests``."""
    return {"email": email, "ip": ip}


@operation(anonymous=True)
def check_password_reset(token: str) -> dict:
    """Whose account a reset link is for (``display_name``, ``masked_email``, ``expires_at``);
    unknown, used or expired: ``NotFound``."""
    return {"token": token}


@operation(anonymous=True)
def reset_password(token: str, password: str) -> dict:
    """Set the password with a reset link, once; every session of the person ends."""
    return {"token": token, "password": password}


@operation
def change_password(current_password: str, new_password: str) -> dict:
    """Also ends the person's other sessions."""
    return {"current_password": current_password, "new_password": new_password}


# --- profiles and the directory ---------------------------------------------------------


@operation
def get_me() -> dict:
    return {}


@operation
def update_me(changes: dict) -> dict:
    return {"changes": changes}


@operation
def set_photo(sha256: str, content_type: str) -> dict:
    """Reference the caller's photo, already in the gateway's blob store."""
    return {"sha256": sha256, "content_type": content_type}


@operation
def clear_photo() -> dict:
    return {}


@operation
def get_person(person_id: str) -> dict:
    """A profile as the caller may see it (404 exactly as an unknown id otherwise)."""
    return {"person_id": person_id}


@operation
def mentionable(community_id: str, query: str | None, limit: int = 10) -> dict:
    """The members of a community the caller may mention whose name holds ``query`` (the
    caller must be a member: the mention picker of the composer and the comment box)."""
    return {"community_id": community_id, "query": query, "limit": limit}


@operation
def search_people(args: dict) -> dict:
    """The directory from its query arguments (``q``, ``skill``, ``department``,
    ``country``, ``language``, ``limit``, ``cursor``: ``PeopleQuerySchema``)."""
    kwargs = {"limit": args.get("limit", 20)}
    if args.get("q"):
        kwargs["query"] = args["q"]
    for name in ("skill", "department", "country", "language", "cursor"):
        if args.get(name):
            kwargs[name] = args[name]
    return kwargs


# --- organisations ----------------------------------------------------------------------


def _as_list(answer) -> list:
    """``list_organisations`` as a list, whether it answers a list or ``{items: [...]}``."""
    if isinstance(answer, dict):
        return list(answer.get("items") or [])
    return list(answer or [])


@operation(shape=_as_list)
def list_organisations() -> dict:
    """The organisations the caller may see (a guest: their own), as a list."""
    return {}


@operation
def create_organisation(name: str, kind: str, country: str | None = None) -> dict:
    return {"name": name, "kind": kind, "country": country}


@operation
def update_organisation(org_id: str, changes: dict) -> dict:
    return {"org_id": org_id, "changes": changes}


# --- administration ---------------------------------------------------------------------


@operation
def admin_list_people(args: dict) -> dict:
    """Every account, from the admin list's query arguments (``AdminPeopleQuerySchema``)."""
    kwargs = {"limit": args.get("limit", 50)}
    if args.get("q"):
        kwargs["query"] = args["q"]
    for name in ("org_id", "guest", "status", "cursor"):
        if args.get(name) is not None and args.get(name) != "":
            kwargs[name] = args[name]
    return kwargs


@operation
def admin_create_person(person: dict) -> dict:
    """An employee or a guest (``AdminCreatePersonSchema``); its empty fields left out."""
    return {key: value for key, value in person.items() if value is not None}


def create_person(person: dict) -> dict:
    """``admin_create_person``, with the full link of the invitation when there is one."""
    result = admin_create_person(person)
    token = result.get("invitation_token")
    return {"person": result["person"], "invitation_token": token, "invitation_url": invitation_url(token)}


def invitation_url(token: str | None) -> str | None:
    """The full link of an invitation (``PUBLIC_URL``, else this request's host)."""
    if not token:
        return None
    path = url_for("web.invitation", token=token)
    base = current_app.config.get("PUBLIC_URL") or request.host_url
    return base.rstrip("/") + path


@operation
def deactivate_person(person_id: str) -> dict:
    return {"person_id": person_id}


@operation
def reactivate_person(person_id: str) -> dict:
    return {"person_id": person_id}


@operation
def set_roles(person_id: str, roles: list) -> dict:
    return {"person_id": person_id, "roles": roles}


@operation
def set_guest_expiry(person_id: str, guest_expires_at) -> dict:
    return {"person_id": person_id, "guest_expires_at": guest_expires_at}


@operation
def audit_log(args: dict) -> dict:
    """The audit log from its query arguments (``limit``, ``cursor``, ``action``, ``subject``)."""
    kwargs = {"limit": args.get("limit", 50)}
    for name in ("cursor", "action", "subject"):
        if args.get(name):
            kwargs[name] = args[name]
    return kwargs


# --- erasure ----------------------------------------------------------------------------


@operation
def erase_me(password: str) -> dict:
    return {"password": password}


@operation
def erase_person(person_id: str) -> dict:
    return {"person_id": person_id}
