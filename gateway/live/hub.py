"""The live hub's working parts: its streams by person, the calls they make, what it hears.

Everything runs in green threads of one eventlet process (patched by ``__main__``), so
nothing here takes a lock: the state changes between two switches only.

- :class:`Calls`: the hub's RPCs go through a few green threads of their own, each keeping
  one of nameko's standalone proxies (one per thread, never shared): a thousand streams cost
  ``CALL_WORKERS`` broker connections, not a thousand.
- :class:`Stream`: one open page of one person, and when it must next ask the count, check
  its session, send a heartbeat.
- :class:`Hub`: the streams by person, the caps, and what makes a stream act: an
  ``unread_changed`` naming its person (ask the count), an identity event about them (check
  the session now), the events heard again after a loss (a change may have gone unheard).
- :class:`Listener`: one exclusive, auto-deleted, non-durable queue per process, bound from
  ``notifications.events`` (``unread_changed``) and ``identity.events`` (person events),
  consumed in a green thread that reconnects with backoff. While it is not live, each
  stream asks its count at every heartbeat instead.

A session is checked again at most ``PARVIS_LIVE_SESSION_CHECK_SECONDS`` after the last
check, at once after an identity event about the person, and at the moment identity said it
would stop holding (``valid_until``); the count is asked again with each check, so what no
event announces (a community left, a notification whose content was deleted) shows within
that bound. A check passes ``touch=False``: an open page is not the person's activity, and
their idle timeout holds.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import time
from collections.abc import Iterator

import eventlet
from eventlet.event import Event
from eventlet.queue import Empty, Full, LightQueue
from nameko.exceptions import RpcTimeout, UnknownService
from prometheus_client import CollectorRegistry, Counter, Gauge

from parvis_contracts import events as ev
from parvis_contracts.context import anonymous_caller, sign
from parvis_contracts.errors import ParvisError, Unauthenticated, Unavailable
from parvis_contracts.plugins import PluginError, event_schemas

from ..auth import caller_for, parse_expiry
from ..event_tap import EventTap, envelope_of

log = logging.getLogger("gateway.live")

#: what the browser waits before it reconnects a stream that ended (EventSource's ``retry``)
RETRY_MS = 2000
#: a comment line this often keeps proxies from closing a quiet stream, and finds a page gone
HEARTBEAT = 15.0
#: a count or a check that failed (a service not answering) is tried again this much later
RETRY_AFTER_FAILURE = 5.0
#: green threads making the hub's RPCs, each with its own proxy
CALL_WORKERS = 8
#: a service that is not answering
NOT_ANSWERING = (Unavailable, RpcTimeout, UnknownService)

REGISTRY = CollectorRegistry()
STREAMS = Gauge("parvis_live_streams", "Streams the live hub holds open", registry=REGISTRY)
REFUSED = Counter(
    "parvis_live_refused_total",
    "Streams the live hub did not open, by reason (unauthenticated, origin, busy, person_cap, unavailable)",
    ["reason"],
    registry=REGISTRY,
)
SENT = Counter("parvis_live_counts_sent_total", "Unread counts the live hub sent", registry=REGISTRY)


def frame(event: str, data: dict) -> bytes:
    """One server-sent event."""
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def unread_event() -> ev.EventType:
    """The notifications plug-in's ``unread_changed``, as its declaration names it."""
    source, name = ev.LIVE_HUB_UNREAD
    for event in event_schemas():
        if (event.source, event.name) == (source, name):
            return event
    raise PluginError(f"no installed service declares {source}.{name}: the live hub has nothing to tell")


class Calls:
    """RPCs made by ``size`` green threads of their own (nameko's standalone proxy is per
    thread: :class:`parvis_contracts.client.RpcClient` keeps one for each caller thread)."""

    def __init__(self, client, size: int = CALL_WORKERS):
        self.client = client
        self._jobs: LightQueue = LightQueue()
        self._workers = [eventlet.spawn(self._work) for _ in range(size)]

    def call(self, token: str, service: str, method: str, **kwargs):
        done = Event()
        self._jobs.put((token, service, method, kwargs, done))
        return done.wait()  # the answer, or the call's exception raised here

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            token, service, method, kwargs, done = job
            try:
                answer = self.client.call(service, method, token, **kwargs)
            except Exception as exc:  # the caller's to judge (Unauthenticated, not answering...)
                done.send_exception(exc)
            else:
                done.send(answer)

    def stop(self) -> None:
        for _ in self._workers:
            self._jobs.put(None)
        self.client.close()


class Stream:
    """One open page of one person."""

    def __init__(self, session_token: str, resolved: dict):
        self.session_token = session_token
        self.resolved = resolved
        self.person_id = resolved["person"]["id"]
        self.sent: int | None = None
        #: when to ask the count (now), check the session (set by the hub), send a
        #: heartbeat (monotonic seconds)
        now = time.monotonic()
        self.count_at = now
        self.check_at = now
        self.beat_at = now + HEARTBEAT
        self.closing = False
        self._wake: LightQueue = LightQueue(maxsize=1)

    def caller_token(self) -> str:
        """The person's signed request context, as the gateway signs one for a request."""
        return sign(caller_for(self.resolved, None))

    def wake(self) -> None:
        with contextlib.suppress(Full):  # already due to wake
            self._wake.put_nowait(True)

    def sleep(self, seconds: float) -> None:
        """Until woken, or ``seconds`` passed."""
        with contextlib.suppress(Empty):
            self._wake.get(timeout=max(0.0, seconds))


class Hub:
    """The open streams by person, their seats, and what makes them act."""

    def __init__(self, calls: Calls, max_streams: int, max_per_person: int, check_seconds: float):
        self.calls = calls
        self.max_streams = max_streams
        self.max_per_person = max_per_person
        self.check_seconds = check_seconds
        self.by_person: dict[str, set[Stream]] = {}
        self.open = 0
        #: the listener is live: changes are heard, a stream need not ask at each heartbeat
        self.hearing = False
        self.stopping = False

    # --- seats -------------------------------------------------------------------------

    def full(self) -> bool:
        return self.stopping or self.open >= self.max_streams

    def admit(self, stream: Stream) -> bool:
        """Give ``stream`` a seat unless the hub or its person has no more."""
        mine = self.by_person.setdefault(stream.person_id, set())
        if self.full() or len(mine) >= self.max_per_person:
            if not mine:
                del self.by_person[stream.person_id]
            return False
        mine.add(stream)
        self.open += 1
        STREAMS.set(self.open)
        # its session was resolved a moment ago; the first check comes within the interval,
        # spread so that streams opened together (a hub restarted) do not ask together ever after
        self._schedule_check(stream, self.check_seconds * random.uniform(0.5, 1.0))  # nosec B311
        return True

    def leave(self, stream: Stream) -> None:
        """Give the seat back (however often it is asked)."""
        mine = self.by_person.get(stream.person_id)
        if mine is None or stream not in mine:
            return
        mine.discard(stream)
        if not mine:
            del self.by_person[stream.person_id]
        self.open -= 1
        STREAMS.set(self.open)

    def streams(self) -> list[Stream]:
        return [stream for mine in self.by_person.values() for stream in mine]

    # --- what makes streams act --------------------------------------------------------

    def unread_changed(self, person_ids) -> None:
        for person_id in person_ids:
            for stream in self.by_person.get(person_id, ()):
                stream.count_at = 0.0
                stream.wake()

    def person_changed(self, person_id: str) -> None:
        for stream in self.by_person.get(person_id, ()):
            stream.check_at = 0.0
            stream.wake()

    def hearing_changed(self, hearing: bool) -> None:
        """Live again: every count is asked (a change may have gone unheard); lost: each
        stream asks at its heartbeats until it is live again."""
        self.hearing = hearing
        if hearing:
            self.unread_changed(list(self.by_person))

    def close_all(self) -> None:
        self.stopping = True
        for stream in self.streams():
            stream.closing = True
            stream.wake()

    # --- the calls ---------------------------------------------------------------------

    def resolve(self, session_token: str) -> dict:
        """``identity.resolve_session`` as the gateway asks it (the signed anonymous context),
        without counting as the person's activity; ``Unauthenticated`` when it does not hold."""
        return self.calls.call(
            anonymous_caller(), "identity", "resolve_session", session_token=session_token, touch=False
        )

    def unread(self, stream: Stream) -> int:
        return self.calls.call(stream.caller_token(), "notifications", "unread_count")["unread"]

    # --- a stream's life ---------------------------------------------------------------

    def run(self, stream: Stream) -> Iterator[bytes]:
        """What ``stream`` sends, until its session ends, its page goes or the hub stops."""
        try:
            yield f"retry: {RETRY_MS}\n\n".encode()
            while not stream.closing:
                if time.monotonic() >= stream.check_at and not self._check(stream):
                    yield frame("signed-out", {})
                    return
                if time.monotonic() >= stream.count_at:
                    count = self._count(stream)
                    if count is not None and count != stream.sent:
                        stream.sent = count
                        stream.beat_at = time.monotonic() + HEARTBEAT
                        SENT.inc()
                        yield frame("unread", {"unread": count})
                if time.monotonic() >= stream.beat_at:
                    stream.beat_at = time.monotonic() + HEARTBEAT
                    yield b": keep-alive\n\n"
                stream.sleep(min(stream.check_at, stream.count_at, stream.beat_at) - time.monotonic())
        finally:
            self.leave(stream)

    def _check(self, stream: Stream) -> bool:
        """Whether the stream's session still holds (a service not answering: it does, and
        it is asked again shortly)."""
        try:
            resolved = self.resolve(stream.session_token)
        except Unauthenticated:
            return False
        except NOT_ANSWERING as exc:
            log.warning("session not checked (%s): again in %ss", type(exc).__name__, RETRY_AFTER_FAILURE)
            stream.check_at = time.monotonic() + RETRY_AFTER_FAILURE
            return True
        if (resolved.get("person") or {}).get("id") != stream.person_id:
            return False
        stream.resolved = resolved
        self._schedule_check(stream, self.check_seconds)
        stream.count_at = 0.0  # what no event announces shows within one interval
        return True

    @staticmethod
    def _schedule_check(stream: Stream, seconds: float) -> None:
        """The next check in ``seconds``, or just after the moment identity said the session
        would stop holding by itself (its end, its idle timeout, a guest's last day)."""
        stream.check_at = time.monotonic() + seconds
        until = parse_expiry(stream.resolved.get("valid_until"))
        if until is not None:
            left = max(0.0, until.timestamp() - time.time()) + 1.0
            stream.check_at = min(stream.check_at, time.monotonic() + left)

    def _count(self, stream: Stream) -> int | None:
        try:
            count = self.unread(stream)
        except (*NOT_ANSWERING, ParvisError) as exc:
            log.info("count not asked (%s): again in %ss", type(exc).__name__, RETRY_AFTER_FAILURE)
            stream.count_at = time.monotonic() + RETRY_AFTER_FAILURE
            return None
        # heard: until the next change or check; not heard: at every heartbeat
        stream.count_at = float("inf") if self.hearing else time.monotonic() + HEARTBEAT
        return count


class Listener:
    """The hub process's queue of the events that concern its streams (a
    :class:`gateway.event_tap.EventTap` on green threads)."""

    def __init__(self, amqp_uri: str, hub: Hub, unread: ev.EventType, heartbeat: int = 10):
        self.hub = hub
        self.unread = unread
        self.live = False
        self._stopping = False
        self._thread = None
        self._tap = EventTap(amqp_uri, ev.LIVE_HUB_PREFIX, (unread, *ev.IDENTITY_PERSON_EVENTS), heartbeat)

    def start(self) -> None:
        self._thread = eventlet.spawn(self._run)

    def stop(self) -> None:
        self._stopping = True

    def _run(self) -> None:
        self._tap.run(self._consume, lambda: self._stopping, eventlet.sleep, self._lost)

    def _lost(self, error: Exception | None) -> None:
        if error is not None:
            log.warning("live hub events not heard (%s): each stream asks at its heartbeats", error)
        self._set_live(False)

    def _consume(self) -> None:
        self._tap.consume(self._on_message, lambda: self._stopping, lambda _connection: self._set_live(True))

    def _set_live(self, live: bool) -> None:
        if self.live != live:
            self.live = live
            self.hub.hearing_changed(live)
            log.info("live hub events %s", "heard" if live else "lost")

    def _on_message(self, body) -> None:
        envelope = envelope_of(body, "event")
        if envelope is None:
            return
        if envelope.type == self.unread.key:
            ids = envelope.data.get("user_ids")
            if isinstance(ids, list):
                self.hub.unread_changed([i for i in ids if isinstance(i, str)])
            return
        person_id = envelope.data.get("user_id")
        if isinstance(person_id, str):
            self.hub.person_changed(person_id)
