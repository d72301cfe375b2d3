"""Identity's events, as one gateway process hears them: what lets it remember people.

:class:`IdentityWatch` runs one daemon thread per gateway process (started on first use,
again after a fork) that consumes identity's events from a queue of its own: exclusive,
auto-deleted, non-durable, so every process hears every event and a dead process leaves
nothing behind. For each event it tells its listeners which person (or organisation) the
event is about, and they forget what they remember of them.

What it promises the caches (:mod:`gateway.calls.identity`):

- :attr:`live` is true only while the queue is bound and consumed. Events published while it
  is not are lost to this process, so a cache holds nothing from before: every change of
  state (connected, lost) moves :attr:`generation` on, and a listener is told to forget
  everything.
- :meth:`mark` is a snapshot (generation, events heard). A cache takes one before it asks
  identity and stores the answer only if the mark has not moved since: an event that arrived
  while the answer travelled could concern it.
- :meth:`settle` lets a request wait (a few milliseconds at most) for the events already on
  this process's socket to be handled before it trusts what is remembered. Identity answers a
  call only once its events are published (``Database(publish_before_reply=True)``), so
  whoever got the answer to a revocation finds the gateways told at their next request.

The queue, the consuming loop and the envelopes' check are :class:`gateway.event_tap.EventTap`'s
(the live hub taps the same way). This thread is not one of gunicorn's request threads: it
is the only long-lived connection of a gateway process, and it holds no request.
"""

from __future__ import annotations

import fcntl
import logging
import os
import struct
import termios
import threading
import time
from collections.abc import Callable

from parvis_contracts import events as ev

from ..event_tap import EventTap, envelope_of

log = logging.getLogger(__name__)

#: the gateway's queue names: ``parvis.gateway.identity.<host>.<pid>.<random>``
QUEUE_PREFIX = ev.IDENTITY_WATCH_PREFIX
#: identity's events after which a remembered session or card may be wrong
WATCHED = ev.IDENTITY_WATCHED
#: ... and those after which no card can be trusted (an organisation's name is on its people's)
ORGANISATION_KEYS = frozenset(event.key for event in WATCHED if event not in ev.IDENTITY_PERSON_EVENTS)
#: a watcher that failed this many times in a row stops; the next use starts it again
MAX_FAILURES = 5
RESTART_PAUSE = 5.0
#: longest a request waits for events already received to be handled
SETTLE_SECONDS = 0.05


def unread_bytes(sock) -> int:
    """Bytes the kernel holds for ``sock`` that nobody has read yet.

    An ``ioctl``, not ``select``: it waits for nothing and registers nothing, so it may ask
    about a socket another thread (or green thread) is reading.
    """
    answer = fcntl.ioctl(sock.fileno(), termios.FIONREAD, b"\0\0\0\0")
    return struct.unpack("i", answer)[0]


class IdentityWatch:
    def __init__(self, amqp_uri: str, heartbeat: int = 10):
        self.uri = amqp_uri
        self._tap = EventTap(amqp_uri, QUEUE_PREFIX, WATCHED, heartbeat)
        self.generation = 0
        self.heard = 0
        self.live = False
        self._on_person: list[Callable[[str], None]] = []
        self._on_reset: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._stopping = threading.Event()
        self._last_start = float("-inf")
        self._socket = None
        self._handling = False
        self._handled = threading.Condition()

    # --- who listens ---------------------------------------------------------

    def on_person(self, forget: Callable[[str], None]) -> None:
        """``forget(person_id)`` after each event about a person."""
        self._on_person.append(forget)

    def on_reset(self, forget_all: Callable[[], None]) -> None:
        """``forget_all()`` when the watch goes live or is lost, and after an organisation's event."""
        self._on_reset.append(forget_all)

    def mark(self) -> tuple[int, int]:
        return (self.generation, self.heard)

    def still(self, mark: tuple[int, int]) -> bool:
        """Nothing was heard, and the watch stayed live, since ``mark`` was taken."""
        return self.live and self.mark() == mark

    def settle(self) -> bool:
        """Wait until what already reached this process is handled; -> False if unsure.

        A socket with bytes not yet read, or a message being handled, means an event may be
        on its way to the caches: wait for it (``SETTLE_SECONDS`` at most).
        """
        deadline = None
        while True:
            sock = self._socket
            if not self.live or sock is None:
                return False
            try:
                pending = self._handling or unread_bytes(sock) > 0
            except (OSError, ValueError):  # closed under us
                return False
            if not pending:
                return True
            now = time.monotonic()
            deadline = deadline or now + SETTLE_SECONDS
            if now >= deadline:
                return False
            with self._handled:
                self._handled.wait(0.002)

    # --- the thread ----------------------------------------------------------

    def ensure_started(self) -> bool:
        """Start the thread in this process if it is not running; -> whether it is live."""
        thread = self._thread
        if thread is not None and thread.is_alive() and self._pid == os.getpid():
            return self.live
        with self._lock:
            if self._pid != os.getpid():  # forked: the parent's thread is not here
                self._thread, self.live = None, False
            thread = self._thread
            if thread is not None and thread.is_alive():
                return self.live
            now = time.monotonic()
            if now - self._last_start < RESTART_PAUSE:
                return False
            self._last_start, self._pid = now, os.getpid()
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="identity-watch", daemon=True)
            self._thread.start()
        return False

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self) -> None:
        self._tap.run(
            self._consume, self._stopping.is_set, self._stopping.wait, self._lost, max_failures=MAX_FAILURES
        )

    def _lost(self, error: Exception | None) -> None:
        if error is not None:
            log.warning("identity events not heard (%s): every request asks identity", error)
        self._socket = None
        self._set_live(False)

    def _consume(self) -> None:
        self._tap.consume(self._on_message, self._stopping.is_set, self._connected, self._waited)

    def _connected(self, connection) -> None:
        self._socket = connection.connection.sock
        self._set_live(True)

    def _waited(self) -> None:
        with self._handled:
            self._handled.notify_all()

    def _set_live(self, live: bool) -> None:
        if self.live == live:
            return
        with self._lock:
            self.generation += 1
            self._forget_all()
            self.live = live
        log.info("identity events %s", "heard: the gateway remembers sessions and cards" if live else "lost")

    def _forget_all(self) -> None:
        for forget_all in self._on_reset:
            forget_all()

    def _on_message(self, body) -> None:
        self._handling = True
        self.heard += 1
        try:
            self._handle(body)
        finally:
            self._handling = False

    def _handle(self, body) -> None:
        envelope = envelope_of(body, "identity event")
        if envelope is None:
            return
        if envelope.type in ORGANISATION_KEYS:
            self._forget_all()
            return
        person_id = envelope.data.get("user_id")
        if person_id:
            for forget in self._on_person:
                forget(person_id)
