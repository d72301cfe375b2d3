"""End-to-end tier: the whole platform running as processes, driven over HTTP.

No eventlet in this process (the services have their own); see
``tests/platform_fixture.py`` for the ``parvis`` fixture.
"""

from tests.platform_fixture import parvis  # noqa: F401  (the session fixture)


def pytest_configure(config):
    # nameko's standalone RPC client imports eventlet (without patching anything here)
    config.addinivalue_line("filterwarnings", r"ignore:\s*Eventlet is deprecated")
