"""Broker faults and graceful shutdown, under load, on private RabbitMQ nodes.

The platform runs as processes (``deploy.launcher.Platform``) against RabbitMQ nodes this
module starts with ``deploy/rabbitmq_cluster.sh`` on loopback (own node names, ports, data
and cookie): the machine's broker is never stopped. Writers post on a community wall
through the gateway; a post answered 201 is *acknowledged*.

What every test checks at the end, after the load stops and the platform is idle:
every acknowledged post is on the wall exactly once, and a post that was not acknowledged
(its request failed while the fault lasted) is there at most once.

- broker restart (one node): while it is down each request answers 503 in the one error
  shape within 5 s; the gateway answers 201 again within 30 s of the broker's return;
- SIGTERM under load (feed with two replicas): the stopped replica exits within 30 s with
  code 0 and no write fails at all (its in-flight calls finish, its queue goes to the other);
- dead broker link (node frozen with SIGSTOP): the gateway answers 503 within 5 s, and the
  services drop the link within 20 s (AMQP heartbeats), recovering after SIGCONT;
- three-node cluster with quorum queues: one node (the first one every client tries) stops
  under load and no acknowledged write is lost.

Marked ``fault``; CI runs them with a small load. ``PARVIS_FAULT_LOAD=<seconds>`` makes
every load phase last longer (default 4). They do not depend on the database, so the
PostgreSQL run of the tier skips them unless ``PARVIS_FAULT_TESTS=1``.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from deploy.launcher import Platform, _environ, free_port, port_open
from parvis_contracts.plugins import service_names
from tests.support import Databases, use_postgresql

SERVICES = service_names()

ROOT = Path(__file__).resolve().parent.parent.parent
SCRIPT = ROOT / "deploy" / "rabbitmq_cluster.sh"
RABBITMQ_SERVER = Path(os.environ.get("RABBITMQ_BIN_DIR", "/usr/lib/rabbitmq/bin")) / "rabbitmq-server"

LOAD_SECONDS = float(os.environ.get("PARVIS_FAULT_LOAD", "4"))
UNAVAILABLE_WITHIN = 5.0  # promise: 503 within 5 s while the broker is down or frozen
RECOVER_WITHIN = 30.0  # promise: 2xx again within 30 s of the broker's return
STOP_WITHIN = 30.0  # promise: a SIGTERMed service exits within 30 s
LINK_NOTICED_WITHIN = 20.0  # promise: a dead broker link is noticed within 20 s
HEARTBEAT = 5  # seconds; py-amqp gives up after two missed intervals
START_TIMEOUT = 150.0
HTTP_TIMEOUT = 20.0  # client side: longer than any answer we accept

pytestmark = [
    pytest.mark.fault,
    pytest.mark.skipif(not RABBITMQ_SERVER.exists(), reason="rabbitmq-server is not installed"),
    pytest.mark.skipif(
        use_postgresql() and os.environ.get("PARVIS_FAULT_TESTS") != "1",
        reason="broker faults do not depend on the database: run on SQLite only "
        "(PARVIS_FAULT_TESTS=1 runs them on PostgreSQL too)",
    ),
]


# ---------------------------------------------------------------- private RabbitMQ nodes


def _free_block(count: int) -> int:
    """A first port such that ``count`` consecutive ports are free on loopback."""
    for _ in range(200):
        base = random.randint(20000, 30000)  # nosec B311 (a port number, not a secret)
        if all(not port_open("127.0.0.1", base + i, 0.1) and _bindable(base + i) for i in range(count)):
            return base
    raise RuntimeError("no block of free ports found")


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


class PrivateBroker:
    """RabbitMQ nodes of ``deploy/rabbitmq_cluster.sh`` under a directory of this test run."""

    def __init__(self, directory: Path, nodes: int):
        self.directory = Path(directory)
        self.nodes = nodes
        self.name = "pvt" + uuid.uuid4().hex[:8]
        self.amqp_port = _free_block(nodes)
        self.dist_port = _free_block(nodes)

    def run(self, *args, timeout: float = 180.0) -> str:
        proc = subprocess.run(
            ["bash", str(SCRIPT), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        assert proc.returncode == 0, f"{args}: {proc.stdout}\n{proc.stderr}"
        return proc.stdout

    def start(self) -> PrivateBroker:
        self.run(
            "start",
            str(self.directory),
            "--nodes",
            str(self.nodes),
            "--name",
            self.name,
            "--amqp-port",
            str(self.amqp_port),
            "--dist-port",
            str(self.dist_port),
        )
        return self

    def stop(self) -> None:
        if (self.directory / "cluster.env").exists():
            self.run("stop", str(self.directory))

    def stop_node(self, index: int) -> None:
        self.run("stop-node", str(self.directory), str(index))

    def start_node(self, index: int) -> None:
        self.run("start-node", str(self.directory), str(index))

    def pid(self, index: int) -> int:
        return int((self.directory / f"node{index}" / "pid").read_text())

    def port(self, index: int) -> int:
        return self.amqp_port + index - 1

    def uri(self, index: int) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port(index)}/"

    @property
    def uris(self) -> str:
        """Every node, ``;``-separated: kombu's failover list (clients try them in order)."""
        return ";".join(self.uri(i) for i in range(1, self.nodes + 1))

    def ctl(self, index: int, *args) -> str:
        return self.run("ctl", str(self.directory), str(index), *args, timeout=60)


@dataclass
class Running:
    platform: Platform
    broker: PrivateBroker
    token: str
    community_id: str

    @property
    def base_url(self) -> str:
        return self.platform.base_url

    def session(self) -> requests.Session:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.token}"
        return session


def _start_platform(tmp_path_factory, broker: PrivateBroker, replicas=None) -> Running:
    databases = Databases(tmp_path_factory.mktemp("fault-db"))
    env = {
        "PARVIS_QUEUE_TYPE": "quorum" if broker.nodes > 1 else None,
        "PARVIS_AMQP_HEARTBEAT": str(HEARTBEAT),
    }
    child_env = {k: v for k, v in env.items() if v is not None}
    platform = Platform(
        tmp_path_factory.mktemp("fault-var"),
        amqp_uri=broker.uris,
        port=free_port(),
        db_urls={n: databases.url(n) for n in SERVICES},
        replicas=replicas,
        metrics_base=None,
        bind_host="127.0.0.1",
        extra_env=child_env,
    )
    platform.databases = databases
    # the topology is declared from this process: the same queue type as the services
    with _environ(**env):
        platform.start(timeout=START_TIMEOUT)
    try:
        seeded = platform.seed()
        account = next(a for a in seeded["accounts"] if a["key"] == "employee_fr")
        signed = requests.post(
            platform.base_url + "/api/v1/auth/sign-in",
            timeout=HTTP_TIMEOUT,
            json={"email": account["email"], "password": account["password"], "issue_token": True},
        )
        assert signed.status_code == 200, signed.text
        token = signed.json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        created = requests.post(
            platform.base_url + "/api/v1/communities",
            headers=headers,
            timeout=HTTP_TIMEOUT,
            json={"name": f"Faults {uuid.uuid4().hex[:6]}", "kind": "project", "visibility": "private"},
        )
        assert created.status_code == 201, created.text
        running = Running(platform, broker, token, created.json()["id"])
        # the feed service learns of the community through an event: wait until it can post
        post_until_accepted(running, "warm-up", RECOVER_WITHIN)
        return running
    except BaseException:
        _stop_platform(platform)
        raise


def _stop_platform(platform: Platform) -> None:
    platform.stop()
    platform.databases.drop_all()


# ---------------------------------------------------------------- load and checks


@dataclass
class Outcome:
    body: str
    status: int | None  # None: no HTTP answer (connection error or client timeout)
    started: float
    elapsed: float
    json: dict | None = None
    attempt: int = 0


@dataclass
class Load:
    """Writers posting on the wall until stopped (bounded by count and time)."""

    running: Running
    label: str
    writers: int = 2
    pause: float = 0.05
    max_seconds: float = 240.0
    attempts: int = 3
    outcomes: list = field(default_factory=list)

    def __post_init__(self):
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = []
        self.tag = f"{self.label}-{uuid.uuid4().hex[:8]}"

    def _write(self, writer: int) -> None:
        session = self.running.session()
        url = f"{self.running.base_url}/api/v1/communities/{self.running.community_id}/posts"
        deadline = time.monotonic() + self.max_seconds
        n = 0
        while not self._stop.is_set() and time.monotonic() < deadline:
            body = f"{self.tag} w{writer} n{n}"
            n += 1
            # one write: sent again with the same Idempotency-Key after a 503/504 or a broken
            # connection (bounded), as a careful client does
            for attempt in range(self.attempts):
                started = time.monotonic()
                try:
                    response = session.post(
                        url, json={"body": body}, timeout=HTTP_TIMEOUT, headers={"Idempotency-Key": body}
                    )
                    status = response.status_code
                    try:
                        payload = response.json()
                    except ValueError:
                        payload = None
                except requests.RequestException:
                    status, payload = None, None
                with self._lock:
                    self.outcomes.append(
                        Outcome(body, status, started, time.monotonic() - started, payload, attempt)
                    )
                if status not in (None, 503, 504) or self._stop.is_set():
                    break
                self._stop.wait(0.5)
            self._stop.wait(self.pause)

    def start(self) -> Load:
        for writer in range(self.writers):
            thread = threading.Thread(target=self._write, args=(writer,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(HTTP_TIMEOUT + 5)

    def acknowledged(self) -> list[str]:
        return sorted({o.body for o in self.outcomes if o.status == 201})

    def count_acknowledged(self) -> int:
        with self._lock:
            return sum(1 for o in self.outcomes if o.status == 201)

    def wait_acknowledged(self, count: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while self.count_acknowledged() < count:
            assert time.monotonic() < deadline, (
                f"fewer than {count} writes acknowledged: {Counter(o.status for o in self.outcomes)}"
            )
            time.sleep(0.1)


def post_until_accepted(running: Running, body: str, within: float) -> float:
    """Post until the gateway answers 201; seconds it took (asserted under ``within``)."""
    session = running.session()
    url = f"{running.base_url}/api/v1/communities/{running.community_id}/posts"
    started = time.monotonic()
    last = None
    while time.monotonic() - started < within:
        try:
            response = session.post(url, json={"body": f"{body} {uuid.uuid4().hex[:6]}"}, timeout=10)
            if response.status_code == 201:
                return time.monotonic() - started
            last = f"HTTP {response.status_code}: {response.text[:200]}"
        except requests.RequestException as exc:
            last = type(exc).__name__
        time.sleep(0.5)
    raise AssertionError(f"no 201 within {within:.0f}s (last: {last})")


def retry_read(session: requests.Session, url: str, params: dict) -> requests.Response:
    deadline = time.monotonic() + RECOVER_WITHIN
    while True:
        response = session.get(url, params=params, timeout=HTTP_TIMEOUT)
        if response.status_code not in (503, 504) or time.monotonic() > deadline:
            return response
        time.sleep(0.5)


def wall_bodies(running: Running, tag: str) -> Counter:
    """How many times each body carrying ``tag`` is on the wall (every page)."""
    session = running.session()
    url = f"{running.base_url}/api/v1/communities/{running.community_id}/posts"
    counts: Counter = Counter()
    cursor = None
    for _ in range(500):  # bounded: 100 posts a page
        params = {"limit": 100}
        if cursor:
            params["cursor"] = cursor
        response = session.get(url, params=params, timeout=HTTP_TIMEOUT)
        if response.status_code in (503, 504):
            # a gateway thread's first call after a fault may still be answered 503/504
            response = retry_read(session, url, params)
        assert response.status_code == 200, response.text
        page = response.json()
        for item in page["items"]:
            if item["body"].startswith(tag + " "):
                counts[item["body"]] += 1
        cursor = page.get("next_cursor")
        if not cursor:
            return counts
    raise AssertionError("the wall did not end within 500 pages")


def assert_nothing_lost(running: Running, load: Load) -> Counter:
    """Each acknowledged post exactly once, each other at most once (after idle)."""
    acknowledged = load.acknowledged()
    assert acknowledged, "no write was acknowledged: the load did not run"
    counts = wall_bodies(running, load.tag)
    missing = [body for body in acknowledged if counts[body] == 0]
    doubled = {body: n for body, n in counts.items() if n > 1}
    assert not missing, f"{len(missing)} acknowledged writes lost, e.g. {missing[:5]}"
    outcomes = {o.body: o for o in load.outcomes}
    assert not doubled, "writes present more than once: " + "; ".join(
        f"{body} x{n} ({outcomes.get(body)})" for body, n in list(doubled.items())[:5]
    )
    return counts


def assert_unavailable_shape(outcome: Outcome) -> None:
    assert outcome.status == 503, (outcome.status, outcome.json)
    error = (outcome.json or {}).get("error")
    assert isinstance(error, dict) and {"code", "message", "details"} <= set(error), outcome.json
    assert error["code"] == "unavailable", error


def probe(running: Running, count: int, label: str) -> list[Outcome]:
    """``count`` sequential writes, each timed (used while a fault lasts)."""
    session = running.session()
    url = f"{running.base_url}/api/v1/communities/{running.community_id}/posts"
    outcomes = []
    for n in range(count):
        body = f"{label} probe{n}"
        started = time.monotonic()
        try:
            response = session.post(url, json={"body": body}, timeout=HTTP_TIMEOUT)
            status = response.status_code
            try:
                payload = response.json()
            except ValueError:
                payload = None
        except requests.RequestException:
            status, payload = None, None
        outcomes.append(Outcome(body, status, started, time.monotonic() - started, payload))
    return outcomes


def service_log_mentions(platform: Platform, service: str, needles: tuple, since: int) -> bool:
    for child in platform.service_children(service):
        text = child.log_path.read_text(errors="replace")[since:]
        if any(needle in text for needle in needles):
            return True
    return False


def log_sizes(platform: Platform, service: str) -> int:
    return min(child.log_path.stat().st_size for child in platform.service_children(service))


# ---------------------------------------------------------------- one node


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    directory = tmp_path_factory.mktemp("rabbit-single")
    broker = PrivateBroker(directory / "nodes", nodes=1)
    running = None
    try:
        broker.start()
        running = _start_platform(tmp_path_factory, broker, replicas={"feed": 2})
        yield running
    finally:
        if running is not None:
            _stop_platform(running.platform)
        broker.stop()
        shutil.rmtree(directory, ignore_errors=True)


def test_sigterm_under_load_finishes_in_flight_work_and_exits_within_30s(single):
    platform = single.platform
    load = Load(single, "sigterm", writers=3, pause=0.0).start()
    try:
        load.wait_acknowledged(5)
        victim = platform.service_children("feed")[0]
        time.sleep(LOAD_SECONDS / 2)
        signalled = time.monotonic()
        victim.process.send_signal(signal.SIGTERM)
        code = victim.process.wait(timeout=STOP_WITHIN + 10)
        took = time.monotonic() - signalled
        time.sleep(LOAD_SECONDS / 2)  # the other replica carries on alone
    finally:
        load.stop()
    assert took < STOP_WITHIN, f"feed took {took:.1f}s to stop"
    assert code == 0, victim.tail()
    # writes in flight at the signal (sent before, answered after): the writers never pause
    in_flight = [o for o in load.outcomes if o.started < signalled < o.started + o.elapsed]
    assert in_flight, "no write was in flight at the signal"
    failures = Counter(o.status for o in load.outcomes if o.status != 201)
    assert not failures, f"writes failed while a feed replica stopped: {failures}"
    assert_nothing_lost(single, load)
    # put the replica back for the next tests (the launcher's supervisor does so in production)
    victim.start()


def test_broker_restart_answers_503_then_recovers_without_losing_writes(single):
    broker = single.broker
    load = Load(single, "restart").start()
    try:
        load.wait_acknowledged(5)
        time.sleep(LOAD_SECONDS / 2)
        broker.stop_node(1)
        down_at = time.monotonic()
        # every request while the broker is down: 503, in the one error shape, within 5 s
        during = probe(single, 3, f"{load.tag} down")
        assert not port_open("127.0.0.1", broker.port(1)), "the broker came back too early"
        broker.start_node(1)
        back_at = time.monotonic()
        recovered = post_until_accepted(single, f"{load.tag} back", RECOVER_WITHIN)
        time.sleep(LOAD_SECONDS / 2)
    finally:
        load.stop()
    for outcome in during:
        assert_unavailable_shape(outcome)
        assert outcome.elapsed < UNAVAILABLE_WITHIN, f"503 after {outcome.elapsed:.1f}s"
    assert recovered < RECOVER_WITHIN
    # the writers: never a 500 or a hang, whatever the moment
    statuses = Counter(o.status for o in load.outcomes)
    assert set(statuses) <= {201, 503, 504}, statuses
    slow = [
        o
        for o in load.outcomes
        if o.status != 201
        and o.started > down_at
        and o.started + o.elapsed < back_at
        and o.elapsed >= UNAVAILABLE_WITHIN
    ]
    assert not slow, f"requests sent while the broker was down answered late: {slow[:3]}"
    assert any(o.status == 201 and o.started > back_at for o in load.outcomes), statuses
    assert_nothing_lost(single, load)


def test_frozen_broker_is_noticed_within_20s(single):
    """A broker that stops answering (SIGSTOP: its sockets stay open, nothing comes back).

    The gateway notices on each request: 503 in the one error shape within 20 s (the
    publish confirm times out, ``PARVIS_AMQP_CLIENT_TIMEOUT``), no hang. The services'
    consumers notice through AMQP heartbeats (``PARVIS_AMQP_HEARTBEAT``, two missed
    intervals); under eventlet kombu then waits for the broker to answer its channel close
    before it logs and reconnects, so their log line comes when the broker answers again
    (see docs/security.md). After SIGCONT everything answers again within 30 s.
    """
    platform, broker = single.platform, single.broker
    post_until_accepted(single, "before-freeze", RECOVER_WITHIN)
    sizes = {service: log_sizes(platform, service) for service in ("identity", "feed")}
    pid = broker.pid(1)
    os.kill(pid, signal.SIGSTOP)
    try:
        during = probe(single, 2, "frozen")
        # beyond two heartbeat intervals: the services' consumers have given the link up
        time.sleep(max(0.0, 2 * HEARTBEAT + 2 - sum(o.elapsed for o in during)))
    finally:
        os.kill(pid, signal.SIGCONT)
    for outcome in during:
        assert_unavailable_shape(outcome)
        assert outcome.elapsed < LINK_NOTICED_WITHIN, f"503 after {outcome.elapsed:.1f}s"
    recovered = post_until_accepted(single, "after-freeze", RECOVER_WITHIN)
    assert recovered < RECOVER_WITHIN
    for service, size in sizes.items():
        assert service_log_mentions(platform, service, ("Too many heartbeats missed",), size), (
            f"{service} did not drop the silent link (heartbeats)"
        )


# ---------------------------------------------------------------- three nodes, quorum queues


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    directory = tmp_path_factory.mktemp("rabbit-cluster")
    broker = PrivateBroker(directory / "nodes", nodes=3)
    running = None
    try:
        broker.start()
        running = _start_platform(tmp_path_factory, broker)
        yield running
    finally:
        if running is not None:
            _stop_platform(running.platform)
        broker.stop()
        shutil.rmtree(directory, ignore_errors=True)


def test_services_queues_are_quorum_queues_on_the_cluster(cluster):
    listing = cluster.broker.ctl(1, "list_queues", "name", "type", "--no-table-headers", "-q")
    types = dict(line.split("\t")[:2] for line in listing.splitlines() if "\t" in line)
    for service in SERVICES:
        assert types.get(f"rpc-{service}") == "quorum", types
    handler_queues = {name: kind for name, kind in types.items() if name.startswith("evt-")}
    assert handler_queues and set(handler_queues.values()) == {"quorum"}, handler_queues
    assert types.get("parvis.dead-letters") == "quorum"
    # reply queues of clients are per process and expiring: classic
    assert {kind for name, kind in types.items() if name.startswith("rpc.reply-")} == {"classic"}


def test_one_node_of_three_stops_under_load_and_nothing_acknowledged_is_lost(cluster):
    broker = cluster.broker
    load = Load(cluster, "cluster").start()
    try:
        load.wait_acknowledged(5)
        time.sleep(LOAD_SECONDS / 2)
        # node 1 is the first of every client's failover list: all connections are on it
        broker.stop_node(1)
        stopped_at = time.monotonic()
        recovered = post_until_accepted(cluster, f"{load.tag} failover", RECOVER_WITHIN)
        time.sleep(LOAD_SECONDS / 2)
    finally:
        load.stop()
        with suppress(AssertionError):
            broker.start_node(1)
    assert recovered < RECOVER_WITHIN
    statuses = Counter(o.status for o in load.outcomes)
    assert set(statuses) <= {201, 503, 504}, statuses
    assert any(o.status == 201 and o.started > stopped_at for o in load.outcomes), statuses
    assert_nothing_lost(cluster, load)
