"""The ``TranslationEngine`` dependency: backends, router and detector of one service process.

Built once when the container starts (``setup``) from the environment, or from
a ``TRANSLATION`` dict in the nameko config (same variable names) that
overrides it. Workers get this object itself: it holds no per-call state.
"""

from __future__ import annotations

import logging

from nameko.extensions import DependencyProvider

from .backends import build_backends
from .detect import Detector
from .routing import Router, parse_routes
from .settings import Settings

log = logging.getLogger(__name__)


class Engine:
    """What a worker uses: settings, backends (by name), the router and the detector."""

    def __init__(self, settings: Settings, backends=None, detector=None, preload=False):
        self.settings = settings
        self.backends = backends if backends is not None else build_backends(settings)
        self.router = Router(
            self.backends, parse_routes(settings.route_text()), settings.pivots, settings.max_hops
        )
        self.detector = detector or Detector(
            settings.detect_languages,
            settings.detect_accuracy,
            settings.detect_min_confidence,
            preload=preload,
        )

    def close(self) -> None:
        for backend in self.backends.values():
            backend.close()


class TranslationEngine(DependencyProvider):
    def setup(self):
        overrides = self.container.config.get("TRANSLATION") or {}
        settings = Settings.from_environment(overrides)
        self.engine = Engine(settings, preload=True)
        log.info("translation backends: %s", ", ".join(self.engine.backends) or "none")

    def stop(self):
        self.engine.close()

    def kill(self):
        self.engine.close()

    def get_dependency(self, worker_ctx) -> Engine:
        return self.engine
