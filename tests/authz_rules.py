"""The access rules file (``contracts/parvis_contracts/authz_rules.yaml``) as test cases.

Shared by the unit check of the file (``tests/unit/gateway/test_authz_rules_file.py``) and
the matrix run against the real services (``tests/service/test_authz_matrix.py``): loading,
validating, the API operations it names, and the expected answer of every
(row, operation, actor, channel, state).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

import parvis_contracts

RULES_FILE = Path(parvis_contracts.__file__).resolve().parent / "authz_rules.yaml"

ACTORS = ("admin", "manager_a", "member_a", "employee", "guest_a", "signed_out")
OPTIONAL_ACTORS = ("global_manager",)
CHANNELS = ("http", "rpc")
STATES = ("archived", "guest_removed", "deactivated", "guest_expired", "post_deleted")
ANSWERS = ("Y", "meta", "hidden", "401", "403", "404", "409", "422")
ERRORS = ("401", "403", "404", "409", "422")
COMMUNITIES = ("A", "B", "C", "S")
OTHER_RULES = ("self", "signed_in", "public")
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
API_PREFIX = "/api/v1"
#: Targets that are, or hang on, a post: the operations the "post deleted" state applies to.
#: Raw request bodies an operation may send instead of JSON (an upload's bytes).
RAW_BODIES = ("pdf",)
POST_TARGETS = (
    "post",
    "comment",
    "fresh_post",
    "fresh_post_liked",
    "fresh_comment",
    "fresh_comment_liked",
    "fresh_question",
    "announcement",
    "fresh_report",
)
TARGET = re.compile(r"\$([a-z_]+)(?:\.([a-z_]+))?")
PATH_PARAM = re.compile(r"{([^{}]+)}")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    rpc: str
    access: str = "read"
    archived: str | None = None
    params: dict = field(default_factory=dict)
    query: dict | None = None
    json: dict | None = None
    rpc_args: dict | None = None
    unknown: str | None = None
    rpc_unknown: str | None = None
    items: str = "id"
    body: str | None = None
    variant: str | None = None

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def service(self) -> str:
        return self.rpc.split(".", 1)[0]

    @property
    def method_name(self) -> str:
        return self.rpc.split(".", 1)[1]

    @property
    def kwargs(self) -> dict:
        """The RPC's keyword arguments (unresolved: targets still ``$names``)."""
        if self.rpc_args is not None:
            return dict(self.rpc_args)
        return {**self.params, **(self.json or {})}

    @property
    def unknown_param(self) -> str | None:
        """The argument replaced by an unknown id to compare a 404 with."""
        if self.unknown:
            return self.unknown
        names = PATH_PARAM.findall(self.path)
        return names[0] if names else None

    @property
    def rpc_unknown_param(self) -> str | None:
        """The RPC argument replaced by an unknown id (default: as over HTTP)."""
        return self.rpc_unknown or self.unknown_param

    def targets(self) -> set[str]:
        found: set[str] = set()

        def walk(value):
            if isinstance(value, str):
                found.update(name for name, _ in TARGET.findall(value))
            elif isinstance(value, dict):
                for item in value.values():
                    walk(item)
            elif isinstance(value, list):
                for item in value:
                    walk(item)

        for part in (self.params, self.query, self.json, self.rpc_args):
            walk(part)
        return found


@dataclass(frozen=True)
class Row:
    id: str
    authz: str
    community: str | None
    expect: dict
    operations: tuple
    field: str | None = None


@dataclass(frozen=True)
class Case:
    row: Row
    op: Operation
    actor: str
    channel: str
    state: str | None
    expected: object

    @property
    def id(self) -> str:
        path = self.op.path[len(API_PREFIX) :] if self.op.path.startswith(API_PREFIX) else self.op.path
        label = f"{self.op.method} {path}"
        if self.op.variant:
            label += f" ({self.op.variant})"
        parts = [self.row.id, label, self.actor, self.channel]
        if self.state:
            parts.append(self.state)
        return ":".join(parts)


class RulesError(ValueError):
    pass


#: the sections an installed plug-in's rules file adds to the core's
MERGED_SECTIONS = ("rules", "other", "pending")


def rule_files() -> list[Path]:
    """The core's rules file, then each installed service plug-in's (``access_rules``)."""
    from parvis_contracts.plugins import service_plugins

    files = [RULES_FILE]
    for plugin in service_plugins().values():
        path = plugin.access_rules_path
        if path is not None:
            files.append(path)
    return files


@lru_cache(maxsize=1)
def raw_rules() -> dict:
    """The core's rules with every installed plug-in's rows, ``other``, ``pending`` and
    ``builders`` merged in (a plug-in's file has the core's format)."""
    with open(RULES_FILE, encoding="utf-8") as handle:
        merged = yaml.safe_load(handle)
    merged.setdefault("builders", {})
    for path in rule_files()[1:]:
        with open(path, encoding="utf-8") as handle:
            extra = yaml.safe_load(handle) or {}
        if extra.get("version") != merged.get("version"):
            raise RulesError(f"{path.name}: version {extra.get('version')} is not the core's")
        for section in MERGED_SECTIONS:
            merged[section] = list(merged.get(section) or []) + list(extra.get(section) or [])
        for name, builder in (extra.get("builders") or {}).items():
            if name in merged["builders"]:
                raise RulesError(f"{path.name}: builder {name} is declared twice")
            merged["builders"][name] = builder
    return merged


def builders() -> dict[str, dict]:
    """Targets a plug-in makes through its own RPC: ``name -> {rpc, by, args}``."""
    found = {}
    for name, builder in (raw_rules().get("builders") or {}).items():
        if set(builder) != {"rpc", "by", "args"} or "." not in str(builder["rpc"]):
            raise RulesError(f"builder {name}: give rpc (service.method), by (a person) and args")
        found[name] = builder
    return found


def parse_op(text: str) -> tuple[str, str]:
    method, _, path = str(text).strip().partition(" ")
    if method not in HTTP_METHODS or not path.startswith(API_PREFIX):
        raise RulesError(f"not an API operation: {text!r} (want 'METHOD /api/v1/...')")
    return method, path


def _operation(entry: dict, where: str) -> Operation:
    known = {
        "op",
        "rpc",
        "access",
        "archived",
        "path",
        "query",
        "json",
        "rpc_args",
        "unknown",
        "rpc_unknown",
        "items",
        "body",
        "variant",
    }
    extra = set(entry) - known
    if extra:
        raise RulesError(f"{where}: unknown keys {sorted(extra)}")
    method, path = parse_op(entry["op"])
    if not re.fullmatch(r"[a-z]+\.[a-z_]+", str(entry.get("rpc") or "")):
        raise RulesError(f"{where} {entry['op']}: rpc must be 'service.method'")
    params = dict(entry.get("path") or {})
    if set(params) != set(PATH_PARAM.findall(path)):
        raise RulesError(f"{where} {entry['op']}: path parameters {sorted(params)} do not match the template")
    access = entry.get("access", "read")
    if access not in ("read", "write"):
        raise RulesError(f"{where} {entry['op']}: access is read or write")
    if entry.get("archived") not in (None, "unchanged"):
        raise RulesError(f"{where} {entry['op']}: archived may only be 'unchanged'")
    if entry.get("body") not in (None, *RAW_BODIES):
        raise RulesError(f"{where} {entry['op']}: body is one of {RAW_BODIES} (raw bytes)")
    if entry.get("body") and entry.get("json") is not None:
        raise RulesError(f"{where} {entry['op']}: a raw body and a JSON body exclude each other")
    return Operation(
        method=method,
        path=path,
        rpc=entry["rpc"],
        access=access,
        archived=entry.get("archived"),
        params=params,
        query=entry.get("query"),
        json=entry.get("json"),
        rpc_args=entry.get("rpc_args"),
        unknown=entry.get("unknown"),
        rpc_unknown=entry.get("rpc_unknown"),
        items=entry.get("items", "id"),
        body=entry.get("body"),
        variant=entry.get("variant"),
    )


def _check_cell(value, where: str) -> None:
    if isinstance(value, dict):
        if set(value) != {"list"} or not isinstance(value["list"], dict):
            raise RulesError(f"{where}: a listing cell is {{list: {{shows, hides}}}}")
        if not set(value["list"]) <= {"shows", "hides"} or not value["list"]:
            raise RulesError(f"{where}: a listing says what it shows and/or hides")
        return
    if value not in ANSWERS:
        raise RulesError(f"{where}: {value!r} is not one of {ANSWERS} (quote the numbers)")


@lru_cache(maxsize=1)
def rows() -> tuple[Row, ...]:
    data = raw_rules()
    if data.get("version") != 1:
        raise RulesError("unknown version of the rules file")
    seen: set[str] = set()
    result = []
    for entry in data.get("rules") or []:
        rid = entry.get("id")
        if not rid or rid in seen:
            raise RulesError(f"row id missing or repeated: {rid!r}")
        seen.add(rid)
        if not entry.get("authz"):
            raise RulesError(f"{rid}: say which line of the access table it encodes (authz)")
        if entry.get("community") not in (None, *COMMUNITIES):
            raise RulesError(f"{rid}: community is one of {COMMUNITIES} or null")
        expect = dict(entry.get("expect") or {})
        missing = [a for a in ACTORS if a not in expect]
        if missing:
            raise RulesError(f"{rid}: no answer for {missing}")
        unknown_actors = set(expect) - set(ACTORS) - set(OPTIONAL_ACTORS)
        if unknown_actors:
            raise RulesError(f"{rid}: unknown actors {sorted(unknown_actors)}")
        for actor, value in expect.items():
            _check_cell(value, f"{rid}/{actor}")
        if expect["signed_out"] != "401":
            raise RulesError(f"{rid}: signed out is 401 everywhere under the rules")
        ops = tuple(_operation(op, rid) for op in entry.get("operations") or [])
        if not ops:
            raise RulesError(f"{rid}: no operations")
        if "404" in expect.values() and not all(op.unknown_param for op in ops):
            raise RulesError(
                f"{rid}: a 404 is compared with an unknown id's: every operation "
                f"needs a path parameter or `unknown`"
            )
        if any(v in ("hidden",) for v in expect.values()) and not entry.get("field"):
            raise RulesError(f"{rid}: 'hidden' needs the field it is about")
        result.append(
            Row(
                id=rid,
                authz=entry["authz"],
                community=entry.get("community"),
                expect=expect,
                operations=ops,
                field=entry.get("field"),
            )
        )
    return tuple(result)


def other() -> list[dict]:
    entries = []
    for entry in raw_rules().get("other") or []:
        parse_op(entry.get("op", ""))
        if entry.get("rule") not in OTHER_RULES:
            raise RulesError(f"{entry.get('op')}: rule is one of {OTHER_RULES}")
        entries.append(entry)
    return entries


def pending() -> list[dict]:
    entries = []
    for entry in raw_rules().get("pending") or []:
        parse_op(entry.get("op", ""))
        if not isinstance(entry.get("issue"), int):
            raise RulesError(f"{entry.get('op')}: a pending operation names its issue number")
        entries.append(entry)
    return entries


def listed_operations() -> dict[str, str]:
    """Every operation the file names -> where (``rules``, ``other`` or ``pending``)."""
    where: dict[str, str] = {}
    for row in rows():
        for op in row.operations:
            where[op.key] = "rules"
    for section, entries in (("other", other()), ("pending", pending())):
        for entry in entries:
            key = " ".join(parse_op(entry["op"]))
            if key in where:
                raise RulesError(f"{key} is listed in both {where[key]} and {section}")
            where[key] = section
    return where


def coverage_problems(api_operations: set[str]) -> list[str]:
    """What is wrong between the API's operations and the file, one sentence each."""
    listed = listed_operations()
    problems = []
    for key in sorted(api_operations - set(listed)):
        problems.append(
            f"{key} has no row in {RULES_FILE.name} (or a plug-in's rules file): "
            f"add it to a rule (or to "
            f"'other' as self/public, or to 'pending' with its issue number)"
        )
    for key in sorted(set(listed) - api_operations):
        problems.append(
            f"{key} is listed under '{listed[key]}' in {RULES_FILE.name} but is "
            f"not an operation of the API (any more)"
        )
    return problems


# ------------------------------------------------------------------ expected answers


def state_applies(state: str, row: Row, op: Operation, actor: str) -> bool:
    if state in ("archived", "guest_removed", "post_deleted") and row.community != "A":
        return False
    if state == "archived":
        return actor in ACTORS
    if state == "guest_removed" or state == "guest_expired":
        return actor == "guest_a"
    if state == "deactivated":
        return actor == "member_a"
    if state == "post_deleted":
        return actor in ACTORS and bool(op.targets() & set(POST_TARGETS))
    raise RulesError(f"unknown state {state}")


def expected_in(state: str | None, row: Row, op: Operation, actor: str):
    base = row.expect[actor]
    if state is None or base == "401":
        return base
    if state == "archived":
        if op.access != "write" or op.archived == "unchanged" or base == "404":
            return base
        return "403"
    if state == "guest_removed" or state == "post_deleted":
        return "404"
    if state in ("deactivated", "guest_expired"):
        return "401"
    raise RulesError(f"unknown state {state}")


def cases() -> list[Case]:
    result = []
    for row in rows():
        actors = [a for a in (*ACTORS, *OPTIONAL_ACTORS) if a in row.expect]
        for op in row.operations:
            for actor in actors:
                for state in (None, *STATES):
                    if state is not None and not state_applies(state, row, op, actor):
                        continue
                    for channel in CHANNELS:
                        result.append(
                            Case(row, op, actor, channel, state, expected_in(state, row, op, actor))
                        )
    return result
