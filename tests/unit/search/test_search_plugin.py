"""The plug-in's declaration and its rooms: every handler declared (and only those), the
service reaching no other service's code, and its access rows merged with the core's."""

from __future__ import annotations

from parvis_contracts.handlers import IdempotentEventHandler
from parvis_contracts.plugins import MEMBERSHIP_HANDLES, PERSON_DATA_HANDLES
from services.search.plugin import SERVICE
from services.search.service import SearchService
from tests import authz_rules as rules
from tests.contracts.test_boundaries import PLUGIN_PACKAGES, ROOT, offences, starts

RULES = ROOT / "services" / "search" / "authz_rules.yaml"


def test_every_declared_handler_is_an_idempotent_handler_of_its_event():
    for event, method in SERVICE.handles:
        entrypoints = getattr(getattr(SearchService, method), "nameko_entrypoints", ())
        handlers = [e for e in entrypoints if isinstance(e, IdempotentEventHandler)]
        assert [h.event for h in handlers] == [event], method


def test_every_handler_of_the_class_is_declared():
    declared = set(SERVICE.handles)
    for attr in dir(SearchService):
        for entry in getattr(getattr(SearchService, attr), "nameko_entrypoints", ()) or ():
            if isinstance(entry, IdempotentEventHandler):
                assert (entry.event, attr) in declared, attr
    assert set(MEMBERSHIP_HANDLES) | set(PERSON_DATA_HANDLES) <= declared
    assert SERVICE.name == SearchService.name and SERVICE.person_data


def test_the_declaration_names_what_exists():
    assert SERVICE.migrations_dir.is_dir() and (SERVICE.migrations_dir / "env.py").is_file()
    module, _, cls = SERVICE.service.partition(":")
    assert module == SearchService.__module__ and cls == SearchService.__name__


def test_the_service_imports_no_other_service():
    others = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "plugin.py").is_file())
    others = [f"services.{name}" for name in others if name != "search"]
    assert (
        offences(
            ROOT / "services" / "search", lambda m: starts(m, *others, "gateway", "deploy", *PLUGIN_PACKAGES)
        )
        == []
    )


def test_its_access_rows_are_merged_with_the_core_s():
    """The plug-in names its rules file, and the access tests read its rows."""
    assert SERVICE.access_rules == "services.search:authz_rules.yaml"
    assert RULES in rules.rule_files()
    mine = {row.id: row for row in rules.rows() if row.id.startswith("search_")}
    assert list(mine) == [
        "search_a",
        "search_c",
        "search_people",
        "search_people_employees_field",
        "search_skills",
        "search_communities",
    ]
    for key in ("search_a", "search_c"):
        assert [op.key for op in mine[key].operations] == ["GET /api/v1/search"]
        assert {op.rpc for op in mine[key].operations} == {"search.search"}
        assert mine[key].authz.startswith("search: results from A")
    operations = {(op.key, op.rpc) for row in mine.values() for op in row.operations}
    assert operations == {
        ("GET /api/v1/search", "search.search"),
        ("GET /api/v1/people/experts", "search.find_experts"),
        ("GET /api/v1/people/skills", "search.suggest_skills"),
    }
    for key in ("search_people", "search_people_employees_field", "search_skills"):
        assert mine[key].authz == "search and expert finder: people"
