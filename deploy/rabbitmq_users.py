"""The broker users of Parvis, each allowed only its own exchanges and queues.

    python -m deploy.rabbitmq_users list            each user, its three regexes and its topic rules
    python -m deploy.rabbitmq_users definitions     RabbitMQ definitions (JSON): users without a
        [--vhost /] [--password-dir DIR]            password, or with the hashes of DIR's files
    python -m deploy.rabbitmq_users commands        a sh script of rabbitmqctl commands; it reads each
        [--vhost /] [--keep-guest]                  password from $PARVIS_AMQP_PASSWORD_DIR/<user>
    python -m deploy.rabbitmq_users passwords       a random password for every user that has none:
        (--dir DIR | --env-file FILE)               DIR/<user> files (Kubernetes) or FILE lines (compose)
    python -m deploy.rabbitmq_users apply           create or update the users through the management
        --management-url URL [--ca-file CA]         API, then delete guest (the Kubernetes Job and
        (--password-dir DIR | --password-env PFX)   the compose one-shot run this); admin credentials
                                                    from RABBITMQ_DEFAULT_USER / RABBITMQ_DEFAULT_PASS
    python -m deploy.rabbitmq_users kubernetes      the Job running ``apply`` (deploy/k8s/rabbitmq-users.yaml)

Everything is derived from the installed services' declarations
(:func:`parvis_contracts.plugins.service_plugins`): a plug-in gets its user, and the prepare
user its queues, with no edit here. RabbitMQ grants three regexes per user and vhost,
matched against exchange and queue names: *configure* (declare, delete), *write* (publish
to an exchange; bind *to* a queue; name a queue's dead-letter exchange) and *read*
(consume or get from a queue; bind *from* an exchange; declare a queue with a dead-letter
exchange). Declaring an entity that already exists still needs configure; a passive
declare needs nothing. On top, topic rules (per exchange: the routing keys a user may
publish with, and bind with) keep a user that must bind to a shared exchange from
binding to what is not its own.

``parvis-<service>`` (one per installed service)
    configure: ``nameko-rpc`` (nameko declares it with every RPC queue and reply queue),
    ``rpc-<service>``, its reply queues ``rpc.reply-<service>-<uuid>``, its handler queues
    ``evt-<source>-<event>--<service>.<method>`` and the exchanges ``<source>.events`` they
    bind from (kombu declares a queue's exchange before the queue).
    write: ``nameko-rpc`` (replies, and its own RPCs), its RPC, reply and handler queues
    (binding), ``<service>.events`` when it publishes events, ``parvis.dlx`` when it has
    handlers (their queues dead-letter there).
    read: ``nameko-rpc``, its RPC, reply and handler queues, the ``<source>.events`` it
    subscribes to. Topic rules: on ``nameko-rpc`` it binds only ``<service>.*`` and reply
    keys (uuids), never another service's calls; on each ``<source>.events`` only the
    events it handles.
``parvis-gateway``
    an RPC client: ``nameko-rpc`` and its reply queues ``rpc.reply-standalone_rpc_proxy-<uuid>``;
    binds reply keys only. And a listener of identity's events: its own queues
    ``parvis.gateway.identity.<host>.<pid>.<random>``, bound from ``identity.events`` with the
    keys of the events that change a session or a card, nothing else; publishes no event.
``parvis-live``
    the gateway's live hub (``python -m gateway.live``): an RPC client that may call only
    ``identity.resolve_session`` and ``notifications.unread_count`` (topic rule on
    ``nameko-rpc``), and a listener: its own queues ``parvis.live.<host>.<pid>.<random>``,
    bound from ``notifications.events`` with ``unread_changed`` and from ``identity.events``
    with the person events; publishes no event.
``parvis-prepare``
    the prepare job (``python -m deploy.launcher prepare``):
    :func:`parvis_contracts.topology.declare_topology` declares ``parvis.dlx``,
    ``parvis.dead-letters``, every ``<source>.events`` and every handler queue; no access
    to ``nameko-rpc``, binds only the declared subscriptions.
``parvis-operator``
    the dead-letter tool (``python -m parvis_contracts.dlq``): ``parvis.dlx`` and
    ``parvis.dead-letters``, and the default exchange (``amq.default``) to put kept
    messages back.

Passwords never come from here: ``passwords`` makes random ones into files or an env
file that are never committed; ``apply`` and ``commands`` read them when they run.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import secrets
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from parvis_contracts import events as ev
from parvis_contracts.events import (
    IDENTITY_PERSON_EVENTS,
    IDENTITY_WATCH_PREFIX,
    IDENTITY_WATCHED,
    LIVE_HUB_PREFIX,
    LIVE_HUB_UNREAD,
)
from parvis_contracts.plugins import PluginError, ServicePlugin, service_plugins
from parvis_contracts.topology import DLQ_NAME, DLX_NAME

# nameko's names (nameko.rpc and nameko.standalone.rpc; tests/unit/deploy checks them):
# not imported, nameko and eventlet stay out of this process
RPC_EXCHANGE = "nameko-rpc"
RPC_QUEUE = "rpc-{}"
REPLY_QUEUE = "rpc.reply-{}-{}"
STANDALONE_CLIENT = "standalone_rpc_proxy"
#: the default exchange, as RabbitMQ's permissions name it
DEFAULT_EXCHANGE = "amq.default"
#: a reply queue's suffix and its routing key (str(uuid.uuid4()))
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
NOTHING = "^$"
ANYTHING = ".*"
PREFIX = "parvis-"
RESERVED = ("gateway", "live", "prepare", "operator")
#: the only calls the live hub makes
LIVE_CALLS = ("identity.resolve_session", "notifications.unread_count")
#: where the Kubernetes Job and the Deployments find the broker's CA (deploy/k8s)
CA_FILE = "/etc/parvis/rabbitmq-ca/ca.crt"
PASSWORD_DIR = "/etc/parvis/amqp-passwords"
PASSWORD_ENV = "RABBITMQ_PASSWORD_"
TLS_SECRET = "rabbitmq-tls"
MANAGEMENT_URL = "https://rabbitmq:15671/api"


def escape(name: str) -> str:
    """A name as a regex matching only itself (``.`` and the other special characters escaped)."""
    return re.sub(r"([.^$*+?{}\[\]\\|()])", r"\\\1", name)


def regex(fragments: Iterable[str]) -> str:
    """``^(a|b|c)$``: RabbitMQ searches, unanchored, so each regex is anchored; ``^$`` for none."""
    unique = list(dict.fromkeys(fragments))
    return f"^({'|'.join(unique)})$" if unique else NOTHING


def events_exchange(source: str) -> str:
    return f"{source}.events"


def reply_queues(service: str) -> str:
    return f"{escape(REPLY_QUEUE.format(service, ''))}{UUID}"


@dataclass(frozen=True)
class TopicRule:
    """On topic ``exchange``: the routing keys the user may publish with (``write``) and
    bind a queue with (``read``)."""

    exchange: str
    write: str
    read: str


@dataclass(frozen=True)
class BrokerUser:
    role: str
    name: str
    summary: str
    configure: tuple[str, ...]
    write: tuple[str, ...]
    read: tuple[str, ...]
    topics: tuple[TopicRule, ...] = ()

    @property
    def permissions(self) -> dict[str, str]:
        return {"configure": regex(self.configure), "write": regex(self.write), "read": regex(self.read)}

    def password_variable(self, prefix: str = PASSWORD_ENV) -> str:
        """The environment variable holding its password (``apply --password-env``, compose)."""
        return prefix + re.sub(r"[^A-Za-z0-9]", "_", self.role).upper()

    @property
    def secret_name(self) -> str:
        """Its Kubernetes Secret (key ``password``)."""
        return f"parvis-amqp-{self.role}"


def event_sources(plugins: Mapping[str, ServicePlugin]) -> list[str]:
    """Every ``<source>`` whose ``<source>.events`` the topology declares: the core's events,
    the plug-ins' declared events and every subscribed source."""
    core = {value.source for value in vars(ev).values() if isinstance(value, ev.EventType)}
    declared = {event.source for p in plugins.values() for event in p.events}
    subscribed = {sub.event.source for p in plugins.values() for sub in p.subscriptions}
    return sorted(core | declared | subscribed)


def publishes(service: ServicePlugin) -> bool:
    if service.events:
        return True
    return service.core and any(
        isinstance(value, ev.EventType) and value.source == service.name for value in vars(ev).values()
    )


def service_user(service: ServicePlugin, prefix: str = PREFIX) -> BrokerUser:
    name = service.name
    own = (escape(RPC_EXCHANGE), escape(RPC_QUEUE.format(name)), reply_queues(name))
    queues = tuple(escape(sub.queue_name) for sub in service.subscriptions)
    sources = sorted({sub.event.source for sub in service.subscriptions})
    exchanges = tuple(escape(events_exchange(source)) for source in sources)
    write = own + queues
    if queues:
        write += (escape(DLX_NAME),)
    if publishes(service):
        write += (escape(events_exchange(name)),)
    topics = [TopicRule(RPC_EXCHANGE, write=ANYTHING, read=regex([escape(f"{name}.*"), UUID]))]
    for source in sources:
        handled = [escape(sub.event.name) for sub in service.subscriptions if sub.event.source == source]
        topics.append(
            TopicRule(
                events_exchange(source),
                write=ANYTHING if source == name else NOTHING,
                read=regex(handled),
            )
        )
    return BrokerUser(
        role=name,
        name=prefix + name,
        summary=f"the {name} service",
        configure=own + queues + exchanges,
        write=write,
        read=own + queues + exchanges,
        topics=tuple(topics),
    )


def gateway_user(prefix: str = PREFIX) -> BrokerUser:
    own = (escape(RPC_EXCHANGE), reply_queues(STANDALONE_CLIENT))
    # each gateway process's queue of identity's events (gateway/calls/identity_events.py)
    watch = escape(IDENTITY_WATCH_PREFIX + ".") + ".+"
    identity_events = escape(events_exchange("identity"))
    return BrokerUser(
        role="gateway",
        name=prefix + "gateway",
        summary="the gateway (and the seed): an RPC client, and a listener of identity's events",
        configure=own + (watch,),
        write=own + (watch,),
        read=own + (watch, identity_events),
        topics=(
            TopicRule(RPC_EXCHANGE, write=ANYTHING, read=regex([UUID])),
            TopicRule(
                events_exchange("identity"),
                write=NOTHING,
                read=regex(escape(event.name) for event in IDENTITY_WATCHED),
            ),
        ),
    )


def live_user(prefix: str = PREFIX) -> BrokerUser:
    own = (escape(RPC_EXCHANGE), reply_queues(STANDALONE_CLIENT))
    # each hub process's queue (gateway/live/hub.py)
    queue = escape(LIVE_HUB_PREFIX + ".") + ".+"
    source, unread = LIVE_HUB_UNREAD
    heard = (escape(events_exchange(source)), escape(events_exchange("identity")))
    return BrokerUser(
        role="live",
        name=prefix + "live",
        summary="the live hub: two calls, and a listener of unread_changed and identity's person events",
        configure=own + (queue,),
        write=own + (queue,),
        read=own + (queue, *heard),
        topics=(
            TopicRule(RPC_EXCHANGE, write=regex(escape(call) for call in LIVE_CALLS), read=regex([UUID])),
            TopicRule(events_exchange(source), write=NOTHING, read=regex([escape(unread)])),
            TopicRule(
                events_exchange("identity"),
                write=NOTHING,
                read=regex(escape(event.name) for event in IDENTITY_PERSON_EVENTS),
            ),
        ),
    )


def prepare_user(plugins: Mapping[str, ServicePlugin], prefix: str = PREFIX) -> BrokerUser:
    subs = [sub for p in plugins.values() for sub in p.subscriptions]
    sources = event_sources(plugins)
    exchanges = tuple(escape(events_exchange(source)) for source in sources)
    queues = tuple(escape(sub.queue_name) for sub in subs)
    dead = (escape(DLX_NAME), escape(DLQ_NAME))
    topics = tuple(
        TopicRule(
            events_exchange(source),
            write=NOTHING,
            read=regex(escape(sub.event.name) for sub in subs if sub.event.source == source),
        )
        for source in sources
    )
    return BrokerUser(
        role="prepare",
        name=prefix + "prepare",
        summary="the prepare job: declares the whole topology",
        configure=dead + exchanges + queues,
        write=dead + queues,
        read=(escape(DLX_NAME),) + exchanges + queues,
        topics=topics,
    )


def operator_user(prefix: str = PREFIX) -> BrokerUser:
    return BrokerUser(
        role="operator",
        name=prefix + "operator",
        summary="the dead-letter tool (python -m parvis_contracts.dlq)",
        configure=(escape(DLX_NAME), escape(DLQ_NAME)),
        write=(escape(DLQ_NAME), escape(DEFAULT_EXCHANGE)),
        read=(escape(DLX_NAME), escape(DLQ_NAME)),
    )


def broker_users(
    plugins: Mapping[str, ServicePlugin] | None = None, prefix: str = PREFIX
) -> list[BrokerUser]:
    """Every user: one per service (core first, then plug-ins), the gateway, its live hub, prepare,
    operator."""
    plugins = service_plugins() if plugins is None else plugins
    clash = [name for name in RESERVED if name in plugins]
    if clash:
        raise PluginError(
            f"a service may not be named {', '.join(clash)}: that broker user is the platform's"
        )
    return [
        *(service_user(p, prefix) for p in plugins.values()),
        gateway_user(prefix),
        live_user(prefix),
        prepare_user(plugins, prefix),
        operator_user(prefix),
    ]


# --- passwords ------------------------------------------------------------------------


def password_hash(password: str, salt: bytes | None = None) -> str:
    """RabbitMQ's ``rabbit_password_hashing_sha256``: base64(salt + sha256(salt + password))."""
    salt = os.urandom(4) if salt is None else salt
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def new_password() -> str:
    # hex: safe inside an AMQP URI without quoting
    return secrets.token_hex(24)


def load_passwords(
    users: Iterable[BrokerUser], password_dir: str | None = None, password_env: str | None = None
) -> dict[str, str]:
    """``{user name: password}`` from ``DIR/<user name>`` files or ``<PREFIX><ROLE>`` variables."""
    found, missing = {}, []
    for user in users:
        if password_dir is not None:
            path = Path(password_dir) / user.name
            value = path.read_text().strip() if path.is_file() else ""
            where = str(path)
        else:
            variable = user.password_variable(password_env or PASSWORD_ENV)
            value = os.environ.get(variable, "").strip()
            where = variable
        if value:
            found[user.name] = value
        else:
            missing.append(where)
    if missing:
        raise SystemExit(f"no password for: {', '.join(missing)} (python -m deploy.rabbitmq_users passwords)")
    return found


def write_password_files(users: Iterable[BrokerUser], directory: str) -> list[str]:
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    made = []
    for user in users:
        path = root / user.name
        if path.exists():
            continue
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(new_password())
        made.append(str(path))
    return made


def write_env_file(users: Iterable[BrokerUser], env_file: str, variable_prefix: str) -> list[str]:
    path = Path(env_file)
    present = set()
    if path.exists():
        present = {line.split("=", 1)[0].strip() for line in path.read_text().splitlines() if "=" in line}
    lines = []
    for user in users:
        variable = user.password_variable(variable_prefix)
        if variable not in present:
            lines.append(f"{variable}={new_password()}\n")
    if lines:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a") as out:
            out.writelines(lines)
    os.chmod(path, 0o600)
    return [line.split("=", 1)[0] for line in lines]


# --- outputs --------------------------------------------------------------------------


def definitions(
    users: Iterable[BrokerUser],
    vhost: str = "/",
    passwords: Mapping[str, str] | None = None,
    with_vhost: bool = True,
) -> dict:
    """RabbitMQ definitions (``rabbitmqctl import_definitions``, the management API's
    ``POST /api/definitions`` or ``load_definitions``). Without ``passwords`` a user has an
    empty hash: it cannot sign in until ``rabbitmqctl change_password`` gives it one."""
    users = list(users)
    passwords = passwords or {}
    made = {
        "users": [
            {
                "name": u.name,
                "password_hash": password_hash(passwords[u.name]) if u.name in passwords else "",
                "hashing_algorithm": "rabbit_password_hashing_sha256",
                "tags": [],
            }
            for u in users
        ],
        "vhosts": [{"name": vhost}],
        "permissions": [{"user": u.name, "vhost": vhost, **u.permissions} for u in users],
        "topic_permissions": [
            {"user": u.name, "vhost": vhost, "exchange": t.exchange, "write": t.write, "read": t.read}
            for u in users
            for t in u.topics
        ],
    }
    if not with_vhost:  # an existing vhost keeps its settings (its default queue type)
        del made["vhosts"]
    return made


def _quoted(value: str) -> str:
    if "'" in value:
        raise ValueError(f"a quote in {value!r}")
    return f"'{value}'"


def commands(users: Iterable[BrokerUser], vhost: str = "/", keep_guest: bool = False) -> str:
    """A sh script: add or update each user (password from ``$PARVIS_AMQP_PASSWORD_DIR/<user>``),
    set its permissions and topic rules, delete guest. ``$RABBITMQCTL`` (default
    ``rabbitmqctl``) may carry options, e.g. ``rabbitmqctl -n rabbit@host``."""
    lines = [
        "#!/bin/sh",
        "# Parvis broker users: python -m deploy.rabbitmq_users commands (docs/operations.md)",
        "set -eu",
        ': "${PARVIS_AMQP_PASSWORD_DIR:?the directory holding one password file per user, named after it}"',
        f"VHOST={_quoted(vhost)}",
        'ctl() { ${RABBITMQCTL:-rabbitmqctl} "$@"; }',
        "user() {  # name configure write read: created, or its password changed (rotation)",
        '  password=$(cat "$PARVIS_AMQP_PASSWORD_DIR/$1")',
        '  ctl add_user "$1" "$password" >/dev/null 2>&1 || ctl change_password "$1" "$password"',
        '  ctl set_user_tags "$1"',
        '  ctl set_permissions -p "$VHOST" "$1" "$2" "$3" "$4"',
        '  ctl clear_topic_permissions -p "$VHOST" "$1" >/dev/null 2>&1 || true',
        "}",
        'ctl list_vhosts --silent | grep -qxF "$VHOST" || ctl add_vhost "$VHOST"',
    ]
    for u in users:
        p = u.permissions
        lines.append(f"# {u.name}: {u.summary}")
        lines.append(f"user {u.name} {_quoted(p['configure'])} {_quoted(p['write'])} {_quoted(p['read'])}")
        for t in u.topics:
            rule = f"{t.exchange} {_quoted(t.write)} {_quoted(t.read)}"
            lines.append(f'ctl set_topic_permissions -p "$VHOST" {u.name} {rule}')
    if not keep_guest:
        lines.append("# no default account: guest goes")
        lines.append("ctl delete_user guest >/dev/null 2>&1 || true")
    return "\n".join(lines) + "\n"


def describe(users: Iterable[BrokerUser]) -> str:
    out = []
    for u in users:
        out.append(f"{u.name}  ({u.summary})")
        for key, value in u.permissions.items():
            out.append(f"  {key:<10} {value}")
        for t in u.topics:
            out.append(f"  topic {t.exchange}: write {t.write}  read {t.read}")
    return "\n".join(out) + "\n"


# --- the management API (the Kubernetes Job, the compose one-shot, the service tests) ----


def apply(
    api: str,
    admin: tuple[str, str],
    users: Iterable[BrokerUser],
    passwords: Mapping[str, str],
    vhost: str = "/",
    delete_guest: bool = True,
    verify: bool | str = True,
    wait: float = 0.0,
    timeout: float = 10.0,
) -> list[str]:
    """Create or update ``users`` (password, no tags, permissions, topic rules) on ``vhost``,
    then delete guest; returns the users with the prefix of ours that no service declares."""
    import requests

    users = list(users)
    session = requests.Session()
    session.auth = admin
    session.verify = verify
    api = api.rstrip("/")
    vh = quote(vhost, safe="")

    def call(method: str, path: str, ok=(200, 201, 204), **kwargs):
        response = session.request(method, f"{api}{path}", timeout=timeout, **kwargs)
        if response.status_code not in ok:
            raise SystemExit(f"{method} {path}: {response.status_code} {response.text[:200]}")
        return response

    deadline = time.monotonic() + wait
    while True:  # the broker may still be starting (the Job runs beside it)
        try:
            call("GET", "/overview")
            break
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(2)
    if call("GET", f"/vhosts/{vh}", ok=(200, 404)).status_code == 404:
        call("PUT", f"/vhosts/{vh}", json={})
    for u in users:
        name = quote(u.name, safe="")
        call("PUT", f"/users/{name}", json={"password": passwords[u.name], "tags": ""})
        call("PUT", f"/permissions/{vh}/{name}", json=u.permissions)
        call("DELETE", f"/topic-permissions/{vh}/{name}", ok=(200, 204, 404))
        for t in u.topics:
            call(
                "PUT",
                f"/topic-permissions/{vh}/{name}",
                json={"exchange": t.exchange, "write": t.write, "read": t.read},
            )
    if delete_guest and admin[0] != "guest":
        call("DELETE", "/users/guest", ok=(200, 204, 404))
    prefix = os.path.commonprefix([u.name for u in users]) if users else PREFIX
    ours = {u.name for u in users}
    existing = [u["name"] for u in call("GET", "/users").json()]
    return sorted(n for n in existing if prefix and n.startswith(prefix) and n not in ours and n != admin[0])


def kubernetes(users: Iterable[BrokerUser], image: str = "parvis") -> list[dict]:
    """The Job that creates the users (``apply``) from their Secrets, admin credentials
    from ``rabbitmq-secrets``, over the management API's TLS listener."""
    users = list(users)
    labels = {"app.kubernetes.io/name": "parvis-rabbitmq-users", "app.kubernetes.io/part-of": "parvis"}
    admin_env = [
        {"name": key, "valueFrom": {"secretKeyRef": {"name": "rabbitmq-secrets", "key": key}}}
        for key in ("RABBITMQ_DEFAULT_USER", "RABBITMQ_DEFAULT_PASS")
    ]
    container = {
        "name": "users",
        "image": image,
        "args": [
            "rabbitmq-users",
            "--management-url",
            MANAGEMENT_URL,
            "--ca-file",
            CA_FILE,
            "--password-dir",
            PASSWORD_DIR,
            "--wait",
            "300",
        ],
        "env": admin_env,
        "volumeMounts": [
            {"name": "passwords", "mountPath": PASSWORD_DIR, "readOnly": True},
            {"name": "rabbitmq-ca", "mountPath": str(Path(CA_FILE).parent), "readOnly": True},
        ],
        "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
    }
    spec = {
        "restartPolicy": "OnFailure",
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 10001,
            "runAsGroup": 10001,
            "fsGroup": 10001,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container],
        "volumes": [
            {
                "name": "passwords",
                "projected": {
                    "defaultMode": 0o440,
                    "sources": [
                        {"secret": {"name": u.secret_name, "items": [{"key": "password", "path": u.name}]}}
                        for u in users
                    ],
                },
            },
            {
                "name": "rabbitmq-ca",
                "secret": {"secretName": TLS_SECRET, "items": [{"key": "ca.crt", "path": "ca.crt"}]},
            },
        ],
    }
    return [
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "parvis-rabbitmq-users", "labels": labels},
            "spec": {"backoffLimit": 20, "template": {"metadata": {"labels": dict(labels)}, "spec": spec}},
        }
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.rabbitmq_users",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--prefix", default=PREFIX, help="of every user name (default parvis-)")
    commands_ = parser.add_subparsers(dest="command", required=True)
    commands_.add_parser("list", help="each user and what it may do")
    defs = commands_.add_parser("definitions", help="RabbitMQ definitions JSON")
    defs.add_argument("--vhost", default="/")
    defs.add_argument("--password-dir", help="hash each user's password from DIR/<user>")
    defs.add_argument("--without-vhost", action="store_true", help="the vhost exists: leave it out")
    script = commands_.add_parser("commands", help="rabbitmqctl commands (a sh script)")
    script.add_argument("--vhost", default="/")
    script.add_argument("--keep-guest", action="store_true", help="do not delete guest")
    words = commands_.add_parser("passwords", help="random passwords for users that have none")
    where = words.add_mutually_exclusive_group(required=True)
    where.add_argument("--dir", help="one file per user, DIR/<user> (mode 0600)")
    where.add_argument("--env-file", help="lines <VARIABLE>=<password> appended to FILE (compose's .env)")
    words.add_argument("--variable-prefix", default="PARVIS_" + PASSWORD_ENV, help="with --env-file")
    put = commands_.add_parser("apply", help="create or update the users through the management API")
    put.add_argument("--management-url", required=True, help="e.g. https://rabbitmq:15671/api")
    put.add_argument("--ca-file", help="the CA that signed the management listener's certificate")
    put.add_argument("--vhost", default="/")
    source = put.add_mutually_exclusive_group(required=True)
    source.add_argument("--password-dir")
    source.add_argument("--password-env", help=f"variables <PREFIX><ROLE>, e.g. {PASSWORD_ENV}FEED")
    put.add_argument("--keep-guest", action="store_true")
    put.add_argument("--wait", type=float, default=0.0, help="seconds to wait for the broker")
    commands_.add_parser("kubernetes", help="the users Job (YAML)")
    args = parser.parse_args(argv)
    users = broker_users(prefix=args.prefix)

    if args.command == "list":
        sys.stdout.write(describe(users))
    elif args.command == "definitions":
        passwords = load_passwords(users, password_dir=args.password_dir) if args.password_dir else None
        made = definitions(users, args.vhost, passwords, with_vhost=not args.without_vhost)
        sys.stdout.write(json.dumps(made, indent=2) + "\n")
    elif args.command == "commands":
        sys.stdout.write(commands(users, args.vhost, keep_guest=args.keep_guest))
    elif args.command == "passwords":
        if args.dir:
            made = write_password_files(users, args.dir)
        else:
            made = write_env_file(users, args.env_file, args.variable_prefix)
        for item in made:
            print(f"new password: {item}", file=sys.stderr)
    elif args.command == "apply":
        admin = (os.environ.get("RABBITMQ_DEFAULT_USER", ""), os.environ.get("RABBITMQ_DEFAULT_PASS", ""))
        if not all(admin):
            raise SystemExit("set RABBITMQ_DEFAULT_USER and RABBITMQ_DEFAULT_PASS (a broker administrator)")
        passwords = load_passwords(users, password_dir=args.password_dir, password_env=args.password_env)
        stale = apply(
            args.management_url,
            admin,
            users,
            passwords,
            vhost=args.vhost,
            delete_guest=not args.keep_guest,
            verify=args.ca_file or True,
            wait=args.wait,
        )
        print(
            f"{len(users)} broker users up to date on vhost {args.vhost}: {', '.join(u.name for u in users)}"
        )
        for name in stale:
            print(f"warning: {name} belongs to no installed service (rabbitmqctl delete_user {name})")
    else:
        import yaml

        sys.stdout.write(yaml.safe_dump_all(kubernetes(users), sort_keys=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
