"""Shared HTTP plumbing of the backends that talk to an engine over HTTP."""

from __future__ import annotations

import threading
import time

import requests

from .base import EngineUnavailable


class HttpEngine:
    """A pooled ``requests`` session with one timeout and one error translation."""

    def __init__(self, base_url: str, timeout: float, headers: dict | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        if headers:
            self.session.headers.update(headers)

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        try:
            response = self.session.request(
                method, self.base_url + path, timeout=kwargs.pop("timeout", self.timeout), **kwargs
            )
        except requests.Timeout:
            raise EngineUnavailable(f"{self.base_url} did not answer within {self.timeout:g}s") from None
        except requests.RequestException as exc:
            raise EngineUnavailable(f"{self.base_url} is unreachable ({type(exc).__name__})") from None
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise EngineUnavailable(f"{self.base_url} answered HTTP {response.status_code}")
        return response

    def json(self, response: requests.Response):
        try:
            return response.json()
        except ValueError:
            raise EngineUnavailable(f"{self.base_url} answered something that is not JSON") from None

    def close(self) -> None:
        self.session.close()


class TtlValue:
    """A value computed at most once every ``ttl`` seconds (failures are not kept)."""

    def __init__(self, ttl: float, compute):
        self.ttl = ttl
        self.compute = compute
        self.value = None
        self.at = 0.0
        self.lock = threading.Lock()

    def get(self):
        now = time.monotonic()
        if self.value is not None and now - self.at < self.ttl:
            return self.value
        with self.lock:
            if self.value is not None and time.monotonic() - self.at < self.ttl:
                return self.value
            value = self.compute()
            self.value, self.at = value, time.monotonic()
            return value

    def reset(self) -> None:
        self.value = None
