"""The settings table (parvis_contracts.settings): documented, the only reader, typed."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from parvis_contracts import config, settings

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "configuration.md"
#: a name, a family (PARVIS_<SERVICE>_DB_URL) or a prefix (PARVIS_S3_*, read as PARVIS_S3_)
DOC_NAME = re.compile(r"PARVIS_(?:[A-Z0-9_]|<[A-Z]+>)+")
#: where reading the environment is allowed: the table and its typed shortcuts
READERS = {
    ROOT / "contracts" / "parvis_contracts" / "settings.py",
    ROOT / "contracts" / "parvis_contracts" / "config.py",
}
EXEMPT_DIRS = {"tests", "bench", ".venv", "node_modules", "var", ".git", "build"}


def doc_names() -> set[str]:
    return set(DOC_NAME.findall(DOC.read_text(encoding="utf-8")))


# ---------------------------------------------------------------- (a) the page and the table


def test_every_documented_variable_is_declared():
    missing = []
    for name in sorted(doc_names()):
        if name.endswith("_"):  # a prefix such as PARVIS_S3_*
            if not any(declared.startswith(name) for declared in settings.names()):
                missing.append(name + "*")
            continue
        try:
            settings.declared(name)
        except LookupError:
            missing.append(name)
    assert not missing, f"documented in {DOC.name} but not declared in settings.py: {missing}"


def test_every_declared_setting_is_documented():
    documented = doc_names()
    missing = [name for name in settings.names() if name not in documented]
    assert not missing, f"declared in settings.py but missing from {DOC.name}: {missing}"


def test_names_are_unique_and_described():
    names = settings.names()
    assert len(names) == len(set(names))
    for setting in settings.SETTINGS:
        assert setting.name.startswith("PARVIS_"), setting.name
        assert setting.description and "\n" not in setting.description, setting.name
        assert setting.type in (
            settings.STR,
            settings.INT,
            settings.FLOAT,
            settings.BOOL,
            settings.PATH,
            settings.NAMES,
        ), setting.name


def _doc_rows() -> dict[str, str]:
    """First-column names -> the default column of the tables of the page."""
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if len(cells) == 3:
            for name in DOC_NAME.findall(cells[0]):
                rows.setdefault(name, cells[1])
    return rows


def test_documented_numeric_defaults_match_the_table():
    # defaults the page words rather than numbers: 0 = off / a free port
    worded = {"PARVIS_APERTIUM_PORT"}
    rows = _doc_rows()
    wrong = []
    for setting in settings.SETTINGS:
        if setting.type not in (settings.INT, settings.FLOAT) or callable(setting.default):
            continue
        if setting.name in worded or setting.name not in rows:
            continue
        number = settings.default(setting.name)
        shown = f"`{number:g}`" if isinstance(number, float) else f"`{number}`"
        if shown not in rows[setting.name]:
            wrong.append(f"{setting.name}: table {number}, page {rows[setting.name]!r}")
    assert not wrong, wrong


# ---------------------------------------------------------------- (b) nobody else reads

ENV_GETTERS = {"get", "setdefault", "pop", "getenv"}
HELPERS = {"env", "env_int", "env_bool", "getenv"}


def _parvis_literal(node) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.startswith("PARVIS_")
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        return isinstance(first, ast.Constant) and str(first.value).startswith("PARVIS_")
    return False


def _is_environ(node) -> bool:
    """``os.environ`` or a bare ``environ``."""
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ"
    )


def direct_reads(source: str) -> list[int]:
    """Lines of ``source`` that read a ``PARVIS_`` variable without the settings table."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and node.args and _parvis_literal(node.args[0]):
            func = node.func
            if (
                isinstance(func, ast.Attribute)
                and ((func.attr in ENV_GETTERS and _is_environ(func.value)) or func.attr in HELPERS)
                or isinstance(func, ast.Name)
                and func.id in HELPERS
            ):
                lines.append(node.lineno)
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.ctx, ast.Load)
            and _is_environ(node.value)
            and _parvis_literal(node.slice)
        ) or (
            isinstance(node, ast.Compare)
            and _parvis_literal(node.left)
            and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops)
            and any(_is_environ(c) for c in node.comparators)
        ):
            lines.append(node.lineno)
    return lines


def _project_sources():
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if EXEMPT_DIRS.intersection(parts) or path in READERS:
            continue
        yield path


def test_the_scan_finds_direct_reads():
    source = """
import os
from parvis_contracts.config import env, env_int
a = os.environ.get("PARVIS_A", "1")
b = os.getenv("PARVIS_B")
c = os.environ["PARVIS_C"]
d = env("PARVIS_D") or env_int(f"PARVIS_{name}_E", 3)
e = config.env_bool("PARVIS_F", False)
f = "PARVIS_G" in os.environ
os.environ["PARVIS_H"] = "written, not read"
g = settings.value("PARVIS_I")
h = os.environ.get("HOME")
"""
    assert sorted(direct_reads(source)) == [4, 5, 6, 7, 7, 8, 9]


def test_no_module_reads_a_parvis_variable_itself():
    offenders = []
    for path in _project_sources():
        for line in direct_reads(path.read_text(encoding="utf-8")):
            offenders.append(f"{path.relative_to(ROOT)}:{line}")
    assert not offenders, f"read these through parvis_contracts.settings (settings.value(name)): {offenders}"


# ---------------------------------------------------------------- (c) values and types


def test_defaults_when_unset_or_empty(monkeypatch):
    monkeypatch.delenv("PARVIS_RPC_TIMEOUT", raising=False)
    assert settings.value("PARVIS_RPC_TIMEOUT") == 5
    monkeypatch.setenv("PARVIS_RPC_TIMEOUT", "")
    assert settings.value("PARVIS_RPC_TIMEOUT") == 5
    monkeypatch.delenv("PARVIS_QUEUE_TYPE", raising=False)
    assert settings.value("PARVIS_QUEUE_TYPE") is None
    assert not settings.is_set("PARVIS_QUEUE_TYPE")


def test_read_at_each_call(monkeypatch):
    monkeypatch.setenv("PARVIS_CONTEXT_TTL", "7")
    assert settings.value("PARVIS_CONTEXT_TTL") == 7
    monkeypatch.setenv("PARVIS_CONTEXT_TTL", "8")
    assert settings.value("PARVIS_CONTEXT_TTL") == 8


@pytest.mark.parametrize(
    "name, text, expected",
    [
        ("PARVIS_RPC_TIMEOUT", "12", 12),
        ("PARVIS_RPC_TIMEOUT", " 3 ", 3),
        ("PARVIS_TRANSLATION_TIMEOUT", "2.5", 2.5),
        ("PARVIS_TRANSLATION_TIMEOUT", "4", 4.0),
        ("PARVIS_COOKIE_SECURE", "1", True),
        ("PARVIS_COOKIE_SECURE", "TRUE", True),
        ("PARVIS_COOKIE_SECURE", "on", True),
        ("PARVIS_COOKIE_SECURE", "no", False),
        ("PARVIS_COOKIE_SECURE", "0", False),
        ("PARVIS_VAR_DIR", "/srv/parvis", Path("/srv/parvis")),
        ("PARVIS_TRANSLATION_PIVOTS", "EN; fr,,es ", ["en", "fr", "es"]),
        ("PARVIS_AMQP_URI", "amqp://a;amqp://b", "amqp://a;amqp://b"),
    ],
)
def test_conversions(monkeypatch, name, text, expected):
    monkeypatch.setenv(name, text)
    found = settings.value(name)
    assert found == expected and type(found) is type(expected)


@pytest.mark.parametrize(
    "name, text",
    [
        ("PARVIS_RPC_TIMEOUT", "abc"),
        ("PARVIS_RPC_TIMEOUT", "2.5"),
        ("PARVIS_TRANSLATION_DETECT_MIN_CONFIDENCE", "high"),
        ("PARVIS_COOKIE_SECURE", "maybe"),
    ],
)
def test_a_malformed_value_names_the_variable(monkeypatch, name, text):
    monkeypatch.setenv(name, text)
    with pytest.raises(settings.SettingError) as caught:
        settings.value(name)
    assert name in str(caught.value) and repr(text) in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_config_helpers_name_the_variable_too(monkeypatch):
    monkeypatch.setenv("PARVIS_SOMETHING", "abc")
    with pytest.raises(ValueError, match="PARVIS_SOMETHING"):
        config.env_int("PARVIS_SOMETHING", 3)
    monkeypatch.setenv("PARVIS_SOMETHING", "")
    assert config.env_int("PARVIS_SOMETHING", 3) == 3
    assert config.env("PARVIS_SOMETHING", "x") == "x"
    assert config.env_bool("PARVIS_SOMETHING", True) is True


def test_an_undeclared_name_is_refused():
    with pytest.raises(LookupError, match="PARVIS_NO_SUCH_THING"):
        settings.value("PARVIS_NO_SUCH_THING")


def test_every_default_has_its_type():
    for setting in settings.SETTINGS:
        if setting.family:
            continue
        found = settings.default(setting.name)
        if found is not None:
            assert settings.convert(setting.name, setting.type, found) == found, setting.name
        for caller in setting.callers:
            assert settings.default(setting.name, caller=caller) is not None


def test_another_mapping_than_the_environment():
    assert settings.value("PARVIS_TRANSLATION_MAX_CHARS", {"PARVIS_TRANSLATION_MAX_CHARS": "9"}) == 9
    assert settings.value("PARVIS_TRANSLATION_MAX_CHARS", {}) == 20000


def test_families(monkeypatch, tmp_path):
    monkeypatch.setenv("PARVIS_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("PARVIS_POLLS_DB_URL", raising=False)
    assert settings.declared("PARVIS_POLLS_DB_URL")[0].name == "PARVIS_<SERVICE>_DB_URL"
    assert settings.value("PARVIS_POLLS_DB_URL") == f"sqlite:///{tmp_path / 'polls.db'}"
    monkeypatch.setenv("PARVIS_POLLS_DB_URL", "postgresql+psycopg://h/polls")
    assert config.db_url("polls") == "postgresql+psycopg://h/polls"
    monkeypatch.delenv("PARVIS_MAX_WORKERS", raising=False)
    monkeypatch.delenv("PARVIS_FEED_MAX_WORKERS", raising=False)
    assert settings.value("PARVIS_FEED_MAX_WORKERS") == 10
    monkeypatch.setenv("PARVIS_MAX_WORKERS", "6")
    assert settings.value("PARVIS_FEED_MAX_WORKERS") == 6
    monkeypatch.setenv("PARVIS_FEED_MAX_WORKERS", "x")
    with pytest.raises(settings.SettingError, match="PARVIS_FEED_MAX_WORKERS"):
        config.max_workers("feed")


def test_computed_defaults_follow_the_var_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("PARVIS_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("PARVIS_BLOB_DIR", raising=False)
    assert settings.value("PARVIS_BLOB_DIR") == tmp_path / "blobs"
    monkeypatch.delenv("PARVIS_VAR_DIR")
    monkeypatch.chdir(tmp_path)
    assert settings.value("PARVIS_VAR_DIR") == tmp_path / "var"


def test_caller_defaults(monkeypatch):
    for name in ("PARVIS_METRICS_PORT", "PARVIS_VAR_DIR", "PARVIS_BIND", "PARVIS_APERTIUM_PORT"):
        monkeypatch.delenv(name, raising=False)
    assert settings.value("PARVIS_METRICS_PORT") == 0
    assert settings.value("PARVIS_METRICS_PORT", caller="probe") == 9100
    assert settings.value("PARVIS_BIND", caller="gunicorn") == "127.0.0.1:8000"
    assert settings.value("PARVIS_APERTIUM_PORT", caller="apertium_launcher") == 2737
    monkeypatch.setenv("PARVIS_METRICS_PORT", "9200")
    assert settings.value("PARVIS_METRICS_PORT", caller="probe") == 9200
    with pytest.raises(LookupError, match="probe"):
        settings.value("PARVIS_RPC_TIMEOUT", caller="probe")
