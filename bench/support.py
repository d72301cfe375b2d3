"""What every benchmark module shares: statistics, the load generator (wrk), the
bare-Flask baseline server, an isolated RabbitMQ vhost, bench databases, and a
running platform signed in through its own API.

Nothing here talks to anything but 127.0.0.1; every loop and every run is
bounded in time.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import requests

ROOT = Path(__file__).resolve().parent.parent
RABBIT_API = os.environ.get("PARVIS_BENCH_RABBIT_API", "http://127.0.0.1:15672/api")
RABBIT_AUTH = ("guest", "guest")
PG_ADMIN_URL = os.environ.get("PARVIS_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
HTTP_TIMEOUT = 30.0


# ---------------------------------------------------------------- statistics


def pct(samples, q: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def latency_summary(samples_ms) -> dict:
    return {
        "count": len(samples_ms),
        "p50": pct(samples_ms, 50),
        "p95": pct(samples_ms, 95),
        "p99": pct(samples_ms, 99),
        "mean": statistics.fmean(samples_ms) if samples_ms else float("nan"),
    }


def ratio(value: float, base: float) -> float:
    return value / base if base else float("nan")


# ---------------------------------------------------------------- settings


@dataclass
class Settings:
    """How long and how hard each measurement runs (``--quick`` shrinks everything)."""

    quick: bool = False
    duration: float = 10.0  # seconds of load per wrk run
    connections: int = 8  # wrk connections for throughput runs
    rpc_calls: int = 2000  # calls one in flight (RPC baseline)
    rpc_seconds: float = 5.0  # seconds of 10 concurrent callers
    communities: int = 20  # the timeline member's communities
    seed_posts: int = 200  # posts on those walls before the timeline runs
    visibility_samples: int = 40
    disk_mb: int = 64
    growth_small: int = 10_000
    growth_large: int = 100_000
    growth_likes: int = 100_000
    fan_out_members: int = 10_000  # the big community of the notifications scenario
    announcements: int = 40  # announcements in each community (notifications scenario)
    work_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="parvis-bench-")))

    @classmethod
    def make(cls, quick: bool, size: str) -> Settings:
        s = cls(quick=quick)
        if quick:
            s.duration, s.rpc_calls, s.rpc_seconds = 3.0, 300, 2.0
            s.seed_posts, s.visibility_samples, s.disk_mb = 60, 15, 16
            s.growth_small, s.growth_large, s.growth_likes = 2_000, 30_000, 10_000
            s.announcements = 15
        if size == "full":
            s.growth_small, s.growth_large, s.growth_likes = 10_000, 1_000_000, 100_000
        elif size and size not in ("default", "quick"):
            s.growth_large = parse_count(size)
            s.growth_small = min(s.growth_small, s.growth_large)
        return s


def parse_count(text: str) -> int:
    text = text.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    number = text[:-1] if scale != 1 else text
    try:
        value = int(float(number) * scale)
    except ValueError:
        raise ValueError(f"--size expects default, full or a post count like 200k, not {text!r}") from None
    if value < 100:
        raise ValueError("--size: at least 100 posts")
    return value


def gateway_shape() -> tuple[int, int]:
    """Workers and threads of the gateway, as deploy/launcher.py decides them."""
    from deploy import launcher
    from parvis_contracts import config

    return (
        config.env_int("PARVIS_GATEWAY_WORKERS", launcher.GATEWAY_WORKERS),
        config.env_int("PARVIS_GATEWAY_THREADS", launcher.GATEWAY_THREADS),
    )


# ---------------------------------------------------------------- load generator


def ensure_wrk() -> str:
    """wrk from Debian's packages, installed if missing (as root, apt-get)."""
    found = shutil.which("wrk")
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt is None:
        raise RuntimeError("wrk is missing and apt-get is not available: install wrk")
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(
        prefix + [apt, "install", "-y", "-q", "wrk"],
        check=False,
        env=env,
        stdout=subprocess.DEVNULL,
        timeout=600,
    )
    found = shutil.which("wrk")
    if not found:
        subprocess.run(
            prefix + [apt, "update", "-q"], check=False, env=env, stdout=subprocess.DEVNULL, timeout=600
        )
        subprocess.run(
            prefix + [apt, "install", "-y", "-q", "wrk"],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
            timeout=600,
        )
        found = shutil.which("wrk")
    if not found:
        raise RuntimeError("could not install wrk")
    return found


@dataclass
class Req:
    """One kind of request of a wrk run, picked with probability ``weight``.

    ``kind`` ``"plain"`` sends the request as is; ``"like"`` alternates POST and
    DELETE on the same path (like, then take it back), so that likes never
    conflict; ``"upload"`` ends the path (``...?name=prefix-``) with a unique suffix
    at every request.
    """

    path: str
    method: str = "GET"
    headers: dict = field(default_factory=dict)
    body: str | None = None
    weight: float = 1.0
    kind: str = "plain"


LUA = r"""
local reqs = %(reqs)s
local total = 0
for _, r in ipairs(reqs) do total = total + r.weight end
local liked = {}
local counter = 0
tag = ""
errors5xx = 0
other4xx = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tag", tostring(#threads))
end

function init(args)
  math.randomseed(os.time() + (tonumber(tag) or 0) * 7919)
  for i, r in ipairs(reqs) do
    if r.kind == "plain" then r.raw = wrk.format(r.method, r.path, r.headers, r.body) end
  end
end

function request()
  local x = math.random() * total
  local r = reqs[#reqs]
  for _, c in ipairs(reqs) do
    x = x - c.weight
    if x <= 0 then r = c break end
  end
  if r.kind == "plain" then return r.raw end
  if r.kind == "like" then
    local key = r.path .. (r.headers["Authorization"] or "")
    local method = "POST"
    if liked[key] then method = "DELETE" end
    liked[key] = not liked[key]
    return wrk.format(method, r.path, r.headers, nil)
  end
  counter = counter + 1
  local path = r.path .. tostring(tag) .. "-" .. tostring(counter) .. ".txt"
  return wrk.format(r.method, path, r.headers, r.body)
end

function response(status, headers, body)
  if status >= 500 then errors5xx = errors5xx + 1
  elseif status >= 400 then other4xx = other4xx + 1 end
end

function done(summary, latency, requests)
  local e5, e4 = 0, 0
  for _, t in ipairs(threads) do
    e5 = e5 + (t:get("errors5xx") or 0)
    e4 = e4 + (t:get("other4xx") or 0)
  end
  io.write(string.format(
    'WRKJSON {"requests":%%d,"duration_us":%%d,"connect":%%d,"read":%%d,"write":%%d,' ..
    '"status":%%d,"timeout":%%d,"e5xx":%%d,"e4xx":%%d,"p50":%%d,"p95":%%d,"p99":%%d,' ..
    '"max":%%d}\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout, e5, e4,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string literal


def _lua_table(reqs: list[Req]) -> str:
    items = []
    for r in reqs:
        headers = ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in r.headers.items())
        body = _lua_string(r.body) if r.body is not None else "nil"
        items.append(
            f"{{path = {_lua_string(r.path)}, method = {_lua_string(r.method)}, "
            f"headers = {{{headers}}}, body = {body}, weight = {r.weight}, "
            f"kind = {_lua_string(r.kind)}}}"
        )
    return "{\n  " + ",\n  ".join(items) + "\n}"


@dataclass
class LoadResult:
    label: str
    requests: int
    seconds: float
    p50: float  # milliseconds
    p95: float
    p99: float
    errors: int  # 5xx, socket errors and timeouts
    rejected: int  # 4xx answers
    connections: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk(
    base_url: str, reqs: list[Req], duration: float, connections: int, label: str, work_dir: Path
) -> LoadResult:
    """Load ``base_url`` with ``reqs`` for ``duration`` seconds on ``connections``
    connections (one wrk thread: the generator stays far below the servers' cost)."""
    binary = ensure_wrk()
    script = Path(work_dir) / f"wrk-{uuid.uuid4().hex[:8]}.lua"
    # (the counters are globals: done() reads each thread's with thread:get)
    lua = LUA % {"reqs": _lua_table(reqs)}
    script.write_text(lua)
    argv = [
        binary,
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        base_url,
    ]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
    script.unlink(missing_ok=True)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stdout[-500:]} {proc.stderr[-500:]}")
    data = json.loads(line[len("WRKJSON ") :])
    socket_errors = data["connect"] + data["read"] + data["write"] + data["timeout"]
    return LoadResult(
        label=label,
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50=data["p50"] / 1000,
        p95=data["p95"] / 1000,
        p99=data["p99"] / 1000,
        errors=data["e5xx"] + socket_errors,
        rejected=data["e4xx"],
        connections=connections,
    )


# ---------------------------------------------------------------- bare Flask


class BareFlask:
    """``bench.bare_app`` under gunicorn gthread with the gateway's workers and threads."""

    def __init__(self, work_dir: Path, workers: int, threads: int, echo_uri: str | None = None):
        from deploy.launcher import free_port

        self.port = free_port()
        self.workers, self.threads = workers, threads
        self.echo_uri = echo_uri  # the raw echo server's broker, for /kombu
        self.log = Path(work_dir) / "bare-flask.log"
        self.process = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> BareFlask:
        env = dict(
            os.environ,
            PYTHONPATH=os.pathsep.join(
                [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
            ),
        )
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        if self.echo_uri:
            env["BENCH_ECHO_URI"] = self.echo_uri
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--config",
                    "python:deploy.gunicorn_conf",
                    "--worker-class",
                    "gthread",
                    "--workers",
                    str(self.workers),
                    "--threads",
                    str(self.threads),
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "bench.bare_app:create_app()",
                ],
                cwd=str(ROOT),
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                # its own group: the workers are stopped with the master, whatever happens
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(self.base_url + "/json", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__(None, None, None)
                raise RuntimeError(f"bare Flask did not start (log: {self.log})")
            time.sleep(0.2)

    def __exit__(self, *exc) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        # workers the master left behind (a SIGKILLed master cannot stop them)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)


# ---------------------------------------------------------------- RabbitMQ vhost


class Vhost:
    """A RabbitMQ vhost of the run's own, created and deleted via the management API."""

    def __init__(self, prefix: str = "parvis-bench"):
        self.name = f"{prefix}-{uuid.uuid4().hex[:10]}"
        self.uri = f"amqp://guest:guest@127.0.0.1:5672/{quote(self.name, safe='')}"

    def create(self) -> Vhost:
        vh = quote(self.name, safe="")
        requests.put(f"{RABBIT_API}/vhosts/{vh}", auth=RABBIT_AUTH, timeout=10).raise_for_status()
        requests.put(
            f"{RABBIT_API}/permissions/{vh}/guest",
            auth=RABBIT_AUTH,
            timeout=10,
            json={"configure": ".*", "write": ".*", "read": ".*"},
        ).raise_for_status()
        return self

    def delete(self) -> None:
        requests.delete(f"{RABBIT_API}/vhosts/{quote(self.name, safe='')}", auth=RABBIT_AUTH, timeout=10)

    def backlog(self) -> int:
        """Messages waiting or being handled in every queue of the vhost (the management
        API refreshes its figures every few seconds)."""
        response = requests.get(
            f"{RABBIT_API}/queues/{quote(self.name, safe='')}",
            params={"columns": "name,messages"},
            auth=RABBIT_AUTH,
            timeout=10,
        )
        response.raise_for_status()
        return sum(q.get("messages") or 0 for q in response.json())

    def __enter__(self):
        return self.create()

    def __exit__(self, *exc):
        self.delete()


# ---------------------------------------------------------------- databases


class BenchDatabases:
    """One database per service: SQLite files in the work dir, or ``bench_*``
    PostgreSQL databases created now and dropped by :meth:`drop_all`."""

    def __init__(self, kind: str, directory: Path):
        self.kind = kind
        self.directory = Path(directory)
        self.tag = uuid.uuid4().hex[:8]
        self.created: list[str] = []

    def url(self, name: str) -> str:
        if self.kind == "sqlite":
            self.directory.mkdir(parents=True, exist_ok=True)
            return f"sqlite:///{self.directory / f'{name}-{self.tag}.db'}"
        import psycopg

        db = f"bench_{name}_{self.tag}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{db}"')
        self.created.append(db)
        base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
        return f"{base}/{db}"

    def drop_all(self) -> None:
        if not self.created:
            return
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            for db in self.created:
                conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        self.created.clear()


def postgresql_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except Exception:
        return False


# ---------------------------------------------------------------- the platform


class Api:
    """``requests`` with the gateway's base URL and one person's bearer token."""

    def __init__(self, base_url: str, token: str, user_id: str):
        self.base_url = base_url
        self.token = token
        self.user_id = user_id
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    def request(self, method, path, **kwargs):
        kwargs.setdefault("timeout", HTTP_TIMEOUT)
        return self.session.request(method, self.base_url + path, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def ok(self, method, path, **kwargs) -> dict:
        response = self.request(method, path, **kwargs)
        if response.status_code >= 300:
            raise RuntimeError(f"{method} {path}: HTTP {response.status_code} {response.text[:300]}")
        return response.json() if response.content else {}


class BenchPlatform:
    """The whole platform on a vhost and databases of its own, in a temp var dir."""

    def __init__(self, db_kind: str, settings: Settings, replicas: dict | None = None):
        self.db_kind = db_kind
        self.settings = settings
        self.replicas = replicas or {}
        self.vhost = Vhost()
        self.work = settings.work_dir / f"platform-{db_kind}-{uuid.uuid4().hex[:6]}"
        self.databases = BenchDatabases(db_kind, self.work / "db")
        self.platform = None
        self.accounts: dict = {}
        self.apis: dict[str, Api] = {}
        self.db_urls: dict = {}

    def __enter__(self) -> BenchPlatform:
        from deploy.launcher import Platform, free_port
        from parvis_contracts.plugins import service_names

        workers, threads = gateway_shape()
        self.vhost.create()
        try:
            self.db_urls = {name: self.databases.url(name) for name in service_names()}
            self.platform = Platform(
                self.work / "var",
                amqp_uri=self.vhost.uri,
                port=free_port(),
                db_urls=self.db_urls,
                replicas=self.replicas,
                metrics_base=None,
                bind_host="127.0.0.1",
                gateway_workers=workers,
                gateway_threads=threads,
            )
            self.platform.start(timeout=180)
            seeded = self.platform.seed()
            self.accounts = {a["key"]: a for a in seeded["accounts"]}
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self.platform is not None:
            self.platform.stop(grace=20)
        self.databases.drop_all()
        self.vhost.delete()

    @property
    def base_url(self) -> str:
        return self.platform.base_url

    def sign_in(self, email: str, password: str) -> Api:
        deadline = time.monotonic() + 30
        while True:
            response = requests.post(
                self.base_url + "/api/v1/auth/sign-in",
                timeout=HTTP_TIMEOUT,
                json={"email": email, "password": password, "issue_token": True},
            )
            if response.status_code == 200:
                body = response.json()
                return Api(self.base_url, body["token"], body["person"]["id"])
            if time.monotonic() > deadline:
                raise RuntimeError(f"sign-in of {email}: HTTP {response.status_code} {response.text[:200]}")
            time.sleep(0.5)

    def api(self, key: str) -> Api:
        if key not in self.apis:
            account = self.accounts[key]
            self.apis[key] = self.sign_in(account["email"], account["password"])
        return self.apis[key]

    def create_person(self, label: str, language: str = "en") -> Api:
        """A new employee of the host organisation (preferred ``language``), signed in."""
        host_org = self.accounts["admin"]["org_id"]
        email = f"{label}-{uuid.uuid4().hex[:8]}@bench.parvis-demo.example"
        password = uuid.uuid4().hex
        self.platform.client.call(
            "identity",
            "admin_create_person",
            self.platform.system_token(),
            email=email,
            display_name=label.replace("-", " ").title(),
            org_id=host_org,
            password=password,
            roles=["member"],
            preferred_language=language,
        )
        return self.sign_in(email, password)

    def wait_idle(self, timeout: float = 240.0) -> bool:
        """Wait until no queue of the platform holds a message (asynchronous work such as
        translating new posts is done), so that it does not load the next measurement."""
        deadline = time.monotonic() + timeout
        quiet = 0
        while time.monotonic() < deadline:
            quiet = quiet + 1 if self.vhost.backlog() == 0 else 0
            if quiet >= 3:  # three polls over one stats refresh interval
                break
            time.sleep(2.0)
        else:
            return False
        # and the processes themselves are quiet (e.g. APy warming its language pairs)
        while time.monotonic() < deadline:
            before = sum(cpu_snapshot(self.platform).values())
            time.sleep(2.0)
            if sum(cpu_snapshot(self.platform).values()) - before < 0.2:  # < 10% of a core
                return True
        return False

    def employees(self) -> list[Api]:
        return [
            self.api(k)
            for k in ("admin", "employee_fr", "employee_es", "employee_de", "employee_en", "employee_it")
            if k in self.accounts
        ]


def wait_for(predicate, timeout: float, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not reached within {timeout:.0f}s")
        time.sleep(interval)


def machine_description() -> str:
    import platform

    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(
            next(
                ln for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal")
            ).split()[1]
        )
        mem = f", {kb / 1024 / 1024:.1f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    load = ""
    with contextlib.suppress(OSError):
        load = f", load average at start {os.getloadavg()[0]:.2f}"
    return (
        f"{os.cpu_count()} CPU ({cpu}){mem}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}{load}"
    )


# ---------------------------------------------------------------- CPU accounting


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (OSError, ValueError):
        return []


def cpu_snapshot(platform) -> dict[str, float]:
    """CPU seconds used so far by each process of the platform: the gateway (master and
    workers together) and each service (its replicas together)."""
    totals: dict[str, float] = {}
    for child in platform.children:
        if child.pid is None:
            continue
        name = child.service or child.name
        pids = [child.pid] + _children(child.pid)
        totals[name] = totals.get(name, 0.0) + sum(_cpu_seconds(p) for p in pids)
    return totals


def cpu_per_request(before: dict, after: dict, requests_done: int) -> str:
    """``gateway 4.1, identity 2.0, ...`` CPU milliseconds per request (busiest first)."""
    if not requests_done:
        return "n/a"
    used = {k: (after.get(k, 0.0) - before.get(k, 0.0)) * 1000 / requests_done for k in after}
    parts = [f"{k} {v:.1f}" for k, v in sorted(used.items(), key=lambda kv: -kv[1]) if v >= 0.05]
    return ", ".join(parts) + f"; total {sum(used.values()):.1f}"
