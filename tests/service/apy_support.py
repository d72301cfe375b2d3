"""The real Apertium server (APy) for service tests, and the translation service on it.

APy is started once per test module that imports these fixtures, by
``deploy/apertium_launcher.py`` on the system's Python, bound to 127.0.0.1 on a
free port (install it with ``deploy/install_apertium.sh``). Only the Apertium
backend is configured, so every translation is Apertium's.
"""

from __future__ import annotations

import pytest

from deploy import apertium_launcher
from deploy.launcher import free_port


@pytest.fixture(scope="module")
def apy(tmp_path_factory):
    if not apertium_launcher.available():
        pytest.fail("Apertium's APy is not installed: run deploy/install_apertium.sh")
    port = free_port()
    log = tmp_path_factory.mktemp("apy") / "apy.log"
    process = apertium_launcher.start(port=port, log_path=log)
    url = f"http://127.0.0.1:{port}"
    try:
        apertium_launcher.wait_ready(url, timeout=60, process=process)
        yield url
    finally:
        apertium_launcher.stop(process)


def apertium_only(monkeypatch, url: str) -> None:
    """Configure the translation service for the APy at ``url``, nothing else."""
    monkeypatch.setenv("PARVIS_APERTIUM_URL", url)
    monkeypatch.setenv("PARVIS_TRANSLATION_BACKENDS", "apertium")
