"""Shared test infrastructure: an isolated RabbitMQ vhost and per-service databases.

Tests never touch a developer's running platform: each run gets its own vhost
(created through RabbitMQ's management API on 127.0.0.1) and its own databases —
temporary SQLite files, or, with ``PARVIS_TEST_DB=postgresql``, fresh PostgreSQL
databases created on ``PARVIS_TEST_PG_URL`` and dropped afterwards.
"""
from __future__ import annotations

import os
import time
import uuid
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

    def create(self) -> "Vhost":
        vh = quote(self.name, safe="")
        r = requests.put(f"{MANAGEMENT}/vhosts/{vh}", auth=RABBIT_AUTH, timeout=10)
        r.raise_for_status()
        r = requests.put(f"{MANAGEMENT}/permissions/{vh}/guest", auth=RABBIT_AUTH, timeout=10,
                         json={"configure": ".*", "write": ".*", "read": ".*"})
        r.raise_for_status()
        return self

    def delete(self) -> None:
        requests.delete(f"{MANAGEMENT}/vhosts/{quote(self.name, safe='')}", auth=RABBIT_AUTH,
                        timeout=10)

    def queue(self, name: str) -> dict:
        r = requests.get(f"{MANAGEMENT}/queues/{quote(self.name, safe='')}/{quote(name, safe='')}",
                         auth=RABBIT_AUTH, timeout=10)
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

        self.now = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)
        self.tick = tick or timedelta(0)

    def __call__(self):
        self.now += self.tick
        return self.now

    def advance(self, **kwargs):
        from datetime import timedelta

        self.now += timedelta(**kwargs)


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
