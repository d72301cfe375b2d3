"""Run the whole platform on one machine: ``python -m deploy.launcher run``.

The launcher prepares the shared state (context secret, AMQP topology,
database migrations), starts every service as ``N`` replica processes of
``python -m parvis_contracts.runner <module:Class>`` (from each installed service's
plug-in declaration, :mod:`parvis_contracts.plugins`), the
gateway under gunicorn and its live hub (``python -m gateway.live``, the bell's stream, on
the next port), waits until every service answers ``health``, seeds
the demo network, prints the URL and the accounts, then supervises the
children until Ctrl-C / SIGTERM (a child that dies is restarted with backoff).

The same machinery is a Python API, used by the end-to-end tests::

    platform = Platform(var_dir, amqp_uri=vhost.uri, port=free_port(),
                        db_urls={"identity": "...", ...})
    platform.start()            # prepare + services + gateway + wait healthy
    accounts = platform.seed()
    ...
    platform.stop()

No eventlet here: the launcher is a plain Python process talking to the
services through :class:`parvis_contracts.client.RpcClient`.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from gateway import live
from parvis_contracts import config, plugins, settings
from parvis_contracts import context as ctx
from parvis_contracts import events as ev

log = logging.getLogger("parvis.launcher")

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PORT = settings.default("PARVIS_PORT")
DEFAULT_METRICS_BASE = settings.default("PARVIS_METRICS_BASE_PORT")
GATEWAY_WORKERS = settings.default("PARVIS_GATEWAY_WORKERS")
GATEWAY_THREADS = settings.default("PARVIS_GATEWAY_THREADS")
STOP_GRACE = 30.0  # seconds a child gets to stop after SIGTERM before SIGKILL
MAX_BACKOFF = 30.0


# ---------------------------------------------------------------- helpers


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def parse_replicas(text: str | None, services=None) -> dict[str, int]:
    """``"feed=2,translation=3"`` -> ``{"feed": 2, "translation": 3}`` (validated against the
    installed services)."""
    services = services or plugins.service_names()
    replicas: dict[str, int] = {}
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        name, sep, count = part.partition("=")
        name = name.strip()
        if not sep or name not in services:
            raise ValueError(
                f"bad replica setting {part!r}: expected <service>=<n> with a "
                f"service among {', '.join(services)}"
            )
        try:
            value = int(count)
        except ValueError:
            raise ValueError(f"bad replica count in {part!r}") from None
        if not 1 <= value <= 32:
            raise ValueError(f"replica count of {name} must be between 1 and 32")
        replicas[name] = value
    return replicas


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM if the launcher dies (Linux)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


@contextlib.contextmanager
def _environ(**values):
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update({k: v for k, v in values.items() if v is not None})
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# ---------------------------------------------------------------- children


@dataclass
class Child:
    """One supervised process: a service replica or the gateway."""

    name: str  # "feed-1", "gateway"
    argv: list[str]
    env: dict
    log_path: Path
    service: str | None = None
    metrics_port: int | None = None
    process: subprocess.Popen | None = None
    restarts: int = 0
    next_start: float = 0.0
    started_at: float = 0.0
    stopping: bool = False
    history: list = field(default_factory=list)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as logfile:
            self.process = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=str(ROOT),
                stdin=subprocess.DEVNULL,
                stdout=logfile,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        self.started_at = time.monotonic()
        log.debug("started %s (pid %s)", self.name, self.process.pid)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def terminate(self) -> None:
        self.stopping = True
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        if self.process is None:
            return
        # the whole group: gunicorn's workers, whatever a child may have forked
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class PlatformError(RuntimeError):
    pass


# ---------------------------------------------------------------- the platform


class Platform:
    """Every service and the gateway of one Parvis installation, as child processes."""

    def __init__(
        self,
        var_dir,
        amqp_uri: str | None = None,
        port: int = DEFAULT_PORT,
        db_urls: dict | None = None,
        replicas: dict | None = None,
        bind_host: str | None = None,
        metrics_base: int | None = DEFAULT_METRICS_BASE,
        services=None,
        extra_env: dict | None = None,
        gateway_workers: int | None = None,
        gateway_threads: int | None = None,
        live_port: int | None = None,
    ):
        self.var_dir = Path(var_dir).resolve()
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir = self.var_dir / "log"
        self.amqp_uri = amqp_uri or config.amqp_uri()
        self.port = int(port)
        bind = bind_host or settings.value("PARVIS_BIND")
        # "host:port" or "[v6]:port" in PARVIS_BIND sets the port too
        if bind.count(":") == 1 or (bind.startswith("[") and "]:" in bind):
            bind, _, bind_port = bind.rpartition(":")
            self.port = int(bind_port)
        bind = bind.strip("[]")
        self.bind_host = bind
        self.services = tuple(services or plugins.service_names())
        self.replicas = {name: 1 for name in self.services}
        self.replicas.update(replicas or {})
        self.metrics_base = metrics_base  # None: pick free ports
        self.gateway_workers = gateway_workers or settings.value("PARVIS_GATEWAY_WORKERS")
        self.gateway_threads = gateway_threads or settings.value("PARVIS_GATEWAY_THREADS")
        self.extra_env = dict(extra_env or {})
        # the live hub's port: given, PARVIS_LIVE_PORT, else the gateway's + 1 (or a free
        # one if that is taken: the gateway's pages learn it from the environment)
        self.live_port: int | None = live_port or (
            settings.value("PARVIS_LIVE_PORT") if settings.is_set("PARVIS_LIVE_PORT") else None
        )
        self.live_started = False
        self.apertium_url: str | None = None
        self.db_urls = {
            name: (db_urls or {}).get(name) or self._default_db_url(name) for name in self.services
        }
        self.children: list[Child] = []
        self._used_metrics_ports: set[int] = set()
        self._client = None
        self.secret: bytes | None = None
        self.prepared = False

    # --- configuration -----------------------------------------------------

    def _default_db_url(self, service: str) -> str:
        # the table's default (an SQLite file in the var dir), in this platform's var dir
        return settings.value(
            f"PARVIS_{service.upper()}_DB_URL", {**os.environ, "PARVIS_VAR_DIR": str(self.var_dir)}
        )

    @property
    def local_host(self) -> str:
        # a wildcard bind is reached locally through loopback (a comparison, not a bind)
        return "127.0.0.1" if self.bind_host in ("0.0.0.0", "", "::", "[::]") else self.bind_host  # nosec B104

    def _url(self, port: int) -> str:
        host = self.local_host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        return self._url(self.port)

    @property
    def live_url(self) -> str | None:
        """The live hub's address, once it is started."""
        return self._url(self.live_port) if self.live_started else None

    @property
    def live_enabled(self) -> bool:
        """The hub runs when the service whose event it tells is installed, unless turned off."""
        source, name = ev.LIVE_HUB_UNREAD
        if source not in self.services or (settings.value("PARVIS_LIVE_URL") or "").lower() == live.OFF:
            return False
        return any((event.source, event.name) == (source, name) for event in plugins.event_schemas())

    def child_env(self) -> dict:
        env = dict(os.environ)
        env.update(
            {
                "PARVIS_VAR_DIR": str(self.var_dir),
                "PARVIS_AMQP_URI": self.amqp_uri,
                "PYTHONUNBUFFERED": "1",
                # the gateway's port: the live hub answers CORS for its origin
                "PARVIS_PORT": str(self.port),
            }
        )
        # the address people use, for the links in mails (unless the operator set one)
        env.setdefault("PARVIS_PUBLIC_URL", self.base_url)
        if self.live_port:
            env["PARVIS_LIVE_PORT"] = str(self.live_port)
        for name, url in self.db_urls.items():
            env[f"PARVIS_{name.upper()}_DB_URL"] = url
        # the code of this checkout, whatever the caller's working directory
        env["PYTHONPATH"] = os.pathsep.join(
            [str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
        )
        env.update(self.extra_env)
        return env

    def nameko_config(self) -> dict:
        return dict(config.nameko_config(), AMQP_URI=self.amqp_uri)

    @property
    def client(self):
        if self._client is None:
            from parvis_contracts.client import RpcClient

            self._client = RpcClient(self.nameko_config(), timeout=10, secret=self.secret)
        return self._client

    def system_token(self) -> str:
        return ctx.sign(ctx.Caller(kind=ctx.KIND_SYSTEM), secret=self.secret, ttl=300)

    def anonymous_token(self) -> str:
        return ctx.sign(ctx.Caller(kind=ctx.KIND_ANONYMOUS), secret=self.secret)

    def person_token(self, principal: dict) -> str:
        """A context for a person, as the gateway would sign it (seeding only)."""
        return ctx.sign(
            ctx.Caller(
                kind=ctx.KIND_PERSON,
                user_id=principal["id"],
                org_id=principal.get("org_id"),
                roles=frozenset(principal.get("roles") or ()),
                guest=bool(principal.get("guest")),
            ),
            secret=self.secret,
        )

    # --- preparation ---------------------------------------------------------

    def prepare(self) -> None:
        """Context secret, AMQP topology and migrations: everything before a process starts."""
        with _environ(PARVIS_VAR_DIR=str(self.var_dir)):
            self.secret = config.context_secret()
        self.declare_topology()
        self.migrate()
        self.prepared = True

    def declare_topology(self, timeout: float = 30.0) -> None:
        from kombu import Connection

        from parvis_contracts.topology import declare_topology

        with Connection(self.amqp_uri, connect_timeout=5) as conn:
            conn.ensure_connection(max_retries=3, interval_start=1, timeout=timeout)
            declare_topology(conn, strict=True)
        log.info("AMQP topology declared")

    def migrate(self) -> None:
        from parvis_contracts.migrations import upgrade

        for name in self.services:
            upgrade(name, self.db_urls[name])
            log.info("%s: database at head", name)

    # --- processes -----------------------------------------------------------

    def _metrics_port(self) -> int:
        if self.metrics_base is None:
            port = free_port()
            while port in self._used_metrics_ports:
                port = free_port()
        else:
            port = self.metrics_base
            # skip ports taken by this platform or by anything else listening already
            while port in self._used_metrics_ports or port_open("127.0.0.1", port, 0.2):
                port += 1
        self._used_metrics_ports.add(port)
        return port

    def _service_child(self, service: str, index: int) -> Child:
        port = self._metrics_port()
        env = self.child_env()
        env["PARVIS_METRICS_PORT"] = str(port)
        argv = [sys.executable, "-m", "parvis_contracts.runner", plugins.plugin(service).service]
        return Child(
            f"{service}-{index}",
            argv,
            env,
            self.log_dir / f"{service}-{index}.log",
            service=service,
            metrics_port=port,
        )

    def _gateway_child(self) -> Child:
        env = self.child_env()
        prom_dir = self.var_dir / "prometheus-gateway"
        shutil.rmtree(prom_dir, ignore_errors=True)
        prom_dir.mkdir(parents=True)
        env["PROMETHEUS_MULTIPROC_DIR"] = str(prom_dir)
        host = self.bind_host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "python:deploy.gunicorn_conf",
            "--worker-class",
            "gthread",
            "--workers",
            str(self.gateway_workers),
            "--threads",
            str(self.gateway_threads),
            "--bind",
            f"{host}:{self.port}",
            "gateway.app:create_app()",
        ]
        return Child("gateway", argv, env, self.log_dir / "gateway.log")

    def _live_child(self) -> Child:
        host = self.bind_host
        argv = [sys.executable, "-m", "gateway.live", "--host", host, "--port", str(self.live_port)]
        return Child("live", argv, self.child_env(), self.log_dir / "live.log")

    def start_live(self) -> None:
        """The live hub beside the gateway (before it: the gateway's pages name its port)."""
        if not self.live_enabled:
            return
        if self.live_port is None:
            self.live_port = self.port + 1
            if port_open(self.local_host, self.live_port):
                self.live_port = free_port()
        elif port_open(self.local_host, self.live_port):
            raise PlatformError(
                f"port {self.live_port} on {self.local_host} is already in use (PARVIS_LIVE_PORT)"
            )
        child = self._live_child()
        child.start()
        self.children.append(child)
        self.live_started = True

    def start_services(self) -> None:
        for service in self.services:
            for index in range(1, self.replicas[service] + 1):
                child = self._service_child(service, index)
                child.start()
                self.children.append(child)

    def start_engines(self) -> str | None:
        """Apertium's APy on loopback for the translation service, unless configured.

        Skipped when ``PARVIS_APERTIUM_URL`` names an engine that runs elsewhere, when
        translation is not started, or when APy is not installed (translation then
        answers 503 for Apertium pairs and says so in ``pairs``). Returns its URL.
        """
        from . import apertium_launcher

        if "translation" not in self.services or settings.is_set("PARVIS_APERTIUM_URL"):
            return None
        if not apertium_launcher.available():
            log.warning(
                "Apertium (apertium-apy) is not installed: translation through it "
                "is unavailable (deploy/install_apertium.sh installs it)"
            )
            return None
        port = settings.value("PARVIS_APERTIUM_PORT") or free_port()
        child = Child(
            "apertium",
            apertium_launcher.command("127.0.0.1", port),
            apertium_launcher.utf8_env(self.child_env()),
            self.log_dir / "apertium.log",
        )
        child.start()
        self.children.append(child)
        self.apertium_url = f"http://127.0.0.1:{port}"
        self.extra_env["PARVIS_APERTIUM_URL"] = self.apertium_url
        return self.apertium_url

    def wait_engines(self, timeout: float = 90.0) -> None:
        from . import apertium_launcher

        if self.apertium_url:
            apertium_launcher.wait_ready(self.apertium_url, timeout)

    def start_gateway(self) -> None:
        if port_open(self.local_host, self.port):
            raise PlatformError(
                f"port {self.port} on {self.local_host} is already in use (choose another with --port)"
            )
        child = self._gateway_child()
        child.start()
        self.children.append(child)

    def start(self, timeout: float = 90.0) -> Platform:
        """Prepare, start every process, wait until all answer (bounded)."""
        if not self.prepared:
            self.prepare()
        try:
            self.start_engines()
            self.start_services()
            self.start_live()
            self.start_gateway()
            self.wait_healthy(timeout)
            self.wait_engines(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def service_children(self, service: str) -> list[Child]:
        return [c for c in self.children if c.service == service and not c.stopping]

    def metrics_ports(self, service: str) -> list[int]:
        return [c.metrics_port for c in self.service_children(service)]

    def scale(self, service: str, count: int) -> None:
        """Add or remove replicas of one service (removal: newest first, graceful)."""
        running = self.service_children(service)
        for index in range(len(running) + 1, count + 1):
            child = self._service_child(service, index)
            child.start()
            self.children.append(child)
        for child in running[count:][::-1]:
            self._stop_children([child])
            self.children.remove(child)
        self.replicas[service] = count

    # --- health --------------------------------------------------------------

    def health(self, service: str) -> dict:
        return self.client.call(service, "health", self.anonymous_token())

    def _check_alive(self) -> None:
        for child in self.children:
            if not child.stopping and not child.alive():
                raise PlatformError(
                    f"{child.name} exited with code {child.process.returncode} while starting; "
                    f"last lines of {child.log_path}:\n{child.tail()}"
                )

    def wait_healthy(self, timeout: float = 90.0) -> None:
        """Every service answers ``health`` with status ok, the gateway (and the live hub) HTTP."""
        from nameko.exceptions import RpcTimeout, UnknownService

        deadline = time.monotonic() + timeout
        pending = list(self.services)
        while pending:
            self._check_alive()
            name = pending[0]
            try:
                report = self.client.call(name, "health", self.anonymous_token())
            except (RpcTimeout, UnknownService, OSError) as exc:
                report = {"status": type(exc).__name__}
            except Exception as exc:  # a service error while it starts: try again
                report = {"status": f"{type(exc).__name__}: {exc}"}
            if isinstance(report, dict) and report.get("status") == "ok":
                pending.pop(0)
                log.info("%s is healthy (%s)", name, report.get("instance"))
                continue
            if time.monotonic() > deadline:
                raise PlatformError(
                    f"{name} did not answer health within {timeout:.0f}s (last answer: {report})"
                )
            time.sleep(0.3)
        self._wait_http(self.base_url + "/healthz", "the gateway", deadline, timeout)
        if self.live_started:  # ready: it hears the events it tells
            self._wait_http(self.live_url + "/readyz", "the live hub", deadline, timeout)

    def _wait_http(self, url: str, what: str, deadline: float, timeout: float) -> None:
        import requests

        while True:
            self._check_alive()
            try:
                response = requests.get(url, timeout=10)
                if response.status_code == 200:
                    return
                last = f"HTTP {response.status_code}: {response.text[:300]}"
            except requests.RequestException as exc:
                last = type(exc).__name__
            if time.monotonic() > deadline:
                raise PlatformError(
                    f"{what} did not answer {url} with 200 within {timeout:.0f}s (last: {last})"
                )
            time.sleep(0.3)

    # --- seeding -------------------------------------------------------------

    def seed(self) -> dict:
        from . import seed

        return seed.seed(self)

    # --- supervision ---------------------------------------------------------

    def supervise_once(self) -> None:
        """Restart children that died on their own, with exponential backoff."""
        now = time.monotonic()
        for child in self.children:
            if child.stopping or child.alive():
                continue
            if child.next_start == 0.0:
                code = child.process.returncode if child.process else None
                uptime = now - child.started_at
                if uptime > 60:
                    child.restarts = 0  # it ran well for a while: reset the backoff
                delay = min(MAX_BACKOFF, 2.0**child.restarts)
                child.next_start = now + delay
                log.error(
                    "%s (pid %s) exited with code %s after %.0fs; restarting in %.0fs (log: %s)",
                    child.name,
                    child.pid,
                    code,
                    uptime,
                    delay,
                    child.log_path,
                )
            elif now >= child.next_start:
                child.restarts += 1
                child.next_start = 0.0
                try:
                    child.start()
                    log.info("%s restarted (pid %s)", child.name, child.pid)
                except OSError as exc:
                    log.error("%s could not be restarted: %s", child.name, exc)
                    child.started_at = now

    # --- stopping ------------------------------------------------------------

    def _stop_children(self, children: list[Child], grace: float = STOP_GRACE) -> None:
        for child in children:
            child.terminate()
        deadline = time.monotonic() + grace
        for child in children:
            if child.process is None:
                continue
            remaining = max(0.0, deadline - time.monotonic())
            try:
                child.process.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop within %.0fs: killing it", child.name, grace)
                child.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    child.process.wait(timeout=5)
            # leftovers in its group (gunicorn workers if the master died first)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.process.pid, signal.SIGKILL)

    def stop(self, grace: float = STOP_GRACE) -> None:
        """SIGTERM to every child (gateway first), bounded wait, then SIGKILL."""
        gateway = [c for c in self.children if c.service is None]
        services = [c for c in self.children if c.service is not None]
        self._stop_children(gateway, grace)
        self._stop_children(services, grace)
        self.children.clear()
        if self._client is not None:
            self._client.close()
            self._client = None


# ---------------------------------------------------------------- command line


def quiet_libraries() -> None:
    """Keep the launcher's console for what an operator needs to read."""
    import warnings

    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # basic.return of an RPC sent while a service is still starting (UnknownService)
    logging.getLogger("amqp").setLevel(logging.ERROR)


def print_banner(platform: Platform, accounts: dict, out=sys.stdout) -> None:
    lines = [
        "",
        "Parvis is running.",
        "",
        f"  Web UI and API : {platform.base_url}/",
        f"  API reference  : {platform.base_url}/api/v1/docs",
        f"  Health         : {platform.base_url}/healthz",
        f"  Live hub       : {platform.live_url or 'off'} (the bell's stream, {live.PATH})",
        f"  Metrics        : {platform.base_url}/metrics (gateway); services on "
        + ", ".join(f"{c.name}:{c.metrics_port}" for c in platform.children if c.metrics_port),
        f"  Logs           : {platform.log_dir}/",
        "",
        f"Demo accounts (passwords are stored in {platform.var_dir / 'seed-accounts.json'}):",
    ]
    rows = accounts.get("accounts", [])
    width = max([len(a["email"]) for a in rows] + [10])
    for account in rows:
        password = account["password"] or "(unknown: set before this var dir's seed file)"
        lines.append(f"  {account['email']:<{width}}  {password}  ({account['description']})")
    lines += ["", "Press Ctrl-C to stop.", ""]
    out.write("\n".join(lines))
    out.flush()


def run(args) -> int:
    # --var-dir, else PARVIS_VAR_DIR, else this checkout's var/ (like ./parvis), wherever
    # the command runs from
    var_dir = Path(
        args.var_dir
        or (settings.value("PARVIS_VAR_DIR") if settings.is_set("PARVIS_VAR_DIR") else ROOT / "var")
    )
    os.environ["PARVIS_VAR_DIR"] = str(var_dir.resolve())
    replicas = parse_replicas(args.replicas)
    # 0: each process gets a port the kernel picks (no range that a neighbour may hold)
    metrics_base = settings.value("PARVIS_METRICS_BASE_PORT") or None
    platform = Platform(
        var_dir, port=args.port, replicas=replicas, bind_host=args.bind, metrics_base=metrics_base
    )
    stopping = {"signal": None}

    def _on_signal(signum, _frame):
        stopping["signal"] = signum
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    try:
        log.info("preparing (var dir %s, broker %s)", platform.var_dir, platform.amqp_uri.rsplit("@", 1)[-1])
        platform.prepare()
        log.info("starting %s", ", ".join(f"{n} x{platform.replicas[n]}" for n in platform.services))
        platform.start(timeout=args.timeout)
        accounts = platform.seed() if not args.no_seed else {"accounts": []}
        print_banner(platform, accounts)
        while True:
            platform.supervise_once()
            time.sleep(1.0)
    except KeyboardInterrupt:
        log.info(
            "stopping (%s)", signal.Signals(stopping["signal"]).name if stopping["signal"] else "interrupted"
        )
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        platform.stop()
        log.info("stopped")
        return 0
    except PlatformError as exc:
        log.error("%s", exc)
        platform.stop()
        return 1


def prepare(args) -> int:
    """Topology and migrations only (a container platform's init job)."""
    platform = Platform(args.var_dir or config.var_dir())
    platform.prepare()
    log.info("prepared: topology declared, %s migrated", ", ".join(platform.services))
    return 0


def seed_only(args) -> int:
    """Seed a platform that runs elsewhere (same broker and context secret)."""
    platform = Platform(args.var_dir or config.var_dir())
    with _environ(PARVIS_VAR_DIR=str(platform.var_dir)):
        platform.secret = config.context_secret()
    accounts = platform.seed()
    for account in accounts["accounts"]:
        print(f"{account['email']}  {account['password'] or '(unknown)'}  ({account['description']})")
    platform.stop()
    return 0


def exec_service(args) -> int:
    """Replace this process with one service process (a container's entrypoint)."""
    try:
        target = plugins.plugin(args.service).service
    except plugins.PluginError as exc:
        raise ValueError(str(exc)) from None
    os.execv(sys.executable, [sys.executable, "-m", "parvis_contracts.runner", target])
    return 1  # not reached


def list_plugins(args) -> int:
    """What is installed: the services (core and plug-ins) and the gateway extensions;
    with ``--tests``, only the directories of the plug-ins' own tests (one a line)."""
    if args.tests:
        for p in plugins.service_plugins().values():
            if p.tests_dir is not None:
                print(p.tests_dir)
        return 0
    for p in plugins.service_plugins().values():
        kind = "core" if p.core else "plug-in"
        print(f"service  {p.name:<14} {kind:<8} {p.service}  ({p.description or 'no description'})")
    for extension in plugins.gateway_extensions().values():
        print(
            f"gateway  {extension.name:<14} plug-in  {len(extension.api_blueprints)} API, "
            f"{len(extension.web_blueprints)} web blueprint(s)"
        )
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.launcher",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="start everything, seed, wait for Ctrl-C")
    run_parser.add_argument(
        "--replicas",
        default=settings.value("PARVIS_REPLICAS"),
        help="e.g. feed=2,translation=2 (default: 1 each)",
    )
    run_parser.add_argument("--port", type=int, default=settings.value("PARVIS_PORT"))
    run_parser.add_argument(
        "--bind", default=None, help="address of the gateway (default PARVIS_BIND or 127.0.0.1)"
    )
    run_parser.add_argument("--var-dir", default=None, help="default PARVIS_VAR_DIR or ./var")
    run_parser.add_argument(
        "--timeout", type=float, default=120.0, help="seconds to wait for every service to answer"
    )
    run_parser.add_argument("--no-seed", action="store_true", help="skip the demo data")
    prepare_parser = sub.add_parser(
        "prepare", help="declare the AMQP topology and migrate every service's database, then exit"
    )
    prepare_parser.add_argument("--var-dir", default=None)
    seed_parser = sub.add_parser("seed", help="seed the demo network into a running platform")
    seed_parser.add_argument("--var-dir", default=None)
    service_parser = sub.add_parser("service", help="run one service process in the foreground")
    service_parser.add_argument(
        "service", help="an installed service (python -m deploy.launcher plugins lists them)"
    )
    plugins_parser = sub.add_parser("plugins", help="list the installed services and gateway extensions")
    plugins_parser.add_argument(
        "--tests", action="store_true", help="print the plug-ins' test directories instead"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=settings.value("PARVIS_LOG_LEVEL"), format="%(asctime)s launcher %(levelname)s %(message)s"
    )
    quiet_libraries()
    commands = {
        "run": run,
        "prepare": prepare,
        "seed": seed_only,
        "service": exec_service,
        "plugins": list_plugins,
    }
    try:
        return commands[args.command](args)
    except ValueError as exc:
        parser.error(str(exc))
    return 2


if __name__ == "__main__":
    sys.exit(main())
