"""Shared test infrastructure: an isolated RabbitMQ vhost and per-service databases.

Tests never touch a developer's running platform: each run gets its own vhost
(created through RabbitMQ's management API on 127.0.0.1) and its own databases —
temporary SQLite files, or, with ``PARVIS_TEST_DB=postgresql``, fresh PostgreSQL
databases created on ``PARVIS_TEST_PG_URL`` and dropped afterwards.
"""

from __future__ import annotations

import os
import struct
import time
import uuid
import zlib
from datetime import UTC
from urllib.parse import quote

import requests

MANAGEMENT = os.environ.get("PARVIS_TEST_RABBIT_API", "http://127.0.0.1:15672/api")
RABBIT_AUTH = ("guest", "guest")
PG_ADMIN_URL = os.environ.get("PARVIS_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def use_postgresql() -> bool:
    return os.environ.get("PARVIS_TEST_DB", "sqlite").lower().startswith("postgres")


class Vhost:
    def __init__(self, prefix: str = "parvis-test"):
        self.name = f"{prefix}-{uuid.uuid4().hex[:10]}"
        self.uri = f"amqp://guest:guest@127.0.0.1:5672/{quote(self.name, safe='')}"

    def create(self) -> Vhost:
        vh = quote(self.name, safe="")
        r = requests.put(f"{MANAGEMENT}/vhosts/{vh}", auth=RABBIT_AUTH, timeout=10)
        r.raise_for_status()
        r = requests.put(
            f"{MANAGEMENT}/permissions/{vh}/guest",
            auth=RABBIT_AUTH,
            timeout=10,
            json={"configure": ".*", "write": ".*", "read": ".*"},
        )
        r.raise_for_status()
        return self

    def delete(self) -> None:
        requests.delete(f"{MANAGEMENT}/vhosts/{quote(self.name, safe='')}", auth=RABBIT_AUTH, timeout=10)

    def queue(self, name: str) -> dict:
        r = requests.get(
            f"{MANAGEMENT}/queues/{quote(self.name, safe='')}/{quote(name, safe='')}",
            auth=RABBIT_AUTH,
            timeout=10,
        )
        r.raise_for_status()
        return r.json()

    def queue_length(self, name: str, settle: float = 6.0) -> int:
        """Messages in a queue (the management API refreshes every few seconds)."""
        deadline = time.time() + settle
        value = self.queue(name).get("messages", 0)
        while time.time() < deadline:
            time.sleep(0.5)
            value = self.queue(name).get("messages", 0)
        return value


class Databases:
    """One database URL per service for one test run."""

    def __init__(self, directory):
        self.directory = directory
        self.created: list[str] = []
        self.tag = uuid.uuid4().hex[:8]
        self.sqlite_files = 0

    def url(self, service: str) -> str:
        """A fresh, empty database for ``service`` (a new one at every call)."""
        suffix = f"{self.tag}_{len(self.created) + self.sqlite_files}"
        if not use_postgresql():
            self.sqlite_files += 1
            return f"sqlite:///{self.directory}/{service}-{suffix}.db"
        import psycopg

        name = f"parvis_test_{service}_{suffix}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
        return f"{base}/{name}"

    def drop_all(self) -> None:
        if not self.created:
            return
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            for name in self.created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.clear()


class SmtpSink:
    """A real SMTP server on 127.0.0.1 in a process of its own (aiosmtpd's command, its
    ``Mailbox`` handler), which files every message it accepts in a Maildir: the mails the
    platform sends, read as a mail client reads them. A process, not a thread: the service
    tier's process is eventlet-patched, and the end-to-end tier's platform runs apart.
    """

    def __init__(self, directory):
        from pathlib import Path

        self.directory = Path(directory)
        self.maildir = self.directory / "inbox"
        self.port = None
        self.process = None

    def start(self, timeout: float = 20.0) -> SmtpSink:
        import socket
        import subprocess
        import sys

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.port}"]
            + ["-c", "aiosmtpd.handlers.Mailbox", str(self.maildir)],
            stdout=subprocess.DEVNULL,
            stderr=open(self.directory / "smtp.log", "wb"),  # noqa: SIM115 (the process keeps it)
        )

        def answers():
            assert self.process.poll() is None, (self.directory / "smtp.log").read_text()
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                    return conn.recv(64).startswith(b"220")
            except OSError:
                return False

        wait_until(answers, timeout=timeout, interval=0.1)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except Exception:
                self.process.kill()
                self.process.wait(timeout=10)

    def environment(self) -> dict:
        """What points the notifications service at this server."""
        return {
            "PARVIS_MAIL_TRANSPORT": "smtp",
            "PARVIS_SMTP_HOST": "127.0.0.1",
            "PARVIS_SMTP_PORT": str(self.port),
            "PARVIS_SMTP_SECURITY": "none",
        }

    def messages(self, to: str | None = None) -> list:
        """Every message received (``email.message.EmailMessage``), oldest first; only
        those to ``to`` with it."""
        import email
        import email.policy

        new = self.maildir / "new"
        if not new.is_dir():
            return []
        found = [
            email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for path in sorted(new.iterdir(), key=lambda path: path.stat().st_mtime)
        ]
        return [m for m in found if to is None or to.lower() in str(m["To"]).lower()]

    def wait_for(self, to: str, count: int = 1, timeout: float = 30.0) -> list:
        """The first ``count`` messages to ``to``, once they arrived (bounded wait)."""
        return wait_until(
            lambda: (lambda got: got if len(got) >= count else None)(self.messages(to)), timeout
        )


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05):
    """Poll ``predicate`` until it returns something truthy; bounded in time."""
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


class FakeClock:
    """A clock the unit tests move by hand. With a ``tick`` it also moves at every
    reading, so that successive writes get distinct, ordered timestamps."""

    def __init__(self, tick=None):
        from datetime import datetime, timedelta, timezone

        self.now = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
        self.tick = tick or timedelta(0)

    def __call__(self):
        self.now += self.tick
        return self.now

    def advance(self, **kwargs):
        from datetime import timedelta

        self.now += timedelta(**kwargs)


def clock_from(clock):
    """A service's ``clock`` dependency that answers ``clock`` (a :class:`FakeClock` the
    test moves): ``class IdentityWithTestClock(IdentityService): clock = clock_from(CLOCK)``."""
    from nameko.extensions import DependencyProvider

    class ClockFromTheTest(DependencyProvider):
        def get_dependency(self, worker_ctx):
            return clock

    return ClockFromTheTest()


def unit_engine(tmp_path, service: str, metadata):
    """Generator for a unit-tier ``engine`` fixture: a fresh SQLite file with the
    service's tables, or with ``PARVIS_TEST_DB=postgresql`` a fresh PostgreSQL database."""
    from parvis_contracts.db import make_engine

    dbs = Databases(tmp_path)
    url = dbs.url(service) if use_postgresql() else f"sqlite:///{tmp_path}/{service}.db"
    engine = make_engine(url)
    metadata.create_all(engine)
    yield engine
    engine.dispose()
    dbs.drop_all()


def migrate_and_compare(service: str, models_metadata, tmp_path) -> tuple[list, set]:
    """Upgrade a fresh database of ``service`` to head (SQLite, or PostgreSQL when the tier
    asks for it): (differences from the models' metadata, table names)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import inspect

    from parvis_contracts.db import make_engine
    from parvis_contracts.migrations import upgrade

    dbs = Databases(tmp_path)
    url = dbs.url(service) if use_postgresql() else f"sqlite:///{tmp_path}/{service}-mig.db"
    try:
        upgrade(service, url)
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn), models_metadata)
                tables = set(inspect(conn).get_table_names())
        finally:
            engine.dispose()
    finally:
        dbs.drop_all()
    return diff, tables


class UnitWorld:
    """A service's unit-tier world: workers get a fresh session each, and the previous
    ones are closed (a closed session can be used again; closing returns idle
    connections to the pool)."""

    def __init__(self, Session, clock):
        self.Session = Session
        self.clock = clock
        self.sessions = []

    def session(self):
        for old in self.sessions:
            old.close()
        s = self.Session()
        self.sessions.append(s)
        return s

    def close(self):
        for s in self.sessions:
            s.close()


class AccessTableWorld(UnitWorld):
    """The communities and people of the access table, for a service's unit tier.

    A real service class on a real database, no broker: the membership read model is
    fed exactly as in production, by signed ``Envelope`` bodies given to the handlers
    of ``parvis_contracts.membership.MembershipEventHandlers`` (versioned, in order).
    Subclasses set ``service_class`` and may add worker dependencies in
    :meth:`dependencies`; :func:`build_access_table` fills A (private, with a guest),
    B (private), C (open) and S (secret).
    """

    service_class = None
    #: stamp every event with the next version (False: unversioned events, version 0,
    #: for tests that give versions themselves)
    versioned = True

    def __init__(self, Session, clock):
        from parvis_contracts.context import KIND_PERSON, Caller

        def person(user_id, roles=("member",), guest=False):
            return Caller(
                kind=KIND_PERSON,
                user_id=user_id,
                org_id="org-guest" if guest else "org-host",
                roles=frozenset(roles),
                guest=guest,
            )

        super().__init__(Session, clock)
        self.version = 0
        self.admin = person("p-admin", roles=("admin", "member"))
        self.manager = person("p-manager")
        self.member = person("p-member")
        self.other_member = person("p-other")
        self.employee = person("p-employee")
        self.guest = person("p-guest", guest=True)
        self.outsider_guest = person("p-guest-2", guest=True)

    def dependencies(self) -> dict:
        return {}

    def svc(self, caller=None):
        from nameko.testing.services import worker_factory

        from parvis_contracts.context import KIND_SYSTEM, Caller

        return worker_factory(
            self.service_class,
            db=self.session(),
            caller=caller if caller is not None else Caller(kind=KIND_SYSTEM),
            clock=self.clock,
            **self.dependencies(),
        )

    def deliver(self, event, data):
        from parvis_contracts.events import Envelope
        from parvis_contracts.membership import HANDLER_METHODS

        if self.versioned and "version" not in data:
            self.version += 1
            data = {**data, "version": self.version}
        body = Envelope.new(event, data).to_message()
        getattr(self.svc(), dict(HANDLER_METHODS)[event])(body)
        return body

    def community(self, cid, visibility="private", archived=False, history=True, event=None, name=None):
        from parvis_contracts import events as ev

        return self.deliver(
            event or ev.COMMUNITIES_COMMUNITY_CREATED,
            {
                "community_id": cid,
                "name": name or f"Community {cid}",
                "kind": "team",
                "visibility": visibility,
                "archived": archived,
                "newcomers_see_history": history,
                "languages": ["en"],
                "allowed_org_ids": [],
            },
        )

    def join(self, cid, caller, role="member", joined_at=None):
        from parvis_contracts import events as ev

        return self.deliver(
            ev.COMMUNITIES_MEMBER_ADDED,
            {
                "community_id": cid,
                "user_id": caller.user_id,
                "role": role,
                "guest": caller.guest,
                "joined_at": (joined_at or self.clock.now).isoformat(),
            },
        )

    def leave(self, cid, caller):
        from parvis_contracts import events as ev

        return self.deliver(ev.COMMUNITIES_MEMBER_REMOVED, {"community_id": cid, "user_id": caller.user_id})


def build_access_table(world: AccessTableWorld) -> AccessTableWorld:
    """A private with a manager, two members and a guest; B private, C open, S secret,
    each with the same manager."""
    world.community("A", "private")
    world.community("B", "private")
    world.community("C", "open")
    world.community("S", "secret")
    world.join("A", world.manager, role="manager")
    world.join("A", world.member)
    world.join("A", world.other_member)
    world.join("A", world.guest)
    for cid in ("B", "C", "S"):
        world.join(cid, world.manager, role="manager")
    return world


def outbox_types(engine, metadata) -> list[str]:
    """``source.event_type`` of every outbox row, in order."""
    from sqlalchemy import select

    outbox = metadata.tables["outbox"]
    with engine.connect() as conn:
        return [
            f"{r.source}.{r.event_type}"
            for r in conn.execute(select(outbox.c.source, outbox.c.event_type).order_by(outbox.c.id))
        ]


def png_bytes(scanline: bytes = b"\x00\xff\x00\x00") -> bytes:
    """A valid 1x1 RGB PNG; ``scanline`` is its one row (the filter byte, then the pixel)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(scanline))
        + chunk(b"IEND", b"")
    )


def files_under(root) -> list[str]:
    """Every file below ``root`` as a sorted relative path ([] when ``root`` is absent)."""
    if not os.path.isdir(root):
        return []
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, names in os.walk(root) for f in names)


def bootstrap_acme(rpc, tokens, admin_email: str, password: str):
    """Bootstrap the network every gateway test starts from: the host Acme (FR) and its
    first administrator, Ada Admin. Answers what ``identity.bootstrap`` answers."""
    return rpc.call(
        "identity",
        "bootstrap",
        tokens.system(),
        host_name="Acme",
        host_country="FR",
        admin_email=admin_email,
        admin_password=password,
        admin_name="Ada Admin",
    )


def event_reader(connection, source: str):
    """Generator for a fixture: a queue of the test's own, bound to every event of
    ``source`` (declare it before the service starts); yields ``read(count, timeout=15)``,
    the next ``count`` envelopes (fewer if the time runs out)."""
    from kombu import Queue

    from parvis_contracts.events import Envelope
    from parvis_contracts.topology import event_exchange

    exchange = event_exchange(source)
    name = f"test-{source}-events"
    queue = Queue(name, exchange=exchange, routing_key="#", durable=False, auto_delete=False)
    queue(connection.default_channel).declare()
    queue(connection.default_channel).purge()
    simple = connection.SimpleQueue(queue)

    def read(count, timeout=15):
        got, deadline = [], time.time() + timeout
        while len(got) < count and time.time() < deadline:
            try:
                message = simple.get(block=True, timeout=max(0.1, deadline - time.time()))
            except simple.Empty:
                break
            got.append(Envelope.from_message(message.payload))
            message.ack()
        return got

    yield read
    simple.close()
    queue(connection.default_channel).delete()
