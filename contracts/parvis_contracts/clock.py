"""The time source, a dependency so that tests can move the clock."""

from __future__ import annotations

from datetime import UTC, datetime

from nameko.extensions import DependencyProvider


def utcnow() -> datetime:
    return datetime.now(UTC)


class Clock(DependencyProvider):
    """Gives workers a ``now()`` callable returning an aware UTC datetime."""

    def get_dependency(self, worker_ctx):
        return utcnow
