"""The plug-in registry: what is installed is what runs.

Entry points are the only registry. A service package declares one
:class:`ServicePlugin` in the ``parvis.services`` group; a gateway extension
declares one :class:`GatewayExtension` in the ``parvis.gateway`` group::

    # pyproject.toml of a plug-in
    [project.entry-points."parvis.services"]
    kudos = "parvis_kudos.plugin:SERVICE"

    [project.entry-points."parvis.gateway"]
    kudos = "parvis_kudos.gateway:EXTENSION"

The five core services are declared the same way (``services/<name>/plugin.py``,
listed in the root ``pyproject.toml``). The launcher, ``--replicas``, the health
page, the topology, migrations, the access-rules loader and the gateway read
this module; none of them keeps a list of its own. A declaration is plain data:
loading it must not import the service's code (nameko and eventlet stay out of
the launcher's process), only this module, the events and schemas it names.

What this room must not hold: business logic, or an import of any service.
"""

from __future__ import annotations

import functools
import importlib
import logging
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from marshmallow import Schema

from . import events as ev
from .events import EventType

log = logging.getLogger(__name__)

SERVICE_GROUP = "parvis.services"
GATEWAY_GROUP = "parvis.gateway"

#: the core services in the order they start (identity first: every other service's
#: callers are resolved through it); plug-ins follow in name order
CORE_ORDER = ("identity", "communities", "feed", "documents", "translation")


#: the handlers of :class:`parvis_contracts.membership.MembershipEventHandlers`: a service
#: keeping the membership read model lists these in its ``handles``
MEMBERSHIP_HANDLES: tuple[tuple[EventType, str], ...] = (
    (ev.COMMUNITIES_COMMUNITY_CREATED, "on_community_created"),
    (ev.COMMUNITIES_COMMUNITY_UPDATED, "on_community_updated"),
    (ev.COMMUNITIES_COMMUNITY_ARCHIVED, "on_community_archived"),
    (ev.COMMUNITIES_COMMUNITY_REOPENED, "on_community_reopened"),
    (ev.COMMUNITIES_MEMBER_ADDED, "on_member_added"),
    (ev.COMMUNITIES_MEMBER_REMOVED, "on_member_removed"),
    (ev.COMMUNITIES_MEMBER_ROLE_CHANGED, "on_member_role_changed"),
)

#: the handler of :class:`parvis_contracts.privacy.PersonDataEntrypoints`
PERSON_DATA_HANDLES: tuple[tuple[EventType, str], ...] = ((ev.IDENTITY_USER_ERASED, "on_user_erased"),)


@dataclass(frozen=True)
class Subscription:
    """One event handler of one service: ``event`` handled by ``service.method``."""

    event: EventType
    service: str
    method: str

    @property
    def queue_name(self) -> str:
        # the same name nameko gives a SERVICE_POOL event handler queue
        return f"evt-{self.event.source}-{self.event.name}--{self.service}.{self.method}"


@dataclass(frozen=True)
class ServicePlugin:
    """Everything the platform needs to run one service, without importing it.

    * ``service``: ``"module:Class"`` of the nameko service (its ``name`` is ``name``);
    * ``migrations``: ``"package:directory"``, the Alembic directory inside a package;
    * ``handles``: ``(event, method)`` pairs, the service's idempotent handlers
      (declared before the first event is sent: see :mod:`parvis_contracts.topology`);
    * ``events``: the events the service publishes, with their payload schemas
      (the core's live in :mod:`parvis_contracts.events`; a plug-in brings its own);
    * ``access_rules``: ``"package:file.yaml"``, the service's rows of the access table
      (same format as ``authz_rules.yaml``; the access tests merge them);
    * ``metrics_port_name``: the name of the metrics port in manifests and scrape configs;
    * ``readiness``: the module run as the readiness probe (``python -m <readiness>``);
    * ``max_workers``: the default worker limit (``PARVIS_<NAME>_MAX_WORKERS`` overrides);
    * ``person_data``: True when the service answers ``export_person_data`` and forgets
      an erased person (it then inherits ``parvis_contracts.privacy.PersonDataEntrypoints``);
    * ``tests``: ``"package:directory"``, the plug-in's own unit tests, shipped inside its
      package: ``./parvis test`` runs them in the unit tier wherever the plug-in is installed.
    """

    name: str
    service: str
    migrations: str
    handles: tuple[tuple[EventType, str], ...] = ()
    events: dict[EventType, type[Schema]] = field(default_factory=dict)
    access_rules: str | None = None
    metrics_port_name: str = "metrics"
    readiness: str = "parvis_contracts.probe"
    max_workers: int = 10
    person_data: bool = False
    tests: str | None = None
    description: str = ""

    @property
    def core(self) -> bool:
        return self.name in CORE_ORDER

    @property
    def subscriptions(self) -> tuple[Subscription, ...]:
        return tuple(Subscription(event, self.name, method) for event, method in self.handles)

    @property
    def migrations_dir(self) -> Path:
        return package_path(self.migrations)

    @property
    def access_rules_path(self) -> Path | None:
        return package_path(self.access_rules) if self.access_rules else None

    @property
    def tests_dir(self) -> Path | None:
        return package_path(self.tests) if self.tests else None


@dataclass(frozen=True)
class NavItem:
    """A link in the web UI's top navigation: ``endpoint`` (Flask), ``label`` (a msgid the
    extension's catalogue translates), shown to ``audience`` ("signed_in", "employees",
    "admins")."""

    endpoint: str
    label: str
    audience: str = "signed_in"


@dataclass(frozen=True)
class GatewayExtension:
    """What a plug-in adds to the gateway.

    * ``api_blueprints``: ``"module:attribute"`` of flask-smorest blueprints (under ``/api/v1``);
    * ``web_blueprints``: ``"module:attribute"`` of Flask blueprints (pages; their own
      ``template_folder`` and ``static_folder`` carry the templates and static files);
    * ``nav``: navigation items; ``profile_panels``: ``"module:function"`` called with the
      profile being shown, returning markup to place on the profile page (or ``None``);
    * ``translations``: ``"package:directory"`` holding ``<lang>.po`` files (fr, en, es, de)
      merged into the UI catalogue;
    * ``openapi_tags``: tag objects (``{"name", "description"}``) for the API reference.
    """

    name: str
    api_blueprints: tuple[str, ...] = ()
    web_blueprints: tuple[str, ...] = ()
    nav: tuple[NavItem, ...] = ()
    profile_panels: tuple[str, ...] = ()
    translations: str | None = None
    openapi_tags: tuple[dict, ...] = ()

    @property
    def translations_dir(self) -> Path | None:
        return package_path(self.translations) if self.translations else None


class PluginError(RuntimeError):
    pass


def package_path(spec: str) -> Path:
    """``"package:sub/dir"`` -> the path of ``sub/dir`` inside the installed ``package``."""
    package, _, relative = spec.partition(":")
    module = importlib.import_module(package)
    return Path(module.__file__).resolve().parent / relative


def load_object(spec: str):
    """``"module:attribute"`` -> the attribute (imports the module)."""
    module, _, attribute = spec.partition(":")
    value = importlib.import_module(module)
    for part in attribute.split("."):
        value = getattr(value, part)
    return value


def _load_group(group: str, kind: type) -> dict:
    found: dict = {}
    for entry in metadata.entry_points(group=group):
        declared = entry.load()
        if not isinstance(declared, kind):
            raise PluginError(f"entry point {entry.name} = {entry.value} in {group} is not a {kind.__name__}")
        if declared.name != entry.name:
            raise PluginError(f"entry point {entry.name} in {group} declares {declared.name!r}")
        if entry.name in found and found[entry.name] != declared:
            raise PluginError(f"two packages declare {entry.name!r} in {group}")
        found[entry.name] = declared
    return found


def _ordered(found: dict) -> dict:
    names = [n for n in CORE_ORDER if n in found] + sorted(n for n in found if n not in CORE_ORDER)
    return {name: found[name] for name in names}


@functools.lru_cache(maxsize=1)
def service_plugins() -> dict[str, ServicePlugin]:
    """Every installed service, core first (``CORE_ORDER``), then plug-ins by name."""
    found = _ordered(_load_group(SERVICE_GROUP, ServicePlugin))
    missing = [name for name in CORE_ORDER if name not in found]
    if missing:
        # the core ships in one distribution: half of it means a broken install
        raise PluginError(
            f"core services not installed: {', '.join(missing)} (pip install -e . "
            f"at the repository root declares them)"
        )
    return found


@functools.lru_cache(maxsize=1)
def gateway_extensions() -> dict[str, GatewayExtension]:
    return _ordered(_load_group(GATEWAY_GROUP, GatewayExtension))


def service_names() -> tuple[str, ...]:
    return tuple(service_plugins())


def plugin(name: str) -> ServicePlugin:
    try:
        return service_plugins()[name]
    except KeyError:
        raise PluginError(f"unknown service {name!r}: one of {', '.join(service_names())}") from None


def subscriptions() -> list[Subscription]:
    return [sub for p in service_plugins().values() for sub in p.subscriptions]


def event_schemas() -> dict[EventType, type[Schema]]:
    """The payload schemas the installed services declare for the events they publish."""
    schemas: dict[EventType, type[Schema]] = {}
    for p in service_plugins().values():
        for event, schema in p.events.items():
            if event.source != p.name:
                raise PluginError(f"{p.name} declares {event.key}: a service publishes only its own events")
            schemas[event] = schema
    return schemas


def person_data_services() -> tuple[str, ...]:
    """The services that answer ``export_person_data`` (identity first: it names the person)."""
    return tuple(p.name for p in service_plugins().values() if p.person_data)


def reset() -> None:
    """Forget what was discovered (tests that install or remove a plug-in)."""
    service_plugins.cache_clear()
    gateway_extensions.cache_clear()
