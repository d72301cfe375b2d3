"""The pip-audit step of ``./parvis test``: its rule, its ignore file, its JUnit record.

pip-audit itself is not run here (it needs the vulnerability service); its JSON report and
its failures are given to the gate's decision, as pip-audit 2.x writes them.
"""

import importlib.util
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

# this test folder is itself a package named ``deploy``: load the module by its path
_PATH = Path(__file__).resolve().parents[3] / "deploy" / "pip_audit_gate.py"
_SPEC = importlib.util.spec_from_file_location("parvis_pip_audit_gate", _PATH)
gate = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(gate)


def dep(name, version="1.0", vulns=None, skipped=False):
    if skipped:
        return {"name": name, "skip_reason": f"Dependency not found on PyPI: {name} ({version})"}
    return {"name": name, "version": version, "vulns": vulns or []}


def test_a_vulnerability_fails_and_is_named():
    report = {
        "dependencies": [
            dep("flask"),
            dep("jinja2", "3.0", [{"id": "GHSA-xxxx", "fix_versions": ["3.1.6"], "aliases": []}]),
        ]
    }
    status, message = gate.verdict(1, report, "")
    assert status == "vulnerable"
    assert "jinja2 3.0: GHSA-xxxx (fixed in 3.1.6)" in message


def test_a_service_that_answered_for_no_package_is_never_clean():
    """A mirror without the JSON API: pip-audit alone says "No known vulnerabilities found"."""
    report = {"dependencies": [dep("flask", skipped=True), dep("jinja2", skipped=True)]}
    status, message = gate.verdict(0, report, "No known vulnerabilities found")
    assert status == "skipped"
    assert message.startswith("vulnerability service unreachable")


def test_a_connection_failure_is_skipped_any_other_failure_fails():
    trace = "requests.exceptions.ConnectionError: ... NameResolutionError(...)"
    assert gate.verdict(1, None, trace)[0] == "skipped"
    status, message = gate.verdict(2, None, "Traceback ...\nValueError: something broke")
    assert status == "error" and "something broke" in message


def test_clean_names_the_packages_it_could_not_audit():
    report = {"dependencies": [dep("flask"), dep("parvis-contracts", skipped=True)]}
    status, message = gate.verdict(0, report, "")
    assert status == "clean"
    assert "1 packages" in message and "parvis-contracts" in message


def test_the_ignore_file_needs_a_reason_for_every_id(tmp_path):
    good = tmp_path / "ok.txt"
    good.write_text("# comment\n\nGHSA-1234   dev-only tool, never imported by the services\n")
    assert gate.read_ignores(good) == {"GHSA-1234": "dev-only tool, never imported by the services"}
    assert gate.read_ignores(tmp_path / "missing.txt") == {}
    bad = tmp_path / "bad.txt"
    bad.write_text("PYSEC-2026-1\n")
    with pytest.raises(gate.IgnoreFileError):
        gate.read_ignores(bad)
    # the file shipped in the repository parses
    gate.read_ignores(gate.IGNORE_FILE)


@pytest.mark.parametrize(
    "status, counts, rc", [("clean", (0, 0), 0), ("skipped", (0, 1), 0), ("vulnerable", (1, 0), 1)]
)
def test_the_verdict_is_recorded_for_the_summary(tmp_path, monkeypatch, capsys, status, counts, rc):
    reports = {
        "clean": {"dependencies": [dep("flask")]},
        "skipped": {"dependencies": [dep("flask", skipped=True)]},
        "vulnerable": {"dependencies": [dep("flask", vulns=[{"id": "PYSEC-1"}])]},
    }
    monkeypatch.setattr(gate, "run_pip_audit", lambda ignores, timeout: (0, reports[status], ""))
    junit = tmp_path / "pip-audit.xml"
    assert gate.main(["--junit", str(junit), "--ignore-file", str(tmp_path / "none")]) == rc
    out = capsys.readouterr().out
    label = {"clean": "clean", "skipped": "SKIPPED", "vulnerable": "FAILED"}[status]
    assert out.startswith(f"pip-audit: {label},")
    suite = ET.parse(junit).getroot().find("testsuite")
    assert (int(suite.get("failures")), int(suite.get("skipped"))) == counts


def test_unreachable_fails_when_the_audit_is_required(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PARVIS_PIP_AUDIT_REQUIRED", "1")
    monkeypatch.setattr(gate, "run_pip_audit", lambda ignores, timeout: (1, None, "ConnectionError"))
    assert gate.main(["--ignore-file", str(tmp_path / "none")]) == 1
    assert "pip-audit: FAILED, vulnerability service unreachable" in capsys.readouterr().out
