"""The whole platform, running, for the end-to-end and browser tiers.

One session fixture, ``parvis``, starts every service and the gateway with the
launcher's Python API (``deploy.launcher.Platform``) on a fresh RabbitMQ vhost,
fresh databases (PostgreSQL with ``PARVIS_TEST_DB=postgresql``) and a temporary
var dir, seeds the demo network and stops everything at the end, also when a
test or the start itself fails.

This process never imports eventlet: the services run in their own processes.
``tests/e2e/conftest.py`` and ``tests/browser/conftest.py`` import the fixture
from here.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

import pytest
import requests

from deploy.launcher import Platform, free_port
from parvis_contracts.plugins import service_names
from tests.support import Databases, SmtpSink, Vhost

SERVICES = service_names()

START_TIMEOUT = 120.0  # seconds for every service and the gateway to answer
HTTP_TIMEOUT = 15.0


@dataclass
class RunningPlatform:
    base_url: str
    accounts: dict  # key ("admin", "employee_fr", "guest", ...) -> account
    organisations: dict  # "host" / "supplier" -> organisation
    platform: Platform
    vhost: Vhost
    #: the SMTP server on loopback the notifications service sends to
    smtp: SmtpSink
    _tokens: dict = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.base_url + path

    def sign_in(self, key_or_email: str, password: str | None = None) -> dict:
        """Sign in through the API; the answer with its bearer ``token``."""
        account = self.accounts.get(key_or_email)
        email = account["email"] if account else key_or_email
        password = password if password is not None else account["password"]
        response = requests.post(
            self.url("/api/v1/auth/sign-in"),
            timeout=HTTP_TIMEOUT,
            json={"email": email, "password": password, "issue_token": True},
        )
        assert response.status_code == 200, response.text
        return response.json()

    def api(self, key: str) -> Api:
        """A bearer-authenticated API client for a seeded account (one session per key)."""
        if key not in self._tokens:
            self._tokens[key] = self.sign_in(key)["token"]
        return Api(self.base_url, self._tokens[key])

    def unique_email(self, label: str = "person") -> str:
        return f"{label}-{uuid.uuid4().hex[:10]}@e2e.parvis-demo.example"


class Api:
    """``requests`` with the base URL and a bearer token."""

    def __init__(self, base_url: str, token: str | None):
        self.base_url = base_url
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", HTTP_TIMEOUT)
        return self.session.request(method, self.base_url + path, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.request("PATCH", path, **kwargs)


def wait_for_healthz(base_url: str, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            response = requests.get(base_url + "/healthz", timeout=10)
            if response.status_code == 200:
                return response.json()
            last = f"HTTP {response.status_code}"
        except requests.RequestException as exc:
            last = type(exc).__name__
        time.sleep(0.3)
    raise AssertionError(f"/healthz did not answer 200 within {timeout}s (last: {last})")


@pytest.fixture(scope="session")
def parvis(tmp_path_factory):
    vhost = Vhost("parvis-e2e").create()
    databases = Databases(tmp_path_factory.mktemp("e2e-db"))
    smtp = SmtpSink(tmp_path_factory.mktemp("e2e-smtp"))
    platform = None
    try:
        smtp.start()
        db_urls = {name: databases.url(name) for name in SERVICES}
        platform = Platform(
            tmp_path_factory.mktemp("e2e-var"),
            amqp_uri=vhost.uri,
            port=free_port(),
            db_urls=db_urls,
            metrics_base=None,
            bind_host="127.0.0.1",
            # mails to the SMTP server on loopback, at once even to someone in the app, and
            # one test's mail to a person does not hold the next test's for two minutes
            extra_env={
                **smtp.environment(),
                "PARVIS_MAIL_ACTIVE_MINUTES": "0",
                "PARVIS_MAIL_GAP_SECONDS": "2",
            },
        )
        platform.start(timeout=START_TIMEOUT)
        wait_for_healthz(platform.base_url)
        seeded = platform.seed()
        accounts = {account["key"]: account for account in seeded["accounts"]}
        yield RunningPlatform(
            base_url=platform.base_url,
            accounts=accounts,
            organisations=seeded["organisations"],
            platform=platform,
            vhost=vhost,
            smtp=smtp,
        )
    finally:
        if platform is not None:
            platform.stop()
        smtp.stop()
        databases.drop_all()
        vhost.delete()
