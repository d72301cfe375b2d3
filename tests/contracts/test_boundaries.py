"""The rooms of the house, checked: who may import whom.

* a service never imports another service (nor the gateway, the deploy tools or a plug-in);
* the contracts package imports no service, no gateway, no deploy tool, no plug-in;
* the gateway reaches services only over the bus: it imports no service's code;
* a plug-in never imports a service's code (its gateway extension may use the gateway);
* the deploy tools import no service's code either (the launcher runs services by the
  ``module:Class`` of their declaration, in their own processes);
* inside the gateway, ``calls/`` is the only code that talks to services: ``api/``, ``web/``,
  ``files/`` and the plug-ins' gateway extensions never import the RPC client; ``api/`` and
  ``web/`` are siblings over it (``web/`` uses ``api/``'s shared request schemas, nothing
  else), and ``calls/`` imports neither of them.

Read from the source (``ast``), so an import inside a function counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE_SERVICES = sorted(p.parent.name for p in (ROOT / "services").glob("*/service.py"))
PLUGIN_PACKAGES = sorted(p.parent.name for p in (ROOT / "plugins").glob("*/*/plugin.py"))


def python_files(directory: Path):
    return [
        p
        for p in sorted(directory.rglob("*.py"))
        if "migrations/versions" not in p.as_posix() and "/tests/" not in p.as_posix()
    ]


def absolute_imports(path: Path, package: str) -> set[str]:
    """Every module ``path`` imports, relative imports resolved against ``package``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    parts = package.split(".")
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = parts[: len(parts) - node.level + 1] if node.level > 1 else parts
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def package_of(path: Path, root: Path = ROOT) -> str:
    relative = path.relative_to(root).with_suffix("")
    parts = list(relative.parts)
    if parts[0] == "contracts" or parts[0] == "plugins":
        parts = parts[2:] if parts[0] == "plugins" else parts[1:]
    # a package's __init__ and a module both belong to the package of their directory
    return ".".join(parts[:-1])


def offences(directory: Path, forbidden, root: Path = ROOT) -> list[str]:
    found = []
    for path in python_files(directory):
        for module in absolute_imports(path, package_of(path, root)):
            if forbidden(module):
                found.append(f"{path.relative_to(root)} imports {module}")
    return sorted(set(found))


def starts(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def test_the_rooms_exist():
    assert CORE_SERVICES == [
        "agenda",
        "communities",
        "documents",
        "feed",
        "identity",
        "notifications",
        "search",
        "translation",
    ]
    assert "parvis_kudos" in PLUGIN_PACKAGES


@pytest.mark.parametrize("service", CORE_SERVICES)
def test_a_service_imports_no_other_service(service):
    others = [f"services.{s}" for s in CORE_SERVICES if s != service]
    assert (
        offences(
            ROOT / "services" / service, lambda m: starts(m, *others, "gateway", "deploy", *PLUGIN_PACKAGES)
        )
        == []
    )


def test_the_contracts_import_no_service_gateway_or_plugin():
    assert (
        offences(
            ROOT / "contracts" / "parvis_contracts",
            lambda m: starts(m, "services", "gateway", "deploy", *PLUGIN_PACKAGES),
        )
        == []
    )


def test_the_gateway_reaches_services_only_over_the_bus():
    assert offences(ROOT / "gateway", lambda m: starts(m, "services", "deploy", *PLUGIN_PACKAGES)) == []


def test_plugins_import_no_service_code():
    for package in PLUGIN_PACKAGES:
        directory = next((ROOT / "plugins").glob(f"*/{package}"))
        others = [p for p in PLUGIN_PACKAGES if p != package]
        assert offences(directory, lambda m, others=others: starts(m, "services", "deploy", *others)) == []
        # only the gateway extension module talks to the gateway
        gateway_users = {
            line.split(" imports ")[0] for line in offences(directory, lambda m: starts(m, "gateway"))
        }
        assert gateway_users <= {str((directory / "gateway.py").relative_to(ROOT))}, gateway_users


def test_the_deploy_tools_run_services_without_importing_them():
    assert offences(ROOT / "deploy", lambda m: starts(m, "services", *PLUGIN_PACKAGES)) == []


#: what talks to services: only ``gateway/calls/`` may import it
RPC_CLIENT = ("gateway.rpc", "parvis_contracts.client", "nameko")


@pytest.mark.parametrize("room", ["api", "web", "files"])
def test_the_gateway_asks_services_only_through_its_call_layer(room):
    assert offences(ROOT / "gateway" / room, lambda m: starts(m, *RPC_CLIENT)) == []


def test_plugin_gateway_extensions_ask_through_the_call_layer():
    for package in PLUGIN_PACKAGES:
        directory = next((ROOT / "plugins").glob(f"*/{package}"))
        assert offences(directory, lambda m: starts(m, *RPC_CLIENT[:2])) == []


def test_api_and_web_are_siblings_over_the_call_layer():
    gateway = ROOT / "gateway"
    assert offences(gateway / "api", lambda m: starts(m, "gateway.web")) == []

    # the web UI's forms post what the API accepts: the one shared module is the schemas
    def beyond_schemas(module: str) -> bool:
        return (
            starts(module, "gateway.api")
            and module != "gateway.api"
            and not starts(module, "gateway.api.schemas")
        )

    assert offences(gateway / "web", beyond_schemas) == []
    for lower in ("calls", "files"):
        assert offences(gateway / lower, lambda m: starts(m, "gateway.api", "gateway.web")) == []
    assert offences(gateway / "calls", lambda m: starts(m, "gateway.files")) == []


def test_the_live_hub_is_a_process_apart_from_the_app():
    """gateway/live runs in a process of its own (eventlet): it asks services with its own
    client, never through the app's rooms; the app imports only its light ``__init__``."""
    gateway = ROOT / "gateway"
    rooms = ("gateway.rpc", "gateway.calls", "gateway.api", "gateway.web", "gateway.files")
    assert offences(gateway / "live", lambda m: starts(m, *rooms)) == []
    the_process = ("gateway.live.hub", "gateway.live.server", "eventlet")
    outside = [
        line for line in offences(gateway, lambda m: starts(m, *the_process)) if "gateway/live/" not in line
    ]
    assert outside == []


def test_the_check_sees_an_offence(tmp_path):
    """The checker itself: a relative import out of one service into another is found."""
    room = tmp_path / "services" / "feed"
    room.mkdir(parents=True)
    (room / "posts.py").write_text(
        "from ..identity import people\ndef later():\n    import services.documents.bank\n"
    )
    found = offences(room, lambda m: starts(m, "services.identity", "services.documents"), root=tmp_path)
    assert found == [
        "services/feed/posts.py imports services.documents.bank",
        "services/feed/posts.py imports services.identity",
        "services/feed/posts.py imports services.identity.people",
    ]


def test_the_check_sees_a_page_calling_a_service(tmp_path):
    """A page importing the RPC client, however it is written, is found."""
    room = tmp_path / "gateway" / "web"
    room.mkdir(parents=True)
    (room / "people.py").write_text("from .. import rpc\ndef later():\n    from gateway.rpc import call\n")
    found = offences(room, lambda m: starts(m, *RPC_CLIENT), root=tmp_path)
    assert found == [
        "gateway/web/people.py imports gateway.rpc",
        "gateway/web/people.py imports gateway.rpc.call",
    ]
