"""Run Apertium's HTTP server (APy) bound to one address, loopback by default.

APy binds every interface and has no option to choose the address (its ``-p``
sets only the port). This launcher imports APy's own module and starts its
tornado application on the address we choose::

    /usr/bin/python3 deploy/apertium_launcher.py serve --host 127.0.0.1 --port 2737

It runs on the system's Python (where the Debian package ``apertium-apy``
installs its module), not in the project's virtual environment: at import time
this file needs only the standard library, so the platform's launcher and the
tests (in the venv) import it too and use :func:`start` / :func:`wait_ready`
to run APy as a child process.

Everything after ``--`` goes to APy's own argument parser (``-t`` request
timeout, ``-m`` idle seconds before a pipeline stops, ``-n`` minimum pipelines
per pair, ...); see ``apertium-apy --help``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


def _settings():
    """The platform's settings table (:mod:`parvis_contracts.settings`).

    On the system's Python the package is not installed: the checkout's file of it
    (standard library only) is loaded instead.
    """
    try:
        from parvis_contracts import settings
    except ImportError:
        import importlib.util

        path = Path(__file__).resolve().parent.parent / "contracts" / "parvis_contracts" / "settings.py"
        spec = importlib.util.spec_from_file_location("_parvis_settings", path)
        settings = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = settings  # dataclasses look their module up
        spec.loader.exec_module(settings)
    return settings


settings = _settings()

#: Debian's interpreter, where ``python3-apertium-apy`` lives (``PARVIS_APERTIUM_PYTHON``)
SYSTEM_PYTHON = settings.default("PARVIS_APERTIUM_PYTHON")
#: where the Debian pair packages install their modes files (``PARVIS_APERTIUM_MODES``)
DEFAULT_MODES = settings.default("PARVIS_APERTIUM_MODES")
DEFAULT_HOST = settings.default("PARVIS_APERTIUM_HOST")
DEFAULT_PORT = settings.default("PARVIS_APERTIUM_PORT", caller="apertium_launcher")


def utf8_env(env: dict) -> dict:
    """APy and the Apertium pipelines refuse to run without a UTF-8 locale."""
    env = dict(env)
    if not any("UTF-8" in env.get(key, "").upper().replace("UTF8", "UTF-8") for key in ("LC_ALL", "LANG")):
        env["LANG"] = "C.UTF-8"
        env.pop("LC_ALL", None)
    return env


# ---------------------------------------------------------------- the server (system Python)


def serve(host: str, port: int, modes: str, apy_args: list[str]) -> int:
    os.environ.update(utf8_env(os.environ))
    import tornado.httpserver
    import tornado.ioloop
    from apertium_apy import apy

    apy.check_utf8()
    args = apy.parse_args([modes, "--port", str(port), *apy_args])
    apy.setup_logging(args)
    application = apy.setup_application(args)
    server = tornado.httpserver.HTTPServer(application)
    # the one line that differs from APy's own main(): an address, not every interface
    server.bind(port, address=host)
    server.start(1)

    loop = tornado.ioloop.IOLoop.current()

    def _stop(signum, _frame):
        loop.add_callback_from_signal(loop.stop)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    print(f"apertium-apy serving on http://{host}:{port}/ (modes from {modes})", flush=True)
    loop.start()
    server.stop()
    return 0


# ---------------------------------------------------------------- helpers (any Python)


def system_python() -> str:
    return settings.value("PARVIS_APERTIUM_PYTHON")


def modes_path() -> str:
    return settings.value("PARVIS_APERTIUM_MODES")


def available() -> bool:
    """True when the system Python can import APy and some pair is installed."""
    python = system_python()
    if not (shutil.which(python) or Path(python).exists()):
        return False
    if not Path(modes_path()).is_dir() or not any(Path(modes_path()).glob("*.mode")):
        return False
    probe = subprocess.run(
        [python, "-c", "import apertium_apy.apy, tornado"], capture_output=True, timeout=60
    )
    return probe.returncode == 0


def command(
    host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, apy_args: list[str] | None = None
) -> list[str]:
    """The argv that runs APy through this launcher on the system Python."""
    argv = [
        system_python(),
        str(Path(__file__).resolve()),
        "serve",
        "--host",
        host,
        "--port",
        str(port),
        "--modes",
        modes_path(),
    ]
    if apy_args:
        argv += ["--", *apy_args]
    return argv


def start(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    log_path=None,
    apy_args: list[str] | None = None,
    **popen_kwargs,
) -> subprocess.Popen:
    """Start APy as a child process (in a session of its own); returns the Popen."""
    env = utf8_env(popen_kwargs.pop("env", None) or os.environ)
    # handed to the child, closed below once it holds its own copy
    out = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    try:
        return subprocess.Popen(
            command(host, port, apy_args),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **popen_kwargs,
        )
    finally:
        if log_path:
            out.close()


def list_pairs(url: str, timeout: float = 2.0) -> list[tuple[str, str]]:
    """The pairs a running APy lists, as ``(source, target)`` ISO 639-3 codes."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {url!r}")
    # (B310 below: the scheme was checked just above)
    with urllib.request.urlopen(
        url.rstrip("/") + "/listPairs",  # nosec B310
        timeout=timeout,
    ) as response:
        data = json.load(response)
    return [(p["sourceLanguage"], p["targetLanguage"]) for p in data.get("responseData", [])]


def wait_ready(url: str, timeout: float = 60.0, process: subprocess.Popen | None = None) -> None:
    """Wait (bounded) until APy at ``url`` answers ``/listPairs``; raise ``RuntimeError``."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"apertium-apy exited with code {process.returncode}")
        try:
            list_pairs(url, timeout=2.0)
            return
        except (OSError, ValueError, urllib.error.URLError) as exc:
            last = f"{type(exc).__name__}: {exc}"
        time.sleep(0.2)
    raise RuntimeError(f"apertium-apy did not answer at {url} within {timeout:.0f}s ({last})")


def stop(process: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM the child, bounded wait, then SIGKILL its process group (pipelines too)."""
    if process.poll() is None:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    if process.poll() is None:
        process.kill()
        process.wait(timeout=5)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    apy_args: list[str] = []
    if "--" in argv:
        split = argv.index("--")
        argv, apy_args = argv[:split], argv[split + 1 :]
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve_parser = sub.add_parser("serve", help="run APy in the foreground")
    serve_parser.add_argument("--host", default=settings.value("PARVIS_APERTIUM_HOST"))
    serve_parser.add_argument(
        "--port", type=int, default=settings.value("PARVIS_APERTIUM_PORT", caller="apertium_launcher")
    )
    serve_parser.add_argument(
        "--modes", default=modes_path(), help="directory of installed Apertium modes files"
    )
    sub.add_parser("check", help="exit 0 when APy and at least one pair are installed")
    args = parser.parse_args(argv)
    if args.command == "check":
        ok = available()
        print("apertium-apy: " + ("available" if ok else "missing"))
        return 0 if ok else 1
    return serve(args.host, args.port, args.modes, apy_args)


if __name__ == "__main__":
    sys.exit(main())
