"""The supply-chain gate of ``./parvis test``: pip-audit over the installed packages.

    python -m deploy.pip_audit_gate [--junit FILE] [--ignore-file deploy/pip-audit-ignore.txt]

It audits every package installed in the running interpreter's environment (the project's
venv: what ``requirements.txt`` installs, with their dependencies) against the
vulnerability service pip-audit uses (PyPI's JSON API unless ``PARVIS_PIP_AUDIT_SERVICE``
says ``osv``). The rule, printed as one line that starts with ``pip-audit:``:

- ``FAILED``: a known vulnerability that the ignore file does not list (exit 1);
- ``SKIPPED``: the service could not be reached, or answered for none of the packages
  (a mirror without the JSON API answers "not found" for every package, which pip-audit
  alone reports as "No known vulnerabilities found"): never called clean, exit 0 — or
  exit 1 when ``PARVIS_PIP_AUDIT_REQUIRED=1`` (for machines that must reach it);
- ``clean``: every package the service answered for has no unlisted vulnerability; the
  packages it could not audit are named on the line.

Known exceptions live in ``deploy/pip-audit-ignore.txt``: one ``ID  reason`` a line (``#``
comments); an ID without a reason is refused. The verdict is also written as a one-test
JUnit file, which the summary of ``./parvis test`` counts (passed, failed or skipped).
"""

from __future__ import annotations

import argparse
import json

# runs pip-audit only: a fixed argument list, no shell
import subprocess  # nosec B404
import sys
import tempfile
from pathlib import Path
from xml.sax.saxutils import quoteattr

from parvis_contracts import settings

IGNORE_FILE = Path(__file__).with_name("pip-audit-ignore.txt")
UNREACHABLE_HINTS = (
    "ConnectionError",
    "NameResolutionError",
    "Max retries exceeded",
    "timed out",
    "Timeout",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Connection refused",
)


class IgnoreFileError(ValueError):
    pass


def read_ignores(path: Path) -> dict[str, str]:
    """``{vulnerability id: reason}`` from the ignore file (missing file: no exception)."""
    ignores: dict[str, str] = {}
    if not path.exists():
        return ignores
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 1)
        if len(parts) < 2 or not parts[1].strip():
            raise IgnoreFileError(f"{path.name}:{number}: {parts[0]} has no reason")
        ignores[parts[0]] = parts[1].strip()
    return ignores


def verdict(returncode: int, report: dict | None, stderr: str) -> tuple[str, str]:
    """``(status, message)``: status is ``clean``, ``vulnerable``, ``skipped`` or ``error``."""
    if report is None:
        if any(hint in stderr for hint in UNREACHABLE_HINTS):
            return "skipped", "vulnerability service unreachable"
        tail = stderr.strip().splitlines()[-1:] or [f"exit {returncode}"]
        return "error", f"pip-audit did not run: {tail[0]}"
    dependencies = report.get("dependencies") or []
    audited = [d for d in dependencies if "skip_reason" not in d]
    skipped = sorted(d.get("name", "?") for d in dependencies if "skip_reason" in d)
    found = [
        (d["name"], d.get("version", "?"), v.get("id", "?"), v.get("fix_versions") or [])
        for d in audited
        for v in d.get("vulns") or []
    ]
    if found:
        lines = [
            f"{name} {version}: {vid} (fixed in {', '.join(fixes) or 'no release yet'})"
            for name, version, vid, fixes in found
        ]
        return "vulnerable", (
            f"{len(found)} known vulnerabilit{'y' if len(found) == 1 else 'ies'}"
            " not listed in deploy/pip-audit-ignore.txt:\n  " + "\n  ".join(lines)
        )
    if not audited:
        return "skipped", (
            f"vulnerability service unreachable (it answered for none of the "
            f"{len(dependencies)} installed packages)"
        )
    message = f"no known vulnerability in {len(audited)} packages"
    if skipped:
        message += f"; not audited (unknown to the service): {', '.join(skipped)}"
    return "clean", message


def run_pip_audit(ignores: dict[str, str], timeout: int) -> tuple[int, dict | None, str]:
    service = settings.value("PARVIS_PIP_AUDIT_SERVICE")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        cmd = [
            sys.executable,
            "-m",
            "pip_audit",
            "--local",
            "--progress-spinner",
            "off",
            "--vulnerability-service",
            service,
            "--timeout",
            "20",
            "--format",
            "json",
            "--output",
            str(out),
        ]
        for vid in ignores:
            cmd += ["--ignore-vuln", vid]
        try:
            done = subprocess.run(
                cmd,
                capture_output=True,
                text=True,  # nosec B603
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return 124, None, "pip-audit timed out"
        report = None
        if out.exists():
            try:
                report = json.loads(out.read_text(encoding="utf-8"))
            except ValueError:
                report = None
        return done.returncode, report, done.stderr or ""


def write_junit(path: Path, status: str, message: str) -> None:
    failed = status in ("vulnerable", "error")
    skipped = status == "skipped"
    body = ""
    if failed:
        body = f"<failure message={quoteattr(message.splitlines()[0])}>{_text(message)}</failure>"
    elif skipped:
        body = f"<skipped message={quoteattr(message)}/>"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<testsuites><testsuite name="pip-audit" tests="1" failures="{int(failed)}" '
        f'errors="0" skipped="{int(skipped)}">'
        f'<testcase classname="supply_chain" name="pip_audit">{body}</testcase>'
        "</testsuite></testsuites>\n",
        encoding="utf-8",
    )


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--junit", type=Path)
    parser.add_argument("--ignore-file", type=Path, default=IGNORE_FILE)
    parser.add_argument("--timeout", type=int, default=600, help="seconds for the whole audit")
    args = parser.parse_args(argv)
    try:
        ignores = read_ignores(args.ignore_file)
    except IgnoreFileError as exc:
        status, message = "error", str(exc)
    else:
        status, message = verdict(*run_pip_audit(ignores, args.timeout))
        if ignores:
            message += f" ({len(ignores)} listed exception(s): {', '.join(ignores)})"
    required = settings.value("PARVIS_PIP_AUDIT_REQUIRED")
    if status == "skipped" and required:
        status, message = "error", message + " and PARVIS_PIP_AUDIT_REQUIRED is set"
    label = {"clean": "clean", "vulnerable": "FAILED", "skipped": "SKIPPED", "error": "FAILED"}[status]
    print(f"pip-audit: {label}, {message}", flush=True)
    if status == "skipped":
        print(
            "pip-audit: *** the installed packages were NOT checked for known vulnerabilities ***", flush=True
        )
    if args.junit:
        write_junit(args.junit, status, message)
    return 1 if status in ("vulnerable", "error") else 0


if __name__ == "__main__":
    sys.exit(main())
